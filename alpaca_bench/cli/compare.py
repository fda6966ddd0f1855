"""`alpaca-bench compare BASELINE CANDIDATE` and `alpaca-bench judge RUN_DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..evalsets import load_eval_set, parse_field_map
from ..models._base import BackendOptions
from ..models._openai_batch import BatchOptions
from ..pricing import parse_price
from .flags import Flag, FlagTable
from .options import (
    BACKEND_FLAGS,
    SPEC_HELP,
    add_dry_run_option,
    add_eval_set_option,
    add_generation_options,
    add_output_options,
    add_service_options,
    backend_options,
    examples,
    generation_config,
    positive_int,
    print_json,
    seed,
    seed_value,
    stdout,
)
from .report import plan_json, print_plan, print_summary, summary_json

if TYPE_CHECKING:  # the comparison machinery (statistics, scipy) loads only when a command runs
    from ..settings import CompareSettings, StopRule


JUDGE_FLAGS = FlagTable(
    "judge_options",
    (
        Flag(
            "--judge-template",
            "template",
            "pairwise (default), pairwise-cot, pairwise-5pt, reference-guided; for multi-turn sets "
            "pairwise-conversation or pairwise-last-turn; or a YAML file",
        ),
        Flag(
            "--parse-retries", "parse_retries", "fresh calls for unparseable verdicts", {"type": seed_value}
        ),
        Flag(
            "--tie-margin",
            "tie_margin",
            "rouge/embedding: score differences up to this are ties (default 0.01 rouge, 0.005 cosine)",
            {"type": float},
        ),
        Flag("--judge-price", "price", "judge price IN,OUT in USD per 1M tokens", {"type": parse_price}),
        Flag(
            "--max-cost",
            "max_cost_usd",
            "stop cleanly before judge spend exceeds this (USD)",
            {"type": float},
        ),
    ),
)

# Judge calls through the OpenAI Batch API (`--batch`): half price, answers within 24 h.
BATCH_FLAGS = FlagTable(
    "batch",
    (
        Flag(
            "--batch-no-wait",
            "wait",
            "submit the batches, record them in the run folder, and exit; re-run to collect",
            {"action": "store_false"},
        ),
        Flag("--batch-poll", "poll_s", "seconds between polls of pending batches", {"type": float}),
        Flag(
            "--batch-fallback",
            "fallback",
            "failed or expired lines: a new batch, or ordinary (sync) calls",
            {"choices": ["batch", "sync"]},
        ),
        Flag(
            "--batch-rounds",
            "max_rounds",
            "new batches for failed lines before giving up",
            {"type": seed_value},
        ),
    ),
)

# The judge's own model: by default the same settings as the compared models (one --device means
# both); these override them for the judge alone.
JUDGE_BACKEND_FLAGS = FlagTable(
    "judge_backend",
    (
        Flag("--judge-device", "device", "hf:/embedding judge device (auto, cpu, cuda, …)"),
        Flag("--judge-dtype", "dtype", "hf:/vllm: judge dtype (auto, float32, bfloat16, float16)"),
        Flag("--judge-batch-size", "batch_size", "hf:/embedding judge batch size", {"type": positive_int}),
        Flag(
            "--judge-max-batch-tokens",
            "max_batch_tokens",
            "hf: judge cap on padded prompt tokens per batch",
            {"type": positive_int},
        ),
        Flag(
            "--judge-timeout",
            "timeout_s",
            "openai: judge's hard cap in seconds on one attempt",
            {"type": float},
        ),
        Flag(
            "--judge-api-key-env",
            "api_key_env",
            "environment variable holding the openai: judge's key",
            {"metavar": "NAME"},
        ),
    ),
)

COMPARE_FLAGS = FlagTable(
    "compare",
    (
        Flag("--judge", "judge", "openai:MODEL[@URL], hf:PATH, vllm:PATH, rouge, embedding:PATH"),
        Flag("--both-orders", "both_orders", "judge every pair in both positions", {"action": "store_true"}),
        Flag(
            "--max-unscored-frac",
            "max_unscored_frac",
            "exit 3 above this fraction of unscored judgments",
            {"type": float},
        ),
        Flag("--n-boot", "n_boot", "bootstrap resamples", {"type": positive_int}),
        Flag(
            "--exclude-flagged",
            "exclude_flagged",
            "leave prompts with flagged outputs (see `scan`) out of the statistics",
            {"action": "store_true"},
        ),
        Flag("--baseline-name", "baseline_name", "name of the baseline in results"),
        Flag("--candidate-name", "candidate_name", "name of the candidate in results"),
    ),
)
_JUDGING_FIELDS = ("judge", "both_orders", "max_unscored_frac", "n_boot", "exclude_flagged")


def add_judge_options(parser: argparse.ArgumentParser) -> None:
    from ..judges import JudgeOptions
    from ..settings import CompareSettings

    group = parser.add_argument_group("judging")
    COMPARE_FLAGS.add(group, CompareSettings(), _JUDGING_FIELDS)
    JUDGE_FLAGS.add(group, JudgeOptions())
    add_batch_options(parser, "judge", "run folder")
    backend = parser.add_argument_group("judge model (default: the same as the models' settings)")
    JUDGE_BACKEND_FLAGS.add(backend, None)


def add_batch_options(parser: argparse.ArgumentParser, who: str, folder: str) -> None:
    """`--batch` and its flags, for a command whose `who` (judge, grader) keeps state in `folder`."""
    batch = parser.add_argument_group(f"batch {who}s (openai: {who}s)")
    batch.add_argument(
        "--batch",
        action="store_true",
        help=f"send the {who}'s calls through the OpenAI Batch API (half price, answers within 24 h); "
        f"batch ids are kept in the {folder}, so a killed or --batch-no-wait run resumes by polling",
    )
    BATCH_FLAGS.add(batch, BatchOptions())


def add_stop_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("stop when decided")
    group.add_argument(
        "--stop-when-decided",
        action="store_true",
        help="judge prompts in a seeded order and stop as soon as a 95%% confidence sequence for the win "
        "rate excludes 50%% (valid under continuous monitoring, unlike the bootstrap CI)",
    )
    group.add_argument(
        "--ci-width",
        type=float,
        metavar="W",
        help="with --stop-when-decided: stop once the confidence sequence is narrower than W (e.g. 0.1)",
    )


def batch_options(args: argparse.Namespace) -> BatchOptions | None:
    """The Batch API settings `--batch` asks for (None: ordinary calls)."""
    given = BATCH_FLAGS.given(args)
    if not getattr(args, "batch", False):
        if given:
            flag = next(f.name for f in BATCH_FLAGS.flags if f.field in given)
            raise InputError(f"{flag} needs --batch (see 'alpaca-bench compare --help')")
        return None
    if getattr(args, "stop_when_decided", False) or getattr(args, "gate.sequential", False):
        raise InputError(
            "--batch sends every call at once, so it cannot stop when decided; drop --batch or "
            "--stop-when-decided/--sequential"
        )
    return BATCH_FLAGS.build(BatchOptions, args, show_progress=not args.no_progress)


def stop_rule(args: argparse.Namespace) -> StopRule | None:
    """The StopRule `--stop-when-decided [--ci-width W]` asks for (None without the flag)."""
    from ..settings import StopRule

    width = getattr(args, "ci_width", None)
    if not getattr(args, "stop_when_decided", False):
        if width is not None:
            raise InputError("--ci-width needs --stop-when-decided (see 'alpaca-bench compare --help')")
        return None
    return StopRule(width=width)


def judge_backend_options(args: argparse.Namespace) -> BackendOptions:
    """The judge's (or grader's) own model settings: the models' transport and placement unless
    a --judge-* flag says otherwise; which files a model may lack is the models' own."""
    models = BACKEND_FLAGS.given(args)
    models.pop("allow_missing", None)
    return BackendOptions(**{**models, **JUDGE_BACKEND_FLAGS.given(args)})


def add_name_options(parser: argparse.ArgumentParser) -> None:
    from ..settings import CompareSettings

    COMPARE_FLAGS.add(parser, CompareSettings(), ("baseline_name", "candidate_name"))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        epilog=examples(
            "alpaca-bench compare davinci.jsonl text-davinci-003.jsonl --judge rouge",
            "alpaca-bench compare hf:./base hf:./sft --judge openai:gpt-4o --both-orders --batch",
            "alpaca-bench compare base.jsonl sft.jsonl --judge openai:gpt-4o-mini --stop-when-decided",
        ),
        help="generate, judge blind pairs, report the candidate's win rate with a CI",
        description="Generate what is missing for both models, have the judge compare blind pairs, and "
        "report the candidate's win rate with a bootstrap confidence interval. Resumable; re-running "
        "an identical compare makes no calls.",
    )
    parser.add_argument("baseline", metavar="BASELINE", help=SPEC_HELP)
    parser.add_argument("candidate", metavar="CANDIDATE", help="model spec of the candidate")
    add_name_options(parser)
    add_eval_set_option(parser)
    add_judge_options(parser)
    add_stop_options(parser)
    add_generation_options(parser)
    add_service_options(parser)
    add_output_options(parser)
    add_dry_run_option(parser)
    parser.set_defaults(handler=handle_compare)

    rejudge_parser = subparsers.add_parser(
        "judge",
        epilog=examples(
            "alpaca-bench judge results/self-instruct/a__vs__b/rouge --judge embedding:./all-MiniLM-L6-v2",
            "alpaca-bench judge results/self-instruct/a__vs__b/rouge --judge openai:gpt-4o --both-orders",
        ),
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
    """The compare settings the flags say: one table per settings type, each over its own defaults."""
    from ..judges import JudgeOptions
    from ..settings import CompareSettings

    judge_options = JudgeOptions(
        **JUDGE_FLAGS.given(args), backend=judge_backend_options(args), batch=batch_options(args)
    )
    settings = CompareSettings(
        **COMPARE_FLAGS.given(args),
        judge_options=judge_options,
        limit=args.limit,
        seed=seed(args),
        backend=backend_options(args),
        use_cache=not args.no_cache,
        show_progress=not args.no_progress,
        stop=stop_rule(args),
    )
    if hasattr(args, "output_dir"):
        settings.output_dir = args.output_dir
    if hasattr(args, "eval_set"):  # `judge RUN_DIR` reads its eval set from the run
        settings.eval_set = load_eval_set(args.eval_set, parse_field_map(args.field_map))
        settings.generation = generation_config(args)
    return settings


def handle_compare(args: argparse.Namespace) -> int:
    from ..comparison import compare

    if args.dry_run:
        return dry_run(args, args.baseline, args.candidate, settings_from(args), "compare")
    result = compare(args.baseline, args.candidate, settings_from(args))
    return _report(args, result.summary, result.run_dir)


def handle_rejudge(args: argparse.Namespace) -> int:
    from ..comparison import rejudge

    result = rejudge(args.run_dir, settings_from(args))
    return _report(args, result.summary, result.run_dir)


def dry_run(
    args: argparse.Namespace, baseline: str, candidate: str, settings: CompareSettings, command: str
) -> int:
    """Count what the command would call, print it, exit 0: nothing is called or written."""
    from ..planning import plan_compare

    plans = plan_compare(baseline, candidate, settings)
    if args.json:
        print_json(plan_json(plans))
    else:
        print_plan(stdout(), plans, command)
    return 0


def _report(args: argparse.Namespace, summary: Any, run_dir: Path) -> int:
    if args.json:
        print_json(summary_json(summary, run_dir))
    else:
        print_summary(stdout(), summary, run_dir)
    return 0
