"""How far each judge of an eval set can be trusted: the leaderboard's Judges page.

Agreement between every two judges (people pooled as `human`, and each pair of raters), how
often a judge keeps its verdict when the outputs swap places, and how its win rates move with
the length difference of the outputs (length bias). All figures come from `stats`; this module
only gathers the judgments of an eval set from the results index.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from alpaca_bench.records import HUMAN, Judgment
from alpaca_bench.stats import agreement, match_judgments, per_prompt_preferences, position_consistency_of

from ._index import ResultsIndex

Row = dict[str, Any]
LENGTH_BINS = 10
MIN_BIN = 10  # prompts per bin at least: fewer make a bin's win rate swing from 0 to 1
Z_95 = 1.959963984540054


def agreement_rows(index: ResultsIndex, eval_set: str) -> list[Row]:
    """Judge–judge, judge–human and human–human (rater pairs) agreement on shared pairs."""
    groups = _judgments_by_judge(index, eval_set)
    raters: dict[str, list[Judgment]] = defaultdict(list)
    for j in groups.get(HUMAN, []):
        raters[f"{HUMAN}:{j.rater or '?'}"].append(j)
    rows = [_agreement_row(a, b, groups[a], groups[b]) for a, b in combinations(sorted(groups), 2)]
    if len(raters) > 1:
        rows += [_agreement_row(a, b, raters[a], raters[b]) for a, b in combinations(sorted(raters), 2)]
    return [row for row in rows if row is not None]


def _agreement_row(first: str, second: str, a: Sequence[Judgment], b: Sequence[Judgment]) -> Row | None:
    keys, x, y = match_judgments(a, b)
    if not keys:
        return None
    result = agreement(x, y)
    people = sum(name.startswith(HUMAN) for name in (first, second))
    return {
        "kind": ("judge–judge", "judge–human", "human–human")[people],
        "first": first,
        "second": second,
        "n": result.n,
        "agreement_with_ties": result.agreement_with_ties,
        "n_without_ties": result.n_without_ties,
        "agreement_without_ties": _finite(result.agreement_without_ties),
        "kappa": _finite(result.kappa),
    }


def position_consistency_rows(index: ResultsIndex, eval_set: str) -> list[Row]:
    """Per LLM judge: the share of pairs judged in both orders whose verdict survived the swap."""
    rows = []
    for judge, judgments in sorted(_judgments_by_judge(index, eval_set).items()):
        if judge == HUMAN:
            continue
        comparisons = index.select(eval_set, judge)
        both = [c for c in comparisons if position_consistency_of(c.judgments) is not None]
        rows.append(
            {
                "judge": judge,
                "position_consistency": position_consistency_of(judgments),
                "comparisons": len(comparisons),
                "comparisons_in_both_orders": len(both),
                "judgments": len(judgments),
            }
        )
    return rows


def length_bias_points(index: ResultsIndex, eval_set: str) -> list[Row]:
    """One point per comparison: mean length difference (candidate − baseline, characters) and
    the win rate, which is what a length-biased judge makes slope upwards."""
    rows = []
    for c in index.comparisons:
        s = c.summary
        if c.eval_set != eval_set or s.win_rate is None:
            continue
        if s.avg_length_candidate is None or s.avg_length_baseline is None:
            continue
        rows.append(
            {
                "judge": c.judge,
                "model": c.candidate,
                "baseline": c.baseline,
                "length_difference": s.avg_length_candidate - s.avg_length_baseline,
                "win_rate": s.win_rate,
                "n": s.n,
            }
        )
    return rows


def length_bias_bins(index: ResultsIndex, eval_set: str, bins: int = LENGTH_BINS) -> list[Row]:
    """Per judge, prompts pooled over comparisons and cut into equal-count bins of length
    difference: the mean preference for the candidate in each bin, with a normal-approximation
    95% interval. Equal-count bins keep one model with very long outputs from stretching the
    scale: it fills the last bin instead of an axis of its own."""
    rows = []
    for judge in index.judges(eval_set):
        diffs, prefs = _prompt_lengths(index, eval_set, judge)
        if diffs.size == 0:
            continue
        order = np.argsort(diffs, kind="stable")
        for part in np.array_split(order, max(1, min(bins, diffs.size // MIN_BIN))):
            mean = float(prefs[part].mean())
            half = Z_95 * float(prefs[part].std()) / math.sqrt(part.size)
            rows.append(
                {
                    "judge": judge,
                    "length_difference": float(np.median(diffs[part])),
                    "low": float(diffs[part].min()),
                    "high": float(diffs[part].max()),
                    "win_rate": mean,
                    "ci_low": max(0.0, mean - half),
                    "ci_high": min(1.0, mean + half),
                    "n": int(part.size),
                }
            )
    return rows


def _prompt_lengths(index: ResultsIndex, eval_set: str, judge: str) -> tuple[np.ndarray, np.ndarray]:
    diffs: list[float] = []
    prefs: list[float] = []
    for c in index.select(eval_set, judge):
        ids, means = per_prompt_preferences(c.judgments)
        for pid, pref in zip(ids, means.tolist(), strict=True):
            if pid in c.baseline_outputs and pid in c.candidate_outputs:
                diffs.append(c.candidate_outputs[pid].length - c.baseline_outputs[pid].length)
                prefs.append(pref)
    return np.asarray(diffs, dtype=np.float64), np.asarray(prefs, dtype=np.float64)


def _judgments_by_judge(index: ResultsIndex, eval_set: str) -> dict[str, list[Judgment]]:
    groups: dict[str, list[Judgment]] = defaultdict(list)
    for c in index.comparisons:
        if c.eval_set == eval_set:
            groups[c.judge].extend(c.judgments)
    return dict(groups)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value
