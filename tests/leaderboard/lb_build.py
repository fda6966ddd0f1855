"""How the leaderboard tests' results folders are made (imported by the fixtures and tests;
not a pytest plugin, so that importing it is plain Python)."""

from __future__ import annotations

from pathlib import Path

from lb_data import EVIL, LLM_JUDGE, RATINGS

from alpaca_bench.comparison import CompareSettings, compare
from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.judges.human import RatingSession
from alpaca_bench.store import RunFolder
from alpaca_bench.testing import ScriptedOpenAIServer

from helpers import longer_wins


def run_compare(root: Path, baseline: str, candidate: str, judge: str = "rouge", **options: object) -> Path:
    settings = CompareSettings(
        eval_set=load_eval_set("demo"),
        judge=judge,
        output_dir=root,
        show_progress=False,
        use_cache=False,
        n_boot=400,
        **options,  # type: ignore[arg-type]
    )
    return compare(baseline, candidate, settings).run_dir


def build_results(root: Path) -> None:
    rouge_ab = run_compare(root, "mock:a?words=10", "mock:b?words=30")
    run_compare(root, "mock:a?words=10", "mock:c?words=20")
    run_compare(root, "mock:a?words=10", EVIL)
    run_compare(root, "mock:b?words=30", "mock:c?words=20")
    with ScriptedOpenAIServer(longer_wins) as server:
        run_compare(
            root,
            "mock:a?words=10",
            "mock:b?words=30",
            f"openai:{LLM_JUDGE}@{server.base_url}",
            both_orders=True,
        )
    for rater, choices in RATINGS.items():
        session = RatingSession(RunFolder(rouge_ab), rater, seed=1, limit=len(choices))
        for choice in choices:
            session.rate(choice)  # type: ignore[arg-type]
