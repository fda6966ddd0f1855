"""Tolerant parsing of a model's task list into tasks and problems.

Models drift from any requested layout: markdown bold around field names, numbering styles,
code fences, chatter before and after, a JSON array cut off by the token limit. Each parser
recovers every well-formed task it can and reports the rest as problems (`malformed`, or
`truncated` for a last item cut off mid-way) so they are counted, never silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ._records import Task

# What models write when a task has no input.
NO_INPUT_MARKERS = frozenset(
    {
        "",
        "<noinput>",
        "<no input>",
        "noinput",
        "no input",
        "none",
        "n/a",
        "na",
        "null",
        "-",
        "(none)",
        "empty",
    }
)

_FIELD_LINE = re.compile(
    r"""^\s*[#>*\-\s]*                           # markdown bullets, quote marks, heading hashes
    [*_]*\s*(?:(?:task|example)?\s*(\d+)\s*[.):\-]?\s*)?  # "3.", "3)", "Task 3:"
    [*_]*\s*(instruction|input|output)\s*[*_]*       # the field name, maybe **bold**
    \s*:\s*[*_]*\s?(.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
_CLOSER = re.compile(r"^\s*#{3,}\s*$")
_SEPARATOR_LINE = re.compile(
    r"^\s*(?:#{3,}|-{3,}|\*{3,}|={3,}|```\w*|(?:task|example)?\s*\d+\s*[.):]?)\s*$", re.I
)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)(?:```|$)", re.DOTALL)


@dataclass
class Problem:
    reason: str  # "malformed" or "truncated"
    detail: str
    raw: str


@dataclass
class ParseResult:
    tasks: list[Task] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def clean_input(text: str) -> str:
    """The task's input, with the usual "no input" spellings turned into ""."""
    stripped = text.strip()
    return "" if stripped.lower() in NO_INPUT_MARKERS else stripped


def _clip(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# ---------------------------------------------------------------- numbered blocks


def parse_numbered(text: str, truncated: bool = False) -> ParseResult:
    """Blocks of `N. Instruction:` / `N. Input:` / `N. Output:`; a new Instruction starts a block."""
    blocks = _split_blocks(text)
    result = ParseResult()
    for index, block in enumerate(blocks):
        raw = "\n".join(line for _, _, line in block)
        if truncated and index == len(blocks) - 1:
            result.problems.append(Problem("truncated", "last task cut off by the token limit", _clip(raw)))
            continue
        task_or_problem = _block_task(block, raw)
        if isinstance(task_or_problem, Task):
            result.tasks.append(task_or_problem)
        else:
            result.problems.append(task_or_problem)
    return result


# one line of a block: the field it opens (None for a continuation line), its text after the
# field name, and the line as written
Line = tuple[str | None, str, str]


def _split_blocks(text: str) -> list[list[Line]]:
    """The lines of each block. A block starts at an `Instruction:` line and ends at `###`; a
    field line outside any block, or numbered differently from its block, starts an orphan block
    (which then lacks an instruction and is reported as malformed instead of corrupting the
    previous task's output)."""
    blocks: list[list[Line]] = []
    in_block = False
    number: str | None = None
    for line in text.splitlines():
        if _CLOSER.match(line):
            in_block = False
            continue
        match = _FIELD_LINE.match(line)
        name = match.group(2).lower() if match else None
        numbered = match.group(1) if match else None
        renumbered = numbered is not None and number is not None and numbered != number
        if name == "instruction" or (name is not None and (not in_block or renumbered)):
            blocks.append([])
            in_block, number = True, numbered
        if in_block:
            blocks[-1].append((name, match.group(3) if match else line, line))
    return blocks


def _block_task(block: list[Line], raw: str) -> Task | Problem:
    """Fields come in order; once in the output, field-like lines are part of the output text."""
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for name, content, line in block:
        if name is not None and current != "output":
            if name in fields:
                return Problem("malformed", f"'{name.title()}:' appears twice in one task", _clip(raw))
            current = name
            fields[name] = [content]
        elif current is not None:
            fields[current].append(line)
    if "instruction" not in fields:
        return Problem("malformed", "no 'Instruction:' field", _clip(raw))
    if "output" not in fields:
        return Problem("malformed", "no 'Output:' field", _clip(raw))
    instruction = _field_text(fields["instruction"])
    if not instruction:
        return Problem("malformed", "empty instruction", _clip(raw))
    return Task(
        instruction=instruction,
        input=clean_input(_field_text(fields.get("input", [""]))),
        output=_field_text(fields["output"]),
    )


def _field_text(lines: list[str]) -> str:
    """Join a field's lines, dropping separators ("###", "Task 4") left between blocks."""
    kept = list(lines)
    while kept and (not kept[-1].strip() or _SEPARATOR_LINE.match(kept[-1])):
        kept.pop()
    return "\n".join(kept).strip().strip("*_").strip()


# ---------------------------------------------------------------- JSON arrays

_KEY_ALIASES = {"instruction": "instruction", "input": "input", "output": "output", "response": "output"}


def parse_json(text: str, truncated: bool = False) -> ParseResult:
    """A JSON array of task objects, possibly fenced, wrapped, surrounded by text or cut off.

    A clean document is read whole. Otherwise objects are decoded one at a time, so one broken
    item costs only itself (decoding resumes at the next `{`), and an item that runs into the
    end of the text is reported as the truncated last item. `truncated` is not needed here: a
    cut-off item shows itself.
    """
    body = _unfenced(text).strip()
    result = ParseResult()
    try:
        items = _items_of(json.loads(body))
    except json.JSONDecodeError:
        items = None
    if items is not None:
        for item in items:
            _add_json_item(item, json.dumps(item, ensure_ascii=False), result)
        return result
    _scan(body, _scan_start(body), result)
    return result


def _items_of(value: Any) -> list[Any] | None:
    """The task list in a parsed document: the array itself, or the one list inside an object."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if any(str(k).strip().lower() == "instruction" for k in value):
            return [value]
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return None


_WRAPPER_KEY = re.compile(r'^\{\s*"[^"]*"\s*:\s*$')


def _scan_start(body: str) -> int:
    """Position just before the first item: after `[` (or a `{"tasks": [` wrapper), else at `{`."""
    bracket, brace = body.find("["), body.find("{")
    if bracket >= 0 and (brace < 0 or brace > bracket or _WRAPPER_KEY.match(body[brace:bracket])):
        return bracket + 1
    return brace if brace >= 0 else len(body)


def _scan(body: str, position: int, result: ParseResult) -> None:
    decoder = json.JSONDecoder()
    while True:
        position = _skip_separators(body, position)
        if position >= len(body) or body[position] == "]":
            return
        try:
            value, end = decoder.raw_decode(body, position)
        except json.JSONDecodeError as exc:
            position = _recover(body, position, exc, result)
            if position < 0:
                return
            continue
        _add_json_item(value, body[position:end], result)
        position = end


def _unfenced(text: str) -> str:
    match = _FENCE.search(text)
    return match.group(1) if match else text


def _skip_separators(body: str, position: int) -> int:
    while position < len(body) and (body[position].isspace() or body[position] == ","):
        position += 1
    return position


def _recover(body: str, position: int, exc: json.JSONDecodeError, result: ParseResult) -> int:
    """Record the broken item; return where the next item starts, or -1 at the end."""
    following = body.find("{", position + 1)
    closing = body.find("]", position)
    if following < 0:
        reason = "malformed" if closing >= 0 else "truncated"
        detail = f"invalid JSON ({exc.msg})" if closing >= 0 else "last item cut off before its end"
        if body[position:].strip():
            result.problems.append(Problem(reason, detail, _clip(body[position:])))
        return -1
    if 0 <= closing < following:
        result.problems.append(
            Problem("malformed", f"invalid JSON ({exc.msg})", _clip(body[position:closing]))
        )
        return -1
    result.problems.append(Problem("malformed", f"invalid JSON ({exc.msg})", _clip(body[position:following])))
    return following


def _add_json_item(value: Any, raw: str, result: ParseResult) -> None:
    if not isinstance(value, dict):
        result.problems.append(
            Problem("malformed", f"expected an object, got {type(value).__name__}", _clip(raw))
        )
        return
    fields: dict[str, Any] = {}
    for key, item in value.items():
        name = _KEY_ALIASES.get(str(key).strip().lower())
        if name is not None and name not in fields:
            fields[name] = item
    instruction, output = fields.get("instruction"), fields.get("output")
    input_value = fields.get("input") or ""
    if not isinstance(instruction, str) or not instruction.strip():
        result.problems.append(Problem("malformed", "missing or empty 'instruction'", _clip(raw)))
        return
    if isinstance(output, (int, float)) and not isinstance(output, bool):
        output = str(output)
    if not isinstance(output, str):
        result.problems.append(Problem("malformed", "missing 'output' or it is not text", _clip(raw)))
        return
    if not isinstance(input_value, str):
        result.problems.append(Problem("malformed", "'input' is not text", _clip(raw)))
        return
    result.tasks.append(
        Task(instruction=instruction.strip(), input=clean_input(input_value), output=output.strip())
    )
