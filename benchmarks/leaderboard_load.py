"""How long the leaderboard takes to open a big results folder: 50 models × 805 prompts.

Builds the folder synthetically with the library's own store (generations, judgments, manifests
and summaries exactly as `compare` writes them), then times a cold load of the results index
plus every table the Leaderboard and Head-to-head pages show (leaderboard rows with
length-controlled win rates and Bradley–Terry ratings for every baseline, head-to-head matrix).
The baseline, run in the same process, is the naive load that trusts no summary on disk and
recomputes every one (10,000 bootstrap resamples each), as a viewer without the freshness check
would have to. Target: the cold load under 3 s.

    python benchmarks/leaderboard_load.py [--models 50] [--prompts 805] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from alpaca_bench.evalsets import EvalSet
from alpaca_bench.files import JsonlLog
from alpaca_bench.leaderboard import IndexSettings, ResultsIndex
from alpaca_bench.records import Generation, JudgeIdentity, Judgment, Prompt, Usage, stable_hash
from alpaca_bench.store import (
    GenerationStore,
    ResultsRoot,
    RunFolder,
    RunJudge,
    RunManifest,
    RunSide,
    pair_hash,
)
from alpaca_bench.summary import summarize_run

EVAL_SET = "bench-805"
JUDGE = "synthetic-judge"
WORDS = ("the", "answer", "is", "clear", "because", "each", "step", "follows", "from", "task", "details")


def build(root: Path, n_models: int, n_prompts: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    results = ResultsRoot(root)
    prompts = [
        Prompt(id=f"p{i:04d}", instruction=f"Task {i}: explain item {i}.", category=f"cat-{i % 7}")
        for i in range(n_prompts)
    ]
    JsonlLog(results.eval_dir(EVAL_SET) / "prompts.jsonl").append(prompts)
    eval_set = EvalSet(EVAL_SET, prompts, source="synthetic")
    names = [f"model-{m:02d}" for m in range(n_models)]
    quality = rng.normal(0.0, 0.8, n_models)
    difficulty = rng.normal(0.0, 1.0, n_prompts)
    outputs = {name: _generate(results, name, prompts, int(rng.integers(20, 200)), rng) for name in names}
    baseline = names[0]
    for m, candidate in enumerate(names[1:], start=1):
        run = RunFolder(results.run_dir(EVAL_SET, baseline, candidate, JUDGE))
        run.write_manifest(
            RunManifest(
                eval_set=EVAL_SET,
                baseline=RunSide(name=baseline, config_hash=_config(baseline)),
                candidate=RunSide(name=candidate, config_hash=_config(candidate)),
                judge=RunJudge(name=JUDGE, config_hash="synthetic"),
                n_prompts=n_prompts,
            )
        )
        p_win = 1.0 / (1.0 + np.exp(-(quality[m] - quality[0] + difficulty)))
        judgments = [
            _judgment(prompts[i].id, baseline, candidate, outputs[baseline][i], outputs[candidate][i], p, rng)
            for i, p in enumerate(p_win)
        ]
        run.judgments.append(judgments)
        run.write_summary(summarize_run(run, eval_set=eval_set, n_boot=10_000).model_dump(mode="json"))


def _config(name: str) -> str:
    return stable_hash({"model": name})


def _generate(
    results: ResultsRoot, name: str, prompts: list[Prompt], length: int, rng: np.random.Generator
) -> list[str]:
    texts = [
        " ".join(
            WORDS[k] for k in rng.integers(0, len(WORDS), max(3, int(rng.normal(length, length / 4)) // 5))
        )
        for _ in prompts
    ]
    store = GenerationStore(results.model_dir(EVAL_SET, name))
    store.log.append(
        Generation(
            prompt_id=p.id, model=name, output=t, config_hash=_config(name), usage=Usage(completion_tokens=40)
        )
        for p, t in zip(prompts, texts, strict=True)
    )
    return texts


def _judgment(
    prompt_id: str,
    baseline: str,
    candidate: str,
    out_b: str,
    out_c: str,
    p_win: float,
    rng: np.random.Generator,
) -> Judgment:
    draw = rng.random()
    preference = 1.0 if draw < p_win * 0.9 else 0.5 if draw < p_win * 0.9 + 0.1 else 0.0
    first = "baseline" if rng.random() < 0.5 else "candidate"
    candidate_is_b = first == "baseline"
    verdict = "tie" if preference == 0.5 else ("B>A" if (preference == 1.0) == candidate_is_b else "A>B")
    return Judgment(
        prompt_id=prompt_id,
        baseline=baseline,
        candidate=candidate,
        judge=JudgeIdentity(name=JUDGE, config_hash="synthetic"),
        first_shown=first,
        verdict=verdict,
        preference=preference,
        raw=f"Both were read. Verdict: [[{verdict}]]",
        cost_usd=0.0002,
        calls=1,
        pair_hash=pair_hash(out_b, out_c),
    )


def open_everything(root: Path, settings: IndexSettings) -> tuple[float, int]:
    """Seconds to load the index and build every leaderboard and head-to-head table."""
    started = time.perf_counter()
    index = ResultsIndex.load(root, settings)
    rows = 0
    for eval_set in index.eval_sets():
        for judge in index.judges(eval_set):
            for baseline in index.baselines(eval_set, judge):
                rows += len(index.leaderboard(eval_set, judge, baseline))
            rows += len(index.head_to_head(eval_set, judge))
    return time.perf_counter() - started, rows


def first_page(root: Path) -> float | None:
    """Seconds for the app to run its first page (Leaderboard) on this folder with empty caches,
    as Streamlit runs it (AppTest); Streamlit's own imports are paid beforehand, as a running
    server has paid them. None without the [leaderboard] extra."""
    try:
        import streamlit as st
        from streamlit.testing.v1 import AppTest
    except ImportError:
        return None
    from alpaca_bench.leaderboard import app_path

    os.environ["ALPACA_BENCH_RESULTS"] = str(root.parent / "empty")
    AppTest.from_file(str(app_path()), default_timeout=300).run()
    st.cache_resource.clear()
    os.environ["ALPACA_BENCH_RESULTS"] = str(root)
    started = time.perf_counter()
    app = AppTest.from_file(str(app_path()), default_timeout=300).run()
    took = time.perf_counter() - started
    assert not app.exception and len(app.dataframe[0].value) == len(ResultsIndex.load(root).comparisons)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--prompts", type=int, default=805)
    parser.add_argument("--keep", type=Path, help="build the folder here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch) / "results"
        started = time.perf_counter()
        build(root, args.models, args.prompts)
        took = time.perf_counter() - started
        print(f"built {args.models} models × {args.prompts} prompts in {took:.1f} s → {root}")
        cold, rows = open_everything(root, IndexSettings())
        naive, naive_rows = open_everything(root, IndexSettings(trust_summaries=False))
        page = first_page(root)
    assert rows == naive_rows
    print(f"cold load, summaries from disk:   {cold:6.2f} s  ({rows} table rows)")
    print(f"naive load, every summary redone: {naive:6.2f} s")
    if page is not None:
        print(f"first page in Streamlit (AppTest): {page:5.2f} s  (cold cache, index included)")
    print(f"speed-up: {naive / cold:.1f}×   target: cold load < 3 s → {'met' if cold < 3.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
