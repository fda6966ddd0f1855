"""Progress bars for long work, on stderr, quiet when stderr is not a terminal.

A bar counts each item once, by key, whoever reports it first: the caller when a result arrives,
or a backend that sees an output finish inside a batch (a local model's batch returns all its
outputs at the end, so without that the bar would move one batch at a time). The backend finds
the bar of the work it is doing through `live_bar()`, a context variable that follows the work
into worker threads.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
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
    """Handle for one task; `advance` takes extra fields shown in the description, and the
    tokens the finished items produced (shown as tokens/s when the bar counts them)."""

    def __init__(self, progress: Progress | None, task: TaskID | None):
        self._progress = progress
        self._task = task
        self._tokens = 0
        self._started = time.perf_counter()
        self._finished: set[str] = set()
        self._lock = threading.Lock()

    @property
    def shown(self) -> bool:
        """Whether anyone sees this bar (a backend skips early reports for one nobody sees)."""
        return self._progress is not None

    def finish(self, key: str, tokens: int = 0) -> None:
        """Count item `key` as done, once: a second report of the same key is ignored."""
        with self._lock:
            if key in self._finished:
                return
            self._finished.add(key)
        self.advance(tokens=tokens)

    @contextlib.contextmanager
    def live(self) -> Iterator[Bar]:
        """Make this the bar `live_bar()` returns in the work (and its threads) inside the block."""
        token = _LIVE.set(self)
        try:
            yield self
        finally:
            _LIVE.reset(token)

    def advance(self, amount: int = 1, tokens: int = 0, **fields: Any) -> None:
        if self._progress is not None and self._task is not None:
            self._tokens += tokens
            if self._tokens:
                rate = self._tokens / max(time.perf_counter() - self._started, 1e-9)
                fields["speed"] = f"{rate:,.0f} tokens/s"
            self._progress.update(self._task, advance=amount, **fields)

    def describe(self, description: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=description)


_LIVE: contextvars.ContextVar[Bar | None] = contextvars.ContextVar("alpaca_bench_live_bar", default=None)


def live_bar() -> Bar | None:
    """The bar of the work in progress, for a backend that can report items finishing early."""
    return _LIVE.get()


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
        TextColumn("{task.fields[speed]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield Bar(progress, progress.add_task(description, total=total, speed=""))


@contextlib.contextmanager
def status(message: str, enabled: bool = True) -> Iterator[None]:
    """A spinner with a message for work that has no count (loading a model), on a terminal."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield
        return
    with console.status(message):
        yield
