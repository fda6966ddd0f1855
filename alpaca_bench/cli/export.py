"""`alpaca-bench export RUN_DIR --format fastchat-pair`: a run's judgments in another tool's format."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .options import examples


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        epilog=examples(
            "alpaca-bench export results/mt-bench/a__vs__b/gpt-4o-pairwise-conversation --out pair.jsonl",
            "alpaca-bench export results/mt-bench/a__vs__b/gpt-4o-pairwise-last-turn --format fastchat-pair",
        ),
        help="write a run's judgments in FastChat's pair-judgment format",
        description="Write the judgments of a comparison run as FastChat MT-Bench pair judgments "
        "(model_judgment/<judge>_pair.jsonl): one line per question with both orders, g1 showing the "
        "baseline (model_1) first and g2 the swap; winners model_1, model_2, tie or error (an unscored "
        "or missing order).",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a comparison run folder")
    parser.add_argument("--format", choices=["fastchat-pair"], default="fastchat-pair", help="the format")
    parser.add_argument("--out", type=Path, help="file to write (default: stdout)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..files import atomic_write_text
    from ..peer_formats import fastchat_pair_rows
    from ..store import open_run

    run = open_run(args.run_dir)
    manifest = run.manifest()
    judgments = [j for j in run.current_judgments(manifest.judge.name) if j.rater is None]
    eval_set = manifest.load_eval_set()
    turns = max((p.n_turns for p in eval_set), default=1)
    judge = (
        manifest.judge.spec.partition(":")[2].rpartition("@")[0] or manifest.judge.name,
        manifest.judge.template or "",
    )
    rows = fastchat_pair_rows(judgments, judge, turn=turns)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.out is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(args.out, text)
        print(f"{len(rows)} judgments written to {args.out}", file=sys.stderr)
    return 0
