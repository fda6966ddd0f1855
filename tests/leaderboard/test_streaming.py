"""Streaming answers piece by piece where the backend can (mock, OpenAI-compatible servers, local
transformers models), one piece where it cannot; the pieces always add up to the full answer."""

from __future__ import annotations

import asyncio
import json

import pytest

from alpaca_bench.cache import CallCache
from alpaca_bench.errors import ServiceError
from alpaca_bench.models import BackendOptions, CachedBackend, ChatRequest, load_backend
from alpaca_bench.models._streaming import can_stream, stream_text
from alpaca_bench.testing import Reply

REQUEST = ChatRequest(
    key="k",
    messages=[{"role": "user", "content": "Give three tips for keeping a houseplant healthy."}],
    max_tokens=24,
    instruction="Give three tips for keeping a houseplant healthy.",
)


async def _pieces_and_whole(backend, request=REQUEST):
    try:
        pieces = [piece async for piece in stream_text(backend, request)]
        whole = [c async for c in backend.stream([request])]
        return pieces, whole[0].text
    finally:
        await backend.aclose()


def test_mock_streams_word_by_word():
    backend = load_backend("mock:m?words=12")
    assert can_stream(backend)
    pieces, whole = asyncio.run(_pieces_and_whole(backend))
    assert len(pieces) >= 9 and "".join(pieces) == whole


def test_openai_streams_from_a_real_server(scripted_server):
    answer = "Water it rarely, give it light, and dust the leaves."
    server = scripted_server(lambda body: Reply(answer))
    backend = load_backend(f"openai:m@{server.base_url}", BackendOptions(max_retries=2))
    assert can_stream(backend)
    pieces = asyncio.run(_pieces_and_whole(backend))[0]
    assert len(pieces) == len(answer.split(" ")) and "".join(pieces) == answer
    assert server.bodies[0]["stream"] is True
    assert server.bodies[0]["messages"] == REQUEST.messages


def test_openai_stream_retries_a_429_then_streams(scripted_server):
    from alpaca_bench.testing import Fault

    calls = {"n": 0}

    def once(body):
        calls["n"] += 1
        return Fault("429", retry_after=0.01) if calls["n"] == 1 else None

    server = scripted_server(lambda body: "fine now", faults=once)
    backend = load_backend(f"openai:m@{server.base_url}", BackendOptions(max_retries=3, backoff_base_s=0.01))
    pieces = asyncio.run(_pieces_and_whole(backend))[0]
    assert "".join(pieces) == "fine now" and calls["n"] == 3  # 429, the stream, then the plain call


def test_openai_stream_auth_failure_is_one_service_error(scripted_server):
    server = scripted_server(api_key="right-key")
    backend = load_backend(f"openai:m@{server.base_url}", BackendOptions(max_retries=2))

    async def run():
        try:
            return [p async for p in stream_text(backend, REQUEST)]
        finally:
            await backend.aclose()

    with pytest.raises(ServiceError, match="401"):
        asyncio.run(run())


def test_backends_that_cannot_stream_answer_in_one_piece(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps([{"instruction": REQUEST.instruction, "output": "Stored answer."}]))
    backend = load_backend(f"file:{outputs}")
    assert not can_stream(backend)
    wrapped = CachedBackend(load_backend("mock:m"), CallCache(tmp_path / "cache.sqlite"))
    assert not can_stream(wrapped)
    pieces, whole = asyncio.run(_pieces_and_whole(wrapped))
    assert pieces == [whole]


def test_hf_streams_the_same_text_as_batch_generation(tiny_model_dir):
    backend = load_backend(f"hf:{tiny_model_dir}", BackendOptions(device="cpu"))
    assert can_stream(backend)
    pieces, whole = asyncio.run(_pieces_and_whole(backend))
    assert "".join(pieces) == whole and whole
    assert len(pieces) > 1
