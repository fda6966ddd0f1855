"""`alpaca-bench datagen` end to end against a scripted teacher over real HTTP on 127.0.0.1."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from rouge_score import rouge_scorer

from alpaca_bench.datagen import FILTERS, Task, failing_filters

from conftest import run_process

pytest_plugins = ["datagen_fakes"]

SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _sidecar(output, suffix):
    return output.with_name(output.stem + suffix)


def _datagen_argv(server, seed_tasks_file, output, num, *extra):
    return [
        "datagen",
        "--seed-tasks",
        seed_tasks_file,
        "--model",
        f"openai:teacher@{server.base_url}",
        "--num",
        str(num),
        "--output",
        output,
        "--no-progress",
        "--max-retries",
        "3",
        "--backoff-base",
        "0.01",
        # each call of the scripted teacher plants one defect of a fixed rotation; a hedge whose
        # answer is dropped would drop its defect too (hedging itself: tests/reliability)
        "--no-hedge",
        *[str(e) for e in extra],
    ]


def _assert_valid_dataset(records, seed_instructions, writer, num):
    assert len(records) == num
    for record in records:
        assert set(record) == {"instruction", "input", "output"}
        assert failing_filters(Task(**record)) == [], record
    instructions = [r["instruction"] for r in records]
    assert len(set(instructions)) == num
    tokens = [SCORER._tokenizer.tokenize(t) for t in instructions]
    seed_tokens = [SCORER._tokenizer.tokenize(s) for s in seed_instructions]
    for i, mine in enumerate(tokens):
        for other in tokens[:i] + seed_tokens:
            assert rouge_scorer._score_lcs(mine, other).fmeasure <= 0.7, instructions[i]
    kept = set(instructions) | set(seed_instructions)
    for copy, original in writer.planted.items():
        assert not (copy in kept and original in kept), f"planted near-duplicate kept: {copy}"
    assert not set(writer.violated) & set(instructions)


@pytest.mark.parametrize("task_format", ["numbered", "json"])
def test_exactly_n_clean_distinct_tasks(
    cli, teacher, seed_tasks_file, seed_instructions, tmp_path, task_format
):
    server, writer = teacher()
    output = tmp_path / "tasks.jsonl"
    result = cli(
        *_datagen_argv(
            server,
            seed_tasks_file,
            output,
            45,
            "--format",
            task_format,
            "--concurrency",
            "4",
            "--price",
            "2,10",
            "--json",
        )
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    records = _lines(output)
    _assert_valid_dataset(records, seed_instructions, writer, 45)

    prompt = server.bodies[0]["messages"][-1]["content"]
    shown = re.findall(
        r"^\d+\. Instruction:" if task_format == "numbered" else '"instruction":', prompt, re.M
    )
    assert len(shown) == 3, "three seed tasks shown (--examples-per-prompt default)"
    assert ("JSON array" in prompt) == (task_format == "json")

    rejections = _lines(_sidecar(output, ".rejected.jsonl"))
    reasons = {r["reason"] for r in rejections}
    expected = (
        set(FILTERS) | {"malformed", "near_duplicate"} | ({"truncated"} if task_format == "json" else set())
    )
    assert expected <= reasons
    planted_rejected = [
        r for r in rejections if r["reason"] == "near_duplicate" and r["instruction"] in writer.planted
    ]
    assert len(planted_rejected) >= 2 * len(_lines(_sidecar(output, ".requests.jsonl"))) - 2
    assert all(r["score"] > 0.7 and r["similar_to"] for r in planted_rejected)

    assert report["kept"] == 45 and report["complete"] is True
    assert report["rejected"] == sum(r["reason"] != "surplus" for r in rejections)
    assert sum(report["rejected_by_reason"].values()) == report["rejected"]
    assert report["candidates"] == 45 + len(rejections)
    requests = _lines(_sidecar(output, ".requests.jsonl"))
    assert report["requests"] == len(requests) <= len(server.bodies)
    assert report["prompt_tokens"] == 1000 * len(requests)
    assert report["cost_usd"] == pytest.approx(len(requests) * (1000 * 2 + 500 * 10) / 1e6)
    assert sum(v["count"] for v in report["top_verbs"]) <= 45 and report["distinct_verbs"] >= 5
    assert sum(b["count"] for b in report["length_histograms"]["instruction"]) == 45
    assert json.loads(_sidecar(output, ".report.json").read_text())["kept"] == 45


def test_seeded_runs_are_reproducible(cli, teacher, seed_tasks_file, tmp_path):
    server, _ = teacher(deterministic=True)
    outputs = []
    for run, seed in enumerate([7, 7, 8]):
        output = tmp_path / f"run{run}" / "tasks.jsonl"
        argv = _datagen_argv(
            server,
            seed_tasks_file,
            output,
            30,
            "--seed",
            seed,
            "--concurrency",
            "3",
            "--machine-examples",
            "1",
            "--no-cache",
        )
        assert cli(*argv).code == 0
        outputs.append(output.read_text())
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


def test_rerun_of_a_finished_run_makes_no_calls(cli, teacher, seed_tasks_file, tmp_path):
    server, _ = teacher()
    output = tmp_path / "tasks.jsonl"
    argv = _datagen_argv(server, seed_tasks_file, output, 12)
    assert cli(*argv).code == 0
    before, calls = output.read_text(), len(server.bodies)
    assert cli(*argv).code == 0
    assert output.read_text() == before and len(server.bodies) == calls
    bigger = cli(*_datagen_argv(server, seed_tasks_file, output, 20, "--similarity-threshold", "0.6"))
    assert bigger.code == 0
    assert "resuming with a different --similarity-threshold" in bigger.out + bigger.err
    assert output.read_text().startswith(before) and len(_lines(output)) == 20


def test_max_cost_stops_under_the_cap_and_a_higher_cap_continues(cli, teacher, seed_tasks_file, tmp_path):
    # each answer costs 500 * 2 + 400 * 10 = 5000 micro-USD; admission reserves the prompt
    # (about 600 tokens) plus --max-tokens 400 of output, about 5200
    server, _ = teacher(prompt_tokens=500, completion_tokens=400)
    output = tmp_path / "tasks.jsonl"
    common = ["--price", "2,10", "--max-tokens", "400", "--concurrency", "1", "--json"]
    first = cli(*_datagen_argv(server, seed_tasks_file, output, 500, "--max-cost", "0.018", *common))
    assert first.code == 0, first.err
    report = json.loads(first.out)
    assert report["complete"] is False and report["stopped_by"] == "max_cost"
    assert len(server.bodies) == 3
    assert report["cost_usd"] == pytest.approx(0.015) and report["cost_usd"] <= 0.018
    assert 0 < report["kept"] < 500

    second = cli(*_datagen_argv(server, seed_tasks_file, output, 500, "--max-cost", "0.033", *common))
    report = json.loads(second.out)
    assert len(server.bodies) == 6
    assert report["cost_usd"] == pytest.approx(0.030) and report["cost_usd"] <= 0.033
    assert [r["request"] for r in _lines(_sidecar(output, ".requests.jsonl"))] == list(range(6))


def test_a_model_that_gives_nothing_usable_stops_with_exit_3(cli, scripted_server, seed_tasks_file, tmp_path):
    server = scripted_server(lambda body: "I am sorry, I cannot help with that.")
    output = tmp_path / "tasks.jsonl"
    result = cli(*_datagen_argv(server, seed_tasks_file, output, 10, "--patience", "3", "--concurrency", "1"))
    assert result.code == 3
    assert "no new usable task in 3 requests" in result.err and "\n" not in result.err.strip()
    assert len(server.bodies) == 3 and _lines(output) == []


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_loses_and_duplicates_nothing(
    teacher, seed_tasks_file, seed_instructions, tmp_path
):
    server, writer = teacher(latency_s=0.05)
    output = tmp_path / "tasks.jsonl"
    argv = [
        sys.executable,
        "-m",
        "alpaca_bench",
        *[str(a) for a in _datagen_argv(server, seed_tasks_file, output, 80, "--concurrency", "2")],
    ]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(_lines(output)) < 12 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    written = output.read_text()
    assert 12 <= len(written.splitlines()) < 80, "the kill should land mid-run"

    done = run_process(*argv[3:], timeout=120)
    assert done.returncode == 0, done.stderr
    assert output.read_text().startswith(written), "tasks written before the kill must stay, in order"
    _assert_valid_dataset(_lines(output), seed_instructions, writer, 80)
    numbers = [r["request"] for r in _lines(_sidecar(output, ".requests.jsonl"))]
    assert len(numbers) == len(set(numbers))
    assert json.loads(_sidecar(output, ".report.json").read_text())["kept"] == 80


def test_dry_run_prices_the_requests_without_sending_or_writing(cli, teacher, seed_tasks_file, tmp_path):
    server, _ = teacher()
    output = tmp_path / "tasks.jsonl"
    planned = cli(
        *_datagen_argv(server, seed_tasks_file, output, 40, "--price", "1,4", "--dry-run", "--json")
    )
    assert planned.code == 0, planned.err
    (stage,) = json.loads(planned.out)["stages"]
    # 40 tasks at the prior yield of half of each request's 20: 4 requests, none sent, nothing written
    assert stage["calls"] == 4 and stage["estimated"] and not list(tmp_path.glob("tasks*"))
    assert len(server.bodies) == 0
    assert stage["cost_usd"] == pytest.approx(
        (stage["prompt_tokens"] * 1 + stage["completion_tokens"] * 4) / 1e6
    )
    ran = cli(*_datagen_argv(server, seed_tasks_file, output, 40))
    assert ran.code == 0 and len(server.bodies) >= 1  # the real run's count depends on what survives
    done = json.loads(cli(*_datagen_argv(server, seed_tasks_file, output, 40, "--dry-run", "--json")).out)
    assert done["calls"] == 0  # finished: nothing left to ask
