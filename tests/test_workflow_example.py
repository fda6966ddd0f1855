"""The ready-to-copy GitHub Actions workflow stays valid: YAML parses and its gate command is
accepted by today's CLI parser."""

import shlex
from pathlib import Path

import yaml

from alpaca_bench.cli import build_parser
from alpaca_bench.cli.compare import settings_from
from alpaca_bench.cli.gate import GATE_FLAGS
from alpaca_bench.settings import GateSettings

WORKFLOW = Path(__file__).resolve().parents[1] / "examples" / "github" / "alpaca-bench-gate.yml"


def test_workflow_gate_command_parses():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["gate"]["steps"]
    command = next(s["run"] for s in steps if s.get("name") == "Gate")
    argv = shlex.split(command)
    assert argv[0] == "alpaca-bench"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "gate"
    settings = settings_from(args)
    assert settings.both_orders and settings.judge == "openai:gpt-4o-mini"
    assert GATE_FLAGS.build(GateSettings, args).margin == 0.02


def test_workflow_publish_job_exports_the_gate_results():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    gate = workflow["jobs"]["gate"]["steps"]
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "gate" and "if" in publish  # optional: only by hand or on the default branch
    assert publish["permissions"] == {"pages": "write", "id-token": "write"}
    steps = publish["steps"]
    uploaded = next(s for s in gate if s.get("uses", "").startswith("actions/upload-artifact"))["with"]
    downloaded = next(s for s in steps if s.get("uses", "").startswith("actions/download-artifact"))["with"]
    assert downloaded["name"] == uploaded["name"] and downloaded["path"] == uploaded["path"]
    command = next(s["run"] for s in steps if s.get("name") == "Export the leaderboard")
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert (args.command, args.action) == ("leaderboard", "export")
    assert str(args.results) == downloaded["path"]
    pages = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))["with"]
    assert pages["path"] == str(args.out)
