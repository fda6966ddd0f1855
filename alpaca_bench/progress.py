"""Progress bars for long work, on stderr, quiet when stderr is not a terminal."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Bar:
    """Handle for one task; `advance` takes extra fields shown in the description."""

    def __init__(self, progress: Progress | None, task: TaskID | None):
        self._progress = progress
        self._task = task

    def advance(self, amount: int = 1, **fields: Any) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=amount, **fields)

    def describe(self, description: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=description)


@contextlib.contextmanager
def progress_bar(description: str, total: int, enabled: bool = True) -> Iterator[Bar]:
    console = Console(stderr=True)
    if not enabled or not console.is_terminal or total == 0:
        yield Bar(None, None)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield Bar(progress, progress.add_task(description, total=total))
