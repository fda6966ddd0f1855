"""The pairs a human rates: exactly the outputs the run's judge saw, in an order of the rater's own.

The set of pairs depends only on the run and `--seed` (so that several raters rate the same
pairs and their agreement can be measured); the order, and which output is shown first, depend
on the rater too, so that raters do not share one position bias. Both are pure functions of
(seed, rater, prompt), so a resumed session sees the same positions it would have seen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from alpaca_bench.errors import AlpacaBenchError, InputError
from alpaca_bench.evalsets import EvalSet
from alpaca_bench.records import Position, Prompt
from alpaca_bench.store import RunFolder, RunManifest, pair_hash


@dataclass(frozen=True)
class RatingPair:
    """One blind pair; the UI shows `shown` and nothing else of it."""

    prompt: Prompt
    baseline_output: str
    candidate_output: str
    first_shown: Position

    @property
    def shown(self) -> tuple[str, str]:
        """(Response 1, Response 2)."""
        if self.first_shown == "baseline":
            return self.baseline_output, self.candidate_output
        return self.candidate_output, self.baseline_output

    @property
    def pair_hash(self) -> str:
        return pair_hash(self.baseline_output, self.candidate_output)


def run_eval_set(run: RunFolder, manifest: RunManifest) -> EvalSet:
    """The eval set a run was made on, by name or by the file it came from."""
    tried = [spec for spec in (manifest.eval_set, manifest.eval_set_source) if spec]
    try:
        return manifest.load_eval_set()
    except AlpacaBenchError:
        pass
    raise InputError(
        f"cannot load the run's eval set (tried {', '.join(map(repr, tried))}); raters need its instructions",
        run.manifest_path,
    )


def first_shown_for(seed: int, rater: str, prompt_id: str) -> Position:
    """A coin per (seed, rater, prompt)."""
    digest = hashlib.sha256(f"{seed}\x00{rater}\x00{prompt_id}".encode()).digest()
    return "candidate" if digest[0] & 1 else "baseline"


def rating_pairs(run: RunFolder, rater: str, seed: int = 0, limit: int | None = None) -> list[RatingPair]:
    """The run's pairs in this rater's order; `limit` draws the same subset for every rater.

    Pairs with identical outputs are left out: there is nothing to rate (the judge scored them
    as ties without a call).
    """
    manifest = run.manifest()
    baseline, candidate = run.outputs(manifest.baseline), run.outputs(manifest.candidate)
    prompts = [
        p
        for p in run_eval_set(run, manifest).head(manifest.limit)
        if p.id in baseline and p.id in candidate and baseline[p.id].output != candidate[p.id].output
    ]
    if limit is not None and limit < len(prompts):
        chosen = _rng(str(seed)).choice(len(prompts), size=limit, replace=False)
        prompts = [prompts[i] for i in sorted(chosen)]
    order = _rng(f"{seed}\x00{rater}").permutation(len(prompts))
    return [
        RatingPair(
            prompt=prompts[i],
            baseline_output=baseline[prompts[i].id].output,
            candidate_output=candidate[prompts[i].id].output,
            first_shown=first_shown_for(seed, rater, prompts[i].id),
        )
        for i in order
    ]


def _rng(key: str) -> np.random.Generator:
    """A generator seeded from a string: any seed, any rater name."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
