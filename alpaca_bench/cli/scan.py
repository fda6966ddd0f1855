"""`alpaca-bench scan OUTPUTS`: flag outputs that address the judge or ignore the prompt."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rich.table import Table

from ..evalsets import load_eval_set, parse_field_map
from ..models.base import BackendOptions
from ..models.file import FileBackend
from ..scan import ScanReport, scan_outputs
from ..store import RunFolder
from .options import print_json, stdout


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="flag outputs written for the judge rather than the user",
        description="Flag outputs that address the judge (instructions to ignore the rules, fake verdicts, "
        "fake judge-prompt markup, claims that they are the better response) or do not depend on the prompt "
        "(the same text for many prompts). OUTPUTS is an outputs file (any format `file:` reads) or a "
        "comparison run folder (both sides are scanned). `compare --exclude-flagged` leaves flagged prompts "
        "out of the statistics.",
    )
    parser.add_argument("outputs", metavar="OUTPUTS", type=Path, help="outputs file or run folder")
    parser.add_argument(
        "--eval-set", default="self-instruct", help="eval set the outputs answer (files only)"
    )
    parser.add_argument("--field-map", help="column names for a custom eval set file")
    parser.add_argument("--allow-missing", action="store_true", help="the file may lack some prompts")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    reports = scan_path(args)
    if args.json:
        rows = [report_json(name, report) for name, report in reports]
        print_json(rows[0] if len(rows) == 1 else rows)
        return 0
    console = stdout()
    for name, report in reports:
        share = len(report.flagged) / max(1, report.total)
        console.print(
            f"[bold]{name}[/bold]: {len(report.flagged)} of {report.total} outputs flagged ({share:.1%})"
        )
        if report.flagged:
            table = Table("prompt", "reason", "evidence")
            for pid in report.flagged:
                for flag in report.flags[pid]:
                    table.add_row(pid, flag.reason, flag.detail)
            console.print(table)
    return 0


def scan_path(args: argparse.Namespace) -> list[tuple[str, ScanReport]]:
    if args.outputs.is_dir() and (args.outputs / "manifest.json").is_file():
        run = RunFolder(args.outputs)
        manifest = run.manifest()
        return [
            (side.name, scan_outputs({pid: g.output for pid, g in run.outputs(side).items()}))
            for side in (manifest.baseline, manifest.candidate)
        ]
    eval_set = load_eval_set(args.eval_set, parse_field_map(args.field_map))
    backend = FileBackend(str(args.outputs), BackendOptions(allow_missing=args.allow_missing))
    backend.prepare(eval_set.prompts)
    asyncio.run(backend.aclose())
    return [(backend.name, scan_outputs(backend.outputs))]


def report_json(name: str, report: ScanReport) -> dict[str, Any]:
    return {
        "model": name,
        "total": report.total,
        "flagged": len(report.flagged),
        "share": len(report.flagged) / max(1, report.total),
        "by_reason": dict(report.by_reason()),
        "prompts": [
            {
                "prompt_id": pid,
                "reasons": [f.reason for f in report.flags[pid]],
                "evidence": [f.detail for f in report.flags[pid]],
            }
            for pid in report.flagged
        ],
    }
