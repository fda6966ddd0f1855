"""The Explorer's prompt rows and filters, and the Judges page's figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from lb_data import LLM_JUDGE, PAYLOAD, RATINGS

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.leaderboard import (
    ResultsIndex,
    agreement_rows,
    default_comparison,
    explorer_rows,
    filter_rows,
    length_bias_bins,
    length_bias_points,
    position_consistency_rows,
)
from alpaca_bench.leaderboard._judges import MIN_BIN
from alpaca_bench.stats import agreement, match_judgments, position_consistency_of

pytest_plugins = ["lb_fixtures"]
LLM = f"{LLM_JUDGE}-pairwise"


@pytest.fixture(scope="module")
def index(lb_results: Path) -> ResultsIndex:
    return ResultsIndex.load(lb_results)


def test_rows_follow_the_eval_set_with_prompts_outputs_and_verdicts(index):
    comparison = index.comparison("demo/a__vs__b/rouge#rouge")
    rows = explorer_rows(index, comparison)
    demo = load_eval_set("demo")
    assert [r.prompt_id for r in rows] == [p.id for p in demo]
    first = rows[0]
    assert first.instruction == demo.prompts[0].instruction
    assert first.category == demo.prompts[0].category
    assert first.baseline_output == comparison.baseline_outputs[first.prompt_id].output
    assert first.candidate_output == comparison.candidate_outputs[first.prompt_id].output
    (verdict,) = first.verdicts
    judgment = next(j for j in comparison.judgments if j.prompt_id == first.prompt_id)
    assert (verdict.verdict, verdict.preference, verdict.first_shown) == (
        judgment.verdict,
        judgment.preference,
        judgment.first_shown,
    )
    expected = {0.0: "baseline wins", 0.5: "tie", 1.0: "candidate wins"}
    assert all(r.outcome == expected[r.preference] for r in rows if r.preference in expected)


def test_human_ratings_are_attached_to_each_judge_of_the_pair(index):
    rated = [r for r in explorer_rows(index, index.comparison(f"demo/a__vs__b/{LLM}#{LLM}")) if r.human]
    assert len(rated) == len(next(iter(RATINGS.values())))
    assert all({h.rater for h in r.human} == set(RATINGS) for r in rated)
    assert sum(h.both_bad for r in rated for h in r.human) == 1
    (llm_row,) = [r for r in explorer_rows(index, index.comparison(f"demo/a__vs__b/{LLM}#{LLM}"))][:1]
    assert len(llm_row.verdicts) == 2  # both orders
    assert {v.first_shown for v in llm_row.verdicts} == {"baseline", "candidate"}
    assert all(v.raw for v in llm_row.verdicts)  # the judge's raw answer is kept for display


def test_filters(index):
    evil = explorer_rows(index, index.comparison("demo/a__vs__evil/rouge#rouge"))
    assert all(r.candidate_output == PAYLOAD for r in evil)
    assert len(filter_rows(evil, flagged=True)) == len(evil)  # the same answer to every prompt
    assert filter_rows(evil, flagged=False) == []
    rows = explorer_rows(index, index.comparison("demo/a__vs__b/rouge#rouge"))
    assert filter_rows(rows) == rows
    category = rows[3].category
    assert {r.category for r in filter_rows(rows, categories=[category])} == {category}
    wins = filter_rows(rows, outcomes=["candidate wins"])
    assert wins and all(r.preference is not None and r.preference > 0.5 for r in wins)
    word = rows[5].instruction.split()[2]
    found = filter_rows(rows, search=word.upper())
    assert rows[5] in found
    assert all(
        word.lower() in (r.instruction + r.input + r.baseline_output + r.candidate_output).lower()
        for r in found
    )
    assert filter_rows(rows, search="no such text anywhere 123") == []


def test_agreement_rows_are_stats_agreement(index):
    rows = {(r["first"], r["second"]): r for r in agreement_rows(index, "demo")}
    assert set(rows) == {("human", LLM), ("human", "rouge"), (LLM, "rouge"), ("human:alice", "human:bob")}
    assert rows[("human", "rouge")]["kind"] == "judge–human"
    assert rows[(LLM, "rouge")]["kind"] == "judge–judge"
    assert rows[("human:alice", "human:bob")]["kind"] == "human–human"
    human = [j for c in index.select("demo", "human") for j in c.judgments]
    rouge = [j for c in index.select("demo", "rouge") for j in c.judgments]
    _, x, y = match_judgments(human, rouge)
    expected = agreement(x, y)
    row = rows[("human", "rouge")]
    assert row["n"] == expected.n == 6
    assert row["agreement_with_ties"] == expected.agreement_with_ties
    assert row["kappa"] == pytest.approx(expected.kappa)


def test_position_consistency_only_where_judged_both_ways(index):
    rows = {r["judge"]: r for r in position_consistency_rows(index, "demo")}
    assert set(rows) == {LLM, "rouge"}
    assert rows["rouge"]["position_consistency"] is None
    llm = index.select("demo", LLM)[0]
    assert rows[LLM]["position_consistency"] == position_consistency_of(llm.judgments)
    assert rows[LLM]["comparisons_in_both_orders"] == 1


def test_length_bias_data(index):
    points = length_bias_points(index, "demo")
    assert len(points) == len(index.comparisons)
    point = next(p for p in points if p["judge"] == LLM)
    summary = index.select("demo", LLM)[0].summary
    assert point["length_difference"] == summary.avg_length_candidate - summary.avg_length_baseline
    bins = [b for b in length_bias_bins(index, "demo") if b["judge"] == LLM]
    assert sum(b["n"] for b in bins) == summary.n
    assert [b["length_difference"] for b in bins] == sorted(b["length_difference"] for b in bins)
    # b always answers longer, and the scripted judge gives the longer answer 0.9 in both orders
    assert all(b["low"] > 0 and b["win_rate"] == pytest.approx(0.9) for b in bins)


def test_length_bins_hold_enough_prompts_to_mean_something(index):
    """Equal-count bins of at least MIN_BIN prompts (fewer bins rather than tiny ones), each
    with an interval around its win rate; people's 6 ratings make one bin, not six."""
    by_judge: dict[str, list[dict]] = {}
    for b in length_bias_bins(index, "demo"):
        by_judge.setdefault(b["judge"], []).append(b)
    assert len(by_judge["human"]) == 1 and by_judge["human"][0]["n"] == 6
    for bins in by_judge.values():
        if sum(b["n"] for b in bins) >= MIN_BIN:
            assert all(b["n"] >= MIN_BIN for b in bins)
        assert all(0.0 <= b["ci_low"] <= b["win_rate"] <= b["ci_high"] <= 1.0 for b in bins)


def test_explorer_opens_on_the_most_complete_comparison_and_shows_references(index):
    chosen = default_comparison(index)
    assert (chosen.judge, chosen.summary.n) == (LLM, max(c.summary.n for c in index.comparisons))
    assert chosen.judge != "human"  # people rated only 6 of the 20 prompts
    rows = explorer_rows(index, chosen)
    prompts = {p.id: p for p in load_eval_set("demo")}
    assert [r.reference for r in rows] == [prompts[r.prompt_id].reference or "" for r in rows]
    assert any(r.reference for r in rows)
    assert all({v.first_shown for v in r.verdicts} == {"baseline", "candidate"} for r in rows)  # both orders
