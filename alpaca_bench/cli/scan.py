"""`alpaca-bench scan OUTPUTS`: flag outputs that address the judge or ignore the prompt."""

from __future__ import annotations

import argparse
import asyncio
import logging
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.table import Table

from ..errors import AlpacaBenchError, InputError
from ..evalsets import EvalSet, load_eval_set, parse_field_map
from ..models._base import BackendOptions
from ..models._file import FileBackend
from ..records import Prompt, joined_answers
from ..scan import SET_RULES, TEXT_RULES, ScanReport, scan_outputs
from ..store import RunFolder, RunManifest
from .options import examples, print_json, stdout

logger = logging.getLogger(__name__)

# A file that answers fewer than this share of the eval set was most likely made for another
# eval set; scanning it would report a meaningless "missing" count.
MIN_MATCHED_SHARE = 0.5


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="flag outputs written for the judge rather than the user",
        description=textwrap.fill(
            "Flag outputs written for the judge rather than the user: instructions to the evaluator "
            "(in English, French, German, Spanish or Chinese), claims to be the better response, fake "
            "verdicts in any built-in template's syntax or AlpacaEval's, imitations of a judge prompt's "
            "layout (fake instructions, fake outputs sections, model identifiers), junk prefixes, and text "
            "that stays the same across prompts once each prompt's own words are removed. OUTPUTS is an "
            "outputs file (any format `file:` reads) or a comparison run folder (both sides are scanned). "
            "Prompts without an output are counted, not refused. `compare --exclude-flagged` leaves flagged "
            "prompts out of the statistics.",
            width=88,
        ),
        epilog=examples(
            "alpaca-bench scan model_outputs.json --eval-set alpaca-eval",
            "alpaca-bench scan results/self-instruct/a__vs__b/rouge --json",
        ),
    )
    parser.add_argument("outputs", metavar="OUTPUTS", type=Path, help="outputs file or run folder")
    parser.add_argument(
        "--eval-set", default="self-instruct", help="eval set the outputs answer (files only)"
    )
    parser.add_argument("--field-map", help="column names for a custom eval set file")
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="scan even a file that answers under half of the eval set (a partial file is scanned anyway)",
    )
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
        console.print(f"[bold]{name}[/bold]: {headline(report)}")
        if report.flagged:
            console.print("by reason: " + ", ".join(f"{r} {n}" for r, n in report.by_reason().most_common()))
            table = Table("prompt", "reason", "evidence")
            for pid in report.flagged:
                for flag in report.flags[pid]:
                    table.add_row(pid, flag.reason, flag.detail)
            console.print(table)
    return 0


def headline(report: ScanReport) -> str:
    """The one-line result: how many outputs were flagged and how many prompts had none."""
    missing = f"{report.missing} prompt{'' if report.missing == 1 else 's'} missing"
    return f"{len(report.flagged)} of {report.total} outputs flagged ({report.share:.1%}), {missing}"


def prompt_texts(prompts: Iterable[Prompt]) -> dict[str, str]:
    """What the scanner knows of each prompt: its instruction and input."""
    return {p.id: f"{p.instruction}\n{p.input}".strip() for p in prompts}


def scan_path(args: argparse.Namespace) -> list[tuple[str, ScanReport]]:
    if args.outputs.is_dir() and (args.outputs / "manifest.json").is_file():
        return scan_run(RunFolder(args.outputs))
    eval_set = load_eval_set(args.eval_set, parse_field_map(args.field_map))
    backend = FileBackend(str(args.outputs), BackendOptions(allow_missing=True))
    backend.prepare(eval_set.prompts)
    asyncio.run(backend.aclose())
    matched, total = len(backend.outputs), len(eval_set)
    if matched == 0 or (matched < MIN_MATCHED_SHARE * total and not args.allow_missing):
        raise InputError(
            f"only {matched} of {total} prompts of eval set {eval_set.name!r} have an output in this file; "
            "is --eval-set right? (--allow-missing scans it anyway)"
            if matched
            else f"no row matches a prompt of eval set {eval_set.name!r}; is --eval-set right?",
            args.outputs,
        )
    answers = {pid: joined_answers(turns) for pid, turns in backend.answers.items()}  # every turn
    return [(backend.name, scan_outputs(answers, prompt_texts(eval_set.prompts)))]


def scan_run(run: RunFolder) -> list[tuple[str, ScanReport]]:
    """Both sides of a run, against the run's eval set when it can still be loaded; the prompts
    the run covers are those either side has an output for."""
    manifest = run.manifest()
    sides = [
        (side.name, {pid: g.text for pid, g in run.outputs(side).items()})
        for side in (manifest.baseline, manifest.candidate)
    ]
    eval_set = _eval_set_of(manifest)
    covered = set().union(*(outputs for _, outputs in sides))
    prompts = prompt_texts(p for p in eval_set.prompts if p.id in covered) if eval_set else None
    return [(name, scan_outputs(outputs, prompts)) for name, outputs in sides]


def _eval_set_of(manifest: RunManifest) -> EvalSet | None:
    try:
        return manifest.load_eval_set()
    except AlpacaBenchError:
        logger.warning(
            "eval set %r not found; scanning without the prompts (words the user asked for may be held "
            "against an answer, and per-prompt templates are harder to see)",
            manifest.eval_set,
        )
        return None


def report_json(name: str, report: ScanReport) -> dict[str, Any]:
    return {
        "model": name,
        "total": report.total,
        "missing": report.missing,
        "flagged": len(report.flagged),
        "share": report.share,
        "by_reason": dict(report.by_reason()),
        "rules": [*TEXT_RULES, *SET_RULES],
        "prompts": [
            {
                "prompt_id": pid,
                "reasons": [f.reason for f in report.flags[pid]],
                "evidence": [f.detail for f in report.flags[pid]],
            }
            for pid in report.flagged
        ],
    }
