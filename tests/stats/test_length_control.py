"""Length-controlled win rate on synthetic comparisons whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from alpaca_bench.stats import (
    LengthComparison,
    fit_length_model,
    length_controlled_win_rate,
    length_controlled_win_rates,
)

N = 805


def ids(n: int) -> list[str]:
    return [f"p{i:04d}" for i in range(n)]


def simulate(rng, quality, mean_extra, difficulty, length_effect=2.5, soft=False, name="m"):
    """A judge that prefers longer answers by `length_effect` (logit per tanh unit of the length
    difference over 400 characters). `soft` returns its probability, as a logprob-weighted judge
    would; otherwise a verdict drawn from it, with a few ties."""
    n = difficulty.size
    baseline = rng.integers(200, 1500, n).astype(float)
    candidate = np.maximum(1.0, baseline + rng.normal(mean_extra, 400.0, n))
    logit = quality + difficulty + length_effect * np.tanh((candidate - baseline) / 400.0)
    prob = 1.0 / (1.0 + np.exp(-logit))
    prefs = prob if soft else (rng.random(n) < prob).astype(float)
    if not soft:
        prefs[rng.random(n) < 0.03] = 0.5
    return LengthComparison(name, ids(n), prefs, candidate, baseline)


@pytest.mark.parametrize(("n", "soft"), [(N, True), (3000, False)], ids=["weighted-805", "verdicts-3000"])
def test_winning_only_by_length_is_controlled_back_to_even(n, soft):
    """Equal quality (bias 0, difficulties centred), but 500 characters longer on average. With
    discrete verdicts the sampling noise alone is ~3.5 points at 805 prompts, so that case uses
    3000 to test the method rather than luck."""
    rng = np.random.default_rng(1)
    difficulty = rng.normal(0.0, 1.0, n)
    truth = float(np.mean(1.0 / (1.0 + np.exp(-difficulty))))  # 0.5 up to the sample
    verbose = simulate(rng, 0.0, 500.0, difficulty, soft=soft, name="verbose")
    others = [
        simulate(rng, q, extra, difficulty, soft=soft, name=f"other{k}")
        for k, (q, extra) in enumerate([(0.5, 0.0), (-0.5, -200.0), (0.0, 200.0)])
    ]
    raw = float(np.mean(verbose.preferences))
    assert raw > 0.70
    for context in (others, []):
        result = length_controlled_win_rate(verbose, np.random.default_rng(0), context=context, n_boot=200)
        assert result.win_rate == pytest.approx(raw)
        assert abs(result.length_controlled_win_rate - 0.5) < 0.05
        assert abs(result.length_controlled_win_rate - truth) < 0.05
        assert result.ci_low < result.length_controlled_win_rate < result.ci_high
        assert result.length_coefficient > 1.0


def test_equal_lengths_leave_the_win_rate_unchanged():
    rng = np.random.default_rng(3)
    lengths = rng.integers(100, 900, N).astype(float)
    prefs = (rng.random(N) < 0.68).astype(float)
    prefs[:40] = 0.5
    same = LengthComparison("same", ids(N), prefs, lengths, lengths)
    other = simulate(rng, 0.3, 100.0, np.zeros(N), name="other")
    for context in ([], [other]):
        result = length_controlled_win_rate(same, np.random.default_rng(0), context=context, n_boot=200)
        assert abs(result.length_controlled_win_rate - prefs.mean()) < 0.01


def test_a_genuinely_better_model_keeps_its_advantage():
    rng = np.random.default_rng(5)
    difficulty = rng.normal(0.0, 1.0, N)
    better = simulate(rng, 1.0, 0.0, difficulty, name="better")  # no length advantage on average
    result = length_controlled_win_rate(better, np.random.default_rng(0), n_boot=0)
    assert result.length_controlled_win_rate > 0.65
    assert abs(result.length_controlled_win_rate - np.mean(better.preferences)) < 0.03


def test_difficulties_are_shared_and_recovered():
    rng = np.random.default_rng(9)
    difficulty = rng.normal(0.0, 1.5, N)
    comparisons = [simulate(rng, q, 0.0, difficulty, name=f"m{q}") for q in (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5)]
    model = fit_length_model(comparisons)
    estimated = np.array([model.difficulty[p] for p in ids(N)])
    assert np.corrcoef(estimated, difficulty)[0, 1] > 0.6
    assert np.all(np.diff(model.bias) > 0)  # qualities come back in order


def test_inconsistent_input_is_refused():
    with pytest.raises(ValueError, match="differ in size"):
        length_controlled_win_rates(
            [LengthComparison("x", ["a", "b"], [1.0], [1.0, 2.0], [1.0, 2.0])], np.random.default_rng(0)
        )
    with pytest.raises(ValueError, match="one preference per prompt"):
        length_controlled_win_rates(
            [LengthComparison("x", ["a", "a"], [1.0, 0.0], [1.0, 2.0], [1.0, 2.0])], np.random.default_rng(0)
        )
