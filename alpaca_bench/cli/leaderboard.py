"""`alpaca-bench leaderboard`: serve the Streamlit leaderboard over a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..paths import DEFAULT_RESULTS
from .options import examples


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {value}")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "leaderboard",
        epilog=examples(
            "alpaca-bench leaderboard",
            "alpaca-bench leaderboard --results results --battle-config battle.yaml --port 8600",
        ),
        help="serve the leaderboard (and battle page) over a results folder",
        description="Start the Streamlit app headless: leaderboard, head-to-head matrix, prompt explorer, "
        "judge agreement and, with --battle-config, an arena where people vote between two anonymous "
        "models. Stop it with Ctrl-C. `streamlit run leaderboard/app.py -- --results DIR` works too.",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help=f"results folder to show (default {DEFAULT_RESULTS}/)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8501, help="port (default 8501)")
    parser.add_argument(
        "--battle-config",
        type=Path,
        help="YAML list of named model specs for the Battle page; votes are stored as human judgments",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..leaderboard import serve

    code: int = serve(args.results, host=args.host, port=args.port, battle_config=args.battle_config)
    return code
