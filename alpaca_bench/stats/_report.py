"""The per-comparison figures of `alpaca-bench stats`: one row per (judge, baseline, candidate).

Pure: the caller loads judgments (see `alpaca_bench.judgment_sources`) and passes them in as
`ComparisonData`. Length-controlled win rates are fitted jointly over every comparison that
shares an eval set, a judge and a baseline, since those share what makes each prompt hard.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..records import Judgment
from ._agreement import position_consistency_of
from ._bootstrap import CIMethod
from ._length_control import LengthComparison, length_controlled_win_rates
from ._winrate import PreferenceSummary, per_prompt_preferences, summarize

LengthKey = tuple[str, str, str]  # (baseline, candidate, prompt_id)


@dataclass(frozen=True)
class ComparisonData:
    """One candidate against one baseline by one judge: per-prompt preferences and, when the
    outputs are known, their lengths (NaN where a prompt's outputs are missing)."""

    model: str
    baseline: str
    judge: str
    source: str
    eval_set: str | None
    prompt_ids: list[str]
    preferences: NDArray[np.float64]
    unscored: int
    candidate_lengths: NDArray[np.float64] | None = None
    baseline_lengths: NDArray[np.float64] | None = None
    position_consistency: float | None = None

    @property
    def has_lengths(self) -> bool:
        return self.candidate_lengths is not None and bool(np.isfinite(self.candidate_lengths).any())

    def length_comparison(self) -> LengthComparison:
        if self.candidate_lengths is None or self.baseline_lengths is None:
            raise ValueError(f"{self.model}: output lengths unknown")
        known = np.isfinite(self.candidate_lengths) & np.isfinite(self.baseline_lengths)
        return LengthComparison(
            name=self.model,
            prompt_ids=[p for p, k in zip(self.prompt_ids, known, strict=True) if k],
            preferences=self.preferences[known],
            candidate_lengths=self.candidate_lengths[known],
            baseline_lengths=self.baseline_lengths[known],
        )


def comparisons_from_judgments(
    judgments: Sequence[Judgment],
    source: str,
    eval_set: str | None = None,
    lengths: Mapping[LengthKey, tuple[float, float]] | None = None,
) -> list[ComparisonData]:
    """Split judgments by (judge, baseline, candidate) and average them per prompt.

    A group whose judgments are all unscored still yields no row; it cannot be summarised.
    """
    groups: dict[tuple[str, str, str], list[Judgment]] = defaultdict(list)
    for judgment in judgments:
        groups[(judgment.judge.name, judgment.baseline, judgment.candidate)].append(judgment)
    out = []
    for (judge, baseline, candidate), members in groups.items():
        ids, prefs = per_prompt_preferences(members)
        if not ids:
            continue
        cand = base = None
        if lengths is not None:
            pairs = [lengths.get((baseline, candidate, p), (math.nan, math.nan)) for p in ids]
            base = np.array([pair[0] for pair in pairs], dtype=np.float64)
            cand = np.array([pair[1] for pair in pairs], dtype=np.float64)
        out.append(
            ComparisonData(
                model=candidate,
                baseline=baseline,
                judge=judge,
                source=source,
                eval_set=eval_set,
                prompt_ids=ids,
                preferences=prefs,
                unscored=sum(1 for j in members if j.preference is None),
                candidate_lengths=cand,
                baseline_lengths=base,
                position_consistency=position_consistency_of(members),
            )
        )
    return out


@dataclass(frozen=True)
class LengthControlledFigures:
    win_rate: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class StatsRow:
    model: str
    baseline: str
    judge: str
    source: str
    eval_set: str | None
    summary: PreferenceSummary
    unscored: int
    position_consistency: float | None = None
    length_controlled: LengthControlledFigures | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of `stats --json`; rates are fractions in [0, 1]."""
        s = self.summary.to_dict()
        row: dict[str, Any] = {
            "model": self.model,
            "baseline": self.baseline,
            "judge": self.judge,
            "eval_set": self.eval_set,
            "source": self.source,
            "n_total": s["n"],
            "n_wins": s["wins"],
            "n_losses": s["losses"],
            "n_draws": s["ties"],
            "n_unscored": self.unscored,
            "win_rate": s["win_rate"],
            "standard_error": s["standard_error"],
            "discrete_win_rate": s["discrete_win_rate"],
            "ci_low": s["ci_low"],
            "ci_high": s["ci_high"],
            "ci_method": s["ci_method"],
            "ci_level": s["ci_level"],
            "n_boot": s["n_boot"],
            "percentile_low": s["percentile_low"],
            "percentile_high": s["percentile_high"],
            "bca_low": s["bca_low"],
            "bca_high": s["bca_high"],
            "p_value": s["p_value"],
            "min_detectable_effect": s["min_detectable_effect"],
            "position_consistency": self.position_consistency,
        }
        if self.length_controlled is not None:
            lc = {k: (None if math.isnan(v) else v) for k, v in asdict(self.length_controlled).items()}
            row["length_controlled_win_rate"] = lc["win_rate"]
            row["lc_ci_low"] = lc["ci_low"]
            row["lc_ci_high"] = lc["ci_high"]
            row["lc_n"] = lc["n"]
        return row


def stats_rows(
    comparisons: Sequence[ComparisonData],
    rng: np.random.Generator,
    *,
    n_boot: int = 10_000,
    level: float = 0.95,
    method: CIMethod = "bca",
    length_controlled: bool = False,
) -> list[StatsRow]:
    """Summaries of every comparison, in order; with `length_controlled`, every comparison must
    know its output lengths."""
    summaries = [summarize(c.preferences, rng, n_boot, level, method) for c in comparisons]
    controlled: dict[int, LengthControlledFigures] = {}
    if length_controlled:
        controlled = _length_controlled(comparisons, rng, n_boot, level)
    return [
        StatsRow(
            model=c.model,
            baseline=c.baseline,
            judge=c.judge,
            source=c.source,
            eval_set=c.eval_set,
            summary=summary,
            unscored=c.unscored,
            position_consistency=c.position_consistency,
            length_controlled=controlled.get(index),
        )
        for index, (c, summary) in enumerate(zip(comparisons, summaries, strict=True))
    ]


def _length_controlled(
    comparisons: Sequence[ComparisonData], rng: np.random.Generator, n_boot: int, level: float
) -> dict[int, LengthControlledFigures]:
    groups: dict[tuple[str | None, str, str], list[int]] = defaultdict(list)
    for index, comparison in enumerate(comparisons):
        if not comparison.has_lengths:
            raise ValueError(f"{comparison.source}: output lengths of {comparison.model} unknown")
        groups[(comparison.eval_set, comparison.judge, comparison.baseline)].append(index)
    figures = {}
    for members in groups.values():
        fitted = length_controlled_win_rates(
            [comparisons[i].length_comparison() for i in members], rng, n_boot=n_boot, level=level
        )
        for index, result in zip(members, fitted, strict=True):
            figures[index] = LengthControlledFigures(
                win_rate=result.length_controlled_win_rate,
                ci_low=result.ci_low,
                ci_high=result.ci_high,
                n=result.n,
            )
    return figures
