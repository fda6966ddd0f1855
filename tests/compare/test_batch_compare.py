"""`compare --batch` end to end: the CLI against a local server with the Batch API endpoints.
The batches are recorded in the run folder, every pair is judged once, the cost is the batch
price, `--batch-no-wait` submits and a re-run collects without paying again, and `--dry-run`
prices the same calls at both prices."""

from __future__ import annotations

import json

import pytest

from alpaca_bench.pricing import price_for
from alpaca_bench.records import Usage
from alpaca_bench.testing import BatchOpenAIServer, LineFaultPlan

from helpers import longer_wins, predictions

JUDGE = "openai:gpt-4o-mini"  # no URL: the price table applies; OPENAI_BASE_URL points the SDK here


@pytest.fixture
def server(monkeypatch):
    started = BatchOpenAIServer(longer_wins, polls_to_complete=2, line_faults=LineFaultPlan(rate=0.2, seed=3))
    started.start()
    monkeypatch.setenv("OPENAI_BASE_URL", started.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    yield started
    started.stop()


def _compare(cli, tmp_path, data_dir, *extra):
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    return cli("compare", base, cand, "--judge", JUDGE, "--batch", "--batch-poll", "0.05", "--limit", "24",
               "--output-dir", tmp_path / "results", "--json", "--no-progress", *extra)  # fmt: skip


def test_batch_compare_records_batches_and_pays_the_batch_price(cli, tmp_path, data_dir, server):
    planned = json.loads(_compare(cli, tmp_path, data_dir, "--dry-run").out)
    assert server.uploads == 0 and server.produced == 0
    judge_plan = planned["stages"][-1]
    assert judge_plan["batch_cost_usd"] == pytest.approx(judge_plan["cost_usd"] / 2)

    result = _compare(cli, tmp_path, data_dir)
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["n_judgments"] == 24 and summary["unscored"] == 0
    assert server.line_failures  # some lines failed and were sent again in a new batch
    assert sum(server.answered.values()) == summary["calls"]["answers"] == judge_plan["calls"]
    usage = Usage(
        prompt_tokens=server.usage["prompt_tokens"], completion_tokens=server.usage["completion_tokens"]
    )
    assert summary["cost_usd"] == pytest.approx(price_for("gpt-4o-mini", None).cost(usage) / 2)
    records = [
        json.loads(line) for line in (tmp_path / "results").glob("*/*/*/batches.jsonl").__next__().open()
    ]
    assert {r["batch_id"] for r in records} == set(server.batches)  # every batch, recorded in the run folder

    uploads = server.uploads
    again = json.loads(_compare(cli, tmp_path, data_dir).out)
    assert again["calls"]["sent"] == 0 and server.uploads == uploads  # judged once: a re-run pays nothing


def test_no_wait_submits_and_a_rerun_collects_without_paying_twice(cli, tmp_path, data_dir, monkeypatch):
    server = BatchOpenAIServer(longer_wins, polls_to_complete=2).start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        submitted = _compare(cli, tmp_path, data_dir, "--batch-no-wait")
        assert submitted.code == 0, submitted.err
        assert json.loads(submitted.out)["n_judgments"] == 0 and server.created == 1
        assert "re-run" in submitted.err  # says how to collect them
        collected = json.loads(_compare(cli, tmp_path, data_dir).out)
        assert collected["n_judgments"] == 24 and server.created == 1 and server.uploads == 1
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("extra", "named"),
    [(["--batch-poll", "1"], "--batch-poll needs --batch"), (["--batch", "--stop-when-decided"], "--batch")],
)
def test_batch_flag_errors(cli, tmp_path, extra, named):
    result = cli(
        "compare",
        "mock:a",
        "mock:b",
        "--judge",
        JUDGE,
        "--eval-set",
        "demo",
        "--output-dir",
        tmp_path,
        *extra,
    )
    assert result.code == 2 and named in result.err and "\n" not in result.err.strip()
