"""Arena-Hard's way of scoring the comparisons in a results folder: every model judged against
one fixed baseline on one eval set, Bradley–Terry scores expressed as win rates against that
baseline, with a bootstrap interval over prompts, raw and with style control (length and
markdown as covariates) side by side. The statistics are `stats.arena_scores`; this module only
gathers the judgments and the answers' style features from the run folders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .records import Judgment
from .settings import ArenaSettings
from .stats import ArenaResult, StyleFeatures, arena_scores, battles_from_judgments, style_features
from .store import ResultsRoot, RunFolder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArenaReport:
    eval_set: str
    baseline: str
    judge: str
    runs: list[Path]
    raw: ArenaResult
    style_controlled: ArenaResult | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "eval_set": self.eval_set,
            "baseline": self.baseline,
            "judge": self.judge,
            "runs": [str(p) for p in self.runs],
            "raw": self.raw.to_dict(),
            "style_controlled": None if self.style_controlled is None else self.style_controlled.to_dict(),
        }


def _runs(root: ResultsRoot, eval_set: str, baseline: str, judge: str | None) -> list[RunFolder]:
    found = []
    for path in root.run_dirs():
        run = RunFolder(path)
        manifest = run.manifest()
        if manifest.eval_set != eval_set or baseline not in (manifest.baseline.name, manifest.candidate.name):
            continue
        if judge is not None and manifest.judge.name != judge:
            continue
        found.append(run)
    return found


def arena_report(
    results: str | Path,
    eval_set: str,
    baseline: str,
    *,
    judge: str | None = None,
    settings: ArenaSettings | None = None,
) -> ArenaReport:
    """Scores of every model compared with `baseline` on `eval_set` under `results` (by one judge:
    `judge`, or the only one there is)."""
    settings = settings or ArenaSettings()
    root = ResultsRoot(Path(results))
    runs = _runs(root, eval_set, baseline, judge)
    judges = sorted({r.manifest().judge.name for r in runs})
    if not runs:
        raise InputError(f"no comparison with baseline {baseline!r} on eval set {eval_set!r}", root.path)
    if len(judges) > 1:
        raise InputError(f"comparisons by several judges ({', '.join(judges)}); choose one with --judge")
    judgments: list[Judgment] = []
    styles: dict[tuple[str, str], StyleFeatures] = {}
    for run in runs:
        sides = run.sides()
        judgments += run.current_judgments(judges[0], sides=sides)
        for outputs in sides:
            for pid, generation in outputs.items():
                styles[(generation.model, pid)] = style_features(generation.text)
    battles = battles_from_judgments(judgments, baseline, styles)
    if not battles:
        raise InputError(f"the comparisons with {baseline!r} have no scored judgments yet", root.path)

    def scores(controlled: bool) -> ArenaResult:
        return arena_scores(
            battles,
            baseline,
            strong_weight=settings.strong_weight,
            style_control=controlled,
            n_boot=settings.n_boot,
            level=settings.level,
            seed=settings.seed,
        )

    raw = scores(False)
    controlled = scores(True) if settings.style_control else None
    return ArenaReport(eval_set, baseline, judges[0], [r.path for r in runs], raw, controlled)
