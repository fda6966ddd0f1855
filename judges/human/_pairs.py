"""The pairs a human rates: exactly the outputs the run's judge saw, in an order of the rater's own.

The set of pairs depends only on the run and `--seed` (so that several raters rate the same
pairs and their agreement can be measured); the order, and which output is shown first, depend
on the rater too, so that raters do not share one position bias. Both are pure functions of
(seed, rater, prompt), so a resumed session sees the same positions it would have seen.

A multi-turn prompt is rated as a whole conversation: the rater reads every turn of both
models' answers, and the rating is of all of them (its pair hash covers every turn, so a
changed second answer is rated again).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from alpaca_bench.errors import AlpacaBenchError, InputError
from alpaca_bench.evalsets import EvalSet
from alpaca_bench.records import Generation, Position, Prompt
from alpaca_bench.store import RunFolder, RunManifest, pair_hash


@dataclass(frozen=True)
class ShownTurn:
    """One turn of a blind pair of conversations as the rater sees it: the user's message and
    Response 1 and 2 to it (None where that model gave no answer to this turn)."""

    number: int
    user: str
    first: str | None
    second: str | None


@dataclass(frozen=True)
class RatingPair:
    """One blind pair (of answers, or of whole conversations); the UI shows `shown` or `turns()`
    and nothing else of it. Only texts are kept, never a model's name.

    `judged` is what identifies each side's text (`Generation.content`: the answer, or every
    turn's answer), so the rating's pair hash is the one the run counts judgments by."""

    prompt: Prompt
    baseline_answers: tuple[str, ...]
    candidate_answers: tuple[str, ...]
    first_shown: Position
    judged: tuple[str, str]  # (baseline, candidate) Generation.content

    @classmethod
    def of(
        cls, prompt: Prompt, baseline: Generation, candidate: Generation, first_shown: Position
    ) -> RatingPair:
        return cls(
            prompt=prompt,
            baseline_answers=tuple(baseline.answers),
            candidate_answers=tuple(candidate.answers),
            first_shown=first_shown,
            judged=(baseline.content, candidate.content),
        )

    @property
    def baseline_output(self) -> str:
        return self.baseline_answers[0]

    @property
    def candidate_output(self) -> str:
        return self.candidate_answers[0]

    @property
    def is_conversation(self) -> bool:
        """More than one turn, in the prompt or in either answer: shown turn by turn."""
        return max(self.prompt.n_turns, len(self.baseline_answers), len(self.candidate_answers)) > 1

    @property
    def shown(self) -> tuple[str, str]:
        """(Response 1, Response 2) to the first (or only) turn."""
        if self.first_shown == "baseline":
            return self.baseline_output, self.candidate_output
        return self.candidate_output, self.baseline_output

    def turns(self) -> list[ShownTurn]:
        """Every turn in order, as many as the prompt or either model has (a turn a model did
        not answer shows as missing rather than being dropped)."""
        first, second = (
            (self.baseline_answers, self.candidate_answers)
            if self.first_shown == "baseline"
            else (self.candidate_answers, self.baseline_answers)
        )
        users = self.prompt.user_turns()
        count = max(len(users), len(first), len(second))
        return [
            ShownTurn(
                number=k + 1,
                user=users[k] if k < len(users) else "",
                first=first[k] if k < len(first) else None,
                second=second[k] if k < len(second) else None,
            )
            for k in range(count)
        ]

    @property
    def pair_hash(self) -> str:
        return pair_hash(*self.judged)


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

    Pairs with identical outputs (every turn alike) are left out: there is nothing to rate (the
    judge scored them as ties without a call).
    """
    manifest = run.manifest()
    baseline, candidate = run.outputs(manifest.baseline), run.outputs(manifest.candidate)
    prompts = [
        p
        for p in run_eval_set(run, manifest).head(manifest.limit)
        if p.id in baseline and p.id in candidate and baseline[p.id].content != candidate[p.id].content
    ]
    if limit is not None and limit < len(prompts):
        chosen = _rng(str(seed)).choice(len(prompts), size=limit, replace=False)
        prompts = [prompts[i] for i in sorted(chosen)]
    order = _rng(f"{seed}\x00{rater}").permutation(len(prompts))
    return [
        RatingPair.of(
            prompts[i],
            baseline[prompts[i].id],
            candidate[prompts[i].id],
            first_shown_for(seed, rater, prompts[i].id),
        )
        for i in order
    ]


def _rng(key: str) -> np.random.Generator:
    """A generator seeded from a string: any seed, any rater name."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
