"""A realistic results folder of N models × P prompts, written with the library's own store.

It exists because the leaderboard has to be tried on a folder the size of a real one (50
models × 805 prompts, AlpacaEval's size) without running 49 comparisons: the load benchmark
(`benchmarks/leaderboard_load.py`) times opening it, and the browser tests check that every
page draws it, long model names included. Everything is what `compare` leaves behind: prompts,
each model's generations, one run folder per candidate against the first model (a manifest that
names the prompts file as its eval set's source, judgments with the judge's raw text and pair
hashes) and a `summary.json` written the way `compare` writes it, so the index trusts it.
Verdicts follow a Bradley–Terry-like model of per-model quality and per-prompt difficulty;
output lengths differ per model.

Deterministic for a seed. numpy and the statistics load when a folder is built, not on import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alpaca_bench.files import JsonlLog
from alpaca_bench.records import (
    CallCounts,
    Generation,
    JudgeIdentity,
    Judgment,
    Position,
    Prompt,
    Usage,
    Verdict,
    stable_hash,
)
from alpaca_bench.store import (
    GenerationStore,
    ResultsRoot,
    RunFolder,
    RunJudge,
    RunManifest,
    RunSide,
    pair_hash,
)

if TYPE_CHECKING:
    import numpy as np

WORDS = ("the", "answer", "is", "clear", "because", "each", "step", "follows", "from", "task", "details")

# Real-looking model names of very different lengths: the leaderboard must lay out long labels
# next to short ones without overlap. The first is the baseline every candidate is judged against.
STEMS = (
    "gpt-4-turbo-2024-04-09",
    "llama-3-8b-instruct",
    "mistral-7b-v0.2",
    "qwen2-72b-chat",
    "gpt-4o-mini-2024-07-18",
    "alpaca-7b",
    "claude-3-5-sonnet-20240620",
    "gemma-2-9b-it",
    "mixtral-8x22b-instruct-v0.1",
    "phi-3-mini-128k-instruct",
    "yi-34b",
    "meta-llama-3.1-405b-instruct-fp8-turbo",
    "vicuna-13b-v1.5",
    "olmo-7b",
    "deepseek-coder-v2-lite-instruct",
    "zephyr-7b-beta",
    "command-r-plus",
    "nous-hermes-2-mixtral-8x7b-dpo",
    "tulu-2-dpo-70b",
    "openchat-3.5-0106",
    "falcon-40b-instruct",
    "starling-lm-7b-alpha",
    "wizardlm-2-8x22b",
    "dbrx-instruct",
)


def synthetic_model_names(n_models: int) -> list[str]:
    """`n_models` distinct names: the stems in turn, each with the model's number appended
    (`gpt-4-turbo-2024-04-09-00`, `llama-3-8b-instruct-01`, …), so a stem may come back."""
    width = max(2, len(str(n_models - 1)))
    return [f"{STEMS[m % len(STEMS)]}-{m:0{width}d}" for m in range(n_models)]


def build_synthetic_results(
    root: Path,
    n_models: int = 50,
    n_prompts: int = 805,
    *,
    seed: int = 0,
    n_boot: int = 10_000,
    eval_set: str = "bench-805",
    judge: str = "synthetic-judge",
) -> list[str]:
    """Write a results folder under `root`: `n_prompts` prompts of `eval_set`, generations of
    `n_models` models, and `n_models - 1` comparisons by `judge` of every other model against the
    first, each with a summary from `n_boot` bootstrap rounds (fewer keeps a test fast). Returns
    the model names, baseline first."""
    import numpy as np

    from alpaca_bench.evalsets import EvalSet
    from alpaca_bench.summary import summarize_run  # the statistics pull in scipy

    if n_models < 2 or n_prompts < 1:
        raise ValueError(f"need at least 2 models and 1 prompt, not {n_models} and {n_prompts}")
    rng = np.random.default_rng(seed)
    results = ResultsRoot(Path(root))
    prompts = [
        Prompt(id=f"p{i:04d}", instruction=f"Task {i}: explain item {i}.", category=f"cat-{i % 7}")
        for i in range(n_prompts)
    ]
    prompts_file = results.eval_dir(eval_set) / "prompts.jsonl"
    JsonlLog(prompts_file).append(prompts)
    # its source is the file, as for `compare` on a local eval set: a summary recomputed later
    # (the index's, when one is stale) finds the prompts' categories there
    evals = EvalSet(eval_set, prompts, source=str(prompts_file.resolve()))
    names = synthetic_model_names(n_models)
    quality = rng.normal(0.0, 0.8, n_models)
    difficulty = rng.normal(0.0, 1.0, n_prompts)
    outputs = {
        name: _generate(results, eval_set, name, prompts, int(rng.integers(20, 200)), rng) for name in names
    }
    baseline = names[0]
    identity = JudgeIdentity(name=judge, config_hash="synthetic")
    for m, candidate in enumerate(names[1:], start=1):
        run = RunFolder(results.run_dir(eval_set, baseline, candidate, judge))
        run.write_manifest(
            RunManifest(
                eval_set=eval_set,
                eval_set_source=evals.source,
                baseline=RunSide(name=baseline, config_hash=_config(baseline)),
                candidate=RunSide(name=candidate, config_hash=_config(candidate)),
                judge=RunJudge(name=judge, config_hash=identity.config_hash),
                n_prompts=n_prompts,
            )
        )
        p_win = 1.0 / (1.0 + np.exp(-(quality[m] - quality[0] + difficulty)))
        judgments = [
            _judgment(
                prompt.id,
                (baseline, candidate),
                identity,
                (outputs[baseline][i], outputs[candidate][i]),
                float(p),
                rng,
            )
            for i, (prompt, p) in enumerate(zip(prompts, p_win, strict=True))
        ]
        run.judgments.append(judgments)
        # as `compare` writes it: the statistics, then what this invocation asked of the judge
        summary = summarize_run(run, eval_set=evals, n_boot=n_boot)
        sent = len(judgments)
        counts = CallCounts(
            sent=sent, answers=sent, used=sent, cost_usd=math.fsum(j.cost_usd for j in judgments)
        )
        summary = summary.model_copy(update={"judge_calls": counts.sent, "calls": counts})
        run.write_summary(summary.model_dump(mode="json"))
    return names


def _config(name: str) -> str:
    return stable_hash({"model": name})


def _generate(
    results: ResultsRoot,
    eval_set: str,
    name: str,
    prompts: Sequence[Prompt],
    length: int,
    rng: np.random.Generator,
) -> list[str]:
    texts = [
        " ".join(
            WORDS[k] for k in rng.integers(0, len(WORDS), max(3, int(rng.normal(length, length / 4)) // 5))
        )
        for _ in prompts
    ]
    store = GenerationStore(results.model_dir(eval_set, name))
    store.log.append(
        Generation(
            prompt_id=p.id, model=name, output=t, config_hash=_config(name), usage=Usage(completion_tokens=40)
        )
        for p, t in zip(prompts, texts, strict=True)
    )
    return texts


def _judgment(
    prompt_id: str,
    pair: tuple[str, str],
    judge: JudgeIdentity,
    texts: tuple[str, str],
    p_win: float,
    rng: np.random.Generator,
) -> Judgment:
    """The judge's verdict on one prompt: the candidate wins with probability 0.9 `p_win`, ties
    with 0.1, and is shown first or second at random."""
    baseline, candidate = pair
    draw = rng.random()
    preference = 1.0 if draw < p_win * 0.9 else 0.5 if draw < p_win * 0.9 + 0.1 else 0.0
    first: Position = "baseline" if rng.random() < 0.5 else "candidate"
    candidate_is_b = first == "baseline"
    verdict: Verdict = (
        "tie" if preference == 0.5 else ("B>A" if (preference == 1.0) == candidate_is_b else "A>B")
    )
    return Judgment(
        prompt_id=prompt_id,
        baseline=baseline,
        candidate=candidate,
        judge=judge,
        first_shown=first,
        verdict=verdict,
        preference=preference,
        raw=f"Both were read. Verdict: [[{verdict}]]",
        cost_usd=0.0002,
        calls=1,
        pair_hash=pair_hash(*texts),
    )
