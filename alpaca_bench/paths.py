"""Where alpaca-bench keeps things on disk.

Read from the environment at call time (never at import time) so tests and users can point
them elsewhere per process.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_RESULTS = Path("results")  # the results root when none is given, relative to where a command runs
DATA_DIR_ENV = "ALPACA_BENCH_DATA_DIR"
CACHE_ENV = "ALPACA_BENCH_CACHE"


def data_dir() -> Path | None:
    """The folder of local public data (layout of `../shared/data`), if there is one.

    `$ALPACA_BENCH_DATA_DIR` wins; otherwise the folder `alpaca-bench data fetch` fills by
    default (`<cache>/data`), once it exists, so fetched data is used without further setup.
    """
    value = os.environ.get(DATA_DIR_ENV)
    if value:
        return Path(value).expanduser()
    fetched = fetched_data_dir()
    return fetched if fetched.is_dir() else None


def fetched_data_dir() -> Path:
    """Where `alpaca-bench data fetch` puts the public data unless told otherwise."""
    return cache_dir() / "data"


def cache_dir() -> Path:
    """Root of the call cache and downloaded eval sets."""
    value = os.environ.get(CACHE_ENV)
    if value:
        return Path(value).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("alpaca-bench"))
