"""Disk full and permission denied while writing: exit 3 or 2 with one clear line; the records
written before stay intact and a later run with space/permissions finishes the job."""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

GATE = Path(__file__).resolve().parents[1] / "data" / "gate"


def argv(out, limit=20):
    return [
        sys.executable,
        "-m",
        "alpaca_bench",
        "compare",
        str(GATE / "released.jsonl"),
        str(GATE / "improved.jsonl"),
        "--eval-set",
        "demo",
        "--judge",
        "rouge",
        "--output-dir",
        str(out),
        "--no-progress",
        "--limit",
        str(limit),
    ]


def judgments(out):
    path = out / "demo" / "released__vs__improved" / "rouge" / "judgments.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_disk_full_mid_run_exits_3_and_keeps_earlier_records(tmp_path):
    out = tmp_path / "results"
    for model in ("released", "improved"):  # all outputs exist: only judgments grow below
        generate = [
            sys.executable,
            "-m",
            "alpaca_bench",
            "generate",
            str(GATE / f"{model}.jsonl"),
            "--eval-set",
            "demo",
            "--output-dir",
            str(out),
            "--no-progress",
        ]
        assert subprocess.run(generate, capture_output=True).returncode == 0
    assert subprocess.run(argv(out, limit=5), capture_output=True).returncode == 0
    before = judgments(out)
    # room for about one more judgment: the judgments file is what grows past the limit (the
    # manifests the run rewrites are smaller than it, and the outputs are only read)
    limit = (out / "demo" / "released__vs__improved" / "rouge" / "judgments.jsonl").stat().st_size + 600

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(argv(out), capture_output=True, text=True, preexec_fn=small_disk)
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and "cannot write" in done.stderr and "Traceback" not in done.stderr
    after = judgments(out)  # parses: no half-written line
    assert after[: len(before)] == before and len(before) < len(after) < 20
    assert subprocess.run(argv(out), capture_output=True).returncode == 0
    assert len(judgments(out)) == 20


def test_permission_denied_exits_2_and_keeps_earlier_records(tmp_path):
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.fail("running as root: this test needs util-linux setpriv to drop the permission override")
    out = tmp_path / "results"
    assert subprocess.run(argv(out, limit=5), capture_output=True).returncode == 0
    before = judgments(out)
    locked = [p for p in out.rglob("*")] + [out]
    for path in locked:
        path.chmod(0o555 if path.is_dir() else 0o444)
    prefix = []
    if os.geteuid() == 0:  # root ignores file modes unless it gives up the capability
        prefix = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
    try:
        done = subprocess.run(prefix + argv(out), capture_output=True, text=True)
    finally:
        for path in locked:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Permission denied" in done.stderr
    assert judgments(out) == before
