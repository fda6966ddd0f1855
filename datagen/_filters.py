"""Quality filters for generated tasks: one small filter per rejection reason.

Each filter answers one question about a task and, when it rejects, says why in a short detail
string. The registry is keyed by the reason name, which is what the rejection log and the report
count; add a filter with `register_filter`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ._records import Task


class TaskFilter(Protocol):
    @property
    def reason(self) -> str:
        """The rejection reason this filter stands for (its registry key)."""
        ...

    @property
    def description(self) -> str: ...

    def __call__(self, task: Task) -> str | None:
        """A short detail when the task is rejected, None when it passes."""
        ...


@dataclass(frozen=True)
class TooShort:
    """Fragments ("Summarize this.") say too little to train on."""

    min_words: int = 4
    reason: str = "too_short"
    description: str = "instruction has fewer than 4 words"

    def __call__(self, task: Task) -> str | None:
        words = len(task.instruction.split())
        return f"{words} words" if words < self.min_words else None


@dataclass(frozen=True)
class TooLong:
    """Very long instructions are usually the model rambling or pasting an input into it."""

    max_words: int = 150
    reason: str = "too_long"
    description: str = "instruction has more than 150 words"

    def __call__(self, task: Task) -> str | None:
        words = len(task.instruction.split())
        return f"{words} words" if words > self.max_words else None


# Words (regular expressions) that mean the task needs something a text-only model cannot see,
# hear, open or do. Bare "plot" and "visit" are left out: "the plot of Hamlet" is a text task.
NON_TEXT_PATTERNS = (
    r"images?",
    r"pictures?",
    r"photos?",
    r"photographs?",
    r"videos?",
    r"audio",
    r"podcasts?",
    r"sound clips?",
    r"files?",
    r"attach(?:ed|ment|ments)",
    r"maps?",
    r"draw(?:ing)?",
    r"sketch",
    r"plot (?:a|an|the|this|these|it)",
    r"graphs?",
    r"charts?",
    r"diagrams?",
    r"flowcharts?",
    r"screenshots?",
    r"click",
    r"go to (?:the |this )?(?:website|link|url|page)",
)
_NON_TEXT = re.compile(r"\b(" + "|".join(NON_TEXT_PATTERNS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class NeedsNonText:
    """Tasks about images, audio, video, files, maps or drawing cannot be answered in text."""

    reason: str = "needs_non_text"
    description: str = "mentions images, audio, video, files, maps, drawing, charts, …"

    def __call__(self, task: Task) -> str | None:
        match = _NON_TEXT.search(task.instruction)
        return f"mentions {match.group(1).lower()!r}" if match else None


@dataclass(frozen=True)
class LeadingPunctuation:
    """An instruction starting with punctuation is a parsing leftover, not a request."""

    reason: str = "leading_punctuation"
    description: str = "instruction starts with punctuation"

    def __call__(self, task: Task) -> str | None:
        first = task.instruction[:1]
        return f"starts with {first!r}" if first and first in string.punctuation else None


@dataclass(frozen=True)
class NonAsciiStart:
    """A non-ASCII first character is almost always another language or stray markup."""

    reason: str = "non_ascii_start"
    description: str = "instruction starts with a non-ASCII character"

    def __call__(self, task: Task) -> str | None:
        first = task.instruction[:1]
        return f"starts with {first!r}" if first and not first.isascii() else None


@dataclass(frozen=True)
class NonEnglish:
    """Mostly non-ASCII letters in the instruction: not English (the data set is English)."""

    max_share: float = 0.3
    reason: str = "non_english"
    description: str = "more than 30% of the instruction's letters are not ASCII"

    def __call__(self, task: Task) -> str | None:
        letters = [c for c in task.instruction if c.isalpha()]
        if not letters:
            return None
        share = sum(not c.isascii() for c in letters) / len(letters)
        return f"{share:.0%} non-ASCII letters" if share > self.max_share else None


@dataclass(frozen=True)
class EmptyOutput:
    reason: str = "empty_output"
    description: str = "the output is empty"

    def __call__(self, task: Task) -> str | None:
        return "no output" if not task.output.strip() else None


def _normalized(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class InputEqualsOutput:
    """Copying the input teaches nothing (and usually means the model misread the layout)."""

    reason: str = "input_equals_output"
    description: str = "the output repeats the input"

    def __call__(self, task: Task) -> str | None:
        same = task.input.strip() and _normalized(task.input) == _normalized(task.output)
        return "output is the input" if same else None


_WRITE_PROGRAM = re.compile(
    r"^(please\s+)?(write|create|develop|implement|code)\s+(a|an)\s+(\w+\s+)?program\b", re.I
)


@dataclass(frozen=True)
class WriteProgram:
    """ "Write a program that…" is ambiguous: should the output be the code or what it prints?"""

    reason: str = "write_program"
    description: str = "asks to write a program (ambiguous: the code or its result?)"

    def __call__(self, task: Task) -> str | None:
        return "asks for a program" if _WRITE_PROGRAM.match(task.instruction) else None


FILTERS: dict[str, TaskFilter] = {}


def register_filter(task_filter: TaskFilter) -> None:
    FILTERS[task_filter.reason] = task_filter


for _filter in (
    TooShort(),
    TooLong(),
    NeedsNonText(),
    LeadingPunctuation(),
    NonAsciiStart(),
    NonEnglish(),
    EmptyOutput(),
    InputEqualsOutput(),
    WriteProgram(),
):
    register_filter(_filter)


def default_filters() -> list[TaskFilter]:
    return list(FILTERS.values())


def first_rejection(task: Task, filters: Iterable[TaskFilter]) -> tuple[str, str] | None:
    """(reason, detail) of the first filter that rejects the task, in registry order."""
    for task_filter in filters:
        detail = task_filter(task)
        if detail is not None:
            return task_filter.reason, detail
    return None


def failing_filters(task: Task, filters: Sequence[TaskFilter] | None = None) -> list[str]:
    """Every reason this task would be rejected for (empty for a task that passes)."""
    return [f.reason for f in (filters if filters is not None else default_filters()) if f(task) is not None]
