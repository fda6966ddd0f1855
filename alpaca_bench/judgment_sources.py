"""Where judgments come from for `alpaca-bench stats`: a run folder, a judgments .jsonl file, an
AlpacaEval annotations .json file, or a folder holding any number of those.

Everything is turned into `ComparisonData` (one per judge, baseline and candidate), with output
lengths wherever the outputs are known (run folders, annotations), which the length-controlled
win rate needs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import ValidationError

from .alpacaeval import annotations_to_judgments, is_annotation_row
from .errors import InputError
from .files import JsonlLog, first_error, read_json_rows
from .records import Judgment
from .stats._bootstrap import CIMethod
from .stats._report import ComparisonData, LengthKey, StatsRow, comparisons_from_judgments, stats_rows
from .store import RunFolder

logger = logging.getLogger(__name__)

SourceFormat = Literal["auto", "alpaca-bench", "alpaca-eval"]
SOURCE_FORMATS: tuple[SourceFormat, ...] = ("auto", "alpaca-bench", "alpaca-eval")
KINDS = "a run folder, a judgments .jsonl file, AlpacaEval annotations .json, or a folder of them"


def load_comparisons(
    path: Path, source_format: SourceFormat = "auto", judge: str | None = None
) -> list[ComparisonData]:
    """Every comparison found at `path`, optionally only those by `judge`."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError("not found", path)
    comparisons = [c for item in _sources(path, source_format) for c in _load(item, source_format)]
    if judge is not None:
        found = sorted({c.judge for c in comparisons})
        comparisons = [c for c in comparisons if c.judge == judge]
        if not comparisons:
            raise InputError(f"no judgments by judge {judge!r} (found: {', '.join(found) or 'none'})", path)
    if not comparisons:
        raise InputError(f"no scored judgments found; expected {KINDS}", path)
    return comparisons


def stats_for_path(
    path: Path,
    *,
    source_format: SourceFormat = "auto",
    judge: str | None = None,
    length_controlled: bool = False,
    n_boot: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
    method: CIMethod = "bca",
) -> list[StatsRow]:
    """Load the judgments at `path` and summarise each comparison (the `stats` command)."""
    comparisons = load_comparisons(path, source_format, judge)
    if length_controlled:
        for comparison in comparisons:
            if not comparison.has_lengths:
                raise InputError(
                    f"length control needs the output lengths of {comparison.model}, which are not "
                    "here (a bare judgments file, or a run whose generations are gone); give the run "
                    "folder or AlpacaEval annotations",
                    comparison.source,
                )
    rng = np.random.default_rng(seed)
    return stats_rows(
        comparisons, rng, n_boot=n_boot, level=level, method=method, length_controlled=length_controlled
    )


def _sources(path: Path, source_format: SourceFormat) -> list[Path]:
    """Run folders and judgment files at or under `path`, in a stable order."""
    if path.is_file():
        if path.suffix.lower() not in (".json", ".jsonl"):
            raise InputError(
                f"cannot read {path.suffix or 'a file without extension'}; expected {KINDS}", path
            )
        return [path]
    if _is_run_folder(path):
        return [path]
    runs = sorted(p.parent for p in path.rglob("manifest.json") if _is_run_folder(p.parent))
    files = [
        p
        for p in sorted(path.rglob("*"))
        if p.is_file()
        and p.suffix.lower() in (".json", ".jsonl")
        and not any(p.is_relative_to(run) for run in runs)
        and _looks_like_judgments(p, source_format)
    ]
    found = [*runs, *files] if source_format != "alpaca-eval" else files
    if not found:
        raise InputError(f"no judgments found in this folder; expected {KINDS}", path)
    return found


def _load(path: Path, source_format: SourceFormat) -> list[ComparisonData]:
    if path.is_dir() or (path.name == "judgments.jsonl" and _is_run_folder(path.parent)):
        if source_format == "alpaca-eval":
            raise InputError("this is an alpaca-bench run, not AlpacaEval annotations", path)
        return _load_run(path if path.is_dir() else path.parent)
    rows = _rows(path)
    if source_format == "alpaca-eval" or (source_format == "auto" and rows and is_annotation_row(rows[0])):
        imported = annotations_to_judgments(rows, path)
        return comparisons_from_judgments(imported.judgments, str(path), None, imported.lengths)
    return comparisons_from_judgments(_judgments(rows, path), str(path))


def _load_run(folder: Path) -> list[ComparisonData]:
    """A run's judgments of the outputs it holds now, by judge, counted as `compare` counts them."""
    run = RunFolder(folder)
    manifest = run.manifest()
    stored = run.load_judgments()
    outputs_b, outputs_c = run.outputs(manifest.baseline), run.outputs(manifest.candidate)
    current = run.current_judgments(stored=stored, sides=(outputs_b, outputs_c))
    judgments = sorted(current, key=lambda j: j.judge.name)  # grouped by judge, file order within
    if len(judgments) < len(stored):
        logger.info(
            "%s: %d judgments of since-changed outputs not counted", folder, len(stored) - len(judgments)
        )
    baseline = {p: g.length for p, g in outputs_b.items()}
    candidate = {p: g.length for p, g in outputs_c.items()}
    lengths: dict[LengthKey, tuple[float, float]] = {
        (manifest.baseline.name, manifest.candidate.name, p): (baseline[p], candidate[p])
        for p in baseline.keys() & candidate.keys()
    }
    return comparisons_from_judgments(judgments, str(folder), manifest.eval_set, lengths)


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".jsonl":
        return JsonlLog(path).read_dicts()
    return read_json_rows(path, list_keys=("annotations", "judgments"))


def _judgments(rows: list[dict[str, Any]], path: Path) -> list[Judgment]:
    judgments = []
    line_numbers = path.suffix.lower() == ".jsonl"
    for index, row in enumerate(rows):
        try:
            judgments.append(Judgment.model_validate(row))
        except ValidationError as exc:
            where = index + 1 if line_numbers else None
            prefix = "" if line_numbers else f"row {index + 1}: "
            raise InputError(f"{prefix}not a judgment ({first_error(exc)})", path, where) from None
    return judgments


def _is_run_folder(path: Path) -> bool:
    manifest = path / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        value = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(value, Mapping) and value.get("kind") == "comparison"


def _looks_like_judgments(path: Path, source_format: SourceFormat) -> bool:
    """In a folder, keep only files whose first record is a judgment or an annotation, so
    generations, manifests and summaries beside them are passed over."""
    first = next(_first_record(path), None)
    if first is None:
        return False
    if is_annotation_row(first):
        return source_format != "alpaca-bench"
    judgment = all(key in first for key in ("prompt_id", "baseline", "candidate", "judge"))
    return judgment and source_format != "alpaca-eval"


def _first_record(path: Path) -> Iterator[dict[str, Any]]:
    try:
        if path.suffix.lower() == ".jsonl":
            with path.open(encoding="utf-8") as handle:
                line = next((text for text in handle if text.strip()), "")
            value: Any = json.loads(line) if line else None
        else:
            value = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(value, dict):
                value = value.get("annotations") or value.get("judgments")
            value = value[0] if isinstance(value, list) and value else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        logger.info("%s: skipped (not readable JSON)", path)
        return
    if isinstance(value, dict):
        yield value
