"""`--dry-run`: the calls a compare or gate would make, their tokens and cost, with nothing called
or written; the count is the one the real run then makes."""

from __future__ import annotations

import json

import pytest

from helpers import longer_wins, predictions


def _args(tmp_path, server, *extra):
    return ["--judge", f"openai:judge-model@{server.base_url}", "--output-dir", tmp_path / "results",
            "--no-progress", "--json", *extra]  # fmt: skip


def test_dry_run_calls_nothing_and_counts_what_the_run_then_calls(cli, tmp_path, data_dir, scripted_server):
    server = scripted_server(longer_wins)
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    extra = ("--both-orders", "--limit", "40", "--judge-price", "2,8")
    planned = cli("compare", base, cand, "--dry-run", *_args(tmp_path, server, *extra))
    assert planned.code == 0, planned.err
    plan = json.loads(planned.out)
    assert server.served == 0 and not (tmp_path / "results").exists()  # nothing called, nothing written
    judge = plan["stages"][-1]
    assert plan["dry_run"] and judge["calls"] == plan["calls"] and not judge["estimated"]
    assert judge["cost_usd"] == pytest.approx(
        (judge["prompt_tokens"] * 2 + judge["completion_tokens"] * 8) / 1e6
    )
    assert judge["batch_cost_usd"] == pytest.approx(judge["cost_usd"])  # an explicit price is the price
    assert all(stage["calls"] == 0 and stage["free"] for stage in plan["stages"][:2])  # file: outputs

    ran = cli("compare", base, cand, *_args(tmp_path, server, *extra))
    assert ran.code == 0, ran.err
    assert (
        server.served == plan["calls"] == json.loads(ran.out)["calls"]["answers"]
    )  # identical pairs: no call

    again = json.loads(cli("compare", base, cand, "--dry-run", *_args(tmp_path, server, *extra)).out)
    assert again["calls"] == 0 and again["stages"][-1]["calls"] == 0  # all judged: nothing left to pay


def test_dry_run_before_generation_is_an_estimate(cli, tmp_path, scripted_server):
    server = scripted_server(longer_wins)
    planned = cli("compare", "mock:a?words=5", "mock:b?words=9", "--eval-set", "demo", "--dry-run",
                  *_args(tmp_path, server))  # fmt: skip
    assert planned.code == 0, planned.err
    plan = json.loads(planned.out)
    baseline, candidate, judge = plan["stages"]
    assert baseline["calls"] == candidate["calls"] == 20 and baseline["free"]  # mock: local, no cost
    assert judge["calls"] == 20 and judge["estimated"]  # one order per prompt, outputs still unknown
    assert server.served == 0 and not (tmp_path / "results").exists()


def test_gate_dry_run_prints_the_table(cli, tmp_path, data_dir, scripted_server):
    server = scripted_server(longer_wins)
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    judge = f"openai:judge-model@{server.base_url}"
    result = cli("gate", "--baseline", base, "--candidate", cand, "--dry-run", "--limit", "10",
                 "--judge", judge, "--output-dir", tmp_path / "r")  # fmt: skip
    assert result.code == 0, result.err
    text = " ".join(result.out.split())
    assert "dry run: what gate would call now (nothing was called)" in text
    assert "calls would be made" in text and server.served == 0
    refused = cli("gate", tmp_path / "r", "--dry-run")
    assert refused.code == 2 and "drop --dry-run" in refused.err


def test_outputs_the_call_cache_holds_are_not_counted_again(cli, tmp_path, scripted_server):
    """`openai:` models whose answers are in the call cache (their results folder deleted since)
    cost nothing to generate again, and then the judge's exact prompts are in the cache too."""
    import shutil

    from alpaca_bench.testing import Reply

    terse = scripted_server(lambda body: Reply("A short answer."))
    echo = scripted_server()  # repeats the prompt: a different, longer answer
    judge = scripted_server(longer_wins)
    args = ("--eval-set", "demo", "--judge", f"openai:judge@{judge.base_url}", "--judge-price", "1,1",
            "--output-dir", tmp_path / "results", "--no-progress", "--json")  # fmt: skip
    models = (f"openai:terse@{terse.base_url}", f"openai:echo@{echo.base_url}")
    assert cli("compare", *models, *args).code == 0
    shutil.rmtree(tmp_path / "results")
    served = (terse.served, echo.served, judge.served)
    plan = json.loads(cli("compare", *models, "--dry-run", *args).out)
    assert [stage["cached"] for stage in plan["stages"]] == [20, 20, 20]  # all in the cache
    assert plan["calls"] == 0 and not any(stage["estimated"] for stage in plan["stages"])
    assert (terse.served, echo.served, judge.served) == served
