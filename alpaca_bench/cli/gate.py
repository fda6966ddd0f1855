"""`alpaca-bench gate`: exit 1 when the candidate significantly regresses."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from ..errors import InputError
from ..settings import CompareSettings, GateSettings
from .compare import COMPARE_FLAGS, add_judge_options, add_name_options, dry_run, settings_from
from .flags import Flag, FlagTable
from .options import (
    SPEC_HELP,
    add_dry_run_option,
    add_eval_set_option,
    add_generation_options,
    add_output_options,
    add_service_options,
    examples,
    print_json,
    seed,
    stdout,
)
from .report import sequence_note

if TYPE_CHECKING:
    from ..gate import GateResult


GATE_FLAGS = FlagTable(
    "gate",
    (
        Flag("--min-win-rate", "min_win_rate", "win rate the candidate must keep", {"type": float}),
        Flag("--margin", "margin", "tolerated drop below it", {"type": float}),
        Flag("--confidence", "confidence", "confidence level of the interval", {"type": float}),
        Flag(
            "--mode",
            "mode",
            "significance: fail when the CI's upper bound is below the threshold; "
            "point: when the win rate is",
            {"choices": ["significance", "point"]},
        ),
        Flag(
            "--sequential",
            "sequential",
            "judge prompts in a seeded order and stop as soon as a confidence sequence decides "
            "(anytime-valid; undecided runs are gated on every prompt)",
            {"action": "store_true"},
        ),
    ),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gate",
        epilog=examples(
            "alpaca-bench gate --baseline released.jsonl --candidate new.jsonl --judge rouge",
            "alpaca-bench gate results/self-instruct/a__vs__b/rouge --min-win-rate 0.5 --margin 0.02",
            "alpaca-bench gate --baseline released.jsonl --candidate new.jsonl --judge openai:gpt-4o-mini "
            "--sequential",
        ),
        help="CI gate: exit 1 when the candidate significantly regresses against the baseline",
        description="Run (or reuse) a comparison, then exit 1 when the candidate regresses: in "
        "significance mode (default) when the upper bound of its win-rate CI is below MIN_WIN_RATE - MARGIN, "
        "in point mode when its win rate is. Exit 0 otherwise, 2 on bad input, 3 when a service failed. "
        "Give an existing RUN_DIR, or --baseline and --candidate plus any compare options.",
    )
    parser.add_argument("run_dir", nargs="?", type=Path, metavar="RUN_DIR", help="an existing comparison run")
    parser.add_argument("--baseline", help=SPEC_HELP)
    parser.add_argument("--candidate", help="model spec of the candidate")
    add_name_options(parser)
    GATE_FLAGS.add(parser.add_argument_group("gate"), GateSettings())
    add_eval_set_option(parser)
    add_judge_options(parser)
    add_generation_options(parser)
    add_service_options(parser)
    add_output_options(parser)
    add_dry_run_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..gate import gate_compare, gate_run

    settings = GATE_FLAGS.build(GateSettings, args)
    if args.run_dir is not None and args.dry_run:
        raise InputError("gate RUN_DIR --dry-run: gating an existing run calls nothing; drop --dry-run")
    if args.run_dir is not None:
        if args.baseline or args.candidate:
            raise InputError("give either RUN_DIR or --baseline/--candidate, not both")
        if settings.sequential:
            raise InputError("--sequential judges as it goes: give --baseline/--candidate, not a RUN_DIR")
        defaults = CompareSettings(**COMPARE_FLAGS.given(args), seed=seed(args))
        result = gate_run(args.run_dir, settings, defaults.n_boot, defaults.seed, defaults.exclude_flagged)
    else:
        if not (args.baseline and args.candidate):
            raise InputError("gate needs RUN_DIR, or both --baseline and --candidate")
        if args.dry_run:
            return dry_run(args, args.baseline, args.candidate, settings_from(args), "gate")
        result = gate_compare(args.baseline, args.candidate, settings_from(args), settings)
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
                "decided_by": result.decided_by,
                "sequential": summary.sequential.model_dump(mode="json") if summary.sequential else None,
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
    stop = summary.sequential
    if result.decided_by == "sequence" and stop is not None:
        console.print(
            f"win rate {summary.win_rate:.1%} over the {stop.n_judged} of {stop.n_available} prompts judged; "
            f"{settings.confidence:.0%} confidence sequence {stop.low:.1%} – {stop.high:.1%} lies "
            f"{'below' if result.regressed else 'at or above'} {settings.threshold:.1%}, so judging stopped"
        )
        console.print(sequence_note(stop))
    else:
        console.print(
            f"win rate {summary.win_rate:.1%}, {settings.confidence:.0%} CI "
            f"{summary.ci.low:.1%} – {summary.ci.high:.1%}; "
            f"fails when the {tested} is below {settings.threshold:.1%}"
        )
        if stop is not None:
            console.print(
                "the confidence sequence did not decide before the last prompt: gated on all of them"
            )
    if result.min_detectable_effect is not None:
        console.print(
            f"detectable at this n (80% power): a change of about {result.min_detectable_effect:.1%}"
        )
    for warning in [*([result.warning] if result.warning else []), *summary.warnings]:
        console.print(f"[yellow]warning: {escape(warning)}[/yellow]")
    console.print(f"run: {result.run_dir}")
