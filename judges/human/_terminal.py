"""`alpaca-bench rate`: open a run, build the rater's session, run the full-screen app."""

from __future__ import annotations

import sys
from pathlib import Path

from alpaca_bench.errors import InputError
from alpaca_bench.store import open_run

from ._session import Progress, RatingSession


def rate_in_terminal(run_dir: str | Path, rater: str, *, seed: int = 0, limit: int | None = None) -> Progress:
    """Rate the run's blind pairs until the rater quits; returns where they stand.

    Every rating is on disk the moment it is given, so there is nothing to save at the end.
    """
    run = open_run(run_dir)
    session = RatingSession(run, rater, seed=seed, limit=limit)
    if session.total == 0:
        raise InputError("no pairs to rate: the run holds no two different outputs for any prompt", run.path)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError("rating needs an interactive terminal (over ssh, use ssh -t)")
    from ._app import RatingApp

    error = RatingApp(session).run()
    if error is not None:
        raise error
    return session.progress()
