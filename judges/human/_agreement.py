"""How far a run's judge can be trusted: agreement between human raters, between the judge and
the humans, and each rater's own win rate, all on the pairs the run holds now.

Figures come from `alpaca_bench.stats`; this module only gathers the judgments and aligns them.
"Pooled" agreement counts every (pair, two raters) comparison once, so judge–human and
human–human figures are on the same footing: a judge agreeing with a human as often as two
humans agree with each other is as good a rater as a human.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from alpaca_bench.errors import InputError
from alpaca_bench.records import HUMAN, Judgment
from alpaca_bench.stats import (
    Agreement,
    MajorityAccuracy,
    PreferenceSummary,
    agreement,
    majority_accuracy,
    match_judgments,
    per_prompt_preferences,
    summarize,
)
from alpaca_bench.store import open_run

Matchup = tuple[str, Sequence[Judgment], str, Sequence[Judgment]]  # (name, judgments, name, judgments)


@dataclass(frozen=True)
class PairAgreement:
    first: str
    second: str
    agreement: Agreement


@dataclass(frozen=True)
class WinRateRow:
    who: str
    n_judgments: int
    n_flagged: int
    summary: PreferenceSummary


@dataclass(frozen=True)
class AgreementReport:
    run: str
    baseline: str
    candidate: str
    eval_set: str
    judge: str
    raters: list[str]
    n_pairs_rated: int
    win_rates: list[WinRateRow]  # each rater, all raters (per-prompt mean), the judge on the same prompts
    human_human: list[PairAgreement]
    human_human_pooled: Agreement | None
    judge_human: list[PairAgreement]
    judge_human_pooled: Agreement | None
    judge_vs_majority: MajorityAccuracy | None  # over pairs rated by at least two raters

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; undefined figures (NaN) become None."""
        payload: dict[str, Any] = _jsonable(asdict(self))
        return payload


def agreement_report(
    run_dir: str | Path, *, judge: str | None = None, n_boot: int = 10_000, seed: int = 0
) -> AgreementReport:
    """Agreement figures of a run folder's human ratings and its judge (default: the run's)."""
    run = open_run(run_dir)
    manifest = run.manifest()
    judge_name = judge or manifest.judge.name
    stored, sides = run.load_judgments(), run.sides()
    humans = run.current_judgments(HUMAN, stored=stored, sides=sides)
    if not humans:
        raise InputError(
            "no human ratings of the outputs this run holds; "
            f"add some with: alpaca-bench rate {run.path} --rater NAME",
            run.path,
        )
    judged = run.current_judgments(judge_name, stored=stored, sides=sides)
    by_rater: dict[str, list[Judgment]] = defaultdict(list)
    for j in humans:
        by_rater[j.rater or "(unnamed)"].append(j)
    raters = sorted(by_rater)
    rater_pairs: list[Matchup] = [(a, by_rater[a], b, by_rater[b]) for a, b in combinations(raters, 2)]
    judge_pairs: list[Matchup] = [(judge_name, judged, r, by_rater[r]) for r in raters] if judged else []
    rated_ids = {j.prompt_id for j in humans}
    return AgreementReport(
        run=str(run.path),
        baseline=manifest.baseline.name,
        candidate=manifest.candidate.name,
        eval_set=manifest.eval_set,
        judge=judge_name,
        raters=raters,
        n_pairs_rated=len(rated_ids),
        win_rates=_win_rates(
            by_rater, humans, judge_name, [j for j in judged if j.prompt_id in rated_ids], n_boot, seed
        ),
        human_human=_agreements(rater_pairs),
        human_human_pooled=_pooled(rater_pairs),
        judge_human=_agreements(judge_pairs),
        judge_human_pooled=_pooled(judge_pairs),
        judge_vs_majority=_majority(judged, by_rater),
    )


def _agreements(sides: list[Matchup]) -> list[PairAgreement]:
    found = []
    for first, a, second, b in sides:
        _, x, y = match_judgments(a, b)
        if len(x):
            found.append(PairAgreement(first, second, agreement(x, y)))
    return found


def _pooled(sides: list[Matchup]) -> Agreement | None:
    """Every (pair, two raters) comparison once, over all the given rater pairs."""
    matched = [match_judgments(a, b)[1:] for _, a, _, b in sides]
    x = np.concatenate([m[0] for m in matched]) if matched else np.empty(0)
    y = np.concatenate([m[1] for m in matched]) if matched else np.empty(0)
    return agreement(x, y) if len(x) else None


def _majority(judged: Sequence[Judgment], by_rater: dict[str, list[Judgment]]) -> MajorityAccuracy | None:
    """The judge against the human majority on pairs with at least two ratings."""
    if not judged:
        return None
    judge_ids, judge_prefs = per_prompt_preferences(judged)
    judge_by_id = dict(zip(judge_ids, judge_prefs.tolist(), strict=True))
    ratings = [dict(zip(*_per_prompt(js), strict=True)) for js in by_rater.values()]
    items = sorted(pid for pid in judge_by_id if sum(pid in r for r in ratings) >= 2)
    if not items:
        return None
    matrix = np.array([[r.get(pid, math.nan) for r in ratings] for pid in items], dtype=np.float64)
    return majority_accuracy(np.array([judge_by_id[pid] for pid in items]), matrix)


def _per_prompt(judgments: Sequence[Judgment]) -> tuple[list[str], list[float]]:
    ids, prefs = per_prompt_preferences(judgments)
    return ids, prefs.tolist()


def _win_rates(
    by_rater: dict[str, list[Judgment]],
    humans: Sequence[Judgment],
    judge_name: str,
    judged_on_rated: Sequence[Judgment],
    n_boot: int,
    seed: int,
) -> list[WinRateRow]:
    groups = [(f"rater {r}", js) for r, js in sorted(by_rater.items())]
    if len(by_rater) > 1:
        groups.append(("all raters", list(humans)))
    if judged_on_rated:
        groups.append((f"judge {judge_name} (same prompts)", list(judged_on_rated)))
    rows = []
    for who, judgments in groups:
        _, prefs = per_prompt_preferences(judgments)
        if len(prefs):
            summary = summarize(prefs, np.random.default_rng(seed), n_boot=n_boot)
            rows.append(WinRateRow(who, len(judgments), sum(j.flagged for j in judgments), summary))
    return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
