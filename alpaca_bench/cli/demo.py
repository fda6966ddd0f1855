"""`alpaca-bench demo`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..paths import DEFAULT_RESULTS
from .options import examples, stdout
from .report import print_summary


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        epilog=examples(
            "alpaca-bench demo",
            "alpaca-bench demo --output-dir /tmp/alpaca-demo",
        ),
        help="run the whole pipeline offline on two tiny local models",
        description="Build two tiny transformers models from config, generate their answers to the 20-prompt "
        "demo set and compare them blind with the rouge judge. No network, no API key; about 10 s on two "
        "CPU cores.",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=DEFAULT_RESULTS, help=f"results root (default {DEFAULT_RESULTS}/)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    result = run_demo(args.output_dir, show_progress=not args.no_progress)
    console = stdout()
    console.print(f"built {', '.join(str(p) for p in result.model_dirs)}")
    print_summary(console, result.comparison.summary, result.comparison.run_dir)
    console.print(
        "next: `alpaca-bench stats " + str(result.comparison.run_dir) + "`, or compare real models with "
        "`alpaca-bench compare hf:BASE hf:TUNED --judge openai:gpt-4o-mini`"
    )
    return 0
