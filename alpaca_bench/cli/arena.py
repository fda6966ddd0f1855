"""`alpaca-bench arena`: Arena-Hard scores of every model compared with one baseline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from .options import examples, positive_int, print_json, seed_value, stdout

if TYPE_CHECKING:
    from ..arena import ArenaReport


def register(subparsers: Any) -> None:
    from ..paths import DEFAULT_RESULTS
    from ..settings import ArenaSettings

    defaults = ArenaSettings()

    parser = subparsers.add_parser(
        "arena",
        epilog=examples(
            "alpaca-bench arena --eval-set arena-hard-v0.1 --baseline gpt-4-0314",
            "alpaca-bench arena --eval-set arena-hard-v0.1 --baseline gpt-4-0314 --strong-weight 1 --json",
        ),
        help="Arena-Hard scores: BT win rates against one baseline, raw and style-controlled, with CIs",
        description="Score every model compared with --baseline on --eval-set the Arena-Hard way: a "
        "Bradley-Terry fit over all their judgments (strong verdicts, A>>B, weighted --strong-weight), "
        "reported as each model's win rate against the baseline, with a bootstrap interval over prompts "
        "(every judgment of a drawn prompt comes along). Beside it, the same fit with style control: "
        "length and markdown (headers, lists, bold) differences as covariates, so a judge's taste for "
        "long or heavily formatted answers does not count as quality. Judge with a five-level template "
        "(--judge-template pairwise-5pt --both-orders) for strength to matter.",
    )
    parser.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, help="results root (default results/)"
    )
    parser.add_argument(
        "--eval-set", default="arena-hard-v0.1", help="eval set name (default arena-hard-v0.1)"
    )
    parser.add_argument("--baseline", required=True, help="the fixed baseline (Arena-Hard v0.1: gpt-4-0314)")
    parser.add_argument("--judge", metavar="NAME", help="the judge's results name, if there are several")
    parser.add_argument(
        "--strong-weight",
        type=float,
        default=defaults.strong_weight,
        help=f"weight of a strong verdict; 1 turns weighting off (default {defaults.strong_weight:g})",
    )
    parser.add_argument("--no-style-control", action="store_true", help="report the raw scores only")
    parser.add_argument(
        "--n-boot", type=positive_int, default=defaults.n_boot, help=f"resamples (default {defaults.n_boot})"
    )
    parser.add_argument(
        "--level", type=float, default=defaults.level, help=f"confidence level (default {defaults.level})"
    )
    parser.add_argument(
        "--seed", type=seed_value, default=defaults.seed, help=f"bootstrap seed (default {defaults.seed})"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..arena import arena_report
    from ..settings import ArenaSettings

    settings = ArenaSettings(
        strong_weight=args.strong_weight,
        style_control=not args.no_style_control,
        n_boot=args.n_boot,
        level=args.level,
        seed=args.seed,
    )
    report = arena_report(args.results, args.eval_set, args.baseline, judge=args.judge, settings=settings)
    if args.json:
        print_json(report.to_dict())
    else:
        _print(report)
    return 0


def _print(report: ArenaReport) -> None:
    console = stdout()
    controlled = {r.model: r for r in report.style_controlled.rows} if report.style_controlled else {}
    columns = ["model", f"score ({report.raw.label()})"]
    if controlled:
        columns.append("style-controlled")
    table = Table(*columns, "prompts", title=f"{report.eval_set}: win rate against {report.baseline}")
    for row in report.raw.rows:
        cells = [escape(row.model), f"{row.score:.1%} ({row.low:.1%} – {row.high:.1%})"]
        if controlled:
            other = controlled[row.model]
            cells.append(f"{other.score:.1%} ({other.low:.1%} – {other.high:.1%})")
        table.add_row(*cells, str(row.n_prompts))
    console.print(table)
    console.print(f"judge {escape(report.judge)}; strong verdicts weigh {report.raw.strong_weight:g}")
