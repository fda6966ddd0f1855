"""Agreement between two sets of judgments of the same pairs (judge–human, human–human,
judge–judge), and how often a judge keeps its verdict when the outputs swap places.

Preferences are compared as verdict classes: loss (< 0.5), tie (exactly 0.5), win (> 0.5).
"With ties" counts agreement over every pair and three classes; "without ties" keeps only the
pairs on which neither side called a tie, the figure most papers quote. Cohen's kappa is over
the three classes and all pairs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..records import Judgment

LOSS, TIE, WIN = -1, 0, 1
_CLASSES = (LOSS, TIE, WIN)

PairKey = tuple[str, str, str]  # (prompt_id, baseline, candidate)


@dataclass(frozen=True)
class Agreement:
    n: int
    agreement_with_ties: float
    n_without_ties: int
    agreement_without_ties: float
    kappa: float
    confusion: list[list[int]]  # rows: first set's loss/tie/win, columns: second set's


@dataclass(frozen=True)
class MajorityAccuracy:
    """How often a judge matches the human majority; items without a strict majority are left out."""

    accuracy: float
    n: int
    n_without_majority: int


def verdict_classes(preferences: ArrayLike) -> NDArray[np.int64]:
    values = np.asarray(preferences, dtype=np.float64)
    if not np.all((values >= 0.0) & (values <= 1.0)):
        raise ValueError("preferences must lie in [0, 1]")
    return np.sign(values - 0.5).astype(np.int64)


def cohen_kappa(first: ArrayLike, second: ArrayLike) -> float:
    """Cohen's kappa of two label arrays; NaN when chance agreement is already perfect."""
    x, y = np.asarray(first).ravel(), np.asarray(second).ravel()
    if x.size != y.size or x.size == 0:
        raise ValueError("kappa needs two non-empty label arrays of the same length")
    observed = float(np.mean(x == y))
    labels = np.union1d(x, y)
    expected = float(sum(np.mean(x == label) * np.mean(y == label) for label in labels))
    if expected >= 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


def agreement(first: ArrayLike, second: ArrayLike) -> Agreement:
    """Agreement of two aligned arrays of candidate-centric preferences."""
    a, b = verdict_classes(first).ravel(), verdict_classes(second).ravel()
    if a.size != b.size or a.size == 0:
        raise ValueError("agreement needs two non-empty preference arrays of the same length")
    decided = (a != TIE) & (b != TIE)
    confusion = [[int(np.sum((a == i) & (b == j))) for j in _CLASSES] for i in _CLASSES]
    return Agreement(
        n=int(a.size),
        agreement_with_ties=float(np.mean(a == b)),
        n_without_ties=int(decided.sum()),
        agreement_without_ties=float(np.mean(a[decided] == b[decided])) if decided.any() else math.nan,
        kappa=cohen_kappa(a, b),
        confusion=confusion,
    )


def position_consistency(baseline_first: ArrayLike, candidate_first: ArrayLike) -> float:
    """Share of prompts whose verdict class is the same in both presentation orders (both
    arrays candidate-centric, aligned by prompt)."""
    a, b = verdict_classes(baseline_first).ravel(), verdict_classes(candidate_first).ravel()
    if a.size != b.size or a.size == 0:
        raise ValueError("position consistency needs aligned, non-empty arrays")
    return float(np.mean(a == b))


def position_consistency_of(judgments: Iterable[Judgment]) -> float | None:
    """Position consistency over the pairs judged in both orders (by the same judge and rater);
    None when no pair was."""
    orders: dict[tuple[Hashable, ...], dict[str, float]] = defaultdict(dict)
    for j in judgments:
        if j.preference is not None:
            key = (j.prompt_id, j.baseline, j.candidate, j.judge.name, j.rater)
            orders[key][j.first_shown] = j.preference
    both = [v for v in orders.values() if len(v) == 2]
    if not both:
        return None
    return position_consistency([v["baseline"] for v in both], [v["candidate"] for v in both])


def match_judgments(
    first: Iterable[Judgment], second: Iterable[Judgment]
) -> tuple[list[PairKey], NDArray[np.float64], NDArray[np.float64]]:
    """Pairs (prompt, baseline, candidate) scored in both sets, with each set's mean preference
    per pair (both orders and several raters averaged), ready for `agreement`."""
    a, b = _mean_by_pair(first), _mean_by_pair(second)
    keys = sorted(set(a) & set(b))
    return keys, np.array([a[k] for k in keys]), np.array([b[k] for k in keys])


def majority_accuracy(judge: ArrayLike, humans: ArrayLike) -> MajorityAccuracy:
    """Accuracy of `judge` (n preferences) against the majority class of `humans` (n × raters,
    NaN where a rater did not rate the item)."""
    verdicts = verdict_classes(judge).ravel()
    ratings = np.atleast_2d(np.asarray(humans, dtype=np.float64))
    if ratings.shape[0] != verdicts.size:
        raise ValueError("humans must have one row per judged item")
    rated = ~np.isnan(ratings)
    classes = np.sign(np.where(rated, ratings, 0.5) - 0.5)
    votes = np.stack([np.sum(rated & (classes == c), axis=1) for c in _CLASSES], axis=1)
    top = votes.max(axis=1)
    unique = (votes == top[:, None]).sum(axis=1) == 1
    usable = unique & (top > 0)
    majority = np.array(_CLASSES)[votes.argmax(axis=1)]
    n = int(usable.sum())
    accuracy = float(np.mean(verdicts[usable] == majority[usable])) if n else math.nan
    return MajorityAccuracy(accuracy=accuracy, n=n, n_without_majority=int(verdicts.size - n))


def _mean_by_pair(judgments: Iterable[Judgment]) -> dict[PairKey, float]:
    grouped: dict[PairKey, list[float]] = defaultdict(list)
    for j in judgments:
        if j.preference is not None:
            grouped[(j.prompt_id, j.baseline, j.candidate)].append(j.preference)
    return {k: float(np.mean(v)) for k, v in grouped.items()}
