"""The openai: backend against a real HTTP server on 127.0.0.1 speaking the OpenAI protocol."""

import asyncio
import time

import pytest

from alpaca_bench.errors import InputError, ServiceError
from alpaca_bench.generation import generate
from alpaca_bench.models import BackendOptions, ChatRequest, load_backend
from alpaca_bench.testing import Fault, FaultPlan, Reply

FAST = dict(timeout_s=0.5, max_retries=15, backoff_base_s=0.02, backoff_cap_s=0.3, concurrency=8)


def _collect(backend, requests):
    async def run():
        try:
            return [c async for c in backend.stream(requests)]
        finally:
            await backend.aclose()

    return asyncio.run(run())


def test_every_output_arrives_exactly_once_despite_30_percent_failures(data_dir, scripted_server, tmp_path):
    server = scripted_server(
        lambda body: Reply("answer to " + body["messages"][-1]["content"][:40]),
        faults=FaultPlan(rate=0.3, kinds=("429", "500", "timeout"), stall_s=1.0, seed=3),
    )
    run = generate(
        f"openai:gen-model@{server.base_url}",
        "self-instruct",
        output_dir=tmp_path / "results",
        options=BackendOptions(**FAST),
        show_progress=False,
    )
    assert len(run.generations) == 252
    assert len({g.prompt_id for g in run.generations}) == 252
    assert server.faulted >= 0.2 * len(server.bodies)
    lines = run.path.read_text().splitlines()
    assert len(lines) == 252  # nothing duplicated on disk
    by_id = run.by_prompt()
    assert by_id["user_oriented_task_0"].output.startswith("answer to The sentence you are given")
    rerun = generate(
        f"openai:gen-model@{server.base_url}",
        "self-instruct",
        output_dir=tmp_path / "results",
        options=BackendOptions(**FAST),
        show_progress=False,
    )
    assert rerun.calls == 0 and rerun.reused == 252


def test_retry_after_is_honoured(scripted_server):
    state = {"n": 0}

    def faults(body):
        state["n"] += 1
        return Fault("429", retry_after=0.6) if state["n"] == 1 else None

    server = scripted_server(faults=faults)
    backend = load_backend(f"openai:m@{server.base_url}", BackendOptions(**FAST))
    started = time.perf_counter()
    [completion] = _collect(backend, [ChatRequest(key="k", messages=[{"role": "user", "content": "hi"}])])
    assert time.perf_counter() - started >= 0.6
    assert completion.text == "echo: hi"
    assert len(server.bodies) == 2


def test_logprobs_and_usage_are_returned(scripted_server):
    server = scripted_server(
        lambda body: Reply("A", top_logprobs={"A": -0.1, "B": -2.4}, prompt_tokens=7, completion_tokens=1)
    )
    backend = load_backend(f"openai:m@{server.base_url}", BackendOptions(**FAST))
    [c] = _collect(backend, [ChatRequest(key="k", messages=[{"role": "user", "content": "x"}], logprobs=5)])
    assert c.top_logprobs == {"A": -0.1, "B": -2.4}
    assert (c.usage.prompt_tokens, c.usage.completion_tokens) == (7, 1)
    assert server.bodies[0]["logprobs"] is True and server.bodies[0]["top_logprobs"] == 5


def test_authentication_failure_stops_at_once_without_the_key(scripted_server, monkeypatch):
    secret = "sk-sentinel-DO-NOT-LEAK-1234567890"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    server = scripted_server(api_key="sk-the-right-one")
    backend = load_backend(f"openai:m@{server.base_url}", BackendOptions(**FAST))
    with pytest.raises(ServiceError) as info:
        _collect(
            backend,
            [ChatRequest(key=str(i), messages=[{"role": "user", "content": "x"}]) for i in range(4)],
        )
    assert "authentication" in str(info.value)
    assert secret not in str(info.value)
    assert len(server.bodies) <= 4  # no retries on 401


def test_gives_up_after_max_retries_with_exit_3(scripted_server):
    server = scripted_server(faults=lambda body: Fault("500"))
    backend = load_backend(f"openai:m@{server.base_url}", BackendOptions(**{**FAST, "max_retries": 3}))
    with pytest.raises(ServiceError, match="failed after 3 attempts") as info:
        _collect(backend, [ChatRequest(key="k", messages=[{"role": "user", "content": "x"}])])
    assert info.value.exit_code == 3
    assert len(server.bodies) == 3


def test_openai_without_key_or_url_is_a_usage_error():
    with pytest.raises(InputError, match="OPENAI_API_KEY"):
        load_backend("openai:gpt-4o-mini")


def test_model_names_with_at_signs_split_at_the_last_one(scripted_server):
    server = scripted_server()
    backend = load_backend(f"openai:org@model@{server.base_url}")
    assert backend.model == "org@model" and backend.base_url == server.base_url
