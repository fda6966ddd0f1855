"""`alpaca-bench gate`: exit 1 when the candidate significantly regresses."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from ..errors import InputError
from ..evalsets import load_eval_set, parse_field_map
from .compare import add_judge_options, settings_from
from .options import (
    SPEC_HELP,
    add_eval_set_option,
    add_generation_options,
    add_output_options,
    add_service_options,
    generation_config,
    print_json,
    stdout,
)

if TYPE_CHECKING:
    from ..gate import GateResult


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="CI gate: exit 1 when the candidate significantly regresses against the baseline",
        description="Run (or reuse) a comparison, then exit 1 when the candidate regresses: in "
        "significance mode (default) when the upper bound of its win-rate CI is below MIN_WIN_RATE - MARGIN, "
        "in point mode when its win rate is. Exit 0 otherwise, 2 on bad input, 3 when a service failed. "
        "Give an existing RUN_DIR, or --baseline and --candidate plus any compare options.",
    )
    parser.add_argument("run_dir", nargs="?", type=Path, metavar="RUN_DIR", help="an existing comparison run")
    parser.add_argument("--baseline", help=SPEC_HELP)
    parser.add_argument("--candidate", help="model spec of the candidate")
    parser.add_argument("--baseline-name")
    parser.add_argument("--candidate-name")
    group = parser.add_argument_group("gate")
    group.add_argument(
        "--min-win-rate", type=float, default=0.5, help="win rate the candidate must keep (0.5)"
    )
    group.add_argument("--margin", type=float, default=0.0, help="tolerated drop below it (0.0)")
    group.add_argument(
        "--confidence", type=float, default=0.95, help="confidence level of the interval (0.95)"
    )
    group.add_argument("--mode", choices=["significance", "point"], default="significance")
    add_eval_set_option(parser)
    add_judge_options(parser)
    add_generation_options(parser)
    add_service_options(parser)
    add_output_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..gate import GateSettings, gate_compare, gate_run

    settings = GateSettings(args.min_win_rate, args.margin, args.confidence, args.mode)
    if args.run_dir is not None:
        if args.baseline or args.candidate:
            raise InputError("give either RUN_DIR or --baseline/--candidate, not both")
        result = gate_run(args.run_dir, settings, args.n_boot, args.seed, args.exclude_flagged)
    else:
        if not (args.baseline and args.candidate):
            raise InputError("gate needs RUN_DIR, or both --baseline and --candidate")
        compare_settings = settings_from(args)
        compare_settings.eval_set = load_eval_set(args.eval_set, parse_field_map(args.field_map))
        compare_settings.generation = generation_config(args)
        compare_settings.baseline_name, compare_settings.candidate_name = (
            args.baseline_name,
            args.candidate_name,
        )
        result = gate_compare(args.baseline, args.candidate, compare_settings, settings)
    report(args, result)
    return 1 if result.regressed else 0


def report(args: argparse.Namespace, result: GateResult) -> None:
    summary, settings = result.summary, result.settings
    assert summary.ci is not None and summary.win_rate is not None
    if args.json:
        print_json(
            {
                "verdict": result.verdict,
                "regressed": result.regressed,
                "mode": settings.mode,
                "threshold": settings.threshold,
                "min_win_rate": settings.min_win_rate,
                "margin": settings.margin,
                "confidence": settings.confidence,
                "baseline": summary.baseline,
                "candidate": summary.candidate,
                "judge": summary.judge,
                "n": summary.n,
                "win_rate": summary.win_rate,
                "ci_low": summary.ci.low,
                "ci_high": summary.ci.high,
                "unscored": summary.unscored,
                "min_detectable_effect": result.min_detectable_effect,
                "warning": result.warning,
                "warnings": summary.warnings,
                "output_dir": str(result.run_dir),
            }
        )
        return
    console = stdout()
    colour = "red" if result.regressed else "green"
    tested = "upper CI bound" if settings.mode == "significance" else "win rate"
    console.print(
        f"[bold {colour}]gate {result.verdict.upper()}[/bold {colour}]: "
        f"{escape(summary.candidate)} vs {escape(summary.baseline)} ({escape(summary.judge)}, n={summary.n})"
    )
    console.print(
        f"win rate {summary.win_rate:.1%}, {settings.confidence:.0%} CI "
        f"{summary.ci.low:.1%} – {summary.ci.high:.1%}; "
        f"fails when the {tested} is below {settings.threshold:.1%}"
    )
    if result.min_detectable_effect is not None:
        console.print(
            f"detectable at this n (80% power): a change of about {result.min_detectable_effect:.1%}"
        )
    for warning in [*([result.warning] if result.warning else []), *summary.warnings]:
        console.print(f"[yellow]warning: {escape(warning)}[/yellow]")
    console.print(f"run: {result.run_dir}")
