"""Find a built-in eval set on disk, or download it once and verify it.

The checksum is over the parsed content rather than the bytes, so it holds for any faithful
copy (re-serialised JSON, extra columns) and can be checked offline against the local copy.
Files with no structure to parse (a LICENSE) have no fingerprint and are checked byte for byte.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
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
RETRY_WAIT_S = 1.0  # before retrying a network failure; a bad checksum is retried at once


@dataclass(frozen=True)
class RemoteFile:
    """A public file: where it lives in the data dir, where to fetch it, what it must contain.

    `fingerprint` picks the content that matters out of the parsed file; without one the
    checksum is the plain sha256 of the bytes (what `sha256sum` prints).
    """

    name: str
    relative_path: str
    url: str
    content_sha256: str
    fingerprint: Callable[[Path], Any] | None = None

    def verify(self, path: Path) -> bool:
        if self.fingerprint is None:
            return hashlib.sha256(path.read_bytes()).hexdigest() == self.content_sha256
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


def _download(remote: RemoteFile, target: Path, *, url: str | None = None, attempts: int = 1) -> str | None:
    """Fetch `remote` (from `url` when given, e.g. a mirror) into `target`, trying up to
    `attempts` times: a flaky connection or a truncated copy usually succeeds on a second try.
    Returns why the last attempt failed, or None. Only a verified copy ever reaches `target`."""
    if os.environ.get(OFFLINE_ENV):
        return f"{OFFLINE_ENV} is set"
    source = url or remote.url
    failure = ""
    for attempt in range(1, attempts + 1):
        reason, corrupt = _attempt(remote, source, target)
        if reason is None:
            return None
        failure = reason
        if attempt < attempts:
            logger.warning("%s: %s; retrying (%d of %d)", remote.name, reason, attempt + 1, attempts)
            if not corrupt:
                time.sleep(RETRY_WAIT_S * attempt)
    return failure if attempts == 1 else f"{failure} ({attempts} attempts)"


def _attempt(remote: RemoteFile, source: str, target: Path) -> tuple[str | None, bool]:
    """One download: (why it failed or None, whether the bytes arrived but were wrong)."""
    logger.info("downloading %s from %s", remote.name, source)
    try:
        with urllib.request.urlopen(source, timeout=TIMEOUT_S) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"download failed: {getattr(exc, 'reason', exc)}", False
    failed = f"downloaded file from {source} failed its checksum"
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return failed, True
    partial = target.with_name(f".partial-{target.name}")
    atomic_write_text(partial, text)
    try:
        ok = remote.verify(partial)
    except (InputError, ValueError, KeyError, TypeError, IndexError):
        ok = False
    if not ok:
        partial.unlink(missing_ok=True)
        return failed, True
    partial.replace(target)
    return None, False
