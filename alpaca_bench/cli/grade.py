"""`alpaca-bench grade MODEL --judge JUDGE`: single-answer grading, 1–10 per turn (MT-Bench's
default mode)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from .compare import JUDGE_BACKEND_FLAGS, JUDGE_FLAGS, add_batch_options, batch_options, judge_backend_options
from .flags import Flag, FlagTable
from .options import (
    SPEC_HELP,
    add_dry_run_option,
    add_eval_set_option,
    add_generation_options,
    add_output_options,
    add_service_options,
    backend_options,
    examples,
    generation_config,
    print_json,
    seed,
    stdout,
)
from .report import plan_json, print_plan

if TYPE_CHECKING:
    from ..records import GradeSummary, MeanScore
    from ..settings import GradeSettings

GRADE_FLAGS = FlagTable(
    "grade",
    (
        Flag("--judge", "judge", "the grader: openai:MODEL[@URL], hf:PATH or vllm:PATH"),
        Flag("--model-name", "model_name", "name of the model in results"),
        Flag("--n-boot", "n_boot", "bootstrap resamples over prompts", {"type": int}),
        Flag("--level", "level", "confidence level of the intervals", {"type": float}),
        Flag(
            "--max-unscored-frac",
            "max_unscored_frac",
            "exit 3 above this fraction of unscored grades",
            {"type": float},
        ),
    ),
)
# stored with the judge's other flags (prefix judge_options), with a grade template's help
GRADE_TEMPLATE_FLAGS = FlagTable(
    "judge_options",
    (Flag("--judge-template", "template", "single-10, or a YAML file with kind: grade"),),
)
_JUDGE_FIELDS = ("parse_retries", "price", "max_cost_usd")


def register(subparsers: Any) -> None:
    from ..judges import DEFAULT_GRADE_TEMPLATE, JudgeOptions
    from ..settings import GradeSettings

    parser = subparsers.add_parser(
        "grade",
        epilog=examples(
            "alpaca-bench grade hf:./my-model --judge openai:gpt-4o",
            "alpaca-bench grade model_answer/my-model.jsonl --judge openai:gpt-4o --json",
            "alpaca-bench grade openai:my-model@http://localhost:8000/v1 --judge openai:gpt-4o --dry-run",
        ),
        help="score each answer 1-10 with an LLM grader (MT-Bench's single-answer grading)",
        description="Generate what is missing, then have an LLM grader score every answer on its own, "
        "1 to 10; each turn of a multi-turn prompt is graded in the context of the turns before it, and "
        "against the reference answer where the prompt has one (mt-bench: math, reasoning, coding). "
        "Reports the mean score with a bootstrap interval over prompts, per turn and per category. "
        "A grade that cannot be read is unscored, never counted as a score. Resumable.",
    )
    parser.add_argument("model", metavar="MODEL", help=SPEC_HELP)
    add_eval_set_option(parser, default="mt-bench")
    group = parser.add_argument_group("grading")
    GRADE_FLAGS.add(group, GradeSettings())
    GRADE_TEMPLATE_FLAGS.add(group, JudgeOptions(template=DEFAULT_GRADE_TEMPLATE))
    JUDGE_FLAGS.add(group, JudgeOptions(), _JUDGE_FIELDS)
    add_batch_options(parser, "grader", "grades folder")
    JUDGE_BACKEND_FLAGS.add(parser.add_argument_group("grader model"), None)
    add_generation_options(parser)
    add_service_options(parser)
    add_output_options(parser)
    add_dry_run_option(parser)
    parser.set_defaults(handler=handle)


def settings_from(args: argparse.Namespace) -> GradeSettings:
    from ..evalsets import load_eval_set, parse_field_map
    from ..judges import JudgeOptions
    from ..settings import GradeSettings

    options = JudgeOptions(
        **JUDGE_FLAGS.given(args), backend=judge_backend_options(args), batch=batch_options(args)
    )
    return GradeSettings(
        **GRADE_FLAGS.given(args),
        eval_set=load_eval_set(args.eval_set, parse_field_map(args.field_map)),
        limit=args.limit,
        judge_options=options,
        seed=seed(args),
        output_dir=args.output_dir,
        generation=generation_config(args),
        backend=backend_options(args),
        use_cache=not args.no_cache,
        show_progress=not args.no_progress,
    )


def handle(args: argparse.Namespace) -> int:
    from ..grading import grade

    if args.dry_run:
        from ..planning import plan_grade

        plans = plan_grade(args.model, settings_from(args))
        if args.json:
            print_json(plan_json(plans))
        else:
            print_plan(stdout(), plans, "grade")
        return 0
    outcome = grade(args.model, settings_from(args))
    if args.json:
        print_json({**outcome.summary.model_dump(mode="json"), "folder": str(outcome.folder)})
        return 0
    _print(outcome.summary, outcome.folder)
    return 0


def _figure(score: MeanScore) -> str:
    if score.mean is None:
        return "–"
    if score.low is None or score.high is None:
        return f"{score.mean:.2f}"
    return f"{score.mean:.2f} ({score.low:.2f}–{score.high:.2f})"


def _print(summary: GradeSummary, folder: Path) -> None:
    console = stdout()
    level = f"{summary.level:.0%}"
    console.print(
        f"[bold]{escape(summary.model)}[/bold] on {escape(summary.eval_set)}, "
        f"graded by {escape(summary.judge)}: mean {_figure(summary.overall)} "
        f"({level} CI over prompts, {summary.n_boot} resamples)"
    )
    table = Table("", f"mean ({level} CI)", "scored", "unscored")
    for turn, score in summary.per_turn.items():
        table.add_row(f"turn {turn}", _figure(score), str(score.n), str(score.unscored))
    for category, score in summary.per_category.items():
        table.add_row(escape(category), _figure(score), str(score.n), str(score.unscored))
    console.print(table)
    if summary.unscored_grades:
        shown = ", ".join(summary.unscored_grades[:5])
        console.print(f"{len(summary.unscored_grades)} unscored (grader answers unreadable): {shown}")
    console.print(f"grader calls: {summary.judge_calls}, cost ${summary.cost_usd:.4f}; grades in {folder}")
