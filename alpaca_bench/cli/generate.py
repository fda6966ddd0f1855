"""`alpaca-bench generate MODEL`."""

from __future__ import annotations

import argparse
from typing import Any

from ..evalsets import load_eval_set, parse_field_map
from ..generation import generate
from .options import (
    SPEC_HELP,
    add_eval_set_option,
    add_generation_options,
    add_output_options,
    add_service_options,
    backend_options,
    call_cache,
    examples,
    generation_config,
    print_json,
    stdout,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        epilog=examples(
            "alpaca-bench generate hf:HuggingFaceTB/SmolLM2-135M-Instruct --eval-set demo",
            "alpaca-bench generate openai:gpt-4o-mini --limit 20 --temperature 0.7",
            "alpaca-bench generate file:outputs.jsonl --name my-model",
        ),
        help="generate a model's outputs on an eval set (resumable)",
        description="Generate MODEL's outputs on an eval set into <output-dir>/<eval-set>/models/<name>/. "
        "Re-running makes no model calls for prompts already done.",
    )
    parser.add_argument("model", metavar="MODEL", help=SPEC_HELP)
    parser.add_argument("--name", help="name for the model in results (default from the spec)")
    add_eval_set_option(parser)
    add_generation_options(parser)
    add_service_options(parser)
    add_output_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    eval_set = load_eval_set(args.eval_set, parse_field_map(args.field_map)).head(args.limit)
    run = generate(
        args.model,
        eval_set,
        output_dir=args.output_dir,
        config=generation_config(args),
        options=backend_options(args, args.name),
        cache=call_cache(args),
        show_progress=not args.no_progress,
    )
    if args.json:
        print_json(
            {
                "model": run.model,
                "eval_set": eval_set.name,
                "outputs": len(run.generations),
                "model_calls": run.calls,
                "reused": run.reused,
                "path": str(run.path),
            }
        )
        return 0
    stdout().print(
        f"{run.model}: {len(run.generations)} outputs on {eval_set.name} "
        f"({run.calls} new, {run.reused} already done) → {run.path}"
    )
    return 0
