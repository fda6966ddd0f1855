"""The scripted fault server misbehaves like real failing servers, over real sockets.

Every test talks to a real ScriptedOpenAIServer on 127.0.0.1 with raw sockets, http.client or
the real openai SDK. Timing is only asserted as a ratio against the fault's own duration
(stop() during a hang) or as a lower bound (a trickle cannot arrive faster than it is written).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import openai
import pytest

from alpaca_bench.testing import Fault, FaultPlan, Reply, ScriptedOpenAIServer
from alpaca_bench.testing._openai_server import HANG_KINDS, FaultHook

BODY = {"model": "scripted", "messages": [{"role": "user", "content": "Name a colour."}]}


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedOpenAIServer]]:
    started: list[ScriptedOpenAIServer] = []

    def start(faults: FaultHook | None = None, **kwargs: object) -> ScriptedOpenAIServer:
        server = ScriptedOpenAIServer(lambda body: Reply("blue"), faults=faults, **kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _always(kind: str, **kwargs: float) -> FaultHook:
    return lambda body: Fault(kind, **kwargs)  # type: ignore[arg-type]


def _address(server: ScriptedOpenAIServer) -> tuple[str, int]:
    url = urlsplit(server.base_url)
    assert url.hostname is not None and url.port is not None
    return url.hostname, url.port


def _post(server: ScriptedOpenAIServer, body: dict[str, object] = BODY) -> socket.socket:
    """Open a connection and send one complete chat-completions request on it."""
    blob = json.dumps(body).encode()
    sock = socket.create_connection(_address(server), timeout=5)
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(blob) + blob
    )
    return sock


def _read(sock: socket.socket, seconds: float) -> tuple[bytes, list[bytes], bool]:
    """Everything that arrives within `seconds`: the bytes, each recv's chunk, and whether EOF came."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            return b"".join(chunks), chunks, True
        chunks.append(chunk)
    return b"".join(chunks), chunks, False


def _split(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, f"no complete header block in {raw!r}"
    status, *lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return status, headers, body


def _until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_hang_headers_sends_nothing_then_closes_after_stall(serve):
    stall = 1.0
    server = serve(_always("hang-headers", stall_s=stall))
    with _post(server) as sock:
        _until(lambda: len(server.bodies) == 1)
        assert server.in_flight == 1
        raw, _, eof = _read(sock, 0.3 * stall)
        assert raw == b"" and not eof  # the request was read, nothing at all came back, still open
        raw, _, eof = _read(sock, 5.0)
        assert raw == b"" and eof  # the hang ended: closed without a status line
    _until(lambda: server.in_flight == 0)
    assert server.fault_counts == {"hang-headers": 1} and server.faulted == 1 and server.served == 0


def test_hang_body_sends_headers_with_the_real_length_but_no_body(serve):
    server = serve(_always("hang-body", stall_s=5.0))
    with _post(server) as sock:
        raw, _, eof = _read(sock, 0.5)
    assert not eof
    status, headers, body = _split(raw)
    assert status.startswith("HTTP/1.1 200")
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) > len('{"choices": [{"message": {"content": "blue"}}]}')
    assert body == b""
    assert server.served == 0


def test_hang_mid_body_sends_about_half_the_real_body(serve):
    server = serve(_always("hang-mid-body", stall_s=5.0))
    with _post(server) as sock:
        raw, _, eof = _read(sock, 0.5)
    assert not eof
    status, headers, body = _split(raw)
    assert status.startswith("HTTP/1.1 200")
    length = int(headers["content-length"])
    assert 0 < len(body) < length and abs(len(body) - length / 2) <= 1
    assert body.startswith(b'{"id": "chatcmpl-')
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


@pytest.mark.parametrize("kind", HANG_KINDS)
def test_stop_returns_promptly_while_a_hang_is_in_progress(serve, kind):
    stall = 10.0
    server = serve(_always(kind, stall_s=stall))
    with _post(server) as sock:
        _until(lambda: len(server.bodies) == 1 and server.in_flight == 1)
        time.sleep(0.05)  # let the handler reach its wait
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
        assert took < 0.1 * stall
        _, _, eof = _read(sock, 0.1 * stall)
        assert eof  # the released handler closed the connection
    _until(lambda: server.in_flight == 0, 0.1 * stall)


def test_trickle_is_complete_but_slow_and_arrives_in_pieces(serve):
    stall = 1.0
    server = serve(_always("trickle", stall_s=stall))
    started = time.monotonic()
    with _post(server) as sock:
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
        _, headers, body = _split(head)
        length = int(headers["content-length"])
        pieces = [body] if body else []
        while sum(map(len, pieces)) < length:
            piece = sock.recv(65536)
            assert piece, "connection closed before the whole body arrived"
            pieces.append(piece)
    took = time.monotonic() - started
    payload = json.loads(b"".join(pieces))
    assert payload["choices"][0]["message"]["content"] == "blue"
    assert len(pieces) > 1
    assert took >= 0.8 * stall
    assert server.served == 1 and server.fault_counts == {"trickle": 1}


def test_a_per_read_timeout_does_not_catch_a_trickle(serve):
    """openai's timeout is per read, so a trickle longer than it still succeeds: a total deadline
    needs its own clock."""
    stall = 1.2
    server = serve(_always("trickle", stall_s=stall))

    async def ask() -> str | None:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="x", max_retries=0, timeout=0.6
        ) as client:
            reply = await client.chat.completions.create(
                model="scripted", messages=[{"role": "user", "content": "hi"}]
            )
            return reply.choices[0].message.content

    started = time.monotonic()
    assert asyncio.run(ask()) == "blue"
    assert time.monotonic() - started >= 0.8 * stall


def test_openai_sdk_times_out_on_hang_body(serve):
    server = serve(_always("hang-body", stall_s=10.0))

    async def ask() -> None:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="x", max_retries=0, timeout=0.5
        ) as client:
            await client.chat.completions.create(
                model="scripted", messages=[{"role": "user", "content": "hi"}]
            )

    with pytest.raises(openai.APITimeoutError):
        asyncio.run(ask())
    assert server.fault_counts == {"hang-body": 1}


@pytest.mark.parametrize("kind", ["503", "429"])
def test_plan_sends_retry_after_with_503_and_429(serve, kind):
    server = serve(FaultPlan(rate=1.0, kinds=(kind,), retry_after=0.25))
    conn = http.client.HTTPConnection(*_address(server), timeout=5)
    try:
        conn.request("POST", "/v1/chat/completions", json.dumps(BODY), {"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == int(kind)
        assert response.getheader("Retry-After") == "0.25"
        assert json.loads(response.read())["error"]["message"] == f"scripted {kind}"
    finally:
        conn.close()


def test_plan_defaults_keep_the_fault_mix_and_give_hangs_a_long_stall():
    assert FaultPlan().kinds == ("429", "500", "timeout", "reset", "truncated")
    assert FaultPlan().burst == 1
    plan = FaultPlan(rate=1.0, kinds=(*HANG_KINDS, "trickle", "503"), seed=1)
    faults = [plan({}) for _ in range(200)]
    assert all(f is not None for f in faults)
    for fault in faults:
        assert fault is not None
        if fault.kind in HANG_KINDS:
            assert fault.stall_s == plan.hang_stall_s == 60.0 and fault.retry_after is None
        elif fault.kind == "503":
            assert fault.retry_after == plan.retry_after and fault.stall_s == plan.stall_s
        else:
            assert fault.stall_s == plan.stall_s and fault.retry_after is None


def test_burst_one_draws_exactly_like_independent_faults():
    kinds = ("429", "500", "timeout", "reset", "truncated")
    plan = FaultPlan(rate=0.3, seed=5)
    rng = random.Random(5)
    legacy = [rng.choice(kinds) if rng.random() < 0.3 else None for _ in range(2000)]
    assert [f.kind if (f := plan({})) else None for _ in range(2000)] == legacy


@pytest.mark.parametrize(("burst", "rate"), [(5, 0.3), (3, 0.1)])
def test_bursts_are_runs_of_n_faults_and_keep_the_fault_fraction(burst, rate):
    plan = FaultPlan(rate=rate, burst=burst, seed=11, kinds=("429", "500", "503"))
    draws = [plan({}) for _ in range(20_000)]
    runs: list[int] = []
    run = 0
    for fault in draws:  # a window still open at the end of the sample is left out
        if fault is not None:
            run += 1
        elif run:
            runs.append(run)
            run = 0
    assert runs and all(r % burst == 0 for r in runs)  # back-to-back windows merge into multiples
    assert sum(r == burst for r in runs) > 0.6 * len(runs)
    fraction = sum(f is not None for f in draws) / len(draws)
    assert abs(fraction - rate) < 0.02
    first = draws.index(next(f for f in draws if f is not None))
    assert len({f.kind for f in draws[first : first + 10 * burst] if f is not None}) > 1


def test_every_accepted_socket_has_tcp_nodelay(serve):
    server = serve()
    conn = http.client.HTTPConnection(*_address(server), timeout=5)
    try:
        for _ in range(3):  # keep-alive: one connection, several requests
            conn.request("POST", "/v1/chat/completions", json.dumps(BODY))
            assert json.loads(conn.getresponse().read())["choices"][0]["message"]["content"] == "blue"
    finally:
        conn.close()
    for _ in range(3):
        with _post(server) as sock:
            assert _split(_read_response(sock))[0].startswith("HTTP/1.1 200")
    assert server.nodelay_seen == {1}
    assert server.served == 6 and len(server.bodies) == 6 and server.faulted == 0


def _read_response(sock: socket.socket) -> bytes:
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += sock.recv(65536)
    length = int(_split(raw)[1]["content-length"])
    while len(_split(raw)[2]) < length:
        raw += sock.recv(65536)
    return raw


def test_in_flight_counts_concurrent_hangs_and_drops_when_they_end(serve):
    stall = 10.0
    server = serve(_always("hang-headers", stall_s=stall))
    socks = [_post(server) for _ in range(3)]
    try:
        _until(lambda: server.in_flight == 3)
        assert server.max_in_flight == 3
        done = threading.Event()

        def stop() -> None:
            server.stop()
            done.set()

        threading.Thread(target=stop, daemon=True).start()
        assert done.wait(0.1 * stall)
        _until(lambda: server.in_flight == 0, 0.1 * stall)
    finally:
        for sock in socks:
            sock.close()
    assert server.max_in_flight == 3
    assert server.fault_counts == {"hang-headers": 3} and server.faulted == 3
