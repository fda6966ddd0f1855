"""Without the public test data, `pytest` stops before collecting anything, with one message
that says how to get it, instead of failing test by test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bare_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's tracked files, with no ../shared beside it."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    copy = tmp_path_factory.mktemp("fresh-clone") / "alpaca-bench"
    for name in files.stdout.splitlines():
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    assert not (copy.parent / "shared").exists()
    return copy


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_pytest_without_data_stops_with_the_fetch_hint(bare_copy, tmp_path, offline):
    env = {k: v for k, v in os.environ.items() if k not in ("ALPACA_BENCH_DATA_DIR", "ALPACA_BENCH_OFFLINE")}
    env["ALPACA_BENCH_CACHE"] = str(tmp_path / "empty-cache")
    if offline:
        env["ALPACA_BENCH_OFFLINE"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_records.py"],
        cwd=bare_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "alpaca-bench data fetch" in output, output
    assert (
        "FAILED" not in output and "passed" not in output and "error" not in output.lower().split("exit:")[0]
    )
