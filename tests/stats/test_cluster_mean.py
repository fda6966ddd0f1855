"""`cluster_mean`: the mean of grades with an interval over prompts, each prompt's grades drawn
together."""

from __future__ import annotations

import numpy as np
import pytest

from alpaca_bench.stats import cluster_mean


def test_the_mean_counts_every_value_and_the_interval_resamples_whole_clusters():
    clusters = [[9.0, 7.0], [2.0], [5.0, 6.0, 4.0], [8.0, 8.0]]
    mean, low, high = cluster_mean(clusters, np.random.default_rng(3), n_boot=2000, level=0.9)
    assert mean == pytest.approx(49.0 / 8.0, abs=1e-12)
    # the same interval, computed here from the same draws of cluster indices
    index = np.random.default_rng(3).integers(0, 4, size=(2000, 4), dtype=np.int32)
    sums, sizes = np.array([16.0, 2.0, 15.0, 16.0]), np.array([2.0, 1.0, 3.0, 2.0])
    boot = sums[index].sum(axis=1) / sizes[index].sum(axis=1)
    assert (low, high) == pytest.approx(tuple(np.quantile(boot, [0.05, 0.95])), abs=1e-12)
    assert low < mean < high


def test_repeating_every_value_of_a_cluster_leaves_the_interval_unchanged():
    """Values that share a prompt are not independent evidence: grading each turn twice does not
    narrow the interval, as a bootstrap over single values would."""
    once = [[3.0], [7.0], [5.0], [9.0], [1.0]]
    twice = [c * 2 for c in once]
    assert cluster_mean(once, np.random.default_rng(0)) == pytest.approx(
        cluster_mean(twice, np.random.default_rng(0))
    )


def test_degenerate_inputs():
    assert cluster_mean([[4.0, 6.0]], np.random.default_rng(0)) == (5.0, 5.0, 5.0)  # one cluster: a point
    assert cluster_mean([[2.0], [2.0]], np.random.default_rng(0), level=0.95) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError):
        cluster_mean([[], []], np.random.default_rng(0))
    with pytest.raises(ValueError):
        cluster_mean([[1.0]], np.random.default_rng(0), level=1.5)
