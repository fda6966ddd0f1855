"""The scripted OpenAI server, with the Batch API: uploads, batches that move through their
states as they are polled, result files, and scripted line failures and expiries.

`BatchOpenAIServer` is a `ScriptedOpenAIServer` (same responder, same faults on chat calls, so a
synchronous fallback is served as usual) that also speaks:

- ``POST /v1/files`` (multipart, ``purpose=batch``), ``GET /v1/files/{id}`` and
  ``GET /v1/files/{id}/content``;
- ``POST /v1/batches`` and ``GET /v1/batches/{id}``.

A batch is ``validating`` when created and moves on each time it is retrieved: ``in_progress``,
``finalizing``, then ``completed`` at the ``polls_to_complete``-th retrieve (never while ``hold``
is set). Only then are its lines answered, each by the responder, and written to an output file
(answers, and lines failed with ``500``) and an error file (lines failed with ``error``; a
``missing`` line is in neither, as the real service sometimes does). The batches whose creation
index is in ``expire`` end ``expired`` instead, with only the first ``expired_answered`` fraction
of their lines answered and the rest in the error file as ``batch_expired``. An input file that
the real service would reject (bad JSON, duplicate ``custom_id``, wrong url, too many lines)
makes the batch ``failed`` with its ``errors``.

Counters (guarded by the server's lock): ``uploads``, ``created`` (batches), ``retrieves``,
``downloads``, ``answered`` (chat answers produced inside batches, by ``custom_id``),
``line_failures`` (by kind) and ``usage`` (tokens of those answers); ``served`` counts the
synchronous chat answers as in the base server, and ``produced`` both kinds together.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal, cast

from ._openai_server import (
    FaultHook,
    Reply,
    Responder,
    ScriptedOpenAIServer,
    _completion_payload,
    echo_responder,
)

LineFault = Literal["error", "500", "missing"]
"""How one batch line fails: in the error file, as a 500 in the output file, or not at all."""

LineFaultHook = Callable[[dict[str, Any]], LineFault | None]

TERMINAL = ("completed", "failed", "expired", "cancelled")
MAX_LINES = 50_000
MAX_BYTES = 200_000_000


@dataclass
class LineFaultPlan:
    """Fail a seeded fraction ``rate`` of batch lines, each with a kind drawn from ``kinds``."""

    rate: float = 0.1
    kinds: tuple[LineFault, ...] = ("error", "500")
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def __call__(self, line: dict[str, Any]) -> LineFault | None:
        if self._rng.random() >= self.rate:
            return None
        return self._rng.choice(self.kinds)


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class ScriptedBatch:
    """One batch as the server holds it; ``index`` is its place in creation order (from 0)."""

    id: str
    index: int
    input_file_id: str
    endpoint: str
    completion_window: str
    created_at: int
    lines: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    status: str = "validating"
    retrieves: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    ended_at: int | None = None

    @property
    def custom_ids(self) -> list[str]:
        return [str(line.get("custom_id")) for line in self.lines]

    def payload(self) -> dict[str, Any]:
        ended = {
            f"{state}_at": self.ended_at if self.status == state else None
            for state in ("completed", "failed", "expired", "cancelled")
        }
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "in_progress_at": self.created_at if self.status != "validating" else None,
            "expires_at": self.created_at + 24 * 3600,
            "finalizing_at": self.ended_at,
            "cancelling_at": None,
            **ended,
            "request_counts": {"total": len(self.lines), "completed": self.completed, "failed": self.failed},
            "metadata": None,
        }


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error"}}


def _error_line(custom_id: str, code: str, message: str) -> dict[str, Any]:
    return {
        "id": f"batch_req_{random.getrandbits(48):x}",
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": message},
    }


def _response_line(custom_id: str, status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"batch_req_{random.getrandbits(48):x}",
        "custom_id": custom_id,
        "response": {"status_code": status, "request_id": f"req_{random.getrandbits(48):x}", "body": body},
        "error": None,
    }


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


class BatchOpenAIServer(ScriptedOpenAIServer):
    """`with BatchOpenAIServer(respond) as server: openai:MODEL@{server.base_url}` with batches."""

    def __init__(
        self,
        respond: Responder = echo_responder,
        faults: FaultHook | None = None,
        latency_s: float = 0.0,
        api_key: str | None = None,
        *,
        polls_to_complete: int = 3,
        line_faults: LineFaultHook | None = None,
        expire: Collection[int] = (),
        expired_answered: float = 0.5,
    ):
        super().__init__(respond, faults, latency_s, api_key)
        self.polls_to_complete = polls_to_complete
        self.line_faults = line_faults
        self.expire = set(expire)
        self.expired_answered = expired_answered
        self.hold = False  # while set, no batch finishes, however often it is polled
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, ScriptedBatch] = {}
        self.uploads = 0
        self.created = 0
        self.retrieves = 0
        self.downloads = 0
        self.answered: Counter[str] = Counter()
        self.line_failures: Counter[str] = Counter()
        self.usage: Counter[str] = Counter()

    @property
    def produced(self) -> int:
        """Every chat answer this server has produced: inside batches and synchronous."""
        with self._lock:
            return sum(self.answered.values()) + self.served

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base: Any = super()._handler_class()
        server = self

        def do_GET(handler: Any) -> None:
            if not server._get(handler):
                base.do_GET(handler)

        def _post(handler: Any) -> None:
            if not server._post(handler):
                base._post(handler)

        return cast(
            "type[BaseHTTPRequestHandler]", type("BatchHandler", (base,), {"do_GET": do_GET, "_post": _post})
        )

    # --- routing ---

    def _authorised(self, handler: Any) -> bool:
        if self.api_key is None or handler.headers.get("Authorization") == f"Bearer {self.api_key}":
            return True
        handler._send_json(401, {"error": {"message": "invalid api key", "code": "invalid_api_key"}})
        return False

    def _get(self, handler: Any) -> bool:
        path = handler.path.split("?", 1)[0].rstrip("/")
        if match := re.search(r"/files/([^/]+)/content$", path):
            if self._authorised(handler):
                self._send_content(handler, match.group(1))
        elif match := re.search(r"/files/([^/]+)$", path):
            if self._authorised(handler):
                with self._lock:
                    stored = self.files.get(match.group(1))
                self._send_found(handler, stored.payload() if stored else None, "file")
        elif match := re.search(r"/batches/([^/]+)$", path):
            if self._authorised(handler):
                self._send_found(handler, self._retrieve(match.group(1)), "batch")
        else:
            return False
        return True

    def _post(self, handler: Any) -> bool:
        path = handler.path.split("?", 1)[0].rstrip("/")
        if not path.endswith(("/files", "/batches")):
            return False
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        if not self._authorised(handler):
            return True
        if path.endswith("/files"):
            status, payload = self._upload(handler.headers.get("Content-Type", ""), raw)
        else:
            status, payload = self._create(json.loads(raw or b"{}"))
        handler._send_json(status, payload)
        return True

    @staticmethod
    def _send_found(handler: Any, payload: dict[str, Any] | None, what: str) -> None:
        if payload is None:
            handler._send_json(404, _error(f"no such {what}"))
        else:
            handler._send_json(200, payload)

    def _send_content(self, handler: Any, file_id: str) -> None:
        with self._lock:
            stored = self.files.get(file_id)
            if stored is not None:
                self.downloads += 1
        if stored is None:
            self._send_found(handler, None, "file")
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(stored.data)))
        handler.end_headers()
        handler.wfile.write(stored.data)

    # --- the Batch API ---

    def _store(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        """Keep a file (the lock is held)."""
        stored = StoredFile(f"file-{len(self.files) + 1:06d}", filename, purpose, data, int(time.time()))
        self.files[stored.id] = stored
        return stored

    def _upload(self, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + raw)
        fields: dict[str, tuple[str | None, bytes]] = {}
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(data, bytes):
                    fields[name] = (part.get_filename(), data)
        if "file" not in fields or "purpose" not in fields:
            return 400, _error("expected multipart fields 'file' and 'purpose'")
        filename, data = fields["file"]
        with self._lock:
            stored = self._store(filename or "upload.jsonl", fields["purpose"][1].decode(), data)
            self.uploads += 1
        return 200, stored.payload()

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        file_id = str(body.get("input_file_id", ""))
        endpoint = str(body.get("endpoint", ""))
        with self._lock:
            stored = self.files.get(file_id)
            if stored is None:
                return 404, _error(f"no such file {file_id}")
            if stored.purpose != "batch":
                return 400, _error(f"file {file_id} has purpose {stored.purpose!r}, not batch")
            if endpoint != "/v1/chat/completions":
                return 400, _error(f"this server batches /v1/chat/completions, not {endpoint}")
            lines, errors = _read_input(stored.data, endpoint)
            batch = ScriptedBatch(
                id=f"batch_{len(self.batches) + 1:06d}",
                index=len(self.batches),
                input_file_id=file_id,
                endpoint=endpoint,
                completion_window=str(body.get("completion_window", "24h")),
                created_at=int(time.time()),
                lines=lines,
                errors=errors,
            )
            self.batches[batch.id] = batch
            self.created += 1
            return 200, batch.payload()

    def _retrieve(self, batch_id: str) -> dict[str, Any] | None:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            self.retrieves += 1
            if batch.status not in TERMINAL:
                self._advance(batch)
            return batch.payload()

    def _advance(self, batch: ScriptedBatch) -> None:
        """One poll's worth of progress (the lock is held)."""
        batch.retrieves += 1
        if batch.errors:
            batch.status, batch.ended_at = "failed", int(time.time())
            return
        total = len(batch.lines)
        if self.hold or batch.retrieves < self.polls_to_complete:
            last = batch.retrieves >= self.polls_to_complete - 1 and not self.hold
            batch.status = "finalizing" if last else "in_progress"
            batch.completed = min(total, total * batch.retrieves // max(1, self.polls_to_complete))
            return
        self._finish(batch)

    def _finish(self, batch: ScriptedBatch) -> None:
        """Answer the batch's lines and write its result files (the lock is held)."""
        expired = batch.index in self.expire
        answerable = int(len(batch.lines) * self.expired_answered) if expired else len(batch.lines)
        outputs: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for number, line in enumerate(batch.lines):
            custom_id = str(line["custom_id"])
            if number >= answerable:
                message = "This request could not be executed before the completion window expired."
                errors.append(_error_line(custom_id, "batch_expired", message))
                self.line_failures["expired"] += 1
                continue
            kind = self.line_faults(line) if self.line_faults else None
            if kind is not None:
                self.line_failures[kind] += 1
            if kind == "error":
                errors.append(_error_line(custom_id, "server_error", "scripted line failure"))
            elif kind == "500":
                body = {"error": {"message": "scripted 500", "type": "server_error"}}
                outputs.append(_response_line(custom_id, 500, body))
            elif kind is None:
                request = line["body"]
                reply = self.respond(request)
                answer = _completion_payload(request, Reply(reply) if isinstance(reply, str) else reply)
                outputs.append(_response_line(custom_id, 200, answer))
                self.answered[custom_id] += 1
                self.usage.update(
                    prompt_tokens=answer["usage"]["prompt_tokens"],
                    completion_tokens=answer["usage"]["completion_tokens"],
                )
        good = sum(1 for row in outputs if row["response"]["status_code"] == 200)
        batch.completed, batch.failed = good, len(batch.lines) - good
        if outputs:
            batch.output_file_id = self._store(f"{batch.id}_output.jsonl", "batch_output", _jsonl(outputs)).id
        if errors:
            batch.error_file_id = self._store(f"{batch.id}_errors.jsonl", "batch_output", _jsonl(errors)).id
        batch.status = "expired" if expired else "completed"
        batch.ended_at = int(time.time())


def _read_input(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lines of a batch input file, and what the real service would reject in it."""
    lines: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()

    def reject(number: int, code: str, message: str) -> None:
        errors.append({"code": code, "message": message, "param": None, "line": number})

    if len(data) > MAX_BYTES:
        reject(0, "file_too_large", f"input file is over {MAX_BYTES} bytes")
    for number, text in enumerate(data.decode("utf-8", "replace").split("\n"), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except json.JSONDecodeError:
            reject(number, "invalid_json_line", "not valid JSON")
            continue
        if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
            reject(number, "missing_required_parameter", "Missing required parameter: 'custom_id'.")
            continue
        if line["custom_id"] in seen:
            reject(number, "duplicate_custom_id", "The custom_id for this request is a duplicate.")
        seen.add(line["custom_id"])
        if line.get("method") != "POST" or line.get("url") != endpoint:
            reject(number, "invalid_url", f"expected method POST and url {endpoint}")
        if not isinstance(line.get("body"), dict) or "model" not in line["body"]:
            reject(number, "missing_required_parameter", "Missing required parameter: 'body.model'.")
        lines.append(line)
    if len(lines) > MAX_LINES:
        reject(0, "too_many_requests", f"a batch holds at most {MAX_LINES} requests")
    if not lines and not errors:
        reject(0, "empty_file", "the input file has no requests")
    return lines, errors
