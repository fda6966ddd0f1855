"""Single-answer grades (MT-Bench style) as the leaderboard's Scores view reads them.

Each grading folder `<root>/<eval-set>/grades/<model>/<judge>/` holds a `summary.json` that
`grade` wrote with every figure already computed: the mean score over every scored grade with
its bootstrap interval, per turn and per category. Nothing is recomputed here; the rows only put
those figures side by side, one table per eval set.

Scores of different judges are on different scales (a lenient grader's 8 is a strict one's 6),
so models are ranked only against models graded by the same judge: rank = 1 + the number of
them whose interval lies wholly above this one's, as the pairwise leaderboard ranks win rates.
A folder that cannot be read is reported in `problems` and left out, never fatal; one with a
manifest but no summary yet (grading still running, or stopped) is left out with a log line.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alpaca_bench.errors import AlpacaBenchError
from alpaca_bench.records import GradeSummary, MeanScore
from alpaca_bench.store import GRADES, GradeFolder, ResultsRoot

from ._index import files_fingerprint, rank_by_intervals

logger = logging.getLogger(__name__)

NO_GRADES = "No single-answer grades in this results folder yet."
Row = dict[str, Any]
GradesFingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class ScoreTable:
    """One eval set's grades: a row per (model, judge), grouped by judge (the judge that graded
    most models first), best mean first within a judge; the turns and categories any row has."""

    eval_set: str
    rows: list[Row]
    turns: list[str]
    categories: list[str]
    score_range: tuple[float, float]


@dataclass(frozen=True)
class Scores:
    tables: list[ScoreTable]
    problems: list[str]

    @property
    def empty(self) -> bool:
        return not self.tables


def grades_fingerprint(root: Path) -> GradesFingerprint:
    """(path, mtime_ns, size) of every file the Scores view reads: a new summary shows at once."""
    return files_fingerprint(root, (f"*/{GRADES}/*/*/manifest.json", f"*/{GRADES}/*/*/summary.json"))


def load_scores(root: str | Path) -> Scores:
    """Every grade summary under `root`, as one table per eval set (sorted by name)."""
    by_set: dict[str, list[GradeSummary]] = defaultdict(list)
    problems: list[str] = []
    for path in ResultsRoot(Path(root).expanduser()).grade_dirs():
        folder = GradeFolder(path)
        if not folder.summary_path.is_file():
            logger.info("%s: no summary yet; left out of the scores", path)
            continue
        try:
            manifest, summary = folder.manifest(), folder.summary()
        except AlpacaBenchError as exc:
            logger.warning("skipped %s: %s", path, exc)
            problems.append(str(exc))
            continue
        by_set[manifest.eval_set or summary.eval_set].append(summary)
    tables = [_table(eval_set, summaries) for eval_set, summaries in sorted(by_set.items())]
    return Scores(tables, problems)


def _table(eval_set: str, summaries: list[GradeSummary]) -> ScoreTable:
    rows = [_row(s) for s in summaries]
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["judge"]] += 1
    for judge in counts:
        rank_by_intervals([r for r in rows if r["judge"] == judge], "mean", "low", "high")
    rows.sort(
        key=lambda r: (-counts[r["judge"]], r["judge"], r["mean"] is None, -(r["mean"] or 0.0), r["model"])
    )
    turns = sorted({t for s in summaries for t in s.per_turn}, key=_turn_order)
    categories = sorted({c for s in summaries for c in s.per_category})
    low = min(s.score_range[0] for s in summaries)
    high = max(s.score_range[1] for s in summaries)
    return ScoreTable(eval_set, rows, turns, categories, (low, high))


def _turn_order(turn: str) -> tuple[int, str]:
    return (int(turn), "") if turn.isdigit() else (10**9, turn)


def _row(s: GradeSummary) -> Row:
    return {
        "rank": None,
        "model": s.model,
        "judge": s.judge,
        "mean": s.overall.mean,
        "low": s.overall.low,
        "high": s.overall.high,
        "n": s.overall.n,
        "unscored": s.overall.unscored,
        "n_prompts": s.n_prompts,
        "n_grades": s.n_grades,
        "level": s.level,
        "per_turn": dict(s.per_turn),
        "per_category": dict(s.per_category),
        "cost_usd": s.cost_usd,
        "warning_text": " · ".join(s.warnings),
    }


def flat_row(row: Row) -> Row:
    """A row as one line of a CSV or JSON table: per-turn and per-category figures as columns."""
    flat = {k: v for k, v in row.items() if k not in ("per_turn", "per_category")}
    for prefix, scores in (("turn", row["per_turn"]), ("category", row["per_category"])):
        for name, score in scores.items():
            flat.update(_score_columns(f"{prefix} {name}", score))
    return flat


def _score_columns(name: str, score: MeanScore) -> Row:
    return {
        f"{name} mean": score.mean,
        f"{name} low": score.low,
        f"{name} high": score.high,
        f"{name} n": score.n,
        f"{name} unscored": score.unscored,
    }
