"""`alpaca-bench compare BASELINE CANDIDATE` and `alpaca-bench judge RUN_DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..evalsets import load_eval_set, parse_field_map
from ..judges import DEFAULT_JUDGE
from ..pricing import parse_price
from .options import (
    SPEC_HELP,
    add_eval_set_option,
    add_generation_options,
    add_output_options,
    add_service_options,
    backend_options,
    generation_config,
    judge_backend_options,
    positive_int,
    print_json,
    stdout,
)
from .report import print_summary, summary_json

if TYPE_CHECKING:  # the comparison machinery (statistics, scipy) loads only when a command runs
    from ..comparison import CompareSettings


def add_judge_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("judging")
    group.add_argument(
        "--judge",
        default=DEFAULT_JUDGE,
        help=f"openai:MODEL[@URL], hf:PATH, vllm:PATH, rouge, embedding:PATH (default {DEFAULT_JUDGE})",
    )
    group.add_argument(
        "--judge-template",
        help="pairwise (default), pairwise-cot, pairwise-5pt, reference-guided, or a YAML file",
    )
    group.add_argument("--both-orders", action="store_true", help="judge every pair in both positions")
    group.add_argument(
        "--parse-retries", type=int, default=2, help="fresh calls for unparseable verdicts (2)"
    )
    group.add_argument(
        "--max-unscored-frac", type=float, default=0.05, help="exit 3 above this unscored fraction (0.05)"
    )
    group.add_argument(
        "--tie-margin",
        type=float,
        help="rouge/embedding: score differences up to this are ties (default 0.01 rouge, 0.005 cosine)",
    )
    group.add_argument("--judge-price", type=parse_price, help="judge price IN,OUT in USD per 1M tokens")
    group.add_argument("--max-cost", type=float, help="stop cleanly before judge spend exceeds this (USD)")
    group.add_argument("--n-boot", type=positive_int, default=10_000, help="bootstrap resamples (10,000)")
    group.add_argument(
        "--exclude-flagged",
        action="store_true",
        help="leave prompts with flagged outputs (see `scan`) out of the statistics",
    )
    add_judge_backend_options(parser)


def add_judge_backend_options(parser: argparse.ArgumentParser) -> None:
    """Settings of the judge's own model, for when it differs from the compared models'."""
    group = parser.add_argument_group("judge model (default: the same as the models' settings)")
    group.add_argument("--judge-device", help="hf:/embedding judge device (auto, cpu, cuda, …)")
    group.add_argument("--judge-dtype", help="hf:/vllm: judge dtype (auto, float32, bfloat16, float16)")
    group.add_argument("--judge-batch-size", type=positive_int, help="hf:/embedding judge batch size")
    group.add_argument(
        "--judge-max-batch-tokens", type=positive_int, help="hf: judge cap on padded prompt tokens per batch"
    )
    group.add_argument(
        "--judge-api-key-env", metavar="NAME", help="environment variable holding the openai: judge's key"
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="generate, judge blind pairs, report the candidate's win rate with a CI",
        description="Generate what is missing for both models, have the judge compare blind pairs, and "
        "report the candidate's win rate with a bootstrap confidence interval. Resumable; re-running "
        "an identical compare makes no calls.",
    )
    parser.add_argument("baseline", metavar="BASELINE", help=SPEC_HELP)
    parser.add_argument("candidate", metavar="CANDIDATE", help="model spec of the candidate")
    parser.add_argument("--baseline-name", help="name of the baseline in results")
    parser.add_argument("--candidate-name", help="name of the candidate in results")
    add_eval_set_option(parser)
    add_judge_options(parser)
    add_generation_options(parser)
    add_service_options(parser)
    add_output_options(parser)
    parser.set_defaults(handler=handle_compare)

    rejudge_parser = subparsers.add_parser(
        "judge",
        help="re-judge an existing run's outputs with another judge",
        description="Judge the outputs of an existing comparison run with another judge; the results go to "
        "that judge's own run folder beside the original.",
    )
    rejudge_parser.add_argument(
        "run_dir", metavar="RUN_DIR", type=Path, help="an existing comparison run folder"
    )
    add_judge_options(rejudge_parser)
    rejudge_parser.add_argument("--limit", type=positive_int, help="only the first N prompts")
    add_service_options(rejudge_parser)
    rejudge_parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    rejudge_parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    rejudge_parser.set_defaults(handler=handle_rejudge)


def settings_from(args: argparse.Namespace) -> CompareSettings:
    from ..comparison import CompareSettings

    return CompareSettings(
        limit=args.limit,
        judge=args.judge,
        judge_template=args.judge_template,
        both_orders=args.both_orders,
        seed=args.seed,
        n_boot=args.n_boot,
        output_dir=getattr(args, "output_dir", Path("results")),
        parse_retries=args.parse_retries,
        max_unscored_frac=args.max_unscored_frac,
        judge_price=args.judge_price,
        max_cost_usd=args.max_cost,
        backend=backend_options(args),
        judge_backend=judge_backend_options(args),
        tie_margin=args.tie_margin,
        exclude_flagged=args.exclude_flagged,
        use_cache=not args.no_cache,
        show_progress=not args.no_progress,
    )


def handle_compare(args: argparse.Namespace) -> int:
    from ..comparison import compare

    settings = settings_from(args)
    settings.eval_set = load_eval_set(args.eval_set, parse_field_map(args.field_map))
    settings.generation = generation_config(args)
    settings.baseline_name, settings.candidate_name = args.baseline_name, args.candidate_name
    result = compare(args.baseline, args.candidate, settings)
    return _report(args, result.summary, result.run_dir)


def handle_rejudge(args: argparse.Namespace) -> int:
    from ..comparison import rejudge

    result = rejudge(args.run_dir, settings_from(args))
    return _report(args, result.summary, result.run_dir)


def _report(args: argparse.Namespace, summary: Any, run_dir: Path) -> int:
    if args.json:
        print_json(summary_json(summary, run_dir))
    else:
        print_summary(stdout(), summary, run_dir)
    return 0
