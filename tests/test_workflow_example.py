"""The ready-to-copy GitHub Actions workflow stays valid: YAML parses and its gate command is
accepted by today's CLI parser."""

import shlex
from pathlib import Path

import yaml

from alpaca_bench.cli import build_parser

WORKFLOW = Path(__file__).resolve().parents[1] / "examples" / "github" / "alpaca-bench-gate.yml"


def test_workflow_gate_command_parses():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["gate"]["steps"]
    command = next(s["run"] for s in steps if s.get("name") == "Gate")
    argv = shlex.split(command)
    assert argv[0] == "alpaca-bench"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "gate" and args.both_orders and args.margin == 0.02
    assert args.judge == "openai:gpt-4o-mini"
