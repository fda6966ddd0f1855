"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose answers and failures are scripted.

Tests and benchmarks talk to it with the real openai SDK, so every byte of our client path
(serialisation, retries, timeouts, Retry-After, logprobs) is exercised. Each fault kind mimics
something production servers really do:

- ``429`` / ``503`` (optionally with ``Retry-After``): rate limits and overload shedding; the
  client must back off, honouring the server's hint.
- ``500``: a transient server error worth retrying.
- ``401``: a bad key, which must not be retried (also sent whenever ``api_key`` does not match).
- ``timeout``: the server says nothing for ``stall_s``, then closes the connection.
- ``reset``: the connection is aborted with a TCP RST (SO_LINGER 0), like a crashed worker.
- ``truncated``: a 200 whose JSON body is cut short but whose Content-Length matches it, like
  a buggy proxy; the client must treat the unparsable answer as a failure.
- ``hang-headers`` / ``hang-body`` / ``hang-mid-body``: the connection stays open and the server
  goes silent -- before the status line, after the headers (with the real Content-Length), or
  half-way through the real body -- like an overloaded load balancer or a wedged vLLM server.
  The hang lasts ``stall_s`` (``FaultPlan.hang_stall_s``, long by default, so the client has to
  give up on its own) or until ``stop()``; then the connection is closed.
- ``trickle``: a correct 200 answer written in small pieces spread over ``stall_s``, so the
  client sees a slow but complete response (a read timeout per recv is not a total deadline).

``FaultPlan(burst=N)`` makes faults come in outage windows of N consecutive requests.
Every accepted socket gets TCP_NODELAY, so answers are not held back ~40 ms by Nagle's
algorithm meeting the client's delayed ACK on keep-alive connections.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

FaultKind = Literal[
    "429",
    "500",
    "503",
    "timeout",
    "reset",
    "truncated",
    "401",
    "hang-headers",
    "hang-body",
    "hang-mid-body",
    "trickle",
]

HANG_KINDS: tuple[FaultKind, ...] = ("hang-headers", "hang-body", "hang-mid-body")
"""Faults that keep the connection open and send nothing more until ``stall_s`` or ``stop()``."""

RETRY_AFTER_KINDS: tuple[FaultKind, ...] = ("429", "503")
"""Faults that carry ``FaultPlan.retry_after`` as a Retry-After header."""

TRICKLE_PIECES = 8
"""How many pieces a ``trickle`` body is written in."""


@dataclass
class Reply:
    """What the server answers: text, optional first-token top logprobs, token counts."""

    text: str
    top_logprobs: dict[str, float] | None = None
    prompt_tokens: int | None = None  # None: about 4 characters a token, like real tokenizers
    completion_tokens: int = 5


@dataclass
class Fault:
    """One injected failure. ``stall_s`` is how long a timeout/hang lasts or a trickle takes."""

    kind: FaultKind
    retry_after: float | None = None
    stall_s: float = 5.0


@dataclass
class FaultPlan:
    """Inject a fault into a seeded fraction ``rate`` of requests.

    ``burst=N`` groups faults into outage windows: a drawn fault is followed by N-1 more faults
    (kinds drawn independently each time, from the same seeded rng). A window starts with
    probability ``rate / (N - (N-1)*rate)`` on each request outside a window, which keeps the
    long-run fault fraction equal to ``rate`` (burst=1 gives exactly today's independent draws).
    ``stall_s`` applies to ``timeout`` and ``trickle``; hangs use ``hang_stall_s``.
    """

    rate: float = 0.3
    kinds: tuple[FaultKind, ...] = ("429", "500", "timeout", "reset", "truncated")
    seed: int = 0
    retry_after: float = 0.05
    stall_s: float = 3.0
    burst: int = 1
    hang_stall_s: float = 60.0
    _rng: random.Random = field(init=False, repr=False)
    _burst_left: int = field(init=False, repr=False, default=0)

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {self.burst}")
        self._rng = random.Random(self.seed)
        self._burst_left = 0

    @property
    def start_probability(self) -> float:
        """Chance that a request outside an outage window starts one."""
        n, r = self.burst, min(max(self.rate, 0.0), 1.0)
        return r / (n - (n - 1) * r) if r > 0 else 0.0

    def __call__(self, body: dict[str, Any]) -> Fault | None:
        if self._burst_left > 0:
            self._burst_left -= 1
        elif self._rng.random() < self.start_probability:
            self._burst_left = self.burst - 1
        else:
            return None
        kind = self._rng.choice(self.kinds)
        return Fault(
            kind,
            retry_after=self.retry_after if kind in RETRY_AFTER_KINDS else None,
            stall_s=self.hang_stall_s if kind in HANG_KINDS else self.stall_s,
        )


Responder = Callable[[dict[str, Any]], Reply | str]
FaultHook = Callable[[dict[str, Any]], Fault | None]


def echo_responder(body: dict[str, Any]) -> Reply:
    return Reply(text="echo: " + str(body.get("messages", [{}])[-1].get("content", ""))[:200])


class _QuietServer(ThreadingHTTPServer):
    """A client that gives up on a slow call (a hedge won, a deadline passed) closes or resets
    its connection; that is expected here, not an error worth a traceback on stderr."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class ScriptedOpenAIServer:
    """`with ScriptedOpenAIServer(respond) as server: openai:MODEL@{server.base_url}`.

    Counters (all guarded by one lock): ``bodies``/``headers`` (one per POST received),
    ``served`` (complete 200 answers, trickles included), ``faulted`` and ``fault_counts``
    (faults drawn from ``faults``, by kind), ``in_flight``/``max_in_flight`` (POST handlers
    running now / at most, hangs included), ``nodelay_seen`` (TCP_NODELAY as read back from
    each accepted socket: {1} when every socket has it).
    """

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
        self.fault_counts: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.nodelay_seen: set[int] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> ScriptedOpenAIServer:
        self._stopping.clear()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler; a subclass serving more routes returns one built on this."""
        return _make_handler(self)

    def stop(self) -> None:
        """Stop serving; hung, stalled and trickling handlers are released at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (early) if the server is being stopped."""
        return self._stopping.wait(seconds)

    def record(self, body: dict[str, Any], headers: dict[str, str]) -> Fault | None:
        with self._lock:
            self.bodies.append(body)
            self.headers.append(headers)
            fault = self.faults(body) if self.faults else None
            if fault:
                self.faulted += 1
                self.fault_counts[fault.kind] += 1
            return fault

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _accepted(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        seen = 1 if sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) else 0
        with self._lock:
            self.nodelay_seen.add(seen)


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

        def setup(self) -> None:
            super().setup()
            server._accepted(self.connection)

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send_head(self, status: int, length: int, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(length))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()

        def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            blob = json.dumps(payload).encode()
            self._send_head(status, len(blob), headers)
            self.wfile.write(blob)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send_json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
            else:
                self._send_json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            server._enter()
            try:
                self._post()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up first; nothing to tell it
            finally:
                server._leave()

        def _post(self) -> None:
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
            if fault is not None and fault.kind in ("hang-body", "hang-mid-body"):
                self._hang_in_body(fault, _completion_payload(body, reply))
                return
            with server._lock:
                server.served += 1
            delay = fault.stall_s / TRICKLE_PIECES if fault is not None and fault.kind == "trickle" else 0.0
            if body.get("stream"):
                self._stream(body, reply, delay)
            elif delay:
                self._trickle(_completion_payload(body, reply), delay)
            else:
                self._send_json(200, _completion_payload(body, reply))

        def _stream(self, body: dict[str, Any], reply: Reply, delay: float = 0.0) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            words = reply.text.split(" ")
            pause = delay * TRICKLE_PIECES / (len(words) + 1)
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                chunk = {
                    "id": "chunk",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": body.get("model", "scripted"),
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
                if pause:
                    server.wait(pause)
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            if pause:
                server.wait(pause)
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True

        def _trickle(self, payload: dict[str, Any], delay: float) -> None:
            """The whole correct answer, in TRICKLE_PIECES writes ``delay`` apart."""
            blob = json.dumps(payload).encode()
            self._send_head(200, len(blob))
            step = -(-len(blob) // TRICKLE_PIECES)
            for start in range(0, len(blob), step):
                server.wait(delay)
                self.wfile.write(blob[start : start + step])

        def _hang(self, fault: Fault) -> None:
            """Keep the connection open, send nothing, until stall_s passes or stop(); then close."""
            self.wfile.flush()
            server.wait(fault.stall_s)
            self.close_connection = True

        def _hang_in_body(self, fault: Fault, payload: dict[str, Any]) -> None:
            blob = json.dumps(payload).encode()
            self._send_head(200, len(blob))
            if fault.kind == "hang-mid-body":
                self.wfile.write(blob[: len(blob) // 2])
            self._hang(fault)

        def _fail(self, fault: Fault) -> bool:
            """Act out faults that need no reply; False if the fault is acted out later (or unknown)."""
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
                server.wait(fault.stall_s)
                self.close_connection = True
            elif kind == "hang-headers":
                self._hang(fault)
            elif kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
            elif kind == "truncated":
                blob = b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{"index": 0, "mess'
                self._send_head(200, len(blob))
                self.wfile.write(blob)
            else:
                return False
            return True

    return Handler
