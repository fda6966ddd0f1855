"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose answers and failures are scripted.

Tests and benchmarks talk to it with the real openai SDK, so every byte of our client path
(serialisation, retries, timeouts, Retry-After, logprobs) is exercised. Faults cover what
production servers do: 429 with Retry-After, 5xx, stalls past the client timeout, connection
resets, truncated JSON bodies.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

FaultKind = Literal["429", "500", "503", "timeout", "reset", "truncated", "401"]


@dataclass
class Reply:
    """What the server answers: text, optional first-token top logprobs, token counts."""

    text: str
    top_logprobs: dict[str, float] | None = None
    prompt_tokens: int | None = None  # None: about 4 characters a token, like real tokenizers
    completion_tokens: int = 5


@dataclass
class Fault:
    kind: FaultKind
    retry_after: float | None = None
    stall_s: float = 5.0


@dataclass
class FaultPlan:
    """Inject a fault into a seeded fraction of requests."""

    rate: float = 0.3
    kinds: tuple[FaultKind, ...] = ("429", "500", "timeout", "reset", "truncated")
    seed: int = 0
    retry_after: float = 0.05
    stall_s: float = 3.0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def __call__(self, body: dict[str, Any]) -> Fault | None:
        if self._rng.random() >= self.rate:
            return None
        kind = self._rng.choice(self.kinds)
        return Fault(kind, retry_after=self.retry_after if kind == "429" else None, stall_s=self.stall_s)


Responder = Callable[[dict[str, Any]], Reply | str]
FaultHook = Callable[[dict[str, Any]], Fault | None]


def echo_responder(body: dict[str, Any]) -> Reply:
    return Reply(text="echo: " + str(body.get("messages", [{}])[-1].get("content", ""))[:200])


class ScriptedOpenAIServer:
    """`with ScriptedOpenAIServer(respond) as server: openai:MODEL@{server.base_url}`."""

    def __init__(
        self,
        respond: Responder = echo_responder,
        faults: FaultHook | None = None,
        latency_s: float = 0.0,
        api_key: str | None = None,
    ):
        self.respond = respond
        self.faults = faults
        self.latency_s = latency_s
        self.api_key = api_key
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.served = 0
        self.faulted = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> ScriptedOpenAIServer:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, body: dict[str, Any], headers: dict[str, str]) -> Fault | None:
        with self._lock:
            self.bodies.append(body)
            self.headers.append(headers)
            fault = self.faults(body) if self.faults else None
            if fault:
                self.faulted += 1
            return fault


def _completion_payload(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": "stop"}
    if body.get("logprobs") and reply.top_logprobs:
        first_token, first_lp = max(reply.top_logprobs.items(), key=lambda kv: kv[1])
        tops = [
            {"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in reply.top_logprobs.items()
        ]
        choice["logprobs"] = {
            "content": [
                {
                    "token": first_token,
                    "logprob": first_lp,
                    "bytes": list(first_token.encode()),
                    "top_logprobs": tops[: int(body.get("top_logprobs") or 5)],
                }
            ]
        }
    prompt_tokens = reply.prompt_tokens
    if prompt_tokens is None:
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4 + 1
    return {
        "id": f"chatcmpl-{random.getrandbits(48):x}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
        "choices": [choice],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": prompt_tokens + reply.completion_tokens,
        },
    }


def _make_handler(server: ScriptedOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            blob = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(blob)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(blob)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send_json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
            else:
                self._send_json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            fault = server.record(body, headers)
            if server.api_key is not None and headers.get("authorization") != f"Bearer {server.api_key}":
                fault = Fault("401")
            if fault is not None and self._fail(fault):
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            if server.latency_s:
                time.sleep(server.latency_s)
            reply = server.respond(body)
            if isinstance(reply, str):
                reply = Reply(reply)
            with server._lock:
                server.served += 1
            if body.get("stream"):
                self._stream(body, reply)
            else:
                self._send_json(200, _completion_payload(body, reply))

        def _stream(self, body: dict[str, Any], reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            words = reply.text.split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                chunk = {
                    "id": "chunk",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": body.get("model", "scripted"),
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True

        def _fail(self, fault: Fault) -> bool:
            kind = fault.kind
            if kind == "401":
                self._send_json(
                    401,
                    {
                        "error": {
                            "message": "invalid api key",
                            "type": "invalid_request_error",
                            "code": "invalid_api_key",
                        }
                    },
                )
            elif kind in ("429", "500", "503"):
                extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                self._send_json(int(kind), {"error": {"message": f"scripted {kind}"}}, extra)
            elif kind == "timeout":
                time.sleep(fault.stall_s)
                self.close_connection = True
            elif kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
            elif kind == "truncated":
                blob = b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{"index": 0, "mess'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                self.wfile.write(blob)
            else:
                return False
            return True

    return Handler
