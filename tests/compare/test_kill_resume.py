"""SIGKILL a real `alpaca-bench compare` mid-judging, run it again: exactly one judgment per
(prompt, order), and no more judge calls than needed plus those in flight at the kill."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import longer_wins

CONCURRENCY = 4


def _count_lines(path):
    return len(path.read_bytes().splitlines()) if path.exists() else 0


@pytest.mark.parametrize("kill_after", [3, 40])
def test_sigkill_then_rerun_finishes_exactly(tmp_path, data_dir, scripted_server, kill_after):
    server = scripted_server(longer_wins, latency_s=0.03)
    preds = data_dir / "self-instruct" / "predictions"
    argv = [
        sys.executable,
        "-m",
        "alpaca_bench",
        "compare",
        preds / "davinci_predictions.jsonl",
        preds / "text-davinci-003_predictions.jsonl",
        "--judge",
        f"openai:judge-model@{server.base_url}",
        "--output-dir",
        tmp_path / "results",
        "--limit",
        "80",
        "--both-orders",
        "--no-progress",
        "--concurrency",
        str(CONCURRENCY),
        "--no-hedge",  # the only extra calls are then those in flight at the kill
        "--json",
    ]
    judgments = (
        tmp_path / "results/self-instruct/davinci__vs__text-davinci-003/judge-model-pairwise/judgments.jsonl"
    )
    child = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _count_lines(judgments) < kill_after and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    written_before = _count_lines(judgments)
    assert 0 < written_before < 160, "the kill should land mid-run"

    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    records = [json.loads(line) for line in judgments.read_text().splitlines()]
    keys = [(r["prompt_id"], r["first_shown"]) for r in records]
    assert len(keys) == len(set(keys)) == 160
    assert summary["n"] == 80
    preds_b = [
        json.loads(x)["response"] for x in (preds / "davinci_predictions.jsonl").read_text().splitlines()
    ]
    preds_c = [
        json.loads(x)["response"]
        for x in (preds / "text-davinci-003_predictions.jsonl").read_text().splitlines()
    ]
    needed = 2 * sum(b != c for b, c in zip(preds_b[:80], preds_c[:80], strict=True))
    assert len(server.bodies) <= needed + CONCURRENCY  # calls in flight at the kill are the only extra
