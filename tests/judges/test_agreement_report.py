"""Agreement figures on constructed judgments whose agreement and kappa were worked out by hand.

Six pairs (P1..P6), three raters and a judge; W = candidate better (1.0), L = baseline better
(0.0), T = tie (0.5), - = not rated:

            P1  P2  P3  P4  P5  P6
    alice   W   W   L   T   W   L
    bob     W   L   L   T*  T   W       (* "both bad": a flagged tie)
    carol   W   W   -   L   -   -
    judge   W   W   L   W   W   W       (P1 and P6 judged in both orders: 1.0+1.0, 1.0+0.6)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_rate_fixtures import make_run, outputs

from alpaca_bench.judges.human import agreement_report
from alpaca_bench.records import JudgeIdentity, Judgment, Position
from alpaca_bench.stats import Agreement
from alpaca_bench.store import RunFolder, pair_hash

PROMPTS = ["demo-04", "demo-05", "demo-06", "demo-07", "demo-08", "demo-09"]
W, L, T = 1.0, 0.0, 0.5
TABLE = {
    "alice": [W, W, L, T, W, L],
    "bob": [W, L, L, T, T, W],
    "carol": [W, W, None, L, None, None],
}
JUDGE = "gpt-judge"


def _judgment(
    index: int,
    preference: float,
    *,
    judge: str,
    rater: str | None = None,
    first_shown: Position = "baseline",
    pair: str | None = None,
    flagged: bool = False,
) -> Judgment:
    prompt_id = PROMPTS[index]
    baseline, candidate = outputs(prompt_id, int(prompt_id[-2:]) - 1)
    first_better = preference if first_shown == "candidate" else 1.0 - preference
    return Judgment(
        prompt_id=prompt_id,
        baseline="zebra-7b",
        candidate="okapi-13b",
        judge=JudgeIdentity(name=judge),
        rater=rater,
        first_shown=first_shown,
        verdict="tie" if preference == T else ("A>B" if first_better > T else "B>A"),
        preference=preference,
        pair_hash=pair or pair_hash(baseline, candidate),
        flagged=flagged,
    )


@pytest.fixture(scope="module")
def rated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = make_run(tmp_path_factory.mktemp("agreement"))
    run = RunFolder(run_dir)
    for rater, row in TABLE.items():
        for i, pref in enumerate(row):
            if pref is not None:
                run.add_judgment(
                    _judgment(i, pref, judge="human", rater=rater, flagged=(rater, i) == ("bob", 3))
                )
    for i, pref in enumerate([W, W, L, W, W, W]):
        run.add_judgment(_judgment(i, pref, judge=JUDGE))
    run.add_judgment(_judgment(0, 1.0, judge=JUDGE, first_shown="candidate"))
    run.add_judgment(_judgment(5, 0.6, judge=JUDGE, first_shown="candidate"))
    # A rating of outputs the run no longer holds must not count.
    run.add_judgment(
        _judgment(2, W, judge="human", rater="alice", pair="0123456789abcdef", first_shown="candidate")
    )
    return run_dir


def _figures(a: Agreement | None) -> tuple[float, ...]:
    assert a is not None
    return (a.n, a.agreement_with_ties, a.n_without_ties, a.agreement_without_ties, a.kappa)


def test_human_human_agreement_and_kappa(rated_run: Path) -> None:
    report = agreement_report(rated_run, judge=JUDGE, n_boot=200)
    assert report.raters == ["alice", "bob", "carol"] and report.n_pairs_rated == 6
    pairs = {(p.first, p.second): _figures(p.agreement) for p in report.human_human}
    # alice–bob: same class on P1 P3 P4 (3/6); neither tied on P1 P2 P3 P6, agree on P1 P3 (2/4);
    # chance = (3·2 + 2·2 + 1·2)/36 = 1/3 → kappa = (1/2 − 1/3)/(2/3) = 1/4.
    assert pairs[("alice", "bob")] == pytest.approx((6, 0.5, 4, 0.5, 0.25))
    # alice–carol on P1 P2 P4: 2/3; untied P1 P2 both agree; chance = (2/3)(2/3) = 4/9 → kappa 2/5.
    assert pairs[("alice", "carol")] == pytest.approx((3, 2 / 3, 2, 1.0, 0.4))
    # bob–carol on P1 P2 P4: only P1 (1/3); untied P1 P2: 1/2; chance = 2/9 + 1/9 = 1/3 → kappa 0.
    assert pairs[("bob", "carol")] == pytest.approx((3, 1 / 3, 2, 0.5, 0.0))
    # Pooled over the 12 comparisons: 6 agree; 8 untied, 5 agree; classes W/L/T of the first
    # raters 6/3/3 and of the second 6/4/2: chance = (36 + 12 + 6)/144 = 0.375 → kappa 0.2.
    assert _figures(report.human_human_pooled) == pytest.approx((12, 0.5, 8, 0.625, 0.2))


def test_judge_human_agreement_kappa_and_majority(rated_run: Path) -> None:
    report = agreement_report(rated_run, judge=JUDGE, n_boot=200)
    pairs = {(p.first, p.second): _figures(p.agreement) for p in report.judge_human}
    # judge–alice: agree P1 P2 P3 P5 (4/6); untied: all but P4, agree 4/5; judge W 5/6, L 1/6,
    # alice W 3/6, L 2/6, T 1/6: chance = 17/36 → kappa = (24/36 − 17/36)/(19/36) = 7/19.
    assert pairs[(JUDGE, "alice")] == pytest.approx((6, 4 / 6, 5, 0.8, 7 / 19))
    # judge–bob: agree P1 P3 P6 (1/2); untied P1 P2 P3 P6: 3/4; chance = 10/36 + 2/36 → kappa 1/4.
    assert pairs[(JUDGE, "bob")] == pytest.approx((6, 0.5, 4, 0.75, 0.25))
    # judge–carol on P1 P2 P4: 2/3, none tied; the judge says W throughout: chance 2/3 → kappa 0.
    assert pairs[(JUDGE, "carol")] == pytest.approx((3, 2 / 3, 3, 2 / 3, 0.0))
    # Pooled: 9 of 15 agree; 12 untied, 9 agree; judge W/L 13/2, humans W/L/T 7/5/3:
    # chance = (91 + 10)/225 → kappa = (135 − 101)/(225 − 101) = 17/62.
    assert _figures(report.judge_human_pooled) == pytest.approx((15, 0.6, 12, 0.75, 17 / 62))
    # Majorities: P1 W, P2 W, P3 L, P4 T; P5 (W/T) and P6 (L/W) have none. The judge matches 3 of 4.
    majority = report.judge_vs_majority
    assert majority is not None
    assert (majority.accuracy, majority.n, majority.n_without_majority) == (0.75, 4, 2)


def test_per_rater_win_rates(rated_run: Path) -> None:
    report = agreement_report(rated_run, judge=JUDGE, n_boot=500)
    rows = {row.who: row for row in report.win_rates}
    assert rows["rater alice"].summary.win_rate == pytest.approx(3.5 / 6)
    assert (
        rows["rater bob"].summary.wins,
        rows["rater bob"].summary.losses,
        rows["rater bob"].summary.ties,
    ) == (
        2,
        2,
        2,
    )
    assert rows["rater bob"].n_flagged == 1 and rows["rater alice"].n_flagged == 0
    assert rows["rater carol"].summary.win_rate == pytest.approx(2 / 3)
    # Per-prompt means 1, 2/3, 0, 1/3, 3/4, 1/2.
    assert rows["all raters"].summary.win_rate == pytest.approx(3.25 / 6)
    assert rows[f"judge {JUDGE} (same prompts)"].summary.win_rate == pytest.approx((4 + 0.8) / 6)
    for row in rows.values():
        s = row.summary
        assert s.ci_low <= s.win_rate <= s.ci_high


def test_agreement_cli_json_and_table(rated_run: Path, cli: Callable[..., Any]) -> None:
    done = cli("agreement", rated_run, "--judge", JUDGE, "--json", "--n-boot", "200")
    assert done.code == 0, done.err
    payload = json.loads(done.out)
    assert payload["human_human_pooled"]["kappa"] == pytest.approx(0.2)
    assert payload["judge_vs_majority"] == {"accuracy": 0.75, "n": 4, "n_without_majority": 2}
    table = cli("agreement", rated_run, "--judge", JUDGE, "--n-boot", "200")
    assert table.code == 0, table.err
    assert "alice – bob" in table.out and "0.250" in table.out
    assert "75.0% of 4 pairs" in table.out


def test_stats_gives_the_human_win_rate(rated_run: Path, cli: Callable[..., Any]) -> None:
    done = cli("stats", rated_run, "--judge", "human", "--json", "--n-boot", "500")
    assert done.code == 0, done.err
    row = json.loads(done.out)
    assert row["n_total"] == 6 and row["win_rate"] == pytest.approx(3.25 / 6)
    assert row["ci_low"] <= row["win_rate"] <= row["ci_high"]


def test_a_run_without_human_ratings_is_a_one_line_error(tmp_path: Path, cli: Callable[..., Any]) -> None:
    run_dir = make_run(tmp_path)
    done = cli("agreement", run_dir)
    assert done.code == 2 and "no human ratings" in done.err and "Traceback" not in done.err
    assert len(done.err.strip().splitlines()) == 1
