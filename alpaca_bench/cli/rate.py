"""`alpaca-bench rate RUN_DIR --rater NAME`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .options import examples, positive_int, stdout


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rate",
        epilog=examples(
            "alpaca-bench rate results/self-instruct/a__vs__b/rouge --rater alice",
            "alpaca-bench rate results/self-instruct/a__vs__b/rouge --rater bob --limit 50",
        ),
        help="rate a run's blind pairs yourself in a full-screen terminal UI",
        description="Rate the pairs of a comparison run blind, one at a time: 1 first better, 2 second "
        "better, t tie, b both bad, s skip, u undo, ? help, q quit. Each rating is saved the moment it "
        "is given; run the same command again to go on where you stopped. Several raters rate the same "
        "run independently, each in an order of their own. Then: alpaca-bench agreement RUN_DIR.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a comparison run folder")
    parser.add_argument("--rater", required=True, type=_rater, help="your name, as recorded with each rating")
    parser.add_argument(
        "--limit",
        type=positive_int,
        help="rate only N pairs, drawn by --seed (the same N for every rater with that seed)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed for the pairs drawn by --limit and for each rater's order (default 0)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..judges.human import rate_in_terminal

    progress = rate_in_terminal(args.run_dir, args.rater, seed=args.seed, limit=args.limit)
    line = f"{args.rater}: {progress.rated} of {progress.total} pairs rated ({progress.session_ratings} now"
    if progress.skipped:
        line += f", {progress.skipped} skipped"
    line += ")"
    if progress.rated < progress.total:
        line += "; run the same command to go on"
    stdout().print(line, markup=False)
    return 0


def _rater(text: str) -> str:
    name = text.strip()
    if not name:
        raise argparse.ArgumentTypeError("the rater name must not be empty")
    return name
