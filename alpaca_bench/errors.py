"""Errors that carry their process exit code.

The CLI turns these into one line on stderr and the exit code; anything else escaping is a bug
and keeps its traceback. Library callers can catch the narrow classes.
"""

from __future__ import annotations

from pathlib import Path


class AlpacaBenchError(Exception):
    """Base class; `exit_code` is what the CLI returns."""

    exit_code = 1


class InputError(AlpacaBenchError):
    """Bad user input: a file, a spec, an option. Exit 2."""

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(where + message)
        self.path = path
        self.line = line


class ServiceError(AlpacaBenchError):
    """A model or judge service failed after retries, or refused our credentials. Exit 3.

    Progress is kept on disk, so the same command resumes.
    """

    exit_code = 3


class GateFailed(AlpacaBenchError):
    """The regression gate found a significant regression. Exit 1."""

    exit_code = 1
