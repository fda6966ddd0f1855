"""A results folder read once into the tables the leaderboard shows.

Every figure comes from the library: a comparison's win rate, CI and counts from its
`summary.json` (written by `compare`, recomputed with `summarize_run` only when the judgments or
outputs changed since), Bradley–Terry ratings from `stats.bradley_terry_from_judgments` over all
of a judge's judgments on an eval set, and length-controlled win rates from
`stats.length_controlled_win_rates`, fitted jointly over every candidate of one eval set, judge
and baseline. Reading is the slow part of a cold start, so nothing is bootstrapped that a
summary on disk already holds; the Streamlit app caches the whole index by the folder's
modification times (`results_fingerprint`).

A comparison is one judge's verdicts on one pair of models in one run folder; a folder judged
by an LLM and later rated by people (`alpaca-bench rate`) holds two.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from alpaca_bench.errors import AlpacaBenchError
from alpaca_bench.files import JsonlLog, first_error
from alpaca_bench.health import with_warnings
from alpaca_bench.records import HUMAN, ComparisonSummary, Generation, Judgment
from alpaca_bench.stats import (
    BradleyTerryResult,
    LengthComparison,
    bradley_terry_from_judgments,
    length_controlled_win_rates,
    per_prompt_preferences,
)
from alpaca_bench.store import (
    VS,
    GenerationStore,
    ResultsRoot,
    RunFolder,
    RunManifest,
    RunSide,
    sanitize_name,
)
from alpaca_bench.summary import summarize_run

logger = logging.getLogger(__name__)

ELO_SCALE = 400.0 / math.log(10.0)
ELO_ANCHOR = 1000.0
SMALL_N_MDE = 0.10  # a row whose minimum detectable effect exceeds 10 points is marked small-n
LENGTH_RATIO_CAVEAT = 2.0  # outputs over twice (or under half) the baseline's length: LC extrapolates
Fingerprint = tuple[tuple[str, int, int], ...]
Row = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class IndexSettings:
    """`n_boot` only for summaries that must be recomputed; `rating_boot` rounds for BT CIs and
    `lc_boot` for length-controlled ones; `trust_summaries=False` recomputes every summary
    (slow; for checking, and as a baseline)."""

    n_boot: int = 10_000
    rating_boot: int = 100
    lc_boot: int = 200
    seed: int = 0
    level: float = 0.95
    trust_summaries: bool = True


@dataclass(frozen=True)
class LoadedComparison:
    """One judge's verdicts on one pair of models, as stored in one run folder."""

    path: Path
    eval_set: str
    baseline: str
    candidate: str
    judge: str
    summary: ComparisonSummary
    judgments: list[Judgment]
    baseline_outputs: dict[str, Generation]
    candidate_outputs: dict[str, Generation]
    from_disk: bool

    @property
    def key(self) -> str:
        """Stable id of the comparison: its run folder (relative to the root) and judge."""
        return f"{self.path.parent.parent.name}/{self.path.parent.name}/{self.path.name}#{self.judge}"

    @property
    def label(self) -> str:
        return f"{self.candidate} vs {self.baseline} · {self.judge} · {self.eval_set}"


def results_fingerprint(root: Path) -> Fingerprint:
    """(path, mtime_ns, size) of every file the index reads: changes whenever a run does."""
    return files_fingerprint(
        root,
        (
            f"*/*{VS}*/*/manifest.json",
            f"*/*{VS}*/*/judgments.jsonl",
            f"*/*{VS}*/*/summary.json",
            "*/models/*/generations.jsonl",
            "*/prompts.jsonl",
        ),
    )


def files_fingerprint(root: Path, patterns: Sequence[str]) -> Fingerprint:
    """(path relative to `root`, mtime_ns, size) of every file matching `patterns`, sorted: what
    a cached view compares to know whether anything it read has changed."""
    entries = []
    for pattern in patterns:
        for path in root.glob(pattern):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((str(path.relative_to(root)), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(entries))


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while records are read. Creating some 10^5
    small objects makes it rescan the growing heap again and again (over half the load time);
    records form no reference cycles, so there is nothing for it to find until we are done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ResultsIndex:
    """Every comparison under a results root, and the tables built from them (memoised)."""

    def __init__(
        self, root: Path, comparisons: list[LoadedComparison], problems: list[str], settings: IndexSettings
    ):
        self.root = root
        self.comparisons = comparisons
        self.problems = problems
        self.settings = settings
        self._memo: dict[tuple[Any, ...], Any] = {}

    @classmethod
    def load(cls, root: str | Path, settings: IndexSettings | None = None) -> ResultsIndex:
        """Read every run folder; one that cannot be read is reported in `problems`, not fatal."""
        folder = Path(root).expanduser()
        loader = _Loader(settings or IndexSettings())
        comparisons: list[LoadedComparison] = []
        problems: list[str] = []
        with collector_paused():
            for run_dir in ResultsRoot(folder).run_dirs():
                try:
                    comparisons.extend(loader.run(RunFolder(run_dir)))
                except AlpacaBenchError as exc:
                    logger.warning("skipped %s: %s", run_dir, exc)
                    problems.append(str(exc))
        comparisons.sort(key=lambda c: (c.eval_set, c.judge, c.baseline, c.candidate, str(c.path)))
        return cls(folder, _deduplicated(comparisons), problems, loader.settings)

    # --- what there is -------------------------------------------------------------------------

    def eval_sets(self) -> list[str]:
        return sorted({c.eval_set for c in self.comparisons})

    def judges(self, eval_set: str) -> list[str]:
        """Judges of an eval set: the one with most comparisons first, people last (unless they
        are the only judge, as in battles)."""
        counts: dict[str, int] = defaultdict(int)
        for c in self.comparisons:
            if c.eval_set == eval_set:
                counts[c.judge] += 1
        return sorted(counts, key=lambda name: (name == HUMAN, -counts[name], name))

    def baselines(self, eval_set: str, judge: str) -> list[str]:
        """Baselines by how many candidates were compared with them, most first."""
        counts: dict[str, int] = defaultdict(int)
        for c in self.select(eval_set, judge):
            counts[c.baseline] += 1
        return sorted(counts, key=lambda name: (-counts[name], name))

    def select(self, eval_set: str, judge: str, baseline: str | None = None) -> list[LoadedComparison]:
        return [
            c
            for c in self.comparisons
            if c.eval_set == eval_set and c.judge == judge and (baseline is None or c.baseline == baseline)
        ]

    def comparison(self, key: str) -> LoadedComparison:
        for c in self.comparisons:
            if c.key == key:
                return c
        raise KeyError(key)

    # --- tables -------------------------------------------------------------------------------

    def leaderboard(self, eval_set: str, judge: str, baseline: str) -> list[Row]:
        """One row per candidate against `baseline`, and the baseline's own row (`is_baseline`,
        50% by definition), best win rate first.

        `rank` is 1 + the number of rows whose win-rate interval lies wholly above this row's,
        so rows that cannot be told apart share a rank. `small_n` marks rows whose minimum
        detectable effect (`mde`) exceeds `SMALL_N_MDE`; `lc_caveat` marks rows whose mean output
        length is over `LENGTH_RATIO_CAVEAT` times (or under its inverse) the baseline's, where
        the length-controlled figure is an extrapolation."""
        rows: list[Row] = self.memo(("leaderboard", eval_set, judge, baseline), self._leaderboard)
        return rows

    def ratings(self, eval_set: str, judge: str) -> list[Row]:
        """Bradley–Terry ratings (Elo scale) of every model the judge compared on the eval set."""
        rows: list[Row] = self.memo(("ratings", eval_set, judge), self._ratings)
        return rows

    def head_to_head(self, eval_set: str, judge: str) -> list[Row]:
        """Win rate of `model` against `opponent` for every compared pair, both ways round.

        A pair compared in several folders (A vs B and B vs A) is pooled, weighted by prompts."""
        cells: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
        for c in self.select(eval_set, judge):
            rate, n = c.summary.win_rate, c.summary.n
            if rate is None or n == 0:
                continue
            cells[(c.candidate, c.baseline)].append((rate, n))
            cells[(c.baseline, c.candidate)].append((1.0 - rate, n))
        rows = []
        for (model, opponent), values in sorted(cells.items()):
            n = sum(count for _, count in values)
            rows.append(
                {
                    "model": model,
                    "opponent": opponent,
                    "win_rate": sum(rate * count for rate, count in values) / n,
                    "n": n,
                }
            )
        return rows

    def memo(self, key: tuple[Any, ...], build: Callable[..., Any]) -> Any:
        """`build(*key[1:])`, computed once per index (the index is immutable once loaded)."""
        if key not in self._memo:
            self._memo[key] = build(*key[1:])
        return self._memo[key]

    def _leaderboard(self, eval_set: str, judge: str, baseline: str) -> list[Row]:
        chosen = self.select(eval_set, judge, baseline)
        controlled = _length_controlled(chosen, self.settings)
        ratings = {row["model"]: row for row in self.ratings(eval_set, judge)}
        rows = [_leaderboard_row(c, controlled.get(c.key), ratings.get(c.candidate)) for c in chosen]
        if rows:
            rows.append(_baseline_row(baseline, chosen, ratings.get(baseline)))
        rank_by_intervals(rows)
        rows.sort(
            key=lambda r: (r["win_rate"] is None, -(r["win_rate"] or 0.0), not r["is_baseline"], r["model"])
        )
        return rows

    def _ratings(self, eval_set: str, judge: str) -> list[Row]:
        chosen = self.select(eval_set, judge)
        judgments = [j for c in chosen for j in c.judgments]
        if not any(j.preference is not None for j in judgments):
            return []
        baselines = self.baselines(eval_set, judge)
        result: BradleyTerryResult = bradley_terry_from_judgments(
            judgments,
            np.random.default_rng(self.settings.seed),
            n_boot=self.settings.rating_boot,
            level=self.settings.level,
            anchor=_anchor(judgments, baselines),
            anchor_rating=ELO_ANCHOR,
            scale=ELO_SCALE,
        )
        counts: dict[str, int] = defaultdict(int)
        for j in judgments:
            if j.preference is not None:
                counts[j.baseline] += 1
                counts[j.candidate] += 1
        return [
            {
                "rank": row["rank"],
                "model": row["model"],
                "rating": row["rating"],
                "rating_low": _finite(row["ci_low"]),
                "rating_high": _finite(row["ci_high"]),
                "judgments": counts[row["model"]],
                "anchor": row["model"] == result.anchor,
            }
            for row in result.rows()
        ]


def _anchor(judgments: Sequence[Judgment], baselines: Sequence[str]) -> str | None:
    """The most-used baseline sits at 1000 (it is what the ratings are read against)."""
    scored = {j.baseline for j in judgments if j.preference is not None} | {
        j.candidate for j in judgments if j.preference is not None
    }
    return next((b for b in baselines if b in scored), None)


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _leaderboard_row(c: LoadedComparison, controlled: _Controlled | None, rating: Row | None) -> Row:
    s = c.summary
    ratio = _length_ratio(s.avg_length_candidate, s.avg_length_baseline)
    mde = s.min_detectable_effect
    return {
        "rank": None,
        "model": c.candidate,
        "is_baseline": False,
        "win_rate": s.win_rate,
        "ci_low": s.ci.low if s.ci else None,
        "ci_high": s.ci.high if s.ci else None,
        "lc_win_rate": controlled.value if controlled else None,
        "lc_low": controlled.low if controlled else None,
        "lc_high": controlled.high if controlled else None,
        "length_ratio": ratio,
        "lc_caveat": ratio is not None and controlled is not None and _far_apart(ratio),
        "rating": rating["rating"] if rating else None,
        "rating_low": rating["rating_low"] if rating else None,
        "rating_high": rating["rating_high"] if rating else None,
        "bt_rank": rating["rank"] if rating else None,
        "mde": mde,
        "small_n": mde is not None and mde > SMALL_N_MDE,
        "n": s.n,
        "wins": s.wins,
        "losses": s.losses,
        "ties": s.ties,
        "unscored": s.unscored,
        "avg_length": s.avg_length_candidate,
        "baseline_avg_length": s.avg_length_baseline,
        "truncated": s.truncated_candidate if s.finish_known_candidate else None,
        "baseline_truncated": s.truncated_baseline if s.finish_known_baseline else None,
        "warnings": len(s.warnings),
        "warning_text": " · ".join(s.warnings),
        "cost_usd": s.cost_usd,
        "p_value": s.p_value,
        "comparison": c.key,
    }


def _baseline_row(baseline: str, chosen: Sequence[LoadedComparison], rating: Row | None) -> Row:
    """The baseline against itself: 50% by definition (an interval of one point), so that it
    takes its place in the ranking and the chart; counts are left blank."""
    lengths = [c.summary.avg_length_baseline for c in chosen if c.summary.avg_length_baseline is not None]
    return {
        "rank": None,
        "model": baseline,
        "is_baseline": True,
        "win_rate": 0.5,
        "ci_low": 0.5,
        "ci_high": 0.5,
        "lc_win_rate": 0.5,
        "lc_low": None,
        "lc_high": None,
        "length_ratio": 1.0 if lengths else None,
        "lc_caveat": False,
        "rating": rating["rating"] if rating else None,
        "rating_low": rating["rating_low"] if rating else None,
        "rating_high": rating["rating_high"] if rating else None,
        "bt_rank": rating["rank"] if rating else None,
        "mde": None,
        "small_n": False,
        "n": None,
        "wins": None,
        "losses": None,
        "ties": None,
        "unscored": None,
        "avg_length": lengths[0] if lengths else None,
        "baseline_avg_length": lengths[0] if lengths else None,
        "truncated": None,
        "baseline_truncated": None,
        "warnings": 0,
        "warning_text": "",
        "cost_usd": None,
        "p_value": None,
        "comparison": None,
    }


def rank_by_intervals(
    rows: list[Row], value: str = "win_rate", low: str = "ci_low", high: str = "ci_high"
) -> None:
    """rank = 1 + the number of rows whose interval (`low`, `high`) lies wholly above this row's
    (a row without an interval counts as its point estimate `value`; one without it has no
    rank). The one ranking rule of every leaderboard table (win rates, mean scores)."""
    scored = [r for r in rows if r[value] is not None]
    bounds = [
        (
            r[value] if r[low] is None else r[low],
            r[value] if r[high] is None else r[high],
        )
        for r in scored
    ]
    for row, (_, high) in zip(scored, bounds, strict=True):
        row["rank"] = 1 + sum(1 for low, _ in bounds if low > high)


def _length_ratio(candidate: float | None, baseline: float | None) -> float | None:
    if candidate is None or baseline is None or baseline <= 0 or candidate <= 0:
        return None
    return candidate / baseline


def _far_apart(ratio: float) -> bool:
    return ratio > LENGTH_RATIO_CAVEAT or ratio < 1.0 / LENGTH_RATIO_CAVEAT


@dataclass(frozen=True)
class _Controlled:
    value: float
    low: float | None
    high: float | None


def _length_controlled(chosen: Sequence[LoadedComparison], settings: IndexSettings) -> dict[str, _Controlled]:
    """LC win rate and interval per comparison key; difficulties shared by all candidates of
    the baseline."""
    data = [(c.key, item) for c in chosen if (item := _length_comparison(c)) is not None]
    if not data:
        return {}
    try:
        fitted = length_controlled_win_rates(
            [d for _, d in data],
            np.random.default_rng(settings.seed),
            n_boot=settings.lc_boot,
            level=settings.level,
        )
    except ValueError as exc:
        logger.warning("length control not fitted: %s", exc)
        return {}
    return {
        key: _Controlled(result.length_controlled_win_rate, _finite(result.ci_low), _finite(result.ci_high))
        for (key, _), result in zip(data, fitted, strict=True)
    }


def _length_comparison(c: LoadedComparison) -> LengthComparison | None:
    """Per-prompt preferences with both output lengths, for prompts whose outputs are known."""
    ids, preferences = per_prompt_preferences(c.judgments)
    known = [i for i, pid in enumerate(ids) if pid in c.baseline_outputs and pid in c.candidate_outputs]
    if not known:
        return None
    kept = [ids[i] for i in known]
    return LengthComparison(
        name=c.key,
        prompt_ids=kept,
        preferences=preferences[known],
        candidate_lengths=[c.candidate_outputs[pid].length for pid in kept],
        baseline_lengths=[c.baseline_outputs[pid].length for pid in kept],
    )


def _deduplicated(comparisons: list[LoadedComparison]) -> list[LoadedComparison]:
    """The same judge on the same pair in two folders (people rating both the rouge and the GPT
    run of a pair): keep the one with most judgments, so no rating counts twice."""
    best: dict[tuple[str, str, str, str], LoadedComparison] = {}
    for c in comparisons:
        key = (c.eval_set, c.baseline, c.candidate, c.judge)
        if key not in best or len(c.judgments) > len(best[key].judgments):
            best[key] = c
    kept = set(map(id, best.values()))
    return [c for c in comparisons if id(c) in kept]


@dataclass
class _Loader:
    """Reads run folders, sharing each model's outputs between the runs that use them."""

    settings: IndexSettings
    _outputs: dict[tuple[Path, str], dict[str, Generation]] = field(default_factory=dict)

    def outputs(self, run: RunFolder, side: RunSide) -> dict[str, Generation]:
        """What `GenerationStore.load` returns (the first output per prompt under the config)."""
        folder = run.eval_dir / "models" / sanitize_name(side.name)
        key = (folder, side.config_hash)
        if key not in self._outputs:
            found: dict[str, Generation] = {}
            for gen in read_records(GenerationStore(folder).log, Generation):
                if gen.config_hash == side.config_hash:
                    found.setdefault(gen.prompt_id, gen)
            self._outputs[key] = found
        return self._outputs[key]

    def run(self, run: RunFolder) -> list[LoadedComparison]:
        manifest = run.manifest()
        outputs_b, outputs_c = self.outputs(run, manifest.baseline), self.outputs(run, manifest.candidate)
        stored = read_records(run.judgments, Judgment)
        judges = [manifest.judge.name, *sorted({j.judge.name for j in stored} - {manifest.judge.name})]
        found = []
        for judge in judges:
            current = run.current_judgments(judge, stored=stored, sides=(outputs_b, outputs_c))
            if judge != manifest.judge.name and not current:
                continue
            summary, from_disk = self.summary(run, manifest, judge, current, (outputs_b, outputs_c))
            found.append(
                LoadedComparison(
                    path=run.path,
                    eval_set=manifest.eval_set,
                    baseline=manifest.baseline.name,
                    candidate=manifest.candidate.name,
                    judge=judge,
                    summary=summary,
                    judgments=current,
                    baseline_outputs=outputs_b,
                    candidate_outputs=outputs_c,
                    from_disk=from_disk,
                )
            )
        return found

    def summary(
        self,
        run: RunFolder,
        manifest: RunManifest,
        judge: str,
        current: list[Judgment],
        outputs: tuple[dict[str, Generation], dict[str, Generation]],
    ) -> tuple[ComparisonSummary, bool]:
        """The summary on disk when it still describes these judgments, else a fresh one."""
        if judge == manifest.judge.name and self.settings.trust_summaries:
            stored = _stored_summary(run, manifest, current)
            if stored is not None:
                return stored, True
        logger.info("%s: summarising %s judgments", run.path, judge)
        fresh = summarize_run(
            run,
            judge_name=judge,
            n_boot=self.settings.n_boot,
            seed=self.settings.seed,
            level=self.settings.level,
        )
        return fresh, False


def _stored_summary(
    run: RunFolder, manifest: RunManifest, current: Sequence[Judgment]
) -> ComparisonSummary | None:
    """summary.json when it still describes the judgments the run counts now.

    Judgments are append-only and unique per prompt, order and pair of outputs, so a summary
    covers them exactly when its counts match and it was written after the newest of them.
    Outputs added for other prompts, or people's ratings beside the judge's, leave it valid."""
    path = run.summary_path
    try:
        summary = ComparisonSummary.model_validate_json(path.read_bytes())
        written = path.stat().st_mtime
    except (OSError, ValueError, ValidationError) as exc:
        if path.exists():
            logger.warning("%s: unreadable summary (%s); recomputing", path, _reason(exc))
        return None
    if summary.judge != manifest.judge.name or summary.baseline != manifest.baseline.name:
        return None
    counted = [
        j for j in current if not (summary.excluded_flagged and j.prompt_id in summary.flagged_prompts)
    ]
    same_counts = (
        summary.n_judgments == len(counted)
        and summary.unscored == sum(1 for j in counted if j.preference is None)
        and summary.n_prompts == len({j.prompt_id for j in counted})
    )
    newest = max((j.created_at.timestamp() for j in counted), default=0.0)
    if not (same_counts and written >= newest):
        return None
    # a summary written before warnings existed: derive them from its figures (its truncation
    # counts are zero of zero known, so only the judge's warnings can appear)
    return summary if "warnings" in summary.model_fields_set else with_warnings(summary)


def read_records(log: JsonlLog, model: type[M]) -> list[M]:
    """`log.read(model)`, about twice as fast: each line is parsed and validated in one step by
    pydantic. Anything unusual (a bad line) goes to `log.read`, which reports it as usual."""
    try:
        raw = log.path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError:
        return log.read(model)
    lines = raw.split(b"\n")[:-1]  # a partial last line was never acknowledged; JsonlLog drops it too
    try:
        return [model.model_validate_json(line) for line in lines if line.strip()]
    except ValidationError:
        return log.read(model)


def _reason(exc: Exception) -> str:
    return first_error(exc) if isinstance(exc, ValidationError) else str(exc)


def comparisons_of_pair(index: ResultsIndex, comparison: LoadedComparison) -> Iterable[LoadedComparison]:
    """Every comparison (any judge) of the same two models on the same eval set."""
    pair = {comparison.baseline, comparison.candidate}
    return [
        c
        for c in index.comparisons
        if c.eval_set == comparison.eval_set and {c.baseline, c.candidate} == pair
    ]
