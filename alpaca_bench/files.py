"""Crash-safe file primitives: atomic rewrites, append-only JSONL logs, strict input readers.

Append-only logs are the unit of durability: a record is flushed and fsynced the moment it
exists, appends from several processes are serialised with `flock`, and a line left half
written by a killed process is dropped (it was never acknowledged) rather than poisoning the file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import AlpacaBenchError, InputError, ServiceError

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def storage_error(exc: OSError, path: Path) -> AlpacaBenchError:
    """A write failure as a one-line error: permissions are the user's to fix (2), the rest 3."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return InputError(f"cannot write ({reason})", path)
    return ServiceError(f"{path}: cannot write ({reason}); records written so far are intact")


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise storage_error(exc, path) from None


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` in one step so readers never see a half-written file."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def atomic_write_json(path: Path, payload: Any) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def _as_line(record: BaseModel | dict[str, Any]) -> str:
    if isinstance(record, BaseModel):
        return record.model_dump_json()
    return json.dumps(record, ensure_ascii=False, default=str)


@dataclass
class _KeyIndex:
    """Keys of the records in the first `offset` bytes of one file (one inode)."""

    inode: tuple[int, int] = (0, 0)
    offset: int = 0
    lines: int = 0
    keys: set[Hashable] = field(default_factory=set)


class JsonlLog:
    """An append-only JSONL file shared safely by threads and processes."""

    def __init__(self, path: Path):
        self.path = path
        self._indexes: dict[Callable[[dict[str, Any]], Hashable], _KeyIndex] = {}

    def read_dicts(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with writing(self.path):
            raw = self.path.read_bytes()
        return self._parse(raw)

    def _parse(self, raw: bytes, first_line: int = 1) -> list[dict[str, Any]]:
        lines = raw.split(b"\n")
        if lines and lines[-1] != b"":
            logger.warning("%s: ignoring a partial last line left by an interrupted write", self.path)
        complete = lines[:-1]
        out: list[dict[str, Any]] = []
        for number, line in enumerate(complete, start=first_line):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"corrupt record ({exc})", self.path, number) from None
            if not isinstance(value, dict):
                raise InputError("expected a JSON object per line", self.path, number)
            out.append(value)
        return out

    def read(self, model: type[M]) -> list[M]:
        records = []
        for number, value in enumerate(self.read_dicts(), start=1):
            try:
                records.append(model.model_validate(value))
            except ValidationError as exc:
                raise InputError(f"invalid {model.__name__}: {first_error(exc)}", self.path, number) from None
        return records

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        with writing(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._repair_tail(fd)
                yield fd
            finally:
                os.close(fd)

    def _repair_tail(self, fd: int) -> None:
        """Cut a half-written last line: no live writer holds the lock, so its owner died."""
        size = os.fstat(fd).st_size
        if size == 0:
            return
        if os.pread(fd, 1, size - 1) == b"\n":
            return
        start = size
        chunk = 4096
        while start > 0:
            begin = max(0, start - chunk)
            data = os.pread(fd, start - begin, begin)
            cut = data.rfind(b"\n")
            if cut >= 0:
                os.ftruncate(fd, begin + cut + 1)
                return
            start = begin
        os.ftruncate(fd, 0)

    def append(self, records: BaseModel | dict[str, Any] | Iterable[BaseModel | dict[str, Any]]) -> None:
        """Append and fsync; several records go in one write."""
        batch = [records] if isinstance(records, (BaseModel, dict)) else list(records)
        if not batch:
            return
        payload = "".join(_as_line(r) + "\n" for r in batch).encode("utf-8")
        with self._locked() as fd:
            self._write_all(fd, payload)

    def append_unique(
        self,
        record: BaseModel,
        key: Callable[[dict[str, Any]], Hashable],
    ) -> bool:
        """Append unless a record with the same key is already in the file (checked under the lock).

        Returns whether it was written. This is what keeps two processes on one run folder from
        duplicating a judgment. Each process remembers the keys it has seen and reads only the
        bytes appended since, so a run of n records costs O(n), not O(n^2).
        """
        line = _as_line(record)
        new_key = key(json.loads(line))
        with self._locked() as fd:
            index = self._catch_up(fd, key)
            if new_key in index.keys:
                return False
            self._write_all(fd, (line + "\n").encode("utf-8"))
            index.keys.add(new_key)
            index.offset, index.lines = os.fstat(fd).st_size, index.lines + 1
            return True

    def _catch_up(self, fd: int, key: Callable[[dict[str, Any]], Hashable]) -> _KeyIndex:
        stat = os.fstat(fd)
        index = self._indexes.get(key)
        if index is None or index.inode != (stat.st_dev, stat.st_ino) or stat.st_size < index.offset:
            index = self._indexes[key] = _KeyIndex(inode=(stat.st_dev, stat.st_ino))
        if stat.st_size > index.offset:
            raw = os.pread(fd, stat.st_size - index.offset, index.offset)
            index.keys.update(key(value) for value in self._parse(raw, index.lines + 1))
            index.lines += raw.count(b"\n")
            index.offset = stat.st_size
        return index

    def remove_last(self, predicate: Callable[[dict[str, Any]], bool]) -> bool:
        """Take back the last record matching `predicate` (a human's undo); returns whether one was.

        Done in place under the lock, never by replacing the file, since other processes append to
        this path. The last line is truncated away; an earlier one is overwritten with spaces of the
        same length, which readers skip as a blank line, so no later record moves and a crash at
        any point leaves every other record intact.
        """
        self._indexes.clear()  # a taken-back key may be written again
        with self._locked() as fd:
            raw = os.pread(fd, os.fstat(fd).st_size, 0)
            end = len(raw)
            while end > 0:
                start = raw.rfind(b"\n", 0, end - 1) + 1
                line = raw[start:end]
                try:
                    value = json.loads(line) if line.strip() else None
                except ValueError:  # a corrupt line is never the one to take back
                    value = None
                if isinstance(value, dict) and predicate(value):
                    if end == len(raw):
                        os.ftruncate(fd, start)
                    else:  # pwrite on an O_APPEND descriptor would append, whatever the offset
                        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_APPEND)
                        os.pwrite(fd, b" " * (len(line) - 1), start)
                    os.fsync(fd)
                    return True
                end = start
            return False

    def _write_all(self, fd: int, payload: bytes) -> None:
        """Write whole records or nothing: a short write (disk full, size limit) is rolled back."""
        size = os.fstat(fd).st_size
        try:
            written = os.write(fd, payload)
            if written != len(payload):
                raise OSError(errno.ENOSPC, "No space left on device (short write)")
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, size)
            raise


def first_error(exc: ValidationError) -> str:
    """The first pydantic error as 'field: message'."""
    err = exc.errors()[0]
    message = str(err["msg"]).removeprefix("Value error, ")
    loc = ".".join(str(p) for p in err["loc"])
    return f"{loc}: {message}" if loc else message


def read_text_strict(path: Path) -> str:
    """Read a user-supplied file, with one-line errors for the usual ways it can be wrong."""
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})", path) from None
    if not text.strip():
        raise InputError("file is empty", path)
    return text


def read_json_rows(path: Path, list_keys: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a user .json (list of objects, or an object holding one) or .jsonl file."""
    text = read_text_strict(path)
    if path.suffix.lower() == ".jsonl":
        return _jsonl_rows(text, path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno}: {exc.msg}", path) from None
    if isinstance(value, dict):
        for key in list_keys:
            if isinstance(value.get(key), list):
                value = value[key]
                break
    if not isinstance(value, list):
        raise InputError("expected a JSON list of objects", path)
    for index, row in enumerate(value):
        if not isinstance(row, dict):
            raise InputError(f"row {index + 1} is {type(row).__name__}, expected an object", path)
    return value


def _jsonl_rows(text: str, path: Path) -> list[dict[str, Any]]:
    rows = []
    # split on newlines only: str.splitlines() also breaks at U+2028 and friends, which JSON
    # strings may hold raw (Arena-Hard v2.0 prompts do)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", path, number) from None
        if not isinstance(value, dict):
            raise InputError(f"expected a JSON object, got {type(value).__name__}", path, number)
        rows.append(value)
    if not rows:
        raise InputError("no records", path)
    return rows
