"""`alpaca-bench leaderboard [serve|export]`: serve the Streamlit leaderboard over a results
folder, or write it as a static site."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..paths import DEFAULT_RESULTS
from .options import examples, stdout

SERVE_ONLY = ("host", "port", "battle_config")
HELP = " (see 'alpaca-bench leaderboard --help')"


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
            "alpaca-bench leaderboard export --results results --out site/",
        ),
        help="serve the leaderboard (and battle page) over a results folder, or export it as a static site",
        description="serve (the default): start the Streamlit app headless: leaderboard, head-to-head "
        "matrix, prompt explorer, judge agreement and, with --battle-config, an arena where people vote "
        "between two anonymous models. Stop it with Ctrl-C. `streamlit run leaderboard/app.py -- "
        "--results DIR` works too. export: write the same pages as a self-contained static site "
        "(HTML, CSS, data as JSON; no server, no network) into --out, to open from disk or publish "
        "on GitHub Pages.",
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=["serve", "export"],
        default="serve",
        help="serve (default): run the app; export: write a static site into --out",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help=f"results folder to show (default {DEFAULT_RESULTS}/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="SITE",
        help="export: the site's folder (new, empty, or an earlier export)",
    )
    parser.add_argument("--no-progress", action="store_true", help="export: hide the progress bar")
    parser.add_argument(
        "--host", default=argparse.SUPPRESS, help="serve: address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=port_number, default=argparse.SUPPRESS, help="serve: port (default 8501)"
    )
    parser.add_argument(
        "--battle-config",
        type=Path,
        default=argparse.SUPPRESS,
        help="serve: YAML list of named model specs for the Battle page; votes are stored as human judgments",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.action == "export":
        return _export(args)
    if args.out is not None:
        raise InputError("--out is for 'leaderboard export'" + HELP)
    from ..leaderboard import serve

    given = {name: getattr(args, name) for name in SERVE_ONLY if hasattr(args, name)}
    code: int = serve(args.results, **given)  # what was not given takes serve()'s defaults
    return code


def _export(args: argparse.Namespace) -> int:
    given = [f"--{name.replace('_', '-')}" for name in SERVE_ONLY if hasattr(args, name)]
    if given:
        raise InputError(f"{given[0]} is for serving; 'leaderboard export' takes --results and --out" + HELP)
    if args.out is None:
        raise InputError("'leaderboard export' needs --out SITE (the folder to write the site into)" + HELP)
    from ..leaderboard import export_site

    report = export_site(args.results, args.out, show_progress=not args.no_progress)
    stdout().print(
        f"wrote {report.pages} pages over {report.comparisons} comparisons ({report.bytes / 1e6:.1f} MB) "
        f"to {report.out}; open {report.index}",
        markup=False,
    )
    return 0
