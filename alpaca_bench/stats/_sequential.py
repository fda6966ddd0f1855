"""Anytime-valid confidence sequences for a win rate, and a CI gate that stops judging early.

Why not keep recomputing the bootstrap interval? A fixed-n interval (bootstrap, Wald, Wilson)
covers the win rate with probability 95% at *one* sample size chosen in advance. A gate that looks
after every judgment and stops the first time the interval excludes the threshold takes the
most favourable of hundreds of looks; at a true win rate exactly on the threshold it wrongly
decides far more often than 5% (tests/stats/test_sequential.py measures it). A *confidence
sequence* (CS) is a sequence of intervals C_1, C_2, ... that all cover the mean at once,
P(mean in C_t for every t) >= 1 - alpha, so it may be checked after every judgment and the
run stopped whenever the answer is clear (optional stopping) without losing its level.

Which CS. Each observation is a per-prompt preference in [0, 1]; the target is its mean (the
win rate). We use the hedged-capital betting CS of Waudby-Smith & Ramdas, "Estimating means of
bounded random variables by betting" (JRSS-B 2023, Section 4 and Theorem 3), with the predictable
plug-in bets they recommend (their Section 5). For a candidate mean m a gambler bets on "the mean
is above m" and another on "below m":

    K+_t(m) = prod_{i<=t} (1 + l+_i(m) (X_i - m)),   K-_t(m) = prod_{i<=t} (1 - l-_i(m) (X_i - m)),

with l+_i(m) = min(l_i, c/m), l-_i(m) = min(l_i, c/(1-m)), c = 1/2 and

    l_i = sqrt(2 log(2/alpha) / (s2_{i-1} i log(1+i))),
    mu_i = (1/2 + sum_{j<=i} X_j)/(i+1),  s2_i = (1/4 + sum_{j<=i} (X_j - mu_j)^2)/(i+1),

a bet that uses only the past (predictable), sized by a running variance estimate (so it adapts
to the spread: ties and a judge's probabilities make it smaller than a coin's), and truncated so
that no factor can fall below 1 - c. If m is the true mean, (K+_t(m) + K-_t(m))/2 is a
non-negative martingale starting at 1 (for any law on [0, 1] with mean m, because the bets use
only the past), so by Ville's inequality it ever reaches 1/alpha with probability at most alpha.
The hedged capital max(K+/2, K-/2) is at most it, so C_t = {m : K+_t(m) < 2/alpha and K-_t(m) <
2/alpha} is a (1-alpha) CS; we report its running intersection (an m once excluded stays
excluded), which is still valid and never widens. The bound is nearly attained, not slack: in
tests/stats/test_sequential.py the CS misses the true mean somewhere in 805 looks in 2-4% of
paths at alpha = 5%.

Why this one. Among CSs for bounded data it is the tightest practical one we know of: it adapts
to the variance as empirical Bernstein does, but the empirical-Bernstein CS (same paper) is
built from a lower bound on log(1 + y) (Fan et al.'s inequality) and is looser in the paper's tests, most
at small n, where a gate wants to stop; Hoeffding-type CSs ignore the variance altogether; and
CLT-based "asymptotic CSs" hold only in the limit, not at every n. The bootstrap interval is a
fixed-n interval: recomputed after every judgment it is not valid at a data-dependent stop.

Ties (0.5), both-order averages (0.25, 0.75) and a logprob-weighted judge's probabilities need
no special treatment: the guarantee holds for any distribution on [0, 1], and the bets read the
variance off the data.

What is covered. The guarantee is for the mean of the distribution the observations are drawn
from, independently: here a population of prompts (and judge draws), the same target the
bootstrap estimates. It is not the mean of exactly these 805 prompts (that would be sampling
without replacement, for which the paper has a variant that tightens as the pool runs out). The
prompt order must be independent of the outcomes, which the caller gets from `seeded_order`; a
fixed order sorted by anything related to quality (category, length, difficulty) voids it.

Computation. K+_t(m) is non-increasing and K-_t(m) non-decreasing in m (every factor is), so C_t
is an interval. It is evaluated on a grid of candidate means that includes 0 and 1 (where c/m or
c/(1-m) is infinite and the bet is just l_i) and any extra points (the gate adds its threshold,
so its decision is exact there). The reported bounds are rounded outwards to the nearest
excluded grid point, so the reported interval contains the exact one; with 2,001 points this
costs at most 0.0005. Excluded points are never updated again, so one update costs O(points
still in the interval).

The gate. `sequential_gate` stops with "fail" as soon as the whole CS lies below the threshold
(the threshold itself is excluded and high <= threshold), with "pass" as soon as it lies at or
above (low >= threshold), and if neither happens before the prompts run out it falls back to
the full-run answer (the bootstrap interval of every prompt, as `alpaca_bench.gate` decides).
At a true win rate on the threshold each early decision is wrong with probability at most
alpha/2 (each side is one of the two gamblers, each a test martingale on its own). The
fallback is a second test: the whole procedure's chance of a wrong "fail" is at most
alpha/2 + (1 - level)/2, 5% at the defaults, against 2.5% for the full run alone; that is the price
of stopping early with an unchanged full-run answer, and far below the naive rule's.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._bootstrap import CIMethod, bootstrap_ci

Decision = Literal["fail", "pass"]
DecidedBy = Literal["sequence", "full-run", "undecided"]

DEFAULT_GRID = 2001  # candidate means k/2000: resolution 0.0005
TRUNCATION = 0.5  # c in the bet l+(m) = min(l, c/m): factors never fall below 1 - c
_CHUNK_CELLS = 4096  # a batch advances ~this many (observation, point) cells at once: the interval
_MAX_CHUNK = 64  # shrinks fast, so batches start short and grow
FAIL, UNDECIDED, PASS = -1, 0, 1  # decision codes of `sequential_gate_paths`


@dataclass(frozen=True)
class SequencePath:
    """The confidence sequence after each observation: entry i is after i+1 observations."""

    n: NDArray[np.int64]
    mean: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    alpha: float

    @property
    def width(self) -> NDArray[np.float64]:
        return np.asarray(self.high - self.low, dtype=np.float64)


@dataclass(frozen=True)
class SequentialDecision:
    """What the sequential gate decided, after how many of the prompts, and on which interval.

    `decided_by` is "sequence" when the CS settled it after `n_used` prompts, "full-run" when it
    did not and the answer is the full-run gate's (then `n_used == n_total`), "undecided" when it
    did not and no generator was given for the fallback (`decision` is None only then).
    `low`/`high` are the CS at stopping (or at the end); `full_run_low`/`full_run_high` the bootstrap
    interval of the fallback, NaN when there was none.
    """

    decision: Decision | None
    decided_by: DecidedBy
    n_used: int
    n_total: int
    mean: float
    low: float
    high: float
    threshold: float
    alpha: float
    full_run_low: float = math.nan
    full_run_high: float = math.nan

    @property
    def fraction_used(self) -> float:
        return self.n_used / self.n_total


@dataclass(frozen=True)
class WidthStop:
    """Where the width rule stopped: the first n with high - low < `width`, or the end."""

    reached: bool
    n_used: int
    n_total: int
    mean: float
    low: float
    high: float
    width: float
    alpha: float


@dataclass(frozen=True)
class GatePaths:
    """The sequential gate on many sequences at once: per row, `decision` is FAIL (-1),
    PASS (1) or UNDECIDED (0), and `n_used` the observations it took (all of them if undecided)."""

    decision: NDArray[np.int8]
    n_used: NDArray[np.int64]

    @property
    def failed(self) -> NDArray[np.bool_]:
        return np.asarray(self.decision == FAIL)

    @property
    def passed(self) -> NDArray[np.bool_]:
        return np.asarray(self.decision == PASS)

    @property
    def undecided(self) -> NDArray[np.bool_]:
        return np.asarray(self.decision == UNDECIDED)


class ConfidenceSequence:
    """Hedged-capital betting CS for the mean of observations in [0, 1], updated one at a time.

    `points` are extra candidate means added to the grid of `grid_size` evenly spaced ones
    (0 and 1 included): a gate threshold among them is decided exactly.
    """

    def __init__(
        self,
        alpha: float = 0.05,
        grid_size: int = DEFAULT_GRID,
        points: ArrayLike = (),
        truncation: float = TRUNCATION,
    ) -> None:
        _check_alpha(alpha)
        if grid_size < 2:
            raise ValueError(f"grid_size must be at least 2 (the endpoints), got {grid_size}")
        if not 0.0 < truncation < 1.0:
            raise ValueError(f"truncation must be between 0 and 1, got {truncation}")
        extra = np.asarray(points, dtype=np.float64).ravel()
        if not np.all((extra >= 0.0) & (extra <= 1.0)):
            raise ValueError("extra grid points must lie in [0, 1]")
        self.alpha = alpha
        evenly = np.arange(grid_size, dtype=np.float64) / (grid_size - 1)  # k/(G-1) exactly: 0.7 is 0.7
        self._grid = np.unique(np.concatenate([evenly, extra]))
        self._cap_plus, self._cap_minus = _caps(self._grid, truncation)
        self._barrier = math.log(2.0 / alpha)
        self._bet_scale = 2.0 * math.log(2.0 / alpha)
        self._log_plus = np.zeros(self._grid.size)
        self._log_minus = np.zeros(self._grid.size)
        self._lo, self._hi = 0, self._grid.size - 1  # the grid points still in the interval
        self._n = 0
        self._sum = 0.0
        self._sum_sq = 0.0  # sum of (X_i - mu_i)^2, for the running variance of the bets
        self._exhausted = False

    @property
    def grid(self) -> NDArray[np.float64]:
        return self._grid.copy()

    @property
    def n(self) -> int:
        return self._n

    @property
    def mean(self) -> float:
        """The running mean (NaN before the first observation)."""
        return self._sum / self._n if self._n else math.nan

    @property
    def low(self) -> float:
        """Lower end: the largest excluded grid point below the interval (0 if none)."""
        return float(self._grid[self._lo - 1]) if self._lo > 0 else 0.0

    @property
    def high(self) -> float:
        """Upper end: the smallest excluded grid point above the interval (1 if none)."""
        return float(self._grid[self._hi + 1]) if self._hi + 1 < self._grid.size else 1.0

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def exhausted(self) -> bool:
        """True if at some point every remaining grid point was excluded at once (the data fit no
        single mean at this level: an event of probability at most alpha for i.i.d. data). The
        interval then keeps the least-rejected point instead of becoming empty."""
        return self._exhausted

    def excludes_below(self, m: float) -> bool:
        """Whether every mean <= `m` is excluded (the whole interval lies above `m`)."""
        return self._lo > 0 and m <= self._grid[self._lo - 1]

    def excludes_above(self, m: float) -> bool:
        """Whether every mean >= `m` is excluded (the whole interval lies below `m`)."""
        return self._hi + 1 < self._grid.size and m >= self._grid[self._hi + 1]

    def decide(self, threshold: float) -> Decision | None:
        """The gate's early decision now: "fail" if the interval lies below `threshold`, "pass" if
        at or above it, None while it straddles it. Exact when `threshold` is a grid point."""
        if self.excludes_above(threshold):
            return "fail"
        if self.excludes_below(threshold):
            return "pass"
        return None

    def update(self, x: float) -> None:
        """Add one observation in [0, 1]: O(points still in the interval)."""
        value = float(x)
        if not 0.0 <= value <= 1.0:
            _observations(np.array([value]))  # raises with the standard message
        t = self._n + 1
        variance_before = (0.25 + self._sum_sq) / t
        lam = math.sqrt(self._bet_scale / (variance_before * t * math.log1p(t)))
        self._n = t
        self._sum += value
        deviation_from_mean = value - (0.5 + self._sum) / (t + 1.0)
        self._sum_sq += deviation_from_mean * deviation_from_mean
        block = slice(self._lo, self._hi + 1)
        deviation = value - self._grid[block]
        log_plus = self._log_plus[block]  # views: updated in place
        log_minus = self._log_minus[block]
        log_plus += np.log1p(np.minimum(lam, self._cap_plus[block]) * deviation)
        log_minus += np.log1p(-np.minimum(lam, self._cap_minus[block]) * deviation)
        self._shrink(log_plus, log_minus, self._lo)

    def extend(self, xs: ArrayLike) -> None:
        """Add observations in order (the same result as updating one at a time, but batched)."""
        self._record(_observations(xs, allow_empty=True), None, None)

    def _record(
        self, xs: NDArray[np.float64], low: NDArray[np.float64] | None, high: NDArray[np.float64] | None
    ) -> None:
        """`extend`, writing the bounds after each observation into `low` and `high` if given."""
        start = 0
        while start < xs.size:
            size = self._hi + 1 - self._lo
            stop = min(xs.size, start + max(1, min(_MAX_CHUNK, _CHUNK_CELLS // size)))
            self._advance(
                xs[start:stop],
                None if low is None else low[start:stop],
                None if high is None else high[start:stop],
            )
            start = stop

    def _advance(
        self,
        xs: NDArray[np.float64],
        low: NDArray[np.float64] | None,
        high: NDArray[np.float64] | None,
    ) -> None:
        k = xs.size
        lam, self._sum, self._sum_sq = _bets(xs, self._n, self._sum, self._sum_sq, self.alpha)
        self._n += k
        first, last = self._lo, self._hi + 1
        deviation = xs[:, None] - self._grid[None, first:last]
        plus = np.log1p(np.minimum(lam[:, None], self._cap_plus[None, first:last]) * deviation)
        minus = np.log1p(-np.minimum(lam[:, None], self._cap_minus[None, first:last]) * deviation)
        log_plus = np.cumsum(np.vstack([self._log_plus[None, first:last], plus]), axis=0)[1:]
        log_minus = np.cumsum(np.vstack([self._log_minus[None, first:last], minus]), axis=0)[1:]
        for j in range(k):
            a, b = self._lo - first, self._hi + 1 - first
            self._shrink(log_plus[j, a:b], log_minus[j, a:b], self._lo)
            if low is not None and high is not None:
                low[j], high[j] = self.low, self.high
        self._log_plus[first:last] = log_plus[-1]
        self._log_minus[first:last] = log_minus[-1]

    def _shrink(self, log_plus: NDArray[np.float64], log_minus: NDArray[np.float64], offset: int) -> None:
        """Drop the points whose capital reached the barrier; `offset` is the grid index of
        element 0. By monotonicity they are a prefix and a suffix; keeping everything between the
        first and last survivor is conservative should rounding ever break that."""
        kept = np.flatnonzero((log_plus < self._barrier) & (log_minus < self._barrier))
        if kept.size:
            self._lo, self._hi = offset + int(kept[0]), offset + int(kept[-1])
        else:
            least = int(np.argmin(np.maximum(log_plus, log_minus)))
            self._lo = self._hi = offset + least
            self._exhausted = True


def confidence_sequence(
    preferences: ArrayLike,
    alpha: float = 0.05,
    grid_size: int = DEFAULT_GRID,
    points: ArrayLike = (),
) -> SequencePath:
    """The running-intersection CS after each observation, in the given order."""
    values = _observations(preferences)
    low = np.empty(values.size)
    high = np.empty(values.size)
    sequence = ConfidenceSequence(alpha, grid_size, points)
    sequence._record(values, low, high)
    n = np.arange(1, values.size + 1, dtype=np.int64)
    return SequencePath(n=n, mean=np.cumsum(values) / n, low=low, high=high, alpha=alpha)


def log_capital(
    paths: ArrayLike, m: float, alpha: float = 0.05, truncation: float = TRUNCATION
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """log K+_t(m) and log K-_t(m) after each observation of each row of `paths` (one sequence
    per row; a 1-D array is one sequence), vectorised over rows: the capital of the two gamblers
    at one candidate mean. `m` is excluded at t once either reaches log(2/alpha)."""
    _check_alpha(alpha)
    if not 0.0 <= m <= 1.0:
        raise ValueError(f"m must lie in [0, 1], got {m}")
    values = _observations(paths, two_d=True)
    lam = _bet_paths(values, alpha)
    cap_plus, cap_minus = _caps(np.array([m]), truncation)
    deviation = values - m
    log_plus = np.cumsum(np.log1p(np.minimum(lam, cap_plus[0]) * deviation), axis=1)
    log_minus = np.cumsum(np.log1p(-np.minimum(lam, cap_minus[0]) * deviation), axis=1)
    if np.ndim(paths) == 1:
        return log_plus[0], log_minus[0]
    return log_plus, log_minus


def ever_excludes(paths: ArrayLike, m: float, alpha: float = 0.05) -> NDArray[np.bool_]:
    """Per row: whether the CS excluded `m` after any observation (the running intersection
    excludes it at the end exactly then)."""
    log_plus, log_minus = log_capital(np.atleast_2d(np.asarray(paths, dtype=np.float64)), m, alpha)
    barrier = math.log(2.0 / alpha)
    return np.asarray((log_plus.max(axis=1) >= barrier) | (log_minus.max(axis=1) >= barrier))


def sequential_gate_paths(paths: ArrayLike, threshold: float, alpha: float = 0.05) -> GatePaths:
    """The sequential gate's early decision on each row of `paths` (vectorised for simulation).

    FAIL at the first t where K-_t(threshold) reaches 2/alpha (every mean >= threshold excluded),
    PASS at the first t where K+_t(threshold) does; if both happen at the same t (possible only
    when the data fit no mean) the larger capital decides.
    """
    values = _observations(paths, two_d=True)
    log_plus, log_minus = log_capital(values, threshold, alpha)
    barrier = math.log(2.0 / alpha)
    n = values.shape[1]
    never = n + 1
    fail_at = _first_true(log_minus >= barrier, never)
    pass_at = _first_true(log_plus >= barrier, never)
    rows = np.arange(values.shape[0])
    both = (fail_at == pass_at) & (fail_at < never)
    at = np.minimum(fail_at, n) - 1
    fail_wins = both & (log_minus[rows, at] >= log_plus[rows, at])
    decision = np.zeros(values.shape[0], dtype=np.int8)
    decision[(fail_at < pass_at) | fail_wins] = FAIL
    decision[(pass_at < fail_at) | (both & ~fail_wins)] = PASS
    n_used = np.where(decision == UNDECIDED, n, np.minimum(fail_at, pass_at)).astype(np.int64)
    return GatePaths(decision=decision, n_used=n_used)


def full_run_gate(
    preferences: ArrayLike,
    threshold: float,
    rng: np.random.Generator,
    level: float = 0.95,
    n_boot: int = 10_000,
    method: CIMethod = "bca",
) -> tuple[Decision, float, float]:
    """The fixed-n gate on every prompt, as `alpaca_bench.gate` decides in significance mode:
    "fail" iff the upper end of the bootstrap interval is below `threshold`. Returns the
    decision and the interval."""
    low, high = bootstrap_ci(_observations(preferences), rng, n_boot, level, method)
    return ("fail" if high < threshold else "pass"), low, high


def sequential_gate(
    preferences: ArrayLike,
    threshold: float = 0.5,
    alpha: float = 0.05,
    *,
    rng: np.random.Generator | None = None,
    n_boot: int = 10_000,
    method: CIMethod = "bca",
    grid_size: int = DEFAULT_GRID,
) -> SequentialDecision:
    """Read `preferences` in order and stop as soon as the (1 - alpha) CS is on one side of
    `threshold`: "fail" when it lies below, "pass" when at or above. If it never is, the answer is
    the full-run gate's on all of them (bootstrap at level 1 - alpha, drawn from `rng`); without
    `rng` the result is "undecided" and the fallback is the caller's."""
    _check_threshold(threshold)
    values = _observations(preferences)
    gate = sequential_gate_paths(values[None, :], threshold, alpha)
    n_used = int(gate.n_used[0])
    sequence = ConfidenceSequence(alpha, grid_size, points=[threshold])
    sequence.extend(values[:n_used])

    def result(decision: Decision | None, by: DecidedBy, full: tuple[float, float]) -> SequentialDecision:
        return SequentialDecision(
            decision=decision,
            decided_by=by,
            n_used=n_used,
            n_total=values.size,
            mean=sequence.mean,
            low=sequence.low,
            high=sequence.high,
            threshold=threshold,
            alpha=alpha,
            full_run_low=full[0],
            full_run_high=full[1],
        )

    code = int(gate.decision[0])
    if code != UNDECIDED:
        return result("fail" if code == FAIL else "pass", "sequence", (math.nan, math.nan))
    if rng is None:
        return result(None, "undecided", (math.nan, math.nan))
    decision, full_low, full_high = full_run_gate(values, threshold, rng, 1.0 - alpha, n_boot, method)
    return result(decision, "full-run", (full_low, full_high))


def width_stop(
    preferences: ArrayLike, width: float, alpha: float = 0.05, grid_size: int = DEFAULT_GRID
) -> WidthStop:
    """Read `preferences` in order and stop as soon as the CS is narrower than `width`
    (`compare --stop-when-decided --ci-width W`). Valid at that data-dependent n because the CS
    covers at every n at once."""
    if not width > 0.0:
        raise ValueError(f"width must be positive, got {width}")
    values = _observations(preferences)
    path = confidence_sequence(values, alpha, grid_size)
    narrow = np.flatnonzero(path.width < width)
    stop = int(narrow[0]) if narrow.size else values.size - 1
    return WidthStop(
        reached=bool(narrow.size),
        n_used=stop + 1,
        n_total=values.size,
        mean=float(path.mean[stop]),
        low=float(path.low[stop]),
        high=float(path.high[stop]),
        width=width,
        alpha=alpha,
    )


def seeded_order(ids: Sequence[str], seed: int) -> list[int]:
    """A shuffled order of `ids` (indices into it), fixed by `seed`.

    A prompt's place depends only on its id and the seed (ids are sorted by a SHA-256 of both),
    so the order does not depend on how the caller listed the prompts, and adding or removing
    prompts does not reorder the others: a resumed or extended run judges the same prefix. The
    order is independent of the outcomes, which is what the CS needs.
    """
    if len(set(ids)) != len(ids):
        raise ValueError("prompt ids must be unique to be ordered")
    keys = [hashlib.sha256(f"{seed}\x00{prompt_id}".encode()).digest() for prompt_id in ids]
    return sorted(range(len(ids)), key=keys.__getitem__)


def _bets(
    xs: NDArray[np.float64], n: int, total: float, sum_sq: float, alpha: float
) -> tuple[NDArray[np.float64], float, float]:
    """Bets for the next observations `xs` after n seen (running sum `total` and squared
    deviations `sum_sq`), and the sums after them. Sums run sequentially, as one update at a time
    would, so batched and single updates agree to the bit."""
    t = n + 1 + np.arange(xs.size, dtype=np.float64)
    sums = np.cumsum(np.concatenate([[total], xs]))[1:]
    running_mean = (0.5 + sums) / (t + 1.0)
    squares = np.cumsum(np.concatenate([[sum_sq], (xs - running_mean) ** 2]))[1:]
    variance_before = (0.25 + np.concatenate([[sum_sq], squares[:-1]])) / t
    lam = np.sqrt(2.0 * math.log(2.0 / alpha) / (variance_before * t * np.log1p(t)))
    return lam, float(sums[-1]), float(squares[-1])


def _bet_paths(values: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
    """`_bets` for every row from the start, vectorised over rows (same arithmetic)."""
    rows, n = values.shape
    t = np.arange(1, n + 1, dtype=np.float64)
    sums = np.cumsum(np.hstack([np.zeros((rows, 1)), values]), axis=1)[:, 1:]
    running_mean = (0.5 + sums) / (t + 1.0)
    deviations = (values - running_mean) ** 2
    squares = np.cumsum(np.hstack([np.zeros((rows, 1)), deviations]), axis=1)
    variance_before = (0.25 + squares[:, :-1]) / t
    return np.asarray(np.sqrt(2.0 * math.log(2.0 / alpha) / (variance_before * t * np.log1p(t))))


def _caps(grid: NDArray[np.float64], truncation: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """c/m and c/(1-m), infinite at the endpoints (there the bet is not truncated by m)."""
    with np.errstate(divide="ignore"):
        return truncation / grid, truncation / (1.0 - grid)


def _first_true(mask: NDArray[np.bool_], never: int) -> NDArray[np.int64]:
    """1-based index of the first True per row, `never` where there is none."""
    hit = mask.any(axis=1)
    return np.where(hit, mask.argmax(axis=1) + 1, never).astype(np.int64)


def _observations(values: ArrayLike, two_d: bool = False, allow_empty: bool = False) -> NDArray[np.float64]:
    data = np.asarray(values, dtype=np.float64)
    data = np.atleast_2d(data) if two_d else data.ravel()
    if two_d and data.ndim != 2:
        raise ValueError(f"expected one sequence per row (a 2-D array), got shape {data.shape}")
    if data.size == 0 and not allow_empty:
        raise ValueError("no preferences to monitor")
    outside = ~((data >= 0.0) & (data <= 1.0))  # NaN counts as outside
    if np.any(outside):
        where = np.argwhere(outside)[0]
        position = int(where[-1]) if two_d else int(where[0])
        value = float(data[tuple(where)])
        raise ValueError(
            f"preferences must lie in [0, 1] (candidate-centric, tie = 0.5); got {value!r} at "
            f"position {position} (drop unscored judgments before monitoring)"
        )
    return data


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")


def _check_threshold(threshold: float) -> None:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
