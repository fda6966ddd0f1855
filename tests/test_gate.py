"""The CI gate on fixture comparisons (demo eval set, rouge judge): a pass and a regression."""

import json
from pathlib import Path

import pytest

from alpaca_bench.gate import GateSettings, decide
from alpaca_bench.records import ComparisonSummary, Interval

GATE = Path(__file__).parent / "data" / "gate"


def gate(cli, tmp_path, candidate, *extra):
    return cli(
        "gate",
        "--baseline",
        GATE / "released.jsonl",
        "--candidate",
        GATE / f"{candidate}.jsonl",
        "--eval-set",
        "demo",
        "--judge",
        "rouge",
        "--output-dir",
        tmp_path / "results",
        "--no-progress",
        *extra,
    )


def test_improved_candidate_passes(cli, tmp_path):
    result = gate(cli, tmp_path, "improved", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["verdict"] == "pass" and report["win_rate"] > 0.5
    assert report["n"] == 20 and report["min_detectable_effect"] > 0.25
    assert "too few" in report["warning"]


def test_regressed_candidate_fails_with_exit_1(cli, tmp_path):
    result = gate(cli, tmp_path, "regressed")
    assert result.code == 1
    assert "gate FAIL" in result.out and "warning" in result.out


def test_gate_on_an_existing_run_dir(cli, tmp_path):
    gate(cli, tmp_path, "regressed", "--json")
    run_dir = tmp_path / "results/demo/released__vs__regressed/rouge"
    assert cli("gate", run_dir).code == 1
    assert cli("gate", run_dir, "--min-win-rate", "0.0").code == 0
    assert cli("gate", run_dir, "--baseline", "x").code == 2


def summary(win_rate, low, high, n=400):
    return ComparisonSummary(
        baseline="a",
        candidate="b",
        eval_set="e",
        judge="j",
        n=n,
        wins=0,
        losses=0,
        ties=0,
        unscored=0,
        win_rate=win_rate,
        ci=Interval(level=0.95, method="bca", low=low, high=high),
    )


@pytest.mark.parametrize(
    "mode, margin, win_rate, high, regressed",
    [
        ("significance", 0.0, 0.45, 0.49, True),
        ("significance", 0.0, 0.45, 0.51, False),  # not significantly worse: pass
        ("significance", 0.05, 0.40, 0.46, False),  # within the tolerated margin
        ("significance", 0.05, 0.40, 0.44, True),
        ("point", 0.0, 0.49, 0.55, True),
        ("point", 0.02, 0.49, 0.55, False),
    ],
)
def test_decision_rule(tmp_path, mode, margin, win_rate, high, regressed):
    result = decide(
        summary(win_rate, win_rate - 0.04, high), GateSettings(margin=margin, mode=mode), tmp_path
    )
    assert result.regressed is regressed


def test_small_runs_warn_and_large_runs_do_not(tmp_path):
    settings = GateSettings(margin=0.05)
    assert "too few" in decide(summary(0.5, 0.4, 0.6, n=50), settings, tmp_path).warning
    assert decide(summary(0.5, 0.48, 0.52, n=5000), settings, tmp_path).warning is None


def test_bad_gate_options(cli, tmp_path):
    assert gate(cli, tmp_path, "improved", "--confidence", "1.5").code == 2
    assert cli("gate").code == 2
