"""Opt-in tests against the real OpenAI API (`pytest -m api` with OPENAI_API_KEY set).

Never run in CI: they cost money and need a network. They check what a scripted server cannot:
that the real service accepts our requests, returns parseable logprob verdicts, and is priced.
"""

import json
import os

import pytest

pytestmark = pytest.mark.api


@pytest.fixture
def real_key(monkeypatch):
    key = os.environ.get("ALPACA_BENCH_REAL_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
    if not key:
        pytest.fail("set OPENAI_API_KEY (or ALPACA_BENCH_REAL_OPENAI_API_KEY) to run the api tests")
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.delenv("ALPACA_BENCH_OFFLINE", raising=False)


def test_real_judge_scores_a_few_pairs(real_key, cli, tmp_path):
    result = cli(
        "compare",
        "mock:short?words=4",
        "mock:long?words=40",
        "--eval-set",
        "demo",
        "--limit",
        "4",
        "--judge",
        "openai:gpt-4o-mini",
        "--output-dir",
        tmp_path,
        "--json",
        "--no-progress",
        "--max-cost",
        "0.05",
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["unscored"] == 0 and summary["n"] == 4
    assert 0 < summary["cost_usd"] < 0.05
