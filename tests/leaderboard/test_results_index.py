"""The results index: every figure is the library's, summaries are reused only while fresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from lb_data import LLM_JUDGE

from alpaca_bench.errors import InputError
from alpaca_bench.files import JsonlLog
from alpaca_bench.leaderboard import (
    IndexSettings,
    ResultsIndex,
    read_records,
    results_fingerprint,
)
from alpaca_bench.leaderboard._index import SMALL_N_MDE, rank_by_intervals
from alpaca_bench.records import ComparisonSummary, JudgeIdentity, Judgment
from alpaca_bench.stats import (
    bradley_terry_from_judgments,
    comparisons_from_judgments,
    length_controlled_win_rates,
    minimum_detectable_effect,
)
from alpaca_bench.store import RunFolder

pytest_plugins = ["lb_fixtures"]


def _summary(run_dir: Path) -> ComparisonSummary:
    return ComparisonSummary.model_validate_json((run_dir / "summary.json").read_text())


@pytest.fixture(scope="module")
def index(lb_results: Path) -> ResultsIndex:
    return ResultsIndex.load(lb_results)


def test_finds_every_comparison_and_each_judge_of_a_folder(index, lb_results):
    keys = {c.key for c in index.comparisons}
    assert keys == {
        "demo/a__vs__b/rouge#rouge",
        "demo/a__vs__b/rouge#human",  # people rated the rouge run: a second comparison in that folder
        f"demo/a__vs__b/{LLM_JUDGE}-pairwise#{LLM_JUDGE}-pairwise",
        "demo/a__vs__c/rouge#rouge",
        "demo/a__vs__evil/rouge#rouge",
        "demo/b__vs__c/rouge#rouge",
    }
    assert index.eval_sets() == ["demo"]
    assert index.judges("demo") == ["rouge", f"{LLM_JUDGE}-pairwise", "human"]  # most comparisons first
    assert index.baselines("demo", "rouge") == ["a", "b"]
    assert not index.problems


def test_leaderboard_rows_are_the_summaries_compare_wrote(index, lb_runs):
    rows = index.leaderboard("demo", "rouge", "a")
    (baseline,) = [r for r in rows if r["is_baseline"]]
    assert (
        baseline["model"] == "a" and baseline["win_rate"] == baseline["ci_low"] == baseline["ci_high"] == 0.5
    )
    assert baseline["n"] is None and baseline["rating"] == pytest.approx(1000.0)  # the BT anchor
    assert [r["win_rate"] for r in rows] == sorted((r["win_rate"] for r in rows), reverse=True)
    rows = [r for r in rows if not r["is_baseline"]]
    for row in rows:
        summary = _summary(lb_runs[f"a/{row['model']}/rouge"])
        assert row["win_rate"] == summary.win_rate
        assert (row["ci_low"], row["ci_high"]) == (summary.ci.low, summary.ci.high)
        assert (row["n"], row["ties"], row["unscored"]) == (summary.n, summary.ties, summary.unscored)
        assert row["avg_length"] == summary.avg_length_candidate
        assert row["cost_usd"] == summary.cost_usd
    assert all(c.from_disk for c in index.select("demo", "rouge"))


def test_human_comparison_is_summarised_from_the_ratings(index, lb_runs):
    (comparison,) = index.select("demo", "human")
    assert not comparison.from_disk  # no summary.json for people's ratings: computed by summarize_run
    assert comparison.summary.judge == "human"
    assert comparison.summary.n == 6  # six prompts rated, by two raters each
    assert comparison.summary.n_judgments == 12
    assert {j.rater for j in comparison.judgments} == {"alice", "bob"}


def test_length_controlled_and_ratings_come_from_stats(index, lb_runs):
    rows = {r["model"]: r for r in index.leaderboard("demo", "rouge", "a")}
    chosen = index.select("demo", "rouge", "a")
    data = []
    for c in chosen:
        lengths = {
            (c.baseline, c.candidate, pid): (len(g.output), len(c.candidate_outputs[pid].output))
            for pid, g in c.baseline_outputs.items()
        }
        data += comparisons_from_judgments(c.judgments, c.key, "demo", lengths)
    fitted = length_controlled_win_rates(
        [d.length_comparison() for d in data], np.random.default_rng(0), n_boot=0
    )
    for item, result in zip(data, fitted, strict=True):
        row = rows[item.model]
        assert row["lc_win_rate"] == pytest.approx(result.length_controlled_win_rate, abs=1e-9)
        assert row["lc_low"] <= row["lc_win_rate"] <= row["lc_high"]  # its bootstrap interval

    judgments = [j for c in index.select("demo", "rouge") for j in c.judgments]
    expected = bradley_terry_from_judgments(
        judgments,
        np.random.default_rng(0),
        n_boot=100,
        anchor="a",
        anchor_rating=1000.0,
        scale=400 / np.log(10),
    )
    ratings = {r["model"]: r for r in index.ratings("demo", "rouge")}
    assert set(ratings) == {"a", "b", "c", "evil"}
    assert ratings["a"]["rating"] == pytest.approx(1000.0) and ratings["a"]["anchor"]
    for row in expected.rows():
        assert ratings[row["model"]]["rating"] == pytest.approx(row["rating"])
        assert ratings[row["model"]]["rank"] == row["rank"]
    for model, row in rows.items():  # the leaderboard's BT columns are those ratings
        assert (row["rating"], row["bt_rank"]) == (ratings[model]["rating"], ratings[model]["rank"])
        assert (row["rating_low"], row["rating_high"]) == (
            ratings[model]["rating_low"],
            ratings[model]["rating_high"],
        )
        assert row["rating_low"] <= row["rating"] <= row["rating_high"]  # the anchor: 1000 exactly


def test_head_to_head_is_both_ways_round(index, lb_runs):
    cells = {(r["model"], r["opponent"]): r["win_rate"] for r in index.head_to_head("demo", "rouge")}
    b_vs_a = _summary(lb_runs["a/b/rouge"]).win_rate
    assert cells[("b", "a")] == pytest.approx(b_vs_a)
    assert cells[("a", "b")] == pytest.approx(1 - b_vs_a)
    assert cells[("c", "b")] == pytest.approx(_summary(lb_runs["b/c/rouge"]).win_rate)
    assert ("evil", "c") not in cells  # never compared


def test_stale_summary_is_recomputed(lb_results, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(lb_results, root)
    run = RunFolder(root / "demo" / "a__vs__c" / "rouge")
    before = ResultsIndex.load(root).comparison("demo/a__vs__c/rouge#rouge")
    assert before.from_disk
    first = run.load_judgments()[0]
    flipped = 1.0 - (first.preference or 0.0)
    extra = first.model_copy(
        update={
            "first_shown": "candidate" if first.first_shown == "baseline" else "baseline",
            "preference": flipped,
        }
    )
    assert run.add_judgment(extra)  # one more judgment than the summary on disk counts
    after = ResultsIndex.load(root).comparison("demo/a__vs__c/rouge#rouge")
    assert not after.from_disk
    assert after.summary.n_judgments == before.summary.n_judgments + 1
    assert after.summary.win_rate != before.summary.win_rate


def test_untrusting_load_gives_the_same_table(lb_results):
    trusted = ResultsIndex.load(lb_results)
    naive = ResultsIndex.load(lb_results, IndexSettings(trust_summaries=False, n_boot=400))
    assert not any(c.from_disk for c in naive.comparisons)
    for a, b in zip(
        trusted.leaderboard("demo", "rouge", "a"), naive.leaderboard("demo", "rouge", "a"), strict=True
    ):
        assert a["model"] == b["model"]
        assert a["win_rate"] == pytest.approx(b["win_rate"])
        assert a["lc_win_rate"] == pytest.approx(b["lc_win_rate"])


def test_unreadable_run_folder_is_reported_not_fatal(lb_results, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(lb_results, root)
    (root / "demo" / "b__vs__c" / "rouge" / "manifest.json").write_text('{"kind": "comparison", "eval_set"')
    index = ResultsIndex.load(root)
    assert len(index.problems) == 1 and "manifest.json" in index.problems[0]
    assert "demo/b__vs__c/rouge#rouge" not in {c.key for c in index.comparisons}
    assert index.leaderboard("demo", "rouge", "a")


def test_fast_reader_matches_jsonl_log_and_reports_bad_lines(lb_runs, tmp_path):
    log = JsonlLog(lb_runs["a/b/rouge"] / "judgments.jsonl")
    assert read_records(log, Judgment) == log.read(Judgment)
    broken = JsonlLog(tmp_path / "judgments.jsonl")
    lines = log.path.read_text().splitlines()
    broken.path.write_text("\n".join([lines[0], '{"prompt_id": 3}', *lines[1:]]) + "\n")
    with pytest.raises(InputError, match=r"judgments.jsonl:2: invalid Judgment"):
        read_records(broken, Judgment)
    partial = JsonlLog(tmp_path / "partial.jsonl")
    partial.path.write_text(lines[0] + "\n" + lines[1][:20])  # a write cut short by a crash
    assert len(read_records(partial, Judgment)) == 1


def test_fingerprint_changes_with_a_new_judgment(lb_results, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(lb_results, root)
    before = results_fingerprint(root)
    assert any(path.endswith("summary.json") for path, _, _ in before)
    run = RunFolder(root / "demo" / "a__vs__b" / "rouge")
    judgment = run.load_judgments()[0].model_copy(
        update={"judge": JudgeIdentity(name="someone"), "rater": "x"}
    )
    run.add_judgment(judgment)
    assert results_fingerprint(root) != before
    assert results_fingerprint(root) == results_fingerprint(root)


def test_duplicate_comparisons_keep_the_larger(lb_results, tmp_path):
    """The same people rating the same pair in two folders must not count twice."""
    root = tmp_path / "results"
    shutil.copytree(lb_results, root)
    llm_folder = RunFolder(root / "demo" / "a__vs__b" / f"{LLM_JUDGE}-pairwise")
    human = [
        j for j in RunFolder(root / "demo" / "a__vs__b" / "rouge").load_judgments() if j.rater == "alice"
    ]
    llm_folder.judgments.append(human[:2])
    index = ResultsIndex.load(root)
    (comparison,) = index.select("demo", "human")
    assert len(comparison.judgments) == 12 and comparison.path.name == "rouge"


def test_rank_is_one_plus_the_models_wholly_above():
    rows = [
        {"model": "top", "win_rate": 0.9, "ci_low": 0.8, "ci_high": 0.95},
        {"model": "near", "win_rate": 0.75, "ci_low": 0.6, "ci_high": 0.85},
        {"model": "base", "win_rate": 0.5, "ci_low": 0.5, "ci_high": 0.5},
        {"model": "low", "win_rate": 0.3, "ci_low": 0.2, "ci_high": 0.55},
        {"model": "point", "win_rate": 0.1, "ci_low": None, "ci_high": None},
        {"model": "unscored", "win_rate": None, "ci_low": None, "ci_high": None},
    ]
    rank_by_intervals(rows)
    ranks = {r["model"]: r.get("rank") for r in rows}
    # top and near overlap (both 1); base lies below both (3); low's interval reaches 0.55, so
    # only top and near (from 0.8 and 0.6) lie wholly above it (3, shared with base); point is
    # below every interval (5)
    assert ranks == {"top": 1, "near": 1, "base": 3, "low": 3, "point": 5, "unscored": None}


def test_small_samples_and_far_apart_lengths_are_marked(index):
    rows = {r["model"]: r for r in index.leaderboard("demo", "rouge", "a")}
    for row in rows.values():
        if row["is_baseline"]:
            assert not row["small_n"] and not row["lc_caveat"]
            continue
        assert row["mde"] == pytest.approx(minimum_detectable_effect(row["n"]))
        assert row["small_n"] == (row["mde"] > SMALL_N_MDE)  # 20 prompts: far too few for 10 points
        ratio = row["avg_length"] / row["baseline_avg_length"]
        assert row["length_ratio"] == pytest.approx(ratio)
        assert row["lc_caveat"] == (ratio > 2 or ratio < 0.5)
    assert rows["b"]["lc_caveat"]  # 30 words against 10
