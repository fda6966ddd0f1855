"""`alpaca-bench demo` runs the whole pipeline offline and leaves a results folder."""

from conftest import run_process


def test_demo_runs_offline_and_leaves_results(tmp_path):
    done = run_process("demo", "--output-dir", tmp_path / "results", "--no-progress", timeout=240)
    assert done.returncode == 0, done.stderr
    for name in ("tiny-a", "tiny-b"):
        lines = (tmp_path / "results" / "demo" / "models" / name / "generations.jsonl").read_text().splitlines()
        assert len(lines) == 20
