"""Kills, concurrent processes: the final result must equal an uninterrupted run."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import longer_wins

LIMIT = 60
RUN = "self-instruct/davinci__vs__text-davinci-003/judge-pairwise"


def argv(data_dir, server, out):
    preds = data_dir / "self-instruct" / "predictions"
    return [
        sys.executable,
        "-m",
        "alpaca_bench",
        "compare",
        str(preds / "davinci_predictions.jsonl"),
        str(preds / "text-davinci-003_predictions.jsonl"),
        "--judge",
        f"openai:judge@{server.base_url}",
        "--output-dir",
        str(out),
        "--limit",
        str(LIMIT),
        "--both-orders",
        "--no-progress",
        "--json",
        "--concurrency",
        "4",
        "--seed",
        "11",
    ]


def outcome(out: Path):
    """What must not depend on interruptions: every judgment's key and preference, and the summary."""
    records = [json.loads(x) for x in (out / RUN / "judgments.jsonl").read_text().splitlines()]
    keys = [(r["prompt_id"], r["first_shown"]) for r in records]
    assert len(keys) == len(set(keys)), "duplicated judgments"
    summary = json.loads((out / RUN / "summary.json").read_text())
    stable = {
        k: summary[k]
        for k in ("n", "wins", "losses", "ties", "unscored", "win_rate", "ci", "position_consistency")
    }
    return sorted((r["prompt_id"], r["first_shown"], r["preference"]) for r in records), stable


@pytest.fixture
def reference(data_dir, scripted_server, tmp_path):
    """An uninterrupted run with its own cache: the ground truth."""
    server = scripted_server(longer_wins)
    env = {**os.environ, "ALPACA_BENCH_CACHE": str(tmp_path / "reference-cache")}
    done = subprocess.run(
        argv(data_dir, server, tmp_path / "reference"), env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return outcome(tmp_path / "reference")


@pytest.mark.slow
def test_ten_sigkills_at_random_points_then_the_same_result(data_dir, scripted_server, tmp_path, reference):
    server = scripted_server(longer_wins, latency_s=0.02)
    out = tmp_path / "killed"
    rng = random.Random(2026)
    killed = 0
    for _ in range(10):
        child = subprocess.Popen(
            argv(data_dir, server, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(0.2, 2.5))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            killed += 1
        child.wait()
    assert killed >= 5, "most runs should have been killed mid-way"
    done = subprocess.run(argv(data_dir, server, out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert outcome(out) == reference


@pytest.mark.slow
def test_two_processes_on_one_run_folder(data_dir, scripted_server, tmp_path, reference):
    server = scripted_server(longer_wins, latency_s=0.01)
    out = tmp_path / "shared"
    children = [
        subprocess.Popen(
            argv(data_dir, server, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for child in children:
        stdout, stderr = child.communicate(timeout=300)
        assert child.returncode == 0, stderr
        assert json.loads(stdout)["n"] == LIMIT
    assert outcome(out) == reference
