"""`compare --stop-when-decided` and `gate --sequential` on a real judge server: judging stops as
soon as the confidence sequence decides, no calls start after that, a re-run decides from disk
without a call, and an undecided run falls back to the ordinary gate."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from alpaca_bench.alpacaeval import candidate_preference
from alpaca_bench.comparison import CompareSettings, compare
from alpaca_bench.records import ComparisonSummary
from alpaca_bench.settings import StopRule
from alpaca_bench.stats import full_run_gate
from alpaca_bench.testing import Reply

from helpers import blind_pair, longer_wins

SHORT = "mock:short?words=4"
LONG = "mock:long?words=40"
CONCURRENCY = 4


def _settings(tmp_path, server, **options) -> CompareSettings:
    from alpaca_bench.judges import JudgeOptions
    from alpaca_bench.models import BackendOptions

    return CompareSettings(
        eval_set="self-instruct",
        judge=f"openai:judge@{server.base_url}",
        judge_options=JudgeOptions(backend=BackendOptions(concurrency=CONCURRENCY, hedge=False)),
        output_dir=tmp_path / "results",
        show_progress=False,
        n_boot=200,
        **options,
    )


def test_stops_once_decided_and_starts_nothing_after(tmp_path, scripted_server):
    server = scripted_server(longer_wins)
    result = compare(SHORT, LONG, _settings(tmp_path, server, stop=StopRule()))
    stop = result.summary.sequential
    assert stop is not None and stop.decision == "above" and stop.stopped_early
    assert stop.n_available == 252 and stop.n_judged < 60  # the longer answer wins at 0.9 every time
    assert stop.low > 0.5 and stop.high <= 1.0
    stored = (result.run_dir / "judgments.jsonl").read_text().splitlines()
    assert result.summary.n == len(stored) >= stop.n_judged
    # nothing starts after the decision: beyond what is stored, the server answered only the calls
    # in flight then (at most `concurrency`) and answers already on their way back, which the
    # freed slots had replaced (at most `concurrency` more); 252 prompts were there to judge
    assert len(stored) <= server.served <= len(stored) + 2 * CONCURRENCY
    served = server.served

    again = compare(SHORT, LONG, _settings(tmp_path, server, stop=StopRule()))
    assert server.served == served  # decided from the judgments on disk: no call at all
    assert again.summary.sequential is not None and again.summary.sequential.decision == "above"
    assert again.summary.sequential.n_judged == stop.n_judged


def test_width_rule_and_an_undecided_run(tmp_path, scripted_server):
    server = scripted_server(longer_wins)
    narrow = compare(SHORT, LONG, _settings(tmp_path, server, stop=StopRule(width=0.3), limit=100))
    stop = narrow.summary.sequential
    assert stop is not None and stop.decision == "narrow" and stop.high - stop.low < 0.3
    # a judge that cannot tell the outputs apart: the sequence never leaves 50%
    torn = scripted_server(lambda body: Reply("A", top_logprobs={"A": math.log(0.5), "B": math.log(0.5)}))
    same = compare(SHORT, LONG, _settings(tmp_path / "torn", torn, stop=StopRule(), limit=30))
    undecided = same.summary.sequential
    assert undecided is not None and undecided.decision is None and not undecided.stopped_early
    assert undecided.n_judged == undecided.n_available == 30


def test_gate_sequential_on_the_command_line(cli, tmp_path, scripted_server):
    server = scripted_server(longer_wins)
    common = ["--judge", f"openai:judge@{server.base_url}", "--output-dir", tmp_path / "results",
              "--no-hedge", "--concurrency", str(CONCURRENCY), "--no-progress", "--eval-set",
              "self-instruct"]  # fmt: skip
    worse = cli("gate", "--baseline", LONG, "--candidate", SHORT, *common, "--sequential", "--json")
    assert worse.code == 1, worse.err
    report = json.loads(worse.out)
    assert report["decided_by"] == "sequence" and report["verdict"] == "fail"
    assert report["sequential"]["decision"] == "below" and report["sequential"]["n_judged"] < 60
    assert server.served < 100  # of 252 prompts

    better = cli("gate", "--baseline", SHORT, "--candidate", LONG, *common, "--sequential")
    assert better.code == 0, better.err
    text = " ".join(better.out.split())
    assert "confidence sequence" in text and "judging stopped" in text
    assert "not valid after a data-dependent stop" in text


def test_report_says_what_stopping_saved(cli, tmp_path, scripted_server):
    server = scripted_server(longer_wins)
    out = tmp_path / "results"
    result = cli("compare", SHORT, LONG, "--judge", f"openai:judge@{server.base_url}", "--judge-price", "1,2",
                 "--output-dir", out, "--no-progress", "--stop-when-decided")  # fmt: skip
    assert result.code == 0, result.err
    text = " ".join(result.out.split())
    assert "stopped when decided:" in text and "of 252 prompts judged" in text
    assert "judging every prompt would have cost about $" in text
    (summary_path,) = out.glob("*/*__vs__*/*/summary.json")
    summary = ComparisonSummary.model_validate_json(summary_path.read_text())
    assert summary.sequential is not None and summary.sequential.full_run_cost_usd is not None
    assert summary.sequential.full_run_cost_usd > 4 * summary.calls.cost_usd  # judged a small share


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--ci-width", "0.1"], "--ci-width needs --stop-when-decided"),
        (["--stop-when-decided", "--ci-width", "2"], "--ci-width"),
    ],
)
def test_bad_stop_flags(cli, tmp_path, args, named):
    result = cli(
        "compare", SHORT, LONG, "--judge", "rouge", "--eval-set", "demo", "--output-dir", tmp_path, *args
    )
    assert result.code == 2 and named in result.err and "\n" not in result.err.strip()


def test_replayed_gpt4_verdicts_same_decision_with_at_most_half_the_calls(
    cli, tmp_path, data_dir, scripted_server
):
    """GPT-4's real verdicts on alpaca-7b vs text_davinci_003 (AlpacaEval's 805 prompts), replayed
    by a judge server: the sequential gate must fail it, as the full gate does, with ≤ half the calls."""
    rows = json.loads(
        (data_dir / "alpaca-eval" / "annotations" / "alpaca_eval_gpt4" / "alpaca-7b.json").read_text()
    )
    prompts, baseline, candidate, verdicts = [], [], [], {}
    for i, row in enumerate(rows):
        pid = f"ae{i:03d}"
        prompts.append({"id": pid, "instruction": row["instruction"]})
        baseline.append({"id": pid, "output": row["output_1"]})
        candidate.append({"id": pid, "output": row["output_2"]})
        verdicts[(row["output_1"], row["output_2"])] = candidate_preference(row["preference"])
    files = {}
    for name, records in (("prompts", prompts), ("davinci-003", baseline), ("alpaca-7b", candidate)):
        files[name] = tmp_path / f"{name}.jsonl"
        files[name].write_text("".join(json.dumps(r) + "\n" for r in records))

    def replay(body):
        a, b = blind_pair(body)  # A is the baseline's output, or the candidate's when shown first
        p_b = verdicts[(a, b)] if (a, b) in verdicts else 1.0 - verdicts[(b, a)]
        p_b = min(max(p_b, 1e-6), 1 - 1e-6)
        return Reply("B" if p_b > 0.5 else "A", top_logprobs={"A": math.log(1 - p_b), "B": math.log(p_b)})

    server = scripted_server(replay)
    sides = (f"--baseline=file:{files['davinci-003']}", f"--candidate=file:{files['alpaca-7b']}")
    judge = f"openai:gpt4@{server.base_url}"
    options = ("--json", "--no-progress", "--no-hedge", "--concurrency", "8", "--sequential")
    sequential = cli("gate", *sides, "--eval-set", files["prompts"], "--judge", judge, *options,
                     "--output-dir", tmp_path / "seq")  # fmt: skip
    assert sequential.code == 1, sequential.out  # a regression
    report = json.loads(sequential.out)
    assert report["decided_by"] == "sequence" and report["verdict"] == "fail"
    # the full gate on all 805 verdicts (the library's own statistics, as `gate` computes them)
    full, _, _ = full_run_gate(list(verdicts.values()), 0.5, np.random.default_rng(0))
    calls_full = sum(b["output"] != c["output"] for b, c in zip(baseline, candidate, strict=True))
    assert full == "fail" and calls_full >= 780
    assert server.served <= calls_full / 2  # judge calls the sequential gate paid for
