"""`alpaca-bench datagen --seed-tasks FILE --model SPEC --num N --output FILE` and
`alpaca-bench datagen dedup INPUT --output OUT`.

Generation options belong to `datagen` itself and `dedup` is its one subcommand, so both
spellings work without a `generate` word in between; the generation options are checked in the
handler because argparse cannot require them only when no subcommand is given.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..datagen import DATAGEN_DECODING, DatagenConfig
from ..errors import InputError
from ..pricing import parse_price
from .flags import Flag, FlagTable
from .options import (
    GENERATION_FLAGS,
    SPEC_HELP,
    add_dry_run_option,
    add_placement_options,
    add_service_options,
    backend_options,
    call_cache,
    examples,
    generation_config,
    positive_int,
    print_json,
    stdout,
)
from .report import plan_json, print_plan

GENERATE_HELP = """\
Generate instruction-following training data the Alpaca way: each request shows the model a few
sampled seed tasks and asks for new ones; answers are parsed tolerantly, filtered, and kept only
when their ROUGE-L against the seeds and every kept instruction is at most the threshold.
Output is Alpaca-format JSONL (instruction, input, output), appended as tasks are kept; re-run
the same command to resume. Sidecar files next to it: .rejected.jsonl, .requests.jsonl,
.manifest.json, .report.json."""

DEDUP_HELP = """\
Remove ROUGE-L near-duplicates from a file, greedily in file order: a record is kept when its
instruction's ROUGE-L F1 against the references (--against) and every record kept before it is at
most the threshold. Decisions are identical to the rouge-score package. INPUT and OUTPUT may be
.json (a list of objects with `instruction`), .jsonl, or .txt (one instruction per line)."""


USAGE = """alpaca-bench datagen --seed-tasks FILE --model SPEC --num N --output FILE.jsonl [options]
       alpaca-bench datagen dedup INPUT --output OUTPUT [--threshold 0.7] [--against FILE] [options]"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "datagen",
        epilog=examples(
            "alpaca-bench datagen --seed-tasks seeds.jsonl --model openai:gpt-4o-mini --num 500 "
            "--output tasks.jsonl",
            "alpaca-bench datagen --seed-tasks seeds.jsonl --model hf:./teacher --num 50 "
            "--output tasks.jsonl --temperature 0.7",
            "alpaca-bench datagen dedup tasks.jsonl --output kept.jsonl --against seeds.jsonl",
        ),
        help="generate Alpaca-style instruction data from seed tasks (resumable); `datagen dedup` too",
        description=GENERATE_HELP,
        usage=USAGE,
    )
    _add_generate_options(parser)
    parser.set_defaults(handler=handle_generate)
    commands = parser.add_subparsers(dest="datagen_command", metavar="{dedup}", title="subcommands")
    dedup = commands.add_parser(
        "dedup",
        prog="alpaca-bench datagen dedup",  # argparse would build it from datagen's two-line usage
        epilog=examples(
            "alpaca-bench datagen dedup tasks.jsonl --output kept.jsonl",
            "alpaca-bench datagen dedup tasks.jsonl --output kept.jsonl --against seeds.jsonl "
            "--rejected dropped.jsonl",
        ),
        help="remove ROUGE-L near-duplicates from a file (greedy, in order)",
        description=DEDUP_HELP,
    )
    _add_dedup_options(dedup)
    dedup.set_defaults(handler=handle_dedup)


# datagen's decoding flags: those of `generate`, but `--max-tokens` (a teacher's answer, not an output)
DATAGEN_GENERATION_FLAGS = FlagTable(
    GENERATION_FLAGS.prefix,
    tuple(
        replace(flag, name="--max-tokens", help="longest teacher answer in tokens")
        if flag.field == "max_new_tokens"
        else flag
        for flag in GENERATION_FLAGS.flags
    ),
)


DATAGEN_FLAGS = FlagTable(
    "datagen",
    (
        Flag("--examples-per-prompt", "examples_per_prompt", "example tasks shown", {"type": positive_int}),
        Flag(
            "--machine-examples",
            "machine_examples",
            "how many of those come from tasks already kept (0: seeds only)",
            {"type": int, "metavar": "N"},
        ),
        Flag("--tasks-per-request", "tasks_per_request", "new tasks asked for", {"type": positive_int}),
        Flag("--format", "format", "answer layout: numbered or json", {"metavar": "{numbered,json}"}),
        Flag(
            "--similarity-threshold",
            "similarity_threshold",
            "keep an instruction only if its ROUGE-L F1 with each seed and kept one is ≤ this",
            {"metavar": "F"},
        ),
        Flag("--max-cost", "max_cost", "stop before spending more than this many USD", {"type": float}),
        Flag(
            "--price",
            "price",
            "IN,OUT USD per million tokens (default: known OpenAI prices; others 0)",
            {"type": parse_price, "metavar": "IN,OUT"},
        ),
        Flag(
            "--patience",
            "patience",
            "give up (exit 3) after this many requests in a row add no task",
            {"type": positive_int, "metavar": "N"},
        ),
    ),
)
_PROMPTING = ("examples_per_prompt", "machine_examples", "tasks_per_request", "format")
_KEEPING = ("similarity_threshold", "max_cost", "price", "patience")


def _add_generate_options(parser: argparse.ArgumentParser) -> None:
    main = parser.add_argument_group("what to generate (required unless a subcommand is given)")
    main.add_argument(
        "--seed-tasks",
        type=Path,
        metavar="FILE",
        help="seed tasks: self-instruct seed_tasks.jsonl or Alpaca JSON/JSONL",
    )
    main.add_argument("--model", metavar="SPEC", help=SPEC_HELP)
    main.add_argument("--num", type=positive_int, metavar="N", help="number of tasks to keep")
    main.add_argument(
        "--output", type=Path, metavar="FILE", help="output .jsonl (Alpaca fields; appended, resumable)"
    )
    prompt = parser.add_argument_group("prompting")
    DATAGEN_FLAGS.add(prompt, DatagenConfig, _PROMPTING)
    DATAGEN_GENERATION_FLAGS.add(prompt, DATAGEN_DECODING)
    DATAGEN_FLAGS.add(parser.add_argument_group("filtering and cost"), DatagenConfig, _KEEPING)
    add_service_options(parser)
    add_placement_options(parser, "local models (hf:, vllm:)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_dry_run_option(parser)


def _add_dedup_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="INPUT", help="instructions to deduplicate")
    parser.add_argument(
        "--output", type=Path, required=True, metavar="OUTPUT", help="where the kept records go"
    )
    parser.add_argument(
        "--threshold",
        default="0.7",
        metavar="F",
        help="ROUGE-L F1 above which a record is dropped (default 0.7)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="reference instructions compared against but not written (e.g. the seeds)",
    )
    parser.add_argument(
        "--rejected",
        type=Path,
        metavar="FILE",
        help="write dropped records, scores and matches here (.jsonl)",
    )
    parser.add_argument(
        "--workers", type=positive_int, metavar="N", help="threads for scoring (default: all cores)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _require(args: argparse.Namespace) -> None:
    missing = [
        f"--{name.replace('_', '-')}"
        for name in ("seed_tasks", "model", "num", "output")
        if not getattr(args, name)
    ]
    if missing:
        raise InputError(f"datagen needs {', '.join(missing)} (or use `alpaca-bench datagen dedup`)")


def handle_generate(args: argparse.Namespace) -> int:
    from ..datagen import generate_tasks

    _require(args)
    config = DATAGEN_FLAGS.build(
        DatagenConfig,
        args,
        seed_tasks=args.seed_tasks,
        model=args.model,
        num=args.num,
        output=args.output,
        generation=generation_config(args, DATAGEN_DECODING, DATAGEN_GENERATION_FLAGS),
    )
    options = backend_options(args)
    if args.dry_run:
        from ..datagen import plan_tasks

        plans = [plan_tasks(config, options, call_cache(args))]
        if args.json:
            print_json(plan_json(plans))
        else:
            print_plan(stdout(), plans, "datagen")
        return 0
    result = generate_tasks(config, options, call_cache(args), show_progress=not args.no_progress)
    report = result.report
    if args.json:
        print_json(
            {**report.model_dump(mode="json"), "complete": result.complete, "stopped_by": result.stopped_by}
        )
        return 0
    console = stdout()
    console.print(
        f"kept {report.kept} of {config.num} tasks → {result.files.output} "
        f"({report.candidates} candidates, {report.requests} requests, "
        f"{report.prompt_tokens + report.completion_tokens} tokens, ${report.cost_usd:.4f})"
    )
    if report.rejected_by_reason:
        console.print("rejected: " + ", ".join(f"{k} {v}" for k, v in report.rejected_by_reason.items()))
    verbs = ", ".join(f"{v.verb} {v.count}" for v in report.top_verbs[:8])
    console.print(f"diversity: {report.distinct_verbs} leading verbs; most frequent: {verbs}")
    if not result.complete:
        console.print(
            f"stopped at --max-cost ${config.max_cost:g} before reaching {config.num}; "
            "re-run with a higher --max-cost to continue"
        )
    console.print(f"report: {result.files.report}")
    return 0


def handle_dedup(args: argparse.Namespace) -> int:
    from ..datagen import dedup_file

    result = dedup_file(
        args.input,
        args.output,
        threshold=args.threshold,
        against=args.against,
        rejected=args.rejected,
        workers=args.workers,
        show_progress=not args.no_progress,
    )
    if args.json:
        print_json(
            {
                "input": str(args.input),
                "output": str(result.output),
                "total": result.total,
                "kept": result.kept,
                "rejected": result.rejected,
                "seconds": round(result.seconds, 3),
            }
        )
        return 0
    stdout().print(
        f"kept {result.kept} of {result.total} ({result.rejected} near-duplicates removed) "
        f"in {result.seconds:.2f}s → {result.output}"
    )
    return 0
