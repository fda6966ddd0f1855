"""Paired bootstrap over prompts: percentile and BCa intervals for a mean.

A comparison is paired by construction (both models answered the same prompts), so resampling
prompts and averaging their preferences is the paired bootstrap. Preferences usually take a few
values only (win, tie, loss; quarters with both orders): then how often each value is drawn in a
resample is multinomial, and drawing those counts directly gives the same distribution of
resampled means at a fraction of the cost. Otherwise (a logprob-weighted judge) resamples are
drawn as chunks of index matrices, bounded in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

CIMethod = Literal["bca", "percentile"]
CI_METHODS: tuple[CIMethod, ...] = ("bca", "percentile")

_CHUNK_CELLS = 1 << 21  # ~2M indices (8 MiB of int32) per chunk
_MAX_LEVELS = 8  # beyond this many distinct values, multinomial draws cost more than indexing


def bootstrap_means(values: ArrayLike, rng: np.random.Generator, n_boot: int = 10_000) -> NDArray[np.float64]:
    """Means of `n_boot` resamples (with replacement) of `values`, in draw order."""
    data = _as_values(values)
    n = data.size
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    levels, counts = np.unique(data, return_counts=True)
    if levels.size <= _MAX_LEVELS:
        drawn = rng.multinomial(n, counts / n, size=n_boot)
        return np.asarray(drawn @ levels / n, dtype=np.float64)
    rows = max(1, _CHUNK_CELLS // n)
    means = np.empty(n_boot, dtype=np.float64)
    for start in range(0, n_boot, rows):
        stop = min(n_boot, start + rows)
        index = rng.integers(0, n, size=(stop - start, n), dtype=np.int32)
        means[start:stop] = np.take(data, index).sum(axis=1) / n
    return means


def cluster_mean(
    clusters: Sequence[Sequence[float]], rng: np.random.Generator, n_boot: int = 10_000, level: float = 0.95
) -> tuple[float, float, float]:
    """The mean of every value, and a percentile interval from resampling whole clusters.

    A cluster is a prompt's values (a grade per turn, say): they are drawn together, so values
    that share a prompt never count as independent evidence. Each resample's mean is the ratio of
    the drawn clusters' sums to their sizes. One cluster (or `n_boot` 0) gives a point interval."""
    _check_level(level)
    kept = [c for c in clusters if len(c)]
    if not kept:
        raise ValueError("cluster_mean needs at least one value")
    sums = np.array([float(sum(c)) for c in kept])
    sizes = np.array([len(c) for c in kept], dtype=np.float64)
    mean = float(sums.sum() / sizes.sum())
    if n_boot < 1 or len(kept) < 2:
        return mean, mean, mean
    rows = max(1, _CHUNK_CELLS // len(kept))
    boot = np.empty(n_boot, dtype=np.float64)
    for start in range(0, n_boot, rows):
        stop = min(n_boot, start + rows)
        index = rng.integers(0, len(kept), size=(stop - start, len(kept)), dtype=np.int32)
        boot[start:stop] = sums[index].sum(axis=1) / sizes[index].sum(axis=1)
    low, high = percentile_interval(boot, level)
    return mean, low, high


def percentile_interval(boot: ArrayLike, level: float = 0.95) -> tuple[float, float]:
    """The central `level` interval of the bootstrap distribution."""
    _check_level(level)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(np.asarray(boot, dtype=np.float64), [tail, 1.0 - tail])
    return float(low), float(high)


def bca_interval(values: ArrayLike, boot: ArrayLike, level: float = 0.95) -> tuple[float, float]:
    """Bias-corrected and accelerated interval for the mean of `values` (Efron 1987).

    The bias correction uses the share of resamples below the estimate (ties counted half); the
    acceleration comes from the jackknife, which for a mean has a closed form. When every
    resample equals the estimate there is nothing to correct and the interval is a point.
    """
    _check_level(level)
    data = _as_values(values)
    draws = np.asarray(boot, dtype=np.float64)
    estimate = float(data.mean())
    if np.all(draws == draws[0]):
        return float(draws[0]), float(draws[0])
    below = float(np.count_nonzero(draws < estimate) + 0.5 * np.count_nonzero(draws == estimate)) / draws.size
    below = min(max(below, 0.5 / draws.size), 1.0 - 0.5 / draws.size)
    z0 = float(ndtri(below))
    accel = _jackknife_acceleration(data)
    tail = (1.0 - level) / 2.0
    quantiles = []
    for z_alpha in (ndtri(tail), ndtri(1.0 - tail)):
        shifted = z0 + z_alpha
        quantiles.append(float(ndtr(z0 + shifted / (1.0 - accel * shifted))))
    low, high = np.quantile(draws, quantiles)
    return float(low), float(high)


def _jackknife_acceleration(data: NDArray[np.float64]) -> float:
    n = data.size
    if n < 2:
        return 0.0
    leave_one_out = (data.sum() - data) / (n - 1)
    deviation = leave_one_out.mean() - leave_one_out
    denominator = 6.0 * float(np.sum(deviation**2)) ** 1.5
    if denominator == 0.0:
        return 0.0
    return float(np.sum(deviation**3) / denominator)


def bootstrap_ci(
    values: ArrayLike,
    rng: np.random.Generator,
    n_boot: int = 10_000,
    level: float = 0.95,
    method: CIMethod = "bca",
) -> tuple[float, float]:
    """Confidence interval for the mean of `values` (per-prompt preferences, or their paired
    differences between two candidates) by the paired bootstrap over prompts."""
    if method not in CI_METHODS:
        raise ValueError(f"unknown interval method {method!r}; expected one of {', '.join(CI_METHODS)}")
    boot = bootstrap_means(values, rng, n_boot)
    if method == "percentile":
        return percentile_interval(boot, level)
    return bca_interval(values, boot, level)


def _as_values(values: ArrayLike) -> NDArray[np.float64]:
    data = np.asarray(values, dtype=np.float64).ravel()
    if data.size == 0:
        raise ValueError("no values to resample")
    if not np.all(np.isfinite(data)):
        raise ValueError("values must be finite")
    return data


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
