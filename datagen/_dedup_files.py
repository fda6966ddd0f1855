"""`alpaca-bench datagen dedup`: near-duplicate removal over a whole file, greedy in file order.

Reads instructions from a .json list or .jsonl of objects with an `instruction` field (any other
fields ride along untouched) or a .txt file with one instruction per line, and writes the kept
records in the output's format. Optional references (e.g. the seed tasks) are compared against
but never written.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alpaca_bench.errors import InputError
from alpaca_bench.files import JsonlLog, atomic_write_text, read_json_rows, read_text_strict
from alpaca_bench.progress import progress_bar

from ._dedup import check_threshold, deduplicate

SUFFIXES = (".json", ".jsonl", ".txt")


@dataclass
class DedupFileResult:
    output: Path
    total: int
    kept: int
    rejected: int
    seconds: float


def read_instructions(path: Path) -> list[dict[str, Any]]:
    """Records with a text `instruction`, from .json, .jsonl or .txt (one per line)."""
    suffix = _suffix(path)
    if suffix == ".txt":
        lines = [line.strip() for line in read_text_strict(path).splitlines()]
        return [{"instruction": line} for line in lines if line]
    rows = read_json_rows(path)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row.get("instruction"), str):
            raise InputError(f"record {number} has no text 'instruction' field", path)
    if not rows:
        raise InputError("no records", path)
    return rows


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"expected a {', '.join(SUFFIXES)} file, not {suffix or 'no extension'}", path)
    return suffix


def _render(records: list[dict[str, Any]], suffix: str) -> str:
    if suffix == ".txt":
        return "".join(" ".join(str(r["instruction"]).split()) + "\n" for r in records)
    if suffix == ".jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def dedup_file(
    input_path: Path,
    output: Path,
    threshold: float | str = 0.7,
    against: Path | None = None,
    rejected: Path | None = None,
    workers: int | None = None,
    show_progress: bool = True,
) -> DedupFileResult:
    """Keep each record whose instruction has ROUGE-L ≤ threshold against the references and
    every record kept before it; write the kept ones to `output` (atomically)."""
    limit = check_threshold(threshold)
    out_suffix = _suffix(output)
    if rejected is not None and rejected.suffix.lower() != ".jsonl":
        raise InputError("--rejected must be a .jsonl file", rejected)
    records = read_instructions(input_path)
    references = [r["instruction"] for r in read_instructions(against)] if against is not None else []
    started = time.perf_counter()
    with progress_bar("dedup", len(records), show_progress) as bar:
        decisions = deduplicate(
            [r["instruction"] for r in records], limit, references, workers=workers, on_block=bar.advance
        )
    seconds = time.perf_counter() - started
    kept = [r for r, d in zip(records, decisions, strict=True) if d.kept]
    atomic_write_text(output, _render(kept, out_suffix))
    if rejected is not None:
        rejected.unlink(missing_ok=True)
        JsonlLog(rejected).append(
            {"index": i, "instruction": r["instruction"], "score": d.score, "similar_to": d.similar_to}
            for i, (r, d) in enumerate(zip(records, decisions, strict=True))
            if not d.kept
        )
    return DedupFileResult(output, len(records), len(kept), len(records) - len(kept), seconds)
