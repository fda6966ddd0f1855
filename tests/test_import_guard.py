"""`import alpaca_bench` (and building the CLI) must not pull in heavy dependencies."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "streamlit", "openai", "datasets", "textual", "scipy", "numpy", "rapidfuzz")

PROBE = """
import sys
import alpaca_bench
import alpaca_bench.evalsets, alpaca_bench.models, alpaca_bench.records, alpaca_bench.store
from alpaca_bench.cli import build_parser
build_parser()
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_import_pulls_in_no_heavy_dependency() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "", f"imported at import time: {done.stdout.strip()}"


def test_public_api_is_curated() -> None:
    import alpaca_bench

    assert "generate" in alpaca_bench.__all__
    for name in alpaca_bench.__all__:
        assert getattr(alpaca_bench, name) is not None


def test_log_lines_never_reach_stdout(tmp_path):
    """Warnings go to stderr, so `--json` output stays one parseable object."""
    import json

    from conftest import run_process

    done = run_process(
        "-v", "generate", "mock:m", "--eval-set", "demo", "--output-dir", tmp_path, "--json", "--no-progress"
    )
    assert done.returncode == 0
    json.loads(done.stdout)
    assert "model calls)" in done.stderr  # the INFO line from generation.py, logged with -v
    assert "model calls)" not in done.stdout
