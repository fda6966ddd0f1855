"""Bradley–Terry ratings of many models from all their pairwise judgments.

P(b beats a) = sigmoid(r_b − r_a). Preferences are soft labels (a tie is half a win each way),
so the fit is the maximum-likelihood estimate with ties as half. Ratings are anchored: the
anchor model sits at `anchor_rating` and the rest are on the natural log-odds scale times
`scale` (400 / ln 10 gives Elo points). A small ridge on the centred ratings keeps a model that
won or lost every comparison finite without depending on which model is the anchor.

Confidence intervals come from resampling prompts (every judgment of a drawn prompt comes
along, so judgments that share a prompt stay together). Judgments are first summed per
(prompt, pair), which makes each bootstrap round a sparse matrix product plus a Newton fit on
the distinct pairs, independent of the number of judgments. A model's rank is 1 + the number
of models significantly better than it, where "significantly better" means the bootstrap
interval of the rating difference lies wholly above zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.special import expit

from ..records import Judgment

Array = NDArray[np.float64]

RIDGE = 1e-3
_TOLERANCE = 1e-10


@dataclass(frozen=True)
class BradleyTerryResult:
    names: list[str]
    ratings: Array
    ci_low: Array
    ci_high: Array
    rank: NDArray[np.int64]
    anchor: str
    scale: float
    level: float
    n_boot: int

    def rows(self) -> list[dict[str, Any]]:
        """One dict per model, best first."""
        order = np.lexsort((-self.ratings, self.rank))
        return [
            {
                "model": self.names[i],
                "rating": float(self.ratings[i]),
                "ci_low": float(self.ci_low[i]),
                "ci_high": float(self.ci_high[i]),
                "rank": int(self.rank[i]),
            }
            for i in order
        ]


@dataclass(frozen=True)
class _Pairs:
    """Distinct model pairs (lo < hi) and per-prompt sums: wins of `hi`, and judgment counts."""

    lo: NDArray[np.intp]
    hi: NDArray[np.intp]
    wins: sparse.csr_matrix
    counts: sparse.csr_matrix


def bradley_terry(
    model_a: ArrayLike,
    model_b: ArrayLike,
    preference_b: ArrayLike,
    prompts: ArrayLike,
    names: Sequence[str],
    rng: np.random.Generator,
    *,
    n_boot: int = 100,
    level: float = 0.95,
    anchor: str | None = None,
    anchor_rating: float = 0.0,
    scale: float = 1.0,
    ridge: float = RIDGE,
) -> BradleyTerryResult:
    """Ratings from judgments in long format: judgment k compared model `model_a[k]` with
    `model_b[k]` (indices into `names`) on prompt `prompts[k]` and preferred b with
    `preference_b[k]` in [0, 1]. `anchor` defaults to the first name."""
    a, b, pref, prompt_index = _long_format(model_a, model_b, preference_b, prompts, len(names))
    anchor_name = names[0] if anchor is None else anchor
    if anchor_name not in names:
        raise ValueError(f"anchor {anchor_name!r} is not one of the models")
    anchor_index = list(names).index(anchor_name)
    pairs = _pairs(a, b, pref, prompt_index, len(names))
    n_prompts = pairs.wins.shape[0]
    full = np.ones(n_prompts)
    ratings = _fit(pairs, full, len(names), anchor_index, ridge)
    boot = np.empty((n_boot, len(names)))
    for round_ in range(n_boot):
        weights = np.bincount(rng.integers(0, n_prompts, size=n_prompts), minlength=n_prompts)
        boot[round_] = _fit(pairs, weights.astype(np.float64), len(names), anchor_index, ridge, start=ratings)
    tail = (1.0 - level) / 2.0
    if n_boot > 0:
        ci_low, ci_high = np.quantile(boot, [tail, 1.0 - tail], axis=0)
    else:
        ci_low = ci_high = np.full(len(names), np.nan)
    return BradleyTerryResult(
        names=list(names),
        ratings=anchor_rating + scale * ratings,
        ci_low=anchor_rating + scale * ci_low,
        ci_high=anchor_rating + scale * ci_high,
        rank=_ranks(ratings, boot, tail),
        anchor=anchor_name,
        scale=scale,
        level=level,
        n_boot=n_boot,
    )


def bradley_terry_from_judgments(
    judgments: Iterable[Judgment], rng: np.random.Generator, **options: Any
) -> BradleyTerryResult:
    """`bradley_terry` over judgment records (baseline = a, candidate = b); unscored ones are
    skipped. Models are named in sorted order unless `names` is given in `options`."""
    scored = [j for j in judgments if j.preference is not None]
    if not scored:
        raise ValueError("no scored judgments")
    names = list(options.pop("names", sorted({j.baseline for j in scored} | {j.candidate for j in scored})))
    index = {name: i for i, name in enumerate(names)}
    return bradley_terry(
        [index[j.baseline] for j in scored],
        [index[j.candidate] for j in scored],
        [float(j.preference or 0.0) for j in scored],
        [j.prompt_id for j in scored],
        names,
        rng,
        **options,
    )


def _ranks(ratings: Array, boot: Array, tail: float) -> NDArray[np.int64]:
    if boot.shape[0] == 0:
        better = ratings[None, :] > ratings[:, None]
    else:
        lower = np.quantile(boot[:, None, :] - boot[:, :, None], tail, axis=0)
        better = lower > 0.0  # better[i, j]: model j significantly above model i
    ranks: NDArray[np.int64] = (1 + better.sum(axis=1)).astype(np.int64)
    return ranks


def _fit(
    pairs: _Pairs,
    prompt_weights: Array,
    n_models: int,
    anchor: int,
    ridge: float,
    start: Array | None = None,
) -> Array:
    """Penalised maximum likelihood by Newton's method with step halving; anchor fixed at 0."""
    wins = pairs.wins.T @ prompt_weights
    counts = pairs.counts.T @ prompt_weights
    free = np.arange(n_models) != anchor
    ratings = np.zeros(n_models) if start is None else start.copy()

    def loss(r: Array) -> float:
        eta = r[pairs.hi] - r[pairs.lo]
        centred = r - r.mean()
        return float(np.sum(counts * np.logaddexp(0.0, eta) - wins * eta) + 0.5 * ridge * centred @ centred)

    current = loss(ratings)
    for _ in range(100):
        prob = expit(ratings[pairs.hi] - ratings[pairs.lo])
        resid = counts * prob - wins
        grad = (
            np.bincount(pairs.hi, resid, n_models)
            - np.bincount(pairs.lo, resid, n_models)
            + ridge * (ratings - ratings.mean())
        )
        curv = counts * prob * (1.0 - prob)
        hess = _laplacian(pairs, curv, n_models) + ridge * (np.eye(n_models) - 1.0 / n_models)
        step = np.zeros(n_models)
        step[free] = np.linalg.solve(hess[np.ix_(free, free)], grad[free])
        size = 1.0
        while True:
            candidate = ratings - size * step
            value = loss(candidate)
            if value <= current or size < 1e-6:
                break
            size /= 2.0
        ratings, improvement, current = candidate, current - value, value
        if np.abs(size * step).max() < _TOLERANCE or improvement < 1e-13 * max(1.0, abs(current)):
            break
    return ratings


def _laplacian(pairs: _Pairs, weight: Array, n_models: int) -> Array:
    flat = np.zeros(n_models * n_models)
    np.add.at(flat, pairs.lo * n_models + pairs.lo, weight)
    np.add.at(flat, pairs.hi * n_models + pairs.hi, weight)
    np.add.at(flat, pairs.lo * n_models + pairs.hi, -weight)
    np.add.at(flat, pairs.hi * n_models + pairs.lo, -weight)
    return flat.reshape(n_models, n_models)


def _pairs(
    a: NDArray[np.intp], b: NDArray[np.intp], pref: Array, prompts: NDArray[np.intp], n_models: int
) -> _Pairs:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    hi_wins = np.where(b == hi, pref, 1.0 - pref)
    keys, pair_index = np.unique(lo * n_models + hi, return_inverse=True)
    n_prompts = int(prompts.max()) + 1
    shape = (n_prompts, keys.size)
    wins = sparse.csr_matrix((hi_wins, (prompts, pair_index)), shape=shape)
    counts = sparse.csr_matrix((np.ones_like(hi_wins), (prompts, pair_index)), shape=shape)
    return _Pairs((keys // n_models).astype(np.intp), (keys % n_models).astype(np.intp), wins, counts)


def _long_format(
    model_a: ArrayLike, model_b: ArrayLike, preference_b: ArrayLike, prompts: ArrayLike, n_models: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], Array, NDArray[np.intp]]:
    a = np.asarray(model_a, dtype=np.intp).ravel()
    b = np.asarray(model_b, dtype=np.intp).ravel()
    pref = np.asarray(preference_b, dtype=np.float64).ravel()
    prompt_keys = np.asarray(prompts).ravel()
    if not a.size == b.size == pref.size == prompt_keys.size:
        raise ValueError("model_a, model_b, preference_b and prompts must have one entry per judgment")
    if a.size == 0:
        raise ValueError("no judgments")
    if min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n_models:
        raise ValueError("model indices must point into names")
    if np.any(a == b):
        raise ValueError("a model cannot be compared with itself")
    if not np.all((pref >= 0.0) & (pref <= 1.0)):
        raise ValueError("preferences must lie in [0, 1]")
    _, prompt_index = np.unique(prompt_keys, return_inverse=True)
    return a, b, pref, prompt_index.astype(np.intp).ravel()
