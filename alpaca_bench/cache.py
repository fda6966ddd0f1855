"""The call cache: an embedded SQLite database keyed by a hash of everything that determines
an answer.

WAL mode plus a busy timeout makes it safe for several processes; entries are written the
moment a call returns, so a crashed run loses nothing it paid for.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from .errors import ServiceError
from .paths import cache_dir
from .records import stable_hash

logger = logging.getLogger(__name__)

SETUP_TIMEOUT_S = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


def cache_key(kind: str, payload: dict[str, Any]) -> str:
    return stable_hash({"kind": kind, **payload}, length=64)


class CallCache:
    """Thread-safe get/put of JSON values; one connection per instance."""

    def __init__(self, path: Path | None = None):
        self.path = path or default_cache_path()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            deadline = time.monotonic() + SETUP_TIMEOUT_S
            while True:
                try:
                    self._conn = self._open()
                    break
                except sqlite3.OperationalError as exc:
                    # switching to WAL takes a lock that ignores the busy timeout when several
                    # processes create the database at once: wait and try again
                    if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                        raise ServiceError(f"{self.path}: cannot open the call cache ({exc})") from None
                    time.sleep(0.05)
                except (sqlite3.Error, OSError) as exc:
                    raise ServiceError(f"{self.path}: cannot open the call cache ({exc})") from None
        return self._conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def get(self, key: str) -> Any | None:
        with self._lock:
            row = self._connect().execute("SELECT value FROM calls WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, kind: str, value: Any) -> None:
        blob = json.dumps(value, ensure_ascii=False)
        with self._lock:
            conn = self._connect()
            try:
                conn.execute(
                    "INSERT OR REPLACE INTO calls (key, kind, value, created_at) VALUES (?, ?, ?, ?)",
                    (key, kind, blob, time.time()),
                )
                conn.commit()
            except sqlite3.Error as exc:
                raise ServiceError(f"{self.path}: cannot write the call cache ({exc})") from None

    def count(self, kind: str | None = None) -> int:
        where, args = ("", []) if kind is None else (" WHERE kind = ?", [kind])
        with self._lock:
            return int(self._connect().execute("SELECT COUNT(*) FROM calls" + where, args).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def default_cache_path() -> Path:
    return cache_dir() / "calls.sqlite"


class NullCache(CallCache):
    """A cache that remembers nothing (`--no-cache`)."""

    def __init__(self) -> None:
        super().__init__(Path("/dev/null"))

    def get(self, key: str) -> Any | None:
        return None

    def put(self, key: str, kind: str, value: Any) -> None:
        return None

    def count(self, kind: str | None = None) -> int:
        return 0
