"""`alpaca-bench demo`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..demo import run_demo
from .options import stdout


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole pipeline offline on two tiny local models",
        description="Build two tiny transformers models from config, generate their answers to the 20-prompt "
        "demo set and compare them. No network, no API key, about a minute on two CPU cores.",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("results"), help="results root (default results/)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    result = run_demo(args.output_dir, show_progress=not args.no_progress)
    console = stdout()
    for run in result.generations:
        console.print(f"{run.model}: {len(run.generations)} outputs → {run.path}")
    console.print("judging is not available yet: the demo stops after generation")
    return 0
