"""Seed tasks: the human-written examples every generation request shows the model.

Two layouts are read: self-instruct's `seed_tasks.jsonl` (an `instruction` plus a list of
`instances`, each with `input` and `output`; the first instance is the example) and plain
Alpaca records (`instruction`, `input`, `output`) in a JSON list or JSONL. Problems are reported
with the file and the line (JSONL) or item number (JSON), before anything is generated.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alpaca_bench.errors import InputError
from alpaca_bench.files import read_text_strict

from ._records import Task


def load_seed_tasks(path: str | Path) -> list[Task]:
    """Every seed task in `path`, in file order."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".jsonl"):
        raise InputError(f"seed tasks must be a .json or .jsonl file, not {suffix or 'no extension'}", path)
    text = read_text_strict(path)
    rows = _jsonl_rows(text, path) if suffix == ".jsonl" else _json_rows(text, path)
    tasks = [_task(located, path) for located in rows]
    if not tasks:
        raise InputError("no seed tasks", path)
    return tasks


# (line number for JSONL, "row N: " prefix for JSON, the parsed row)
Located = tuple[int | None, str, Any]


def _jsonl_rows(text: str, path: Path) -> list[Located]:
    rows: list[Located] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, "", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", path, number) from None
    return rows


def _json_rows(text: str, path: Path) -> list[Located]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno}: {exc.msg}", path) from None
    if not isinstance(value, list):
        raise InputError("expected a JSON list of seed tasks", path)
    return [(None, f"row {index + 1}: ", row) for index, row in enumerate(value)]


def _task(located: Located, path: Path) -> Task:
    line, prefix, row = located

    def fail(problem: str) -> InputError:
        return InputError(prefix + problem, path, line)

    if not isinstance(row, dict):
        raise fail(f"expected an object, got {type(row).__name__}")
    instruction = row.get("instruction")
    if not isinstance(instruction, str) or not instruction.strip():
        raise fail("missing or empty 'instruction'")
    if "instances" in row:
        example = _first_instance(row["instances"], fail)
    elif "output" in row:
        example = row
    else:
        raise fail("needs 'output' (Alpaca format) or 'instances' (self-instruct format)")
    input_text, output = example.get("input", ""), example.get("output")
    if input_text is None:
        input_text = ""
    if not isinstance(input_text, str):
        raise fail(f"'input' must be text, got {type(input_text).__name__}")
    if not isinstance(output, str):
        raise fail(f"'output' must be text, got {type(output).__name__}")
    return Task(instruction=instruction.strip(), input=input_text.strip(), output=output.strip())


def _first_instance(instances: Any, fail: Callable[[str], InputError]) -> dict[str, Any]:
    if not isinstance(instances, list) or not instances:
        raise fail("'instances' must be a non-empty list")
    first = instances[0]
    if not isinstance(first, dict):
        raise fail("'instances' must hold objects with 'input' and 'output'")
    return first
