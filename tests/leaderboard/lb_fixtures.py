"""Fixtures of the leaderboard tests, loaded by each test module with `pytest_plugins` (a
conftest.py here would shadow tests/conftest.py for `from conftest import …`).

A results folder made by the real library: `compare` runs of mock models judged by the rouge
judge and by an LLM judge on a real HTTP server (both orders), people's ratings entered through
the rating session, and one model whose every output is an XSS payload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lb_data import EVIL, LLM_JUDGE, RATINGS

from alpaca_bench.comparison import CompareSettings, compare
from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.judges.human import RatingSession
from alpaca_bench.store import ResultsRoot, RunFolder
from alpaca_bench.testing import ScriptedOpenAIServer

from helpers import longer_wins


def _compare(root: Path, baseline: str, candidate: str, judge: str = "rouge", **options: object) -> Path:
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


@pytest.fixture(scope="session")
def lb_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.getbasetemp() / "leaderboard-fixture" / "results"
    if not (root / "demo").is_dir():
        build_results(root)
    return root


def build_results(root: Path) -> None:
    rouge_ab = _compare(root, "mock:a?words=10", "mock:b?words=30")
    _compare(root, "mock:a?words=10", "mock:c?words=20")
    _compare(root, "mock:a?words=10", EVIL)
    _compare(root, "mock:b?words=30", "mock:c?words=20")
    with ScriptedOpenAIServer(longer_wins) as server:
        _compare(
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


@pytest.fixture(scope="session")
def lb_runs(lb_results: Path) -> dict[str, Path]:
    """Run folders by "baseline/candidate/judge-folder"."""
    return {f"{p.parent.name.replace('__vs__', '/')}/{p.name}": p for p in ResultsRoot(lb_results).run_dirs()}


@pytest.fixture
def lb_battle_config(tmp_path: Path) -> Path:
    path = tmp_path / "battle.yaml"
    path.write_text(
        "models:\n"
        "  - {name: alpha, spec: 'mock:alpha?words=8'}\n"
        "  - {name: beta, spec: 'mock:beta?words=16'}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def lb_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for the app under test, without whatever the developer's shell sets."""
    monkeypatch.delenv("ALPACA_BENCH_RESULTS", raising=False)
    monkeypatch.delenv("ALPACA_BENCH_BATTLE_CONFIG", raising=False)
    return dict(os.environ)
