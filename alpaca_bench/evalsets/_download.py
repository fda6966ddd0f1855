"""Find a built-in eval set on disk, or download it once and verify it.

The checksum is over the parsed content rather than the bytes, so it holds for any faithful
copy (re-serialised JSON, extra columns) and can be checked offline against the local copy.
"""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import atomic_write_text
from ..paths import DATA_DIR_ENV, cache_dir, data_dir
from ..records import stable_hash

logger = logging.getLogger(__name__)

OFFLINE_ENV = "ALPACA_BENCH_OFFLINE"
TIMEOUT_S = 30


@dataclass(frozen=True)
class RemoteFile:
    """A public file: where it lives in the data dir, where to fetch it, what it must contain."""

    name: str
    relative_path: str
    url: str
    content_sha256: str
    fingerprint: Callable[[Path], Any]

    def verify(self, path: Path) -> bool:
        return stable_hash(self.fingerprint(path), length=64) == self.content_sha256


def locate(remote: RemoteFile) -> Path:
    """The local copy of `remote`: data dir, then cache, then a verified download."""
    root = data_dir()
    if root is not None and (root / remote.relative_path).is_file():
        return root / remote.relative_path
    cached = cache_dir() / "evalsets" / remote.relative_path
    if cached.is_file():
        return cached
    reason = _download(remote, cached)
    if reason is None:
        return cached
    where = f"${DATA_DIR_ENV}/{remote.relative_path}" if root is None else str(root / remote.relative_path)
    raise InputError(
        f"eval set {remote.name!r} is not available offline and could not be downloaded ({reason}); "
        f"put the file at {where} (set {DATA_DIR_ENV}) or at {cached}"
    )


def _download(remote: RemoteFile, target: Path) -> str | None:
    """Fetch into the cache; returns why it failed, or None."""
    if os.environ.get(OFFLINE_ENV):
        return f"{OFFLINE_ENV} is set"
    logger.info("downloading %s from %s", remote.name, remote.url)
    try:
        with urllib.request.urlopen(remote.url, timeout=TIMEOUT_S) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"download failed: {getattr(exc, 'reason', exc)}"
    partial = target.with_name(f".partial-{target.name}")
    atomic_write_text(partial, payload.decode("utf-8"))
    try:
        ok = remote.verify(partial)
    except (InputError, ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        partial.unlink(missing_ok=True)
        return f"downloaded file from {remote.url} failed its checksum"
    partial.replace(target)
    return None
