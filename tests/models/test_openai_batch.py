"""Judging through the OpenAI Batch API, with the real openai SDK against a local Batch API server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from alpaca_bench.errors import InputError, ServiceError
from alpaca_bench.judges import JudgeOptions, JudgeResult, PairTask, load_judge
from alpaca_bench.judges._llm import LLMJudge
from alpaca_bench.models import BackendOptions, ChatRequest
from alpaca_bench.models._openai_batch import BatchOptions, OpenAIBatchBackend, read_state, split_custom_id
from alpaca_bench.pricing import Price, price_for
from alpaca_bench.records import Prompt, Usage
from alpaca_bench.testing import BatchOpenAIServer, Reply

from helpers import longer_wins

FAST = 0.05


@pytest.fixture
def batch_server() -> Iterator[Callable[..., BatchOpenAIServer]]:
    started: list[BatchOpenAIServer] = []

    def start(*args: Any, **kwargs: Any) -> BatchOpenAIServer:
        server = BatchOpenAIServer(*args, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _tasks(n: int) -> list[PairTask]:
    tasks = []
    for i in range(n):
        first = "baseline" if i % 2 == 0 else "candidate"
        prompt = Prompt(id=f"p{i}", instruction=f"Question {i}: say something about the number {i}.")
        short, long = (
            f"{i} is a number.",
            f"{i} is a number, and here is more about it: " + "so on " * (i % 5),
        )
        a, b = (short, long) if i % 3 else (long, short)
        tasks.append(PairTask(f"p{i}|{first}|h{i:04d}", prompt, a, b, first))  # type: ignore[arg-type]
    return tasks


def _index(custom_id: str) -> tuple[int, int]:
    """(task number, attempt) of a line."""
    base, attempt = split_custom_id(custom_id)
    return int(base.split("|", 1)[0][1:]), attempt


def _judge(
    spec: str, tasks: list[PairTask], price: Price | None = None, **batch: Any
) -> tuple[Any, list[JudgeResult]]:
    options = JudgeOptions(price=price, batch=BatchOptions(poll_s=FAST, **batch))
    judge = load_judge(spec, options)

    async def run() -> list[JudgeResult]:
        try:
            return [result async for result in judge.judge(tasks)]
        finally:
            await judge.aclose()

    return judge, asyncio.run(run())


def _lines_sent(server: BatchOpenAIServer) -> list[str]:
    return [custom_id for batch in server.batches.values() for custom_id in batch.custom_ids]


def test_every_pair_is_judged_once_through_failures_an_expiry_and_a_parse_retry(
    batch_server, tmp_path, monkeypatch
):
    asked: Counter[str] = Counter()

    def respond(body: dict[str, Any]) -> Reply:
        if "Question 7:" in body["messages"][-1]["content"]:
            asked["p7"] += 1
            if asked["p7"] == 1:
                return Reply("I cannot decide.")  # unparseable: asked again, as a new batch line
        return longer_wins(body)

    def line_faults(line: dict[str, Any]) -> Any:
        number, attempt = _index(line["custom_id"])
        if attempt > 0:
            return None
        return {1: "error", 4: "500", 5: "missing"}.get(number % 6)

    server = batch_server(respond, polls_to_complete=3, line_faults=line_faults, expire={1})
    # the real API's spec (no URL), so the price table applies; the SDK finds the server here
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    tasks = _tasks(40)
    state = tmp_path / "run" / "batches.jsonl"
    judge, results = _judge("openai:gpt-4o-mini", tasks, max_requests=10, state=state)

    assert sorted(r.key for r in results) == sorted(t.key for t in tasks)
    assert all(r.verdict != "unscored" and r.raw.get("top_logprobs") for r in results)
    assert {round(r.p_b or 0, 6) for r in results} <= {0.1, 0.5, 0.9}  # from the first token's logprobs
    # 4 first-round batches, one of them expired half-way; failed lines went out again
    assert server.line_failures["expired"] == 5 and server.line_failures["error"] >= 5
    assert len(server.batches) > 4
    assert server.batches["batch_000002"].status == "expired"
    # each line answered at most once, each pair once (p7 twice: its parse retry is a fresh call)
    assert set(server.answered.values()) == {1}
    per_task = Counter(_index(custom_id)[0] for custom_id in server.answered)
    assert per_task == Counter({**dict.fromkeys(range(40), 1), 7: 2})
    sent = _lines_sent(server)
    assert judge.counts.sent == len(sent) == len(set(sent))
    assert judge.counts.answers == 41
    # the expired batch's partial answers were used (its lines 10-14 less three faults), not asked again
    expired = server.batches["batch_000002"].custom_ids
    assert {_index(custom_id)[0] for custom_id in expired if custom_id in server.answered} == {12, 14}
    # half the price table
    usage = Usage(**server.usage)
    assert sum((r.usage for r in results), Usage()) == usage
    full = price_for("gpt-4o-mini", None)
    assert judge.price == Price(full.input_per_m / 2, full.output_per_m / 2)
    assert judge.counts.cost_usd == pytest.approx(full.cost(usage) / 2)
    assert sum(r.cost_usd for r in results) == pytest.approx(full.cost(usage) / 2)
    # every batch recorded, each ending collected
    recorded = read_state(state)
    assert set(recorded) == set(server.batches)
    assert all(
        record["collected_at"] and record["status"] in ("completed", "expired")
        for record in recorded.values()
    )

    # an identical re-run: every answer from the call cache, nothing sent, nothing polled
    retrieves = server.retrieves
    again, results = _judge("openai:gpt-4o-mini", tasks, max_requests=10, state=state)
    assert len(results) == 40 and again.counts.sent == 0 and again.counts.cache_hits == 40
    assert server.retrieves == retrieves


def test_price_is_halved_unless_given():
    table = price_for("gpt-4o", None)
    assert LLMJudge._price("openai:gpt-4o", None, batch=True) == Price(
        table.input_per_m / 2, table.output_per_m / 2
    )
    assert LLMJudge._price("openai:gpt-4o", None) == table
    given = Price(1.0, 2.0)
    assert LLMJudge._price("openai:gpt-4o", given, batch=True) == given
    assert LLMJudge._price("openai:gpt-4o@http://localhost:8000/v1", None, batch=True) == Price(0.0, 0.0)


KILLED_RUN = r"""
import asyncio, json, sys
from pathlib import Path
from alpaca_bench.judges import JudgeOptions, PairTask, load_judge
from alpaca_bench.models._openai_batch import BatchOptions
from alpaca_bench.records import Prompt

spec, state, tasks_file = sys.argv[1:4]
rows = json.loads(Path(tasks_file).read_text())
tasks = [PairTask(r["key"], Prompt(**r["prompt"]), r["a"], r["b"], r["first"]) for r in rows]
judge = load_judge(spec, JudgeOptions(batch=BatchOptions(poll_s=0.05, state=Path(state))))

async def main():
    async for result in judge.judge(tasks):
        print(result.key, flush=True)

asyncio.run(main())
"""


def _write_tasks(tasks: list[PairTask], path: Path) -> Path:
    rows = [
        {
            "key": t.key,
            "prompt": t.prompt.model_dump(),
            "a": t.output_a,
            "b": t.output_b,
            "first": t.first_shown,
        }
        for t in tasks
    ]
    path.write_text(json.dumps(rows))
    return path


def test_a_killed_run_resumes_by_polling_its_recorded_batch(batch_server, tmp_path):
    server = batch_server(longer_wins, polls_to_complete=2)
    server.hold = True  # the batch stays in progress until the first run is dead
    spec = f"openai:gpt-4o-mini@{server.base_url}"
    tasks = _tasks(12)
    state = tmp_path / "run" / "batches.jsonl"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_RUN,
            spec,
            str(state),
            str(_write_tasks(tasks, tmp_path / "tasks.json")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while server.retrieves < 2 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert child.poll() is None, child.communicate()[1].decode()[-2000:]
        assert server.retrieves >= 2, "the first run never polled its batch"
    finally:
        child.kill()  # SIGKILL: no cleanup of any kind
        child.wait()
    [(batch_id, record)] = read_state(state).items()
    assert record["status"] == "in_progress" and len(record["custom_ids"]) == 12
    assert (server.uploads, server.created, sum(server.answered.values())) == (1, 1, 0)

    server.hold = False
    judge, results = _judge(spec, tasks, state=state)
    assert sorted(r.key for r in results) == sorted(t.key for t in tasks)
    assert (server.uploads, server.created) == (1, 1)  # polled, not sent again
    assert judge.counts.sent == 0 and judge.counts.answers == 12
    assert set(server.answered.values()) == {1} and len(server.answered) == 12
    assert read_state(state)[batch_id]["collected_at"]

    # a changed pair never picks up an old answer: only it goes out, in a new batch
    changed = [*tasks[:-1], PairTask(tasks[-1].key, tasks[-1].prompt, "changed", "outputs!", "baseline")]
    judge, results = _judge(spec, changed, state=state)
    assert [r.key for r in results if not r.raw["cached"]] == [tasks[-1].key]
    assert (server.uploads, server.created) == (2, 2)
    assert judge.counts.cache_hits == 11 and judge.counts.sent == 1


def test_without_waiting_batches_are_submitted_and_a_rerun_collects_them(batch_server, tmp_path, caplog):
    server = batch_server(longer_wins, polls_to_complete=2)
    spec = f"openai:gpt-4o-mini@{server.base_url}"
    tasks = _tasks(12)
    state = tmp_path / "batches.jsonl"
    with caplog.at_level("INFO", logger="alpaca_bench.models._openai_batch"):
        judge, results = _judge(spec, tasks, wait=False, state=state)
    assert results == [] and judge.counts.sent == 12
    assert (server.uploads, server.created, server.retrieves) == (1, 1, 0)
    assert "re-run the same command to collect them" in caplog.text
    assert len(read_state(state)) == 1

    judge, results = _judge(spec, tasks, wait=False, state=state)  # polled once: still in progress
    assert results == [] and judge.counts.sent == 0
    assert (server.uploads, server.created, server.retrieves) == (1, 1, 1)

    judge, results = _judge(spec, tasks, wait=True, state=state)
    assert sorted(r.key for r in results) == sorted(t.key for t in tasks)
    assert (server.uploads, server.created) == (1, 1) and judge.counts.sent == 0
    assert sum(server.answered.values()) == 12


def test_failed_lines_fall_back_to_ordinary_calls(batch_server, tmp_path):
    server = batch_server(
        longer_wins,
        polls_to_complete=1,
        line_faults=lambda line: "error" if _index(line["custom_id"])[0] % 3 == 0 else None,
    )
    tasks = _tasks(12)
    judge, results = _judge(
        f"openai:gpt-4o-mini@{server.base_url}", tasks, fallback="sync", state=tmp_path / "b.jsonl"
    )
    assert sorted(r.key for r in results) == sorted(t.key for t in tasks)
    assert server.created == 1 and server.served == 4  # the 4 failed lines, as chat calls
    assert sum(server.answered.values()) == 8 and server.produced == 12
    assert judge.counts.sent == 16


def test_lines_are_split_within_the_batch_limits(batch_server, tmp_path):
    server = batch_server(polls_to_complete=1)
    requests = [
        ChatRequest(key=f"k{i}", messages=[{"role": "user", "content": f"question {i}"}]) for i in range(35)
    ]

    def run(batch: BatchOptions) -> list[Any]:
        backend = OpenAIBatchBackend(f"m@{server.base_url}", BackendOptions(), batch)

        async def go() -> list[Any]:
            try:
                return [c async for c in backend.stream(requests)]
            finally:
                await backend.aclose()

        answers = asyncio.run(go())
        described.append(backend.describe())
        return answers

    described: list[str] = []
    answers = run(BatchOptions(poll_s=FAST, max_requests=10))
    assert sorted(c.key for c in answers) == sorted(r.key for r in requests)
    assert described == ["m batches: 4 completed · 35/35 lines done"]
    assert [len(b.lines) for b in server.batches.values()] == [10, 10, 10, 5]
    assert {c.text for c in answers} == {f"echo: question {i}" for i in range(35)}

    one_line = len(server.files["file-000001"].data) // 10 + 20
    before = set(server.batches)
    run(BatchOptions(poll_s=FAST, max_bytes=3 * one_line))
    new = [b for batch_id, b in server.batches.items() if batch_id not in before]
    assert len(new) == 12 and sum(len(b.lines) for b in new) == 35
    assert all(len(server.files[b.input_file_id].data) <= 3 * one_line for b in new)


def test_a_spend_cap_sends_only_what_fits_and_never_waits_forever(batch_server, tmp_path):
    def respond(body: dict[str, Any]) -> Reply:
        return replace(longer_wins(body), prompt_tokens=250, completion_tokens=1)

    server = batch_server(respond, polls_to_complete=1)
    tasks = _tasks(40)
    # a call's worst case is its prompt at ~4 characters a token (~0.8 cents here); it costs 0.5
    price = Price(20.0, 0.0)
    options = JudgeOptions(price=price, max_cost_usd=0.05, batch=BatchOptions(poll_s=FAST))
    judge = load_judge(f"openai:gpt-4o-mini@{server.base_url}", options)

    async def run(tasks: list[PairTask]) -> list[JudgeResult]:
        try:
            return [r async for r in judge.judge(tasks)]
        finally:
            await judge.aclose()

    results = asyncio.run(asyncio.wait_for(run(tasks[:20]), 20))
    assert judge.budget is not None and judge.budget.exhausted
    assert judge.budget.spent_usd <= 0.05
    assert 0 < len(results) < 20
    assert len(server.batches) > 1  # what did not fit went out once earlier answers settled
    assert judge.counts.sent == len(results)

    # without waiting nothing settles in this run: what fits goes out, the rest waits for a re-run
    options = replace(options, batch=BatchOptions(poll_s=FAST, wait=False, state=tmp_path / "b.jsonl"))
    judge = load_judge(f"openai:gpt-4o-mini@{server.base_url}", options)
    results = asyncio.run(asyncio.wait_for(run(tasks[20:]), 20))
    assert results == [] and 0 < judge.counts.sent < 20
    assert len(read_state(tmp_path / "b.jsonl")) == 1


def test_batch_needs_an_openai_judge_and_record_to_points_the_state_at_a_folder(tmp_path, batch_server):
    with pytest.raises(InputError, match="--batch needs an openai: judge"):
        load_judge("vllm:/models/judge", JudgeOptions(batch=BatchOptions()))
    server = batch_server()
    judge = load_judge(f"openai:gpt-4o-mini@{server.base_url}", JudgeOptions(batch=BatchOptions()))
    assert isinstance(judge, LLMJudge) and isinstance(judge.backend, OpenAIBatchBackend)
    judge.record_to(tmp_path)
    assert judge.backend.batch.state == tmp_path / "batches.jsonl"
    plain = load_judge(f"openai:gpt-4o-mini@{server.base_url}", JudgeOptions())
    assert isinstance(plain, LLMJudge)
    plain.record_to(tmp_path)  # a no-op
    # one cache for both ways of asking
    assert judge.identity() == plain.identity()


def test_lines_that_keep_failing_are_given_up_after_the_last_round(batch_server, tmp_path, caplog):
    server = batch_server(
        longer_wins,
        polls_to_complete=1,
        line_faults=lambda line: "500" if line["custom_id"].startswith("p2|") else None,
    )
    tasks = _tasks(6)
    with caplog.at_level("WARNING"):
        _, results = _judge(f"openai:gpt-4o-mini@{server.base_url}", tasks, max_rounds=2)
    assert sorted(r.key for r in results) == sorted(t.key for t in tasks if t.key != tasks[2].key)
    assert [len(b.lines) for b in server.batches.values()] == [6, 1, 1]  # the first send and 2 rounds
    assert [split_custom_id(b.custom_ids[0])[1] for b in list(server.batches.values())[1:]] == [1, 2]
    assert (
        "1 of 6 lines got no answer from the Batch API, sent again 2 time(s) (e.g. HTTP 500)" in caplog.text
    )
    assert f"no answer for 1 pairs ({tasks[2].key})" in caplog.text


def test_a_rejected_key_stops_the_run_with_one_line(batch_server):
    server = batch_server(longer_wins, api_key="the-right-key")
    with pytest.raises(ServiceError, match=r"authentication failed \(HTTP 401\)") as caught:
        _judge(f"openai:gpt-4o-mini@{server.base_url}", _tasks(2))
    assert "\n" not in str(caught.value) and server.uploads == 0
