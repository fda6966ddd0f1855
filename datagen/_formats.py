"""The layouts a model can be asked to answer in, keyed by `--format` name.

A format owns both directions, so what the prompt shows and what the parser expects cannot
drift apart: how examples are written, how the model is told to answer, and how the answer is
read back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

from alpaca_bench.errors import InputError

from ._parsing import ParseResult, parse_json, parse_numbered
from ._records import Task

NO_INPUT = "<noinput>"


class TaskFormat(Protocol):
    name: str

    def answer_instructions(self, first_number: int, count: int) -> str:
        """How the model must lay out its answer."""
        ...

    def render_examples(self, examples: Sequence[Task]) -> str: ...

    def closing(self, first_number: int, count: int) -> str:
        """The last line of the prompt, right where the answer starts."""
        ...

    def parse(self, text: str, truncated: bool) -> ParseResult: ...


class NumberedFormat:
    """Alpaca-style numbered blocks, the layout the original 52K data was generated in."""

    name = "numbered"

    def answer_instructions(self, first_number: int, count: int) -> str:
        last = first_number + count - 1
        return (
            "Write each task as three numbered fields, `N. Instruction:`, `N. Input:` and `N. Output:`, "
            f"with {NO_INPUT} as the input when there is none, and put a line with only ### after each "
            f"task. Number the new tasks from {first_number} to {last}."
        )

    def render_examples(self, examples: Sequence[Task]) -> str:
        return "\n".join(_numbered_block(number, task) for number, task in enumerate(examples, start=1))

    def closing(self, first_number: int, count: int) -> str:
        return f"Now write tasks {first_number} to {first_number + count - 1}."

    def parse(self, text: str, truncated: bool) -> ParseResult:
        return parse_numbered(text, truncated)


def _numbered_block(number: int, task: Task) -> str:
    return (
        f"{number}. Instruction: {task.instruction}\n"
        f"{number}. Input:\n{task.input or NO_INPUT}\n"
        f"{number}. Output:\n{task.output}\n###"
    )


class JsonFormat:
    """A JSON array of objects: easy to read back, and what structured-output models prefer."""

    name = "json"

    def answer_instructions(self, first_number: int, count: int) -> str:
        return (
            "Answer with a JSON array and nothing else. Each element is an object with three string "
            'fields: "instruction", "input" (an empty string when the task has no input) and "output".'
        )

    def render_examples(self, examples: Sequence[Task]) -> str:
        return json.dumps([task.model_dump() for task in examples], indent=2, ensure_ascii=False)

    def closing(self, first_number: int, count: int) -> str:
        return f"Now write the JSON array of {count} new tasks."

    def parse(self, text: str, truncated: bool) -> ParseResult:
        return parse_json(text, truncated)


FORMATS: dict[str, TaskFormat] = {}


def register_format(task_format: TaskFormat) -> None:
    FORMATS[task_format.name] = task_format


def get_format(name: str) -> TaskFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise InputError(f"unknown --format {name!r}; use one of {', '.join(sorted(FORMATS))}") from None


register_format(NumberedFormat())
register_format(JsonFormat())
