"""Agreement, kappa, position consistency and majority accuracy on constructed judgments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alpaca_bench.records import JudgeIdentity, Judgment
from alpaca_bench.stats import (
    agreement,
    cohen_kappa,
    majority_accuracy,
    match_judgments,
    position_consistency,
    position_consistency_of,
)


def test_agreement_with_and_without_ties_and_kappa_by_hand():
    # 10 pairs. first: W W W W L L L T T W ; second: W W W L L L T T W W
    first = np.array([1, 1, 1, 1, 0, 0, 0, 0.5, 0.5, 1])
    second = np.array([1, 1, 1, 0, 0, 0, 0.5, 0.5, 1, 1])
    result = agreement(first, second)
    assert result.n == 10
    assert result.agreement_with_ties == pytest.approx(7 / 10)  # pairs 0-2, 4-5, 7, 9
    assert result.n_without_ties == 7  # pairs with no tie on either side: 0-5, 9
    assert result.agreement_without_ties == pytest.approx(6 / 7)
    # kappa: p_o = 0.7; marginals first L/T/W = .3/.2/.5, second = .3/.2/.5 → p_e = .09+.04+.25
    assert result.kappa == pytest.approx((0.7 - 0.38) / (1 - 0.38))
    assert result.confusion == [[2, 1, 0], [0, 1, 1], [1, 0, 4]]


def test_kappa_extremes():
    labels = np.array([0, 1, 0, 1, 1, 0])
    assert cohen_kappa(labels, labels) == 1.0
    assert cohen_kappa(labels, 1 - labels) == pytest.approx(-1.0)
    assert math.isnan(cohen_kappa(np.ones(4), np.ones(4)))


def test_random_judges_have_kappa_near_zero():
    rng = np.random.default_rng(0)
    a, b = rng.choice([0.0, 0.5, 1.0], 20_000), rng.choice([0.0, 0.5, 1.0], 20_000)
    assert abs(agreement(a, b).kappa) < 0.02
    assert agreement(a, b).agreement_with_ties == pytest.approx(1 / 3, abs=0.01)


def test_fractional_preferences_count_by_the_side_they_lean_to():
    assert agreement([0.9, 0.2, 0.5], [1.0, 0.0, 0.5]).agreement_with_ties == 1.0


def make(prompt, pref, first="baseline", judge="gpt", rater=None):
    return Judgment(
        prompt_id=prompt,
        baseline="base",
        candidate="cand",
        judge=JudgeIdentity(name=judge),
        first_shown=first,
        verdict="unscored" if pref is None else "tie" if pref == 0.5 else "B>A" if pref > 0.5 else "A>B",
        preference=pref,
        rater=rater,
    )


def test_position_consistency_from_both_orders():
    judgments = [
        make("p1", 1.0, "baseline"),
        make("p1", 1.0, "candidate"),  # consistent
        make("p2", 1.0, "baseline"),
        make("p2", 0.0, "candidate"),  # flipped with the order: inconsistent
        make("p3", 0.5, "baseline"),
        make("p3", 0.5, "candidate"),  # consistent tie
        make("p4", 1.0, "baseline"),
        make("p4", None, "candidate"),  # unscored: not a pair
        make("p5", 0.0, "baseline"),  # one order only
    ]
    assert position_consistency_of(judgments) == pytest.approx(2 / 3)
    assert position_consistency([1, 1, 0.5], [1, 0, 0.5]) == pytest.approx(2 / 3)
    assert position_consistency_of(judgments[-1:]) is None


def test_judge_against_humans_on_matched_pairs():
    judge = [make(f"p{i}", pref) for i, pref in enumerate([1.0, 0.0, 1.0, 0.5])]
    humans = [
        make("p0", 1.0, judge="human", rater="r1"),
        make("p0", 1.0, judge="human", rater="r2"),
        make("p1", 1.0, judge="human", rater="r1"),
        make("p2", 1.0, judge="human", rater="r1"),
        make("p9", 0.0, judge="human", rater="r1"),  # the judge never saw it
    ]
    keys, a, b = match_judgments(judge, humans)
    assert [k[0] for k in keys] == ["p0", "p1", "p2"]
    assert agreement(a, b).agreement_with_ties == pytest.approx(2 / 3)


def test_accuracy_against_the_human_majority():
    judge = np.array([1.0, 0.0, 1.0, 0.5, 1.0])
    humans = np.array(
        [
            [1.0, 1.0, 0.0],  # majority win: judge right
            [1.0, 1.0, np.nan],  # majority win: judge wrong
            [1.0, 0.0, np.nan],  # no majority: left out
            [0.5, 0.5, 1.0],  # majority tie: judge right
            [np.nan, np.nan, np.nan],  # nobody rated: left out
        ]
    )
    result = majority_accuracy(judge, humans)
    assert (result.n, result.n_without_majority) == (3, 2)
    assert result.accuracy == pytest.approx(2 / 3)
