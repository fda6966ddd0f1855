"""Win rate, counts, standard error, sign test, Wilson interval, detectable effect, bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from alpaca_bench.records import JudgeIdentity, Judgment
from alpaca_bench.stats import (
    bootstrap_ci,
    bootstrap_means,
    discrete_win_rate,
    minimum_detectable_effect,
    outcome_counts,
    per_prompt_preferences,
    power,
    sign_test,
    standard_error,
    summarize,
    wilson_interval,
)


def judgment(
    prompt: str, preference: float | None, first: str = "baseline", candidate: str = "c"
) -> Judgment:
    verdict = "unscored" if preference is None else "tie" if preference == 0.5 else "B>A"
    return Judgment(
        prompt_id=prompt,
        baseline="b",
        candidate=candidate,
        judge=JudgeIdentity(name="j"),
        first_shown=first,
        verdict=verdict,
        preference=preference,
    )


def test_per_prompt_averaging_counts_each_prompt_once_and_skips_unscored():
    ids, prefs = per_prompt_preferences(
        [
            judgment("p2", 1.0, "baseline"),
            judgment("p2", 0.0, "candidate"),  # the two orders disagree: the prompt is a tie
            judgment("p1", 1.0),
            judgment("p3", None),  # unscored everywhere: not a prompt of the statistics
            judgment("p4", None, "baseline"),
            judgment("p4", 0.25, "candidate"),
        ]
    )
    assert ids == ["p1", "p2", "p4"]
    assert prefs.tolist() == [1.0, 0.5, 0.25]


def test_per_prompt_refuses_to_mix_comparisons():
    with pytest.raises(ValueError, match="several comparisons"):
        per_prompt_preferences([judgment("p1", 1.0), judgment("p1", 1.0, candidate="other")])


def test_counts_discrete_and_weighted_rates():
    prefs = np.array([1.0, 0.9, 0.5, 0.2, 0.0, 0.5, 0.51])
    assert outcome_counts(prefs) == (3, 2, 2)
    assert discrete_win_rate(prefs) == pytest.approx((3 + 1) / 7)
    summary = summarize(prefs, np.random.default_rng(0), n_boot=500)
    assert summary.win_rate == pytest.approx(prefs.mean())
    assert (summary.wins, summary.losses, summary.ties, summary.n) == (3, 2, 2, 7)
    assert summary.discrete_win_rate == pytest.approx(4 / 7)


def test_standard_error_uses_n_minus_one():
    prefs = np.array([1.0, 0.0, 0.5, 1.0])
    expected = math.sqrt(np.sum((prefs - prefs.mean()) ** 2) / 3) / 2
    assert standard_error(prefs) == pytest.approx(expected)
    assert math.isnan(standard_error(np.array([1.0])))


def test_sign_test_matches_the_binomial_and_ignores_ties():
    assert sign_test(15, 5) == pytest.approx(scipy_stats.binomtest(15, 20).pvalue)
    assert sign_test(0, 0) == 1.0
    summary = summarize(np.array([1.0] * 15 + [0.0] * 5 + [0.5] * 30), np.random.default_rng(0), n_boot=100)
    assert summary.p_value == pytest.approx(scipy_stats.binomtest(15, 20).pvalue)


def test_wilson_interval_known_values():
    # 81 successes in 263 trials, 95%: the classic worked example gives 0.2553–0.3662.
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)


def test_detectable_effect_and_power_agree():
    n = 805
    mde = minimum_detectable_effect(n)
    assert mde == pytest.approx((1.959964 + 0.841621) * 0.5 / math.sqrt(n), rel=1e-5)
    assert power(n, mde) == pytest.approx(0.8, abs=1e-3)
    assert power(n, 0.0) == pytest.approx(0.05)
    assert minimum_detectable_effect(4 * n) == pytest.approx(mde / 2)
    assert minimum_detectable_effect(n, sd=0.25) == pytest.approx(mde / 2)
    assert power(n, 2 * mde) > 0.99


def test_discrete_preferences_resample_with_the_right_distribution():
    """Few distinct values are resampled as multinomial counts: same law as drawing prompts."""
    values = np.array([1.0] * 50 + [0.0] * 30 + [0.5] * 10 + [0.75] * 10)
    means = bootstrap_means(values, np.random.default_rng(0), n_boot=40_000)
    rng = np.random.default_rng(1)
    naive = np.array([values[rng.integers(0, 100, 100)].mean() for _ in range(40_000)])
    assert means.mean() == pytest.approx(values.mean(), abs=5e-4)
    assert means.std() == pytest.approx(values.std() / 10, rel=0.02)
    assert np.quantile(means, [0.025, 0.5, 0.975]) == pytest.approx(
        np.quantile(naive, [0.025, 0.5, 0.975]), abs=0.006
    )
    assert set(np.round(means * 400) % 1) == {0.0}  # every mean is a sum of the values over 100


def test_bootstrap_means_equal_a_naive_loop_with_the_same_draws():
    values = np.random.default_rng(3).random(57)
    fast = bootstrap_means(values, np.random.default_rng(11), n_boot=300)
    rng = np.random.default_rng(11)
    naive = [values[rng.integers(0, 57, size=57, dtype=np.int32)].mean() for _ in range(300)]
    np.testing.assert_allclose(fast, naive, rtol=1e-12)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_bootstrap_interval_agrees_with_scipy(method):
    values = np.random.default_rng(5).beta(0.6, 1.8, size=300)  # skewed, so BCa differs from percentile
    ours = bootstrap_ci(values, np.random.default_rng(0), n_boot=20_000, method=method)
    theirs = scipy_stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=20_000,
        method="BCa" if method == "bca" else "percentile",
        random_state=1,
    ).confidence_interval
    assert ours[0] == pytest.approx(theirs.low, abs=2e-3)
    assert ours[1] == pytest.approx(theirs.high, abs=2e-3)


def test_bca_shifts_towards_the_long_tail():
    values = np.random.default_rng(5).exponential(size=100) / 20
    values = np.clip(values, 0, 1)
    summary = summarize(values, np.random.default_rng(0), n_boot=20_000)
    assert summary.bca_high - summary.percentile_high > 0
    assert (summary.ci_low, summary.ci_high) == (summary.bca_low, summary.bca_high)


def test_summary_is_reproducible_from_the_seed_and_degenerate_inputs_are_points():
    prefs = np.random.default_rng(1).random(50)
    a = summarize(prefs, np.random.default_rng(42), n_boot=1000)
    b = summarize(prefs, np.random.default_rng(42), n_boot=1000)
    assert a == b
    all_ties = summarize(np.full(20, 0.5), np.random.default_rng(0), n_boot=100)
    assert (all_ties.ci_low, all_ties.ci_high, all_ties.p_value) == (0.5, 0.5, 1.0)
    assert summarize(prefs, np.random.default_rng(0), n_boot=0).to_dict()["ci_low"] is None


def test_bad_preferences_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        summarize(np.array([1.5]), np.random.default_rng(0))
    with pytest.raises(ValueError, match="no scored"):
        summarize(np.array([]), np.random.default_rng(0))
    with pytest.raises(ValueError, match="method"):
        bootstrap_ci(np.array([1.0]), np.random.default_rng(0), method="normal")  # type: ignore[arg-type]


def test_per_prompt_means_match_a_naive_loop():
    import random
    from collections import defaultdict

    from alpaca_bench.records import JudgeIdentity, Judgment
    from alpaca_bench.stats import per_prompt_preferences

    rng = random.Random(3)
    judgments = [
        Judgment(
            prompt_id=f"p{rng.randrange(40):02d}",
            baseline="a",
            candidate="b",
            judge=JudgeIdentity(name="j"),
            first_shown=rng.choice(["baseline", "candidate"]),
            verdict="tie",
            preference=rng.choice([None, 0.0, 0.25, 0.5, 1.0, rng.random()]),
        )
        for _ in range(400)
    ]
    by_prompt = defaultdict(list)
    for j in judgments:
        if j.preference is not None:
            by_prompt[j.prompt_id].append(j.preference)
    ids, means = per_prompt_preferences(judgments)
    assert ids == sorted(by_prompt)
    assert means.tolist() == pytest.approx([sum(v) / len(v) for _, v in sorted(by_prompt.items())], abs=1e-15)
