"""`alpaca-bench demo` runs the whole pipeline offline and leaves a results folder."""

import json

from conftest import run_process


def test_demo_runs_offline_end_to_end(tmp_path):
    done = run_process("demo", "--output-dir", tmp_path / "results", "--no-progress", timeout=240)
    assert done.returncode == 0, done.stderr
    for name in ("tiny-a", "tiny-b"):
        lines = (
            (tmp_path / "results" / "demo" / "models" / name / "generations.jsonl").read_text().splitlines()
        )
        assert len(lines) == 20
    run = tmp_path / "results" / "demo" / "tiny-a__vs__tiny-b" / "rouge"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["n"] == 20 and summary["judge"] == "rouge"
    assert summary["ci"]["low"] <= summary["win_rate"] <= summary["ci"]["high"]
    assert len((run / "judgments.jsonl").read_text().splitlines()) == 20
    assert "candidate win rate" in done.stdout
