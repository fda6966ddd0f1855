"""Length-controlled win rate: the win rate a candidate would have if its outputs were as long
as the baseline's.

Judges favour longer answers, so a raw win rate rewards verbosity. The model, per comparison m
and prompt i, is

    P(candidate wins) = sigmoid(bias_m + theta_m * tanh(length_diff_mi / scale) + difficulty_i)

with `length_diff` the candidate's output length minus the baseline's (characters), `scale`
the spread of all length differences in the fit, and `difficulty_i` shared by every
comparison in the fit. Difficulties are estimated jointly from all comparisons given (all
candidates judged against one baseline by one judge on one eval set), with a ridge penalty
that acts as a standard-normal prior and pins their level; that is what lets it work on any
eval set, where AlpacaEval downloads a fixed difficulty vector for its own 805 prompts. The
length-controlled win rate is the model's mean prediction over the comparison's prompts with
the length difference set to zero.

Fractional preferences (ties 0.5, weighted judges) enter the likelihood as soft labels. The
bootstrap resamples prompts and refits bias and theta with the difficulties held at their
joint estimate, so its interval is conditional on them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import expit

from ._bootstrap import percentile_interval

logger = logging.getLogger(__name__)

Array = NDArray[np.float64]

DIFFICULTY_RIDGE = 1.0
LENGTH_RIDGE = 1e-3  # only decides the split when length and bias cannot be told apart
_MAX_STEP = 5.0
_CHUNK_CELLS = 1 << 20


@dataclass(frozen=True)
class LengthComparison:
    """One candidate against one baseline: a preference and both output lengths per prompt."""

    name: str
    prompt_ids: Sequence[str]
    preferences: ArrayLike
    candidate_lengths: ArrayLike
    baseline_lengths: ArrayLike


@dataclass(frozen=True)
class LengthControlled:
    name: str
    n: int
    win_rate: float
    length_controlled_win_rate: float
    ci_low: float
    ci_high: float
    ci_level: float
    n_boot: int
    length_coefficient: float
    bias: float


@dataclass(frozen=True)
class LengthModel:
    """The joint fit: per-comparison bias and length coefficient, per-prompt difficulty."""

    names: list[str]
    bias: Array
    length_coefficient: Array
    difficulty: dict[str, float]
    scale: float


@dataclass(frozen=True)
class _Design:
    """Comparisons × prompts matrices; `mask` says which comparison judged which prompt."""

    prompts: list[str]
    preference: Array
    feature: Array
    mask: NDArray[np.bool_]


def fit_length_model(
    comparisons: Sequence[LengthComparison], difficulty_ridge: float = DIFFICULTY_RIDGE
) -> LengthModel:
    """Joint maximum (penalised) likelihood fit of all comparisons."""
    return _fit(comparisons, difficulty_ridge)[0]


def _fit(
    comparisons: Sequence[LengthComparison], difficulty_ridge: float
) -> tuple[LengthModel, _Design, Array]:
    """The model, its design matrices and the difficulty of each design column."""
    design = _design(comparisons)
    m, p = design.mask.shape
    weight = design.mask.astype(np.float64)

    def objective(params: Array) -> tuple[float, Array]:
        difficulty, bias, theta = params[:p], params[p : p + m], params[p + m :]
        eta = bias[:, None] + theta[:, None] * design.feature + difficulty[None, :]
        loss = weight * (np.logaddexp(0.0, eta) - design.preference * eta)
        residual = weight * (expit(eta) - design.preference)
        value = (
            loss.sum() + 0.5 * difficulty_ridge * difficulty @ difficulty + 0.5 * LENGTH_RIDGE * theta @ theta
        )
        grad = np.concatenate(
            [
                residual.sum(axis=0) + difficulty_ridge * difficulty,
                residual.sum(axis=1),
                (residual * design.feature).sum(axis=1) + LENGTH_RIDGE * theta,
            ]
        )
        return float(value), grad

    start = np.zeros(p + 2 * m)
    result = minimize(
        objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 20_000, "gtol": 1e-9}
    )
    if not result.success:
        logger.debug("length-control fit stopped early: %s", result.message)
    difficulty = result.x[:p]
    bias, theta = result.x[p : p + m].copy(), result.x[p + m :].copy()
    for index in range(m):  # polish each comparison's pair exactly, difficulties fixed
        sel = design.mask[index]
        y, x, d = design.preference[index, sel], design.feature[index, sel], difficulty[sel]
        b, t = _newton(np.ones((1, y.size)), y, x, d, np.array([bias[index]]), np.array([theta[index]]))
        bias[index], theta[index] = b[0], t[0]
    model = LengthModel(
        names=[c.name for c in comparisons],
        bias=bias,
        length_coefficient=theta,
        difficulty=dict(zip(design.prompts, difficulty.tolist(), strict=True)),
        scale=_scale_of(comparisons),
    )
    return model, design, difficulty


def length_controlled_win_rates(
    comparisons: Sequence[LengthComparison],
    rng: np.random.Generator,
    n_boot: int = 1_000,
    level: float = 0.95,
    difficulty_ridge: float = DIFFICULTY_RIDGE,
) -> list[LengthControlled]:
    """Length-controlled win rate of every comparison, difficulties estimated from all of them."""
    model, design, difficulty = _fit(comparisons, difficulty_ridge)
    results = []
    for index, comparison in enumerate(comparisons):
        sel = design.mask[index]
        y = design.preference[index, sel]
        controlled = float(expit(model.bias[index] + difficulty[sel]).mean())
        low = high = float("nan")
        if n_boot > 0:
            draws = _bootstrap(
                y,
                design.feature[index, sel],
                difficulty[sel],
                model.bias[index],
                model.length_coefficient[index],
                rng,
                n_boot,
            )
            low, high = percentile_interval(draws, level)
        results.append(
            LengthControlled(
                name=comparison.name,
                n=int(y.size),
                win_rate=float(y.mean()),
                length_controlled_win_rate=controlled,
                ci_low=low,
                ci_high=high,
                ci_level=level,
                n_boot=n_boot,
                length_coefficient=float(model.length_coefficient[index]),
                bias=float(model.bias[index]),
            )
        )
    return results


def length_controlled_win_rate(
    comparison: LengthComparison,
    rng: np.random.Generator,
    *,
    context: Sequence[LengthComparison] = (),
    n_boot: int = 1_000,
    level: float = 0.95,
    difficulty_ridge: float = DIFFICULTY_RIDGE,
) -> LengthControlled:
    """One comparison's length-controlled win rate; `context` holds the other comparisons on
    the same eval set, baseline and judge, which sharpen the prompt difficulties."""
    return length_controlled_win_rates([comparison, *context], rng, n_boot, level, difficulty_ridge)[0]


def _bootstrap(
    y: Array, x: Array, offsets: Array, bias: float, theta: float, rng: np.random.Generator, n_boot: int
) -> Array:
    n = y.size
    draws = np.empty(n_boot)
    rows = max(1, _CHUNK_CELLS // n)
    for start in range(0, n_boot, rows):
        stop = min(n_boot, start + rows)
        rows_now = stop - start
        index = rng.integers(0, n, size=(rows_now, n)) + (np.arange(rows_now) * n)[:, None]
        counts = np.bincount(index.ravel(), minlength=rows_now * n).reshape(rows_now, n).astype(np.float64)
        b, _ = _newton(counts, y, x, offsets, np.full(rows_now, bias), np.full(rows_now, theta), 1e-3)
        draws[start:stop] = (counts * expit(b[:, None] + offsets[None, :])).sum(axis=1) / n
    return draws


def _newton(
    weights: Array,
    y: Array,
    x: Array,
    offsets: Array,
    bias: Array,
    theta: Array,
    tolerance: float = 1e-9,
) -> tuple[Array, Array]:
    """Fit (bias, theta) of a weighted logistic model with fixed offsets, one row of `weights`
    per fit, all rows at once (2×2 Newton steps, bounded so separated data cannot blow up).

    Convergence is quadratic, so stopping once a step is below `tolerance` leaves an error of
    order `tolerance`²: the bootstrap, which starts next to the answer, can afford 1e-3."""
    bias, theta = bias.astype(np.float64).copy(), theta.astype(np.float64).copy()
    moments = np.stack([np.ones_like(x), x, x * x], axis=1)  # row sums via one matrix product
    weighted_y = weights @ y
    weighted_xy = weights @ (x * y)
    for _ in range(60):
        prob = expit(bias[:, None] + theta[:, None] * x[None, :] + offsets[None, :])
        weighted = weights * prob
        first = weighted @ moments[:, :2]
        g1 = first[:, 0] - weighted_y
        g2 = first[:, 1] - weighted_xy + LENGTH_RIDGE * theta
        weighted *= 1.0 - prob
        second = weighted @ moments
        h11, h12, h22 = second[:, 0] + 1e-12, second[:, 1], second[:, 2] + LENGTH_RIDGE
        det = h11 * h22 - h12 * h12
        step_b = np.clip((h22 * g1 - h12 * g2) / det, -_MAX_STEP, _MAX_STEP)
        step_t = np.clip((h11 * g2 - h12 * g1) / det, -_MAX_STEP, _MAX_STEP)
        bias -= step_b
        theta -= step_t
        if max(np.abs(step_b).max(), np.abs(step_t).max()) < tolerance:
            break
    return bias, theta


def _scale_of(comparisons: Sequence[LengthComparison]) -> float:
    diffs = np.concatenate(
        [
            np.asarray(c.candidate_lengths, dtype=np.float64)
            - np.asarray(c.baseline_lengths, dtype=np.float64)
            for c in comparisons
        ]
    )
    spread = float(diffs.std()) if diffs.size else 0.0
    return spread if spread > 0.0 and np.isfinite(spread) else 1.0


def _design(comparisons: Sequence[LengthComparison]) -> _Design:
    if not comparisons:
        raise ValueError("no comparisons to fit")
    prompts = sorted({p for c in comparisons for p in c.prompt_ids})
    column = {p: j for j, p in enumerate(prompts)}
    scale = _scale_of(comparisons)
    shape = (len(comparisons), len(prompts))
    preference, feature, mask = np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=bool)
    for row, comparison in enumerate(comparisons):
        ids, y, diff = _checked(comparison)
        cols = np.array([column[p] for p in ids], dtype=np.intp)
        preference[row, cols] = y
        feature[row, cols] = np.tanh(diff / scale)
        mask[row, cols] = True
    return _Design(prompts, preference, feature, mask)


def _checked(comparison: LengthComparison) -> tuple[list[str], Array, Array]:
    ids = list(comparison.prompt_ids)
    y = np.asarray(comparison.preferences, dtype=np.float64).ravel()
    cand = np.asarray(comparison.candidate_lengths, dtype=np.float64).ravel()
    base = np.asarray(comparison.baseline_lengths, dtype=np.float64).ravel()
    if not ids:
        raise ValueError(f"{comparison.name}: no prompts")
    if not len(ids) == y.size == cand.size == base.size:
        raise ValueError(f"{comparison.name}: prompt ids, preferences and lengths differ in size")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{comparison.name}: one preference per prompt expected (average repeats first)")
    if not np.all((y >= 0.0) & (y <= 1.0)):
        raise ValueError(f"{comparison.name}: preferences must lie in [0, 1]")
    if not (np.all(np.isfinite(cand)) and np.all(np.isfinite(base))):
        raise ValueError(f"{comparison.name}: lengths must be finite")
    return ids, y, cand - base
