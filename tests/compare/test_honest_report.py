"""Reports that say what a real model run hides: outputs cut at the token limit, a judge whose
verdicts follow the order of the answers, and counts that lean the other way from the win rate.

Models are `mock:` backends (an answer longer than --max-new-tokens words is cut there and
finishes with "length"); judges are the rouge judge or an LLM judge on a real HTTP server."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.files import JsonlLog
from alpaca_bench.leaderboard import ResultsIndex, app_path
from alpaca_bench.records import ComparisonSummary, Generation
from alpaca_bench.testing import Reply

from helpers import blind_pair, html_tables, longer_wins

SHORT, LONG = "mock:short?words=10", "mock:long?words=40"  # 7-13 and 37-43 words
NEW_FIELDS = (
    "truncated_baseline",
    "truncated_candidate",
    "finish_known_baseline",
    "finish_known_candidate",
    "max_new_tokens",
    "warnings",
)


def compare(cli, out: Path, baseline: str, candidate: str, *extra: str | Path, json_out: bool = True):
    result = cli(
        "compare",
        baseline,
        candidate,
        "--output-dir",
        out,
        "--no-progress",
        "--n-boot",
        "200",
        *(["--json"] if json_out else []),
        *extra,
    )
    assert result.code == 0, result.err
    return json.loads(result.out) if json_out else result.out


def stored(summary: dict) -> ComparisonSummary:
    return ComparisonSummary.model_validate_json((Path(summary["output_dir"]) / "summary.json").read_text())


def generations(root: Path, eval_set: str, model: str) -> list[Generation]:
    return JsonlLog(root / eval_set / "models" / model / "generations.jsonl").read(Generation)


def truncation_warnings(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "stopped at the token limit" in w]


def test_truncation_counted_per_side_in_summary_json_and_terminal(cli, tmp_path):
    out = tmp_path / "results"
    args = ("--eval-set", "demo", "--judge", "rouge", "--max-new-tokens", "30")
    summary = compare(cli, out, SHORT, LONG, *args)
    assert (summary["truncated_baseline"], summary["truncated_candidate"]) == (0, 20)
    assert (summary["finish_known_baseline"], summary["finish_known_candidate"]) == (20, 20)
    assert summary["max_new_tokens"] == 30
    on_disk = stored(summary)
    assert (on_disk.truncated_baseline, on_disk.truncated_candidate) == (0, 20)
    assert on_disk.warnings == summary["warnings"]
    assert summary["warnings"] == [
        "20 of 20 candidate outputs (100%) stopped at the token limit (--max-new-tokens 30); "
        "the judge compared cut-off answers"
    ]
    long_outputs = generations(out, "demo", "long")
    assert {g.finish_reason for g in long_outputs} == {"length"}
    assert all(len(g.output.split(" ")) == 30 for g in long_outputs)
    assert {g.finish_reason for g in generations(out, "demo", "short")} == {"stop"}

    terminal = compare(cli, out, SHORT, LONG, *args, json_out=False)  # reuses outputs and verdicts
    assert (
        "outputs stopped at the token limit (--max-new-tokens 30): baseline 0 of 20 · candidate 20 of 20"
        in (terminal)
    )
    assert "warning: 20 of 20 candidate outputs (100%) stopped at the token limit" in terminal
    assert (
        "20 prompts: " in terminal and "counted by the side" not in terminal
    )  # rouge: no graded preferences

    roomy = compare(cli, tmp_path / "roomy", SHORT, LONG, "--eval-set", "demo", "--judge", "rouge")
    assert (roomy["truncated_baseline"], roomy["truncated_candidate"]) == (0, 0)
    assert roomy["finish_known_candidate"] == 20 and roomy["warnings"] == []


def _eval_set(path: Path, n: int, n_long: int) -> Path:
    """`n` prompts, the first `n_long` of them 12 words long (the others 3); echoed by a mock."""
    rows = [
        {
            "id": f"p{i:02d}",
            "instruction": ("describe " * 11 + f"thing{i}") if i < n_long else f"name thing {i}",
            "reference": f"thing {i} is a thing",
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize(("n_long", "warned"), [(0, False), (1, False), (2, True)])
def test_truncation_warning_only_above_ten_percent(cli, tmp_path, n_long, warned):
    eval_set = _eval_set(tmp_path / f"long{n_long}.jsonl", 10, n_long)
    summary = compare(
        cli,
        tmp_path / "results",
        "mock:base?text=A%20thing.",
        "mock:cand?echo=1",
        "--eval-set",
        eval_set,
        "--judge",
        "rouge",
        "--max-new-tokens",
        "8",
    )
    assert summary["truncated_candidate"] == n_long and summary["truncated_baseline"] == 0
    assert summary["finish_known_candidate"] == 10
    found = truncation_warnings(summary["warnings"])
    if warned:
        assert found == [
            f"{n_long} of 10 candidate outputs ({10 * n_long}%) stopped at the token limit "
            "(--max-new-tokens 8); the judge compared cut-off answers"
        ]
    else:
        assert found == []


def test_outputs_read_from_a_file_have_no_finish_reason(cli, tmp_path, data_dir):
    predictions = data_dir / "self-instruct" / "predictions" / "davinci_predictions.jsonl"
    out = tmp_path / "results"
    summary = compare(
        cli,
        out,
        predictions,
        "mock:m?words=40",
        "--judge",
        "rouge",
        "--limit",
        "12",
        "--max-new-tokens",
        "20",
    )
    assert summary["finish_known_baseline"] == 0 and summary["truncated_baseline"] == 0
    assert summary["truncated_candidate"] == 12
    assert {g.finish_reason for g in generations(out, "self-instruct", "davinci")} == {None}
    terminal = compare(
        cli,
        out,
        predictions,
        "mock:m?words=40",
        "--judge",
        "rouge",
        "--limit",
        "12",
        "--max-new-tokens",
        "20",
        json_out=False,
    )
    assert "baseline unknown · candidate 12 of 12" in terminal


def always_a(body):
    return Reply("A")


def test_position_consistency_warning_when_both_orders_disagree(cli, tmp_path, scripted_server):
    warning = (
        "position consistency 0%: verdicts depend mostly on which answer is shown first; "
        "this win rate carries little information about the models"
    )
    server = scripted_server(always_a)
    judge = ("--judge", f"openai:always-a@{server.base_url}", "--eval-set", "demo")
    both = compare(cli, tmp_path / "both", SHORT, LONG, *judge, "--both-orders")
    assert both["position_consistency"] == 0.0
    assert warning in both["warnings"] and warning in stored(both).warnings
    terminal = compare(cli, tmp_path / "both", SHORT, LONG, *judge, "--both-orders", json_out=False)
    assert f"warning: {warning}" in terminal

    one_order = compare(cli, tmp_path / "one", SHORT, LONG, *judge)
    assert one_order["position_consistency"] is None
    assert not any("position consistency" in w for w in one_order["warnings"])

    fair = scripted_server(longer_wins)
    agreeing = compare(
        cli,
        tmp_path / "fair",
        SHORT,
        LONG,
        "--judge",
        f"openai:fair@{fair.base_url}",
        "--eval-set",
        "demo",
        "--both-orders",
    )
    assert agreeing["position_consistency"] == pytest.approx(1.0)
    assert agreeing["warnings"] == []

    gate = cli("gate", both["output_dir"], "--json", "--n-boot", "200")
    assert warning in json.loads(gate.out)["warnings"]
    assert f"warning: {warning}" in cli("gate", both["output_dir"], "--n-boot", "200").out
    stats = cli("stats", both["output_dir"], "--json", "--n-boot", "200")
    assert warning in json.loads(stats.out)["warnings"]
    assert f"warning: {warning}" in cli("stats", both["output_dir"], "--n-boot", "200").out
    assert json.loads(cli("stats", agreeing["output_dir"], "--json", "--n-boot", "200").out)["warnings"] == []


BASELINE_TEXT = "Fine."
STRONG_LOSSES = 6  # of the 20 demo prompts, the candidate loses these confidently


def lean_candidate(body):
    """Slightly prefers the candidate on most prompts (0.6) but strongly prefers the baseline
    on the first few demo prompts (0.05): most prompts lean to the candidate, the mean does not."""
    a, _ = blind_pair(body)
    content = body["messages"][-1]["content"]
    strong = any(p.instruction in content for p in load_eval_set("demo").prompts[:STRONG_LOSSES])
    p_candidate = 0.05 if strong else 0.6
    p_b = p_candidate if a == BASELINE_TEXT else 1.0 - p_candidate
    return Reply("B" if p_b > 0.5 else "A", top_logprobs={"A": math.log(1 - p_b), "B": math.log(p_b)})


def test_counts_labelled_and_warned_when_they_lean_against_the_win_rate(cli, tmp_path, scripted_server):
    server = scripted_server(lean_candidate)
    args = ("--judge", f"openai:leaning@{server.base_url}", "--eval-set", "demo")
    baseline = f"mock:base?text={BASELINE_TEXT}"
    summary = compare(cli, tmp_path / "results", baseline, "mock:cand?words=12", *args)
    expected = (14 * 0.6 + STRONG_LOSSES * 0.05) / 20
    assert summary["win_rate"] == pytest.approx(expected)
    assert (summary["wins"], summary["losses"], summary["ties"]) == (14, 6, 0)
    assert summary["discrete_win_rate"] == pytest.approx(0.7)
    (warning,) = summary["warnings"]
    assert warning.startswith(
        "the win rate 43.5% (mean preference) favours the baseline, but more prompts lean to the "
        "candidate (14 wins · 6 losses → 70.0%)"
    )
    terminal = compare(cli, tmp_path / "results", baseline, "mock:cand?words=12", *args, json_out=False)
    assert (
        "20 prompts (counted by the side each prompt leans to): 14 wins · 6 losses · 0 ties → 70.0%; "
        "the win rate 43.5% averages the judge's preferences · 0 unscored"
    ) in terminal
    assert f"warning: {warning}" in terminal

    same_way = scripted_server(longer_wins)  # graded too (0.9 / 0.1), but counts and mean agree
    agreeing = compare(
        cli,
        tmp_path / "agree",
        SHORT,
        LONG,
        "--judge",
        f"openai:agree@{same_way.base_url}",
        "--eval-set",
        "demo",
    )
    assert agreeing["win_rate"] == pytest.approx(0.9) and agreeing["wins"] == 20
    assert agreeing["warnings"] == []
    again = compare(
        cli,
        tmp_path / "agree",
        SHORT,
        LONG,
        "--judge",
        f"openai:agree@{same_way.base_url}",
        "--eval-set",
        "demo",
        json_out=False,
    )
    assert "20 wins · 0 losses · 0 ties → 100.0%; the win rate 90.0% averages" in again


def _strip_new_fields(run_dir: Path, eval_dir: Path) -> None:
    """Make a run look as if an older release had written it."""
    path = run_dir / "summary.json"
    old = {k: v for k, v in json.loads(path.read_text()).items() if k not in NEW_FIELDS}
    path.write_text(json.dumps(old))
    for log in eval_dir.glob("models/*/generations.jsonl"):
        rows = [json.loads(line) for line in log.read_text().splitlines()]
        assert all("finish_reason" in row for row in rows)
        log.write_text(
            "".join(json.dumps({k: v for k, v in r.items() if k != "finish_reason"}) + "\n" for r in rows)
        )


def test_old_summary_and_generations_without_the_new_fields_still_load(cli, tmp_path, scripted_server):
    server = scripted_server(always_a)
    out = tmp_path / "results"
    args = ("--judge", f"openai:always-a@{server.base_url}", "--eval-set", "demo", "--both-orders")
    args += ("--max-new-tokens", "30")
    summary = compare(cli, out, SHORT, LONG, *args)
    assert summary["truncated_candidate"] == 20 and len(summary["warnings"]) == 2
    run_dir = Path(summary["output_dir"])
    _strip_new_fields(run_dir, out / "demo")

    old = ComparisonSummary.model_validate_json((run_dir / "summary.json").read_text())
    assert (old.truncated_candidate, old.finish_known_candidate, old.warnings) == (0, 0, [])
    (comparison,) = ResultsIndex.load(out).comparisons
    assert comparison.from_disk  # the old summary is still trusted, its warnings derived from it
    assert [w for w in comparison.summary.warnings if w.startswith("position consistency 0%")]
    assert truncation_warnings(comparison.summary.warnings) == []  # unknown, not "none cut"
    assert {g.finish_reason for g in comparison.candidate_outputs.values()} == {None}

    rerun = compare(cli, out, SHORT, LONG, *args)  # old outputs reused: how they ended is unknown
    assert rerun["finish_known_candidate"] == 0 and rerun["truncated_candidate"] == 0
    assert truncation_warnings(rerun["warnings"]) == []
    terminal = compare(cli, out, SHORT, LONG, *args, json_out=False)
    assert "outputs stopped at the token limit: baseline unknown · candidate unknown" in terminal


def test_leaderboard_shows_truncation_and_warnings(cli, tmp_path, scripted_server, monkeypatch):
    out = tmp_path / "results"
    compare(cli, out, SHORT, LONG, "--eval-set", "demo", "--judge", "rouge", "--max-new-tokens", "30")
    compare(cli, out, SHORT, "mock:mid?words=20", "--eval-set", "demo", "--judge", "rouge")
    monkeypatch.delenv("ALPACA_BENCH_BATTLE_CONFIG", raising=False)
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(out))
    app = AppTest.from_file(str(app_path()), default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    main, more = html_tables("".join(element.proto.body for element in app.get("html")))[:2]
    assert more["long"]["Truncated"] == "20" and more["mid"]["Truncated"] == "0"
    assert "20 of 20 candidate outputs (100%) stopped at the token limit" in main["long"]["Model"]
    assert "stopped at the token limit" not in main["mid"]["Model"]  # no truncation warning
    assert any("1 of 2 comparisons have warnings" in w.value for w in app.warning)

    app.query_params["comparison"] = "demo/short__vs__long/rouge#rouge"
    app.sidebar.radio(key="page").set_value("Explorer").run()
    assert not app.exception, [e.value for e in app.exception]
    captions = [str(c.value) for c in app.caption]
    assert any("baseline 0 of 20" in c and "candidate 20 of 20" in c for c in captions)
    assert any("20 of 20 candidate outputs" in w.value for w in app.warning)
    app.query_params["comparison"] = "demo/short__vs__mid/rouge#rouge"
    app.selectbox(key="ex_comparison").set_value("demo/short__vs__mid/rouge#rouge").run()
    assert not app.warning
