"""Calibration: on many simulated comparisons with a known true win rate, ties and per-prompt
heterogeneity, the 95% bootstrap intervals cover the truth 93–97% of the time."""

from __future__ import annotations

import numpy as np
import pytest

from alpaca_bench.stats import summarize

N_COMPARISONS = 1_200
N_BOOT = 2_000


def simulate(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """One comparison: its per-prompt preferences and the population win rate they estimate.

    Each prompt has its own chance that the candidate wins (Beta-distributed around the
    comparison's level, some comparisons far more heterogeneous than others) and the judge calls
    a tie now and then. A third of the comparisons give one verdict per prompt, a third judge both
    orders (averaged), and a third have a logprob-weighted judge whose preference is the chance
    itself (continuous values, which the bootstrap resamples differently from a few levels).
    """
    n = int(rng.choice([100, 252, 400, 805]))
    truth = rng.uniform(0.2, 0.8)
    tie = rng.uniform(0.0, 0.3)
    level = (truth - 0.5 * tie) / (1.0 - tie)  # win chance among non-ties that gives `truth`
    concentration = rng.choice([0.5, 2.0, 20.0])
    chance = rng.beta(level * concentration, (1.0 - level) * concentration, size=n)
    kind = rng.integers(3)
    if kind == 2:
        return np.where(rng.random(n) < tie, 0.5, chance), truth
    orders = int(kind) + 1
    draws = np.where(rng.random((orders, n)) < tie, 0.5, (rng.random((orders, n)) < chance).astype(float))
    return draws.mean(axis=0), truth


@pytest.mark.slow
def test_bootstrap_intervals_are_calibrated():
    rng = np.random.default_rng(2024)
    covered = {"bca": 0, "percentile": 0}
    for _ in range(N_COMPARISONS):
        prefs, truth = simulate(rng)
        s = summarize(prefs, rng, n_boot=N_BOOT)
        covered["bca"] += s.bca_low <= truth <= s.bca_high
        covered["percentile"] += s.percentile_low <= truth <= s.percentile_high
    coverage = {method: hits / N_COMPARISONS for method, hits in covered.items()}
    print(f"95% interval coverage over {N_COMPARISONS} comparisons: {coverage}")
    for method, share in coverage.items():
        assert 0.93 <= share <= 0.97, (method, share)
