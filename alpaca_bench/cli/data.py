"""`alpaca-bench data fetch`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..evalsets import fetch_data
from ..paths import DATA_DIR_ENV, data_dir
from .options import examples, print_json, stdout


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "data",
        epilog=examples(
            "alpaca-bench data fetch",
            "alpaca-bench data fetch --only alpaca-eval/annotations --json",
            "alpaca-bench data fetch --dest ../shared/data --no-progress",
        ),
        help="download the public data the built-in eval sets and benchmarks read",
        description="Download the public eval sets, model outputs, judge annotations and leaderboards "
        "(self-instruct, AlpacaEval, MT-Bench, Arena-Hard) from where they are published, each checked "
        "against a pinned checksum. Files already there and verified are not downloaded again. "
        "The default folder is used by the eval sets without further setup; "
        "set ALPACA_BENCH_DATA_MIRROR to fetch from a mirror instead.",
    )
    parser.add_argument("action", choices=["fetch"], help="fetch: download what is missing")
    parser.add_argument(
        "--dest",
        type=Path,
        metavar="DIR",
        help="folder to fill (default <cache>/data, which eval sets use unless ALPACA_BENCH_DATA_DIR is set)",
    )
    parser.add_argument(
        "--only",
        metavar="PREFIX",
        help="only files whose path starts with PREFIX, e.g. mt-bench or alpaca-eval/",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    report = fetch_data(args.dest, only=args.only, show_progress=not args.no_progress)
    if args.json:
        print_json(report.to_dict())
        return 0
    console = stdout()
    console.print(
        f"fetched {len(report.fetched)} files ({report.fetched_bytes / 1e6:.1f} MB) into {report.dest}; "
        f"{len(report.present)} already there and verified",
        markup=False,
    )
    for name in report.fetched:
        console.print(f"  + {name}", markup=False)
    used = data_dir()
    if used is None or used.resolve() != report.dest.resolve():
        console.print(
            f"eval sets read {used or 'no data folder'}; set {DATA_DIR_ENV}={report.dest} to use this one"
        )
    return 0
