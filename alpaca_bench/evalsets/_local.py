"""Eval sets from the user's own files (.json, .jsonl, .csv, .parquet) or a `datasets` hub id.

Columns are found by common names unless a field map says otherwise, so most files load with
no options; every failure names the file and the row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import read_json_rows, read_text_strict
from ..records import FollowUp, Prompt
from ._base import EvalSet

FIELD_CANDIDATES: dict[str, tuple[str, ...]] = {
    "id": ("id", "prompt_id", "uid", "question_id"),
    "instruction": ("instruction", "prompt", "question"),
    "input": ("input", "context"),
    "reference": ("reference", "output", "target", "answer", "response"),
    "category": ("category", "dataset", "motivation_app"),
}
SUFFIXES = (".json", ".jsonl", ".csv", ".parquet")


def parse_field_map(text: str | None) -> dict[str, str]:
    """`instruction=question,reference=answer` → mapping from our field to the file's column."""
    if not text:
        return {}
    mapping = {}
    for part in text.split(","):
        ours, sep, theirs = part.partition("=")
        if not sep or ours.strip() not in FIELD_CANDIDATES or not theirs.strip():
            raise InputError(
                f"bad field map entry {part!r}: expected FIELD=COLUMN with FIELD one of "
                + ", ".join(FIELD_CANDIDATES)
            )
        mapping[ours.strip()] = theirs.strip()
    return mapping


def read_rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        return read_json_rows(path)
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(read_text_strict(path))))
        if not rows:
            raise InputError("no rows", path)
        return rows
    if suffix == ".parquet":
        return _parquet_rows(path)
    raise InputError(f"unsupported eval set file type {suffix!r} (use {', '.join(SUFFIXES)})", path)


def _parquet_rows(path: Path) -> list[dict[str, Any]]:
    read_text_strict_exists(path)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            "reading .parquet needs pyarrow: pip install 'alpaca-bench[parquet]'", path
        ) from None
    try:
        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow raises many types for a corrupt file
        raise InputError(f"not a readable parquet file ({type(exc).__name__})", path) from None
    if not rows:
        raise InputError("no rows", path)
    return rows


def read_text_strict_exists(path: Path) -> None:
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", path)


def rows_to_prompts(
    rows: list[dict[str, Any]], source: str, stem: str, field_map: Mapping[str, str] | None = None
) -> list[Prompt]:
    columns = _resolve_columns(rows[0], source, field_map or {})
    prompts = []
    for index, row in enumerate(rows):
        prompts.append(_row_to_prompt(row, columns, source, stem, index))
    return prompts


def _resolve_columns(first: Mapping[str, Any], source: str, field_map: Mapping[str, str]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for ours, candidates in FIELD_CANDIDATES.items():
        if ours in field_map:
            if field_map[ours] not in first:
                raise InputError(f"field map names column {field_map[ours]!r}, which the file lacks", source)
            columns[ours] = field_map[ours]
            continue
        found = next((c for c in candidates if c in first), None)
        if found is not None:
            columns[ours] = found
    if "instruction" not in columns and "instances" not in first and "turns" not in first:
        raise InputError(
            "no instruction column (looked for "
            + ", ".join(FIELD_CANDIDATES["instruction"])
            + ", or turns for a multi-turn file; use --field-map instruction=COLUMN)",
            source,
        )
    return columns


def _row_to_prompt(
    row: Mapping[str, Any], columns: Mapping[str, str], source: str, stem: str, index: int
) -> Prompt:
    def text(field: str) -> str | None:
        column = columns.get(field)
        value = row.get(column) if column else None
        if value is None or (isinstance(value, float) and value != value):
            return None
        return str(value)

    instruction = text("instruction")
    input_text = text("input") or ""
    reference = text("reference")
    follow_ups: list[FollowUp] = []
    if instruction is None and "turns" in row:  # a multi-turn file, MT-Bench's question format
        instruction, reference, follow_ups = _turns(row, source, index)
    instances = row.get("instances")
    if isinstance(instances, list) and instances and isinstance(instances[0], dict):
        input_text = str(instances[0].get("input") or input_text)
        reference = instances[0].get("output", reference)
    if not instruction or not instruction.strip():
        raise InputError(f"row {index + 1}: missing or empty instruction", source)
    return Prompt(
        id=text("id") or f"{stem}-{index:04d}",
        instruction=instruction,
        input=input_text,
        reference=reference,
        category=text("category"),
        follow_ups=follow_ups,
    )


def _turns(row: Mapping[str, Any], source: str, index: int) -> tuple[str, str | None, list[FollowUp]]:
    """(first user turn, its reference, the later turns) of a row with `turns`, and a `reference`
    list (one per turn) if the row has one."""
    turns = row["turns"]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        raise InputError(f"row {index + 1}: turns must be a non-empty list of texts", source)
    given = row.get("reference")
    references = [str(r) if r else None for r in given] if isinstance(given, list) else [None]
    references += [None] * (len(turns) - len(references))
    later = [FollowUp(message=t, reference=r) for t, r in zip(turns[1:], references[1:], strict=False)]
    return turns[0], references[0], later


def load_local(path: Path, field_map: Mapping[str, str] | None = None) -> EvalSet:
    rows = read_rows(path)
    return EvalSet(path.stem, rows_to_prompts(rows, str(path), path.stem, field_map), source=str(path))


def load_hub(spec: str, field_map: Mapping[str, str] | None = None) -> EvalSet:
    """`org/name[:config][:split]` through `datasets` (a local dataset folder works too)."""
    parts: list[str | None] = [*spec.split(":"), None, None]
    name, config, split = parts[0], parts[1], parts[2]
    if not name:
        raise InputError(f"bad hub eval set 'hf:{spec}': expected hf:org/name[:config][:split]")
    try:
        import datasets
    except ImportError:
        raise InputError("hf: eval sets need the datasets package: pip install 'alpaca-bench[hf]'") from None
    try:
        loaded = datasets.load_dataset(name, config or None)
    except Exception as exc:  # datasets raises a zoo of types for missing/broken sets
        raise InputError(f"cannot load dataset {name!r}: {str(exc).splitlines()[0][:200]}") from None
    chosen = split or ("test" if "test" in loaded else next(iter(loaded)))
    if chosen not in loaded:
        raise InputError(f"dataset {name!r} has no split {chosen!r} (has {', '.join(loaded)})")
    rows = [dict(r) for r in loaded[chosen]]
    if not rows:
        raise InputError(f"dataset {name!r} split {chosen!r} is empty")
    label = name.rstrip("/").replace("/", "_").lstrip("._")
    return EvalSet(label, rows_to_prompts(rows, f"hf:{spec}", label, field_map), source=f"hf:{spec}")
