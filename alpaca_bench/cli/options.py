"""Options shared by several commands, and their translation into library objects."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from ..cache import CallCache, NullCache
from ..models._base import BackendOptions
from ..paths import DEFAULT_RESULTS
from ..records import GenerationConfig
from .flags import Flag, FlagTable

SPEC_HELP = (
    "model spec: hf:PATH_OR_REPO, openai:MODEL[@URL], vllm:PATH, "
    "file:PATH (or a .json/.jsonl path), mock:NAME"
)


def examples(*commands: str) -> str:
    """The end of a command's --help: real command lines to copy."""
    return "examples:\n" + "\n".join(f"  {command}" for command in commands)


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a number of at least {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, 1)


def seed_value(text: str) -> int:
    return _whole_number(text, 0)


def add_eval_set_option(parser: argparse.ArgumentParser, default: str = "self-instruct") -> None:
    group = parser.add_argument_group("eval set")
    group.add_argument(
        "--eval-set",
        default=default,
        help=f"self-instruct (252), alpaca-eval (805), mt-bench (80, two turns), arena-hard-v0.1 (500), "
        f"arena-hard-v2.0 (750), demo (20), a .json/.jsonl/.csv/.parquet file, or "
        f"hf:org/name[:config][:split] (default {default})",
    )
    group.add_argument(
        "--field-map",
        help="column names for a custom file, e.g. instruction=question,reference=answer",
    )
    group.add_argument("--limit", type=positive_int, help="use only the first N prompts")


GENERATION_FLAGS = FlagTable(
    "generation",
    (
        Flag("--max-new-tokens", "max_new_tokens", "longest answer in tokens", {"type": positive_int}),
        Flag("--temperature", "temperature", "sampling temperature; 0 = greedy", {"type": float}),
        Flag(
            "--top-p",
            "top_p",
            "nucleus sampling: keep the smallest token set with this mass",
            {"type": float},
        ),
        Flag(
            "--template",
            "template",
            "hf:/vllm: prompt format; auto = the tokenizer's chat template if any, else alpaca",
            {"choices": ["auto", "alpaca", "chat", "raw"]},
        ),
    ),
)

BACKEND_FLAGS = FlagTable(
    "backend",
    (
        Flag("--concurrency", "concurrency", "parallel API calls", {"type": positive_int}),
        Flag(
            "--timeout",
            "timeout_s",
            "hard cap in seconds on one attempt; attempts far slower than the server's recent latency "
            "are hedged and abandoned well before it",
            {"type": float},
        ),
        Flag(
            "--max-retries", "max_retries", "attempts per call, not counting hedges", {"type": positive_int}
        ),
        Flag("--backoff-base", "backoff_base_s", "first retry wait in seconds", {"type": float}),
        Flag("--backoff-cap", "backoff_cap_s", "longest retry wait in seconds", {"type": float}),
        Flag(
            "--no-hedge",
            "hedge",
            "never send a second copy of a slow call (hedges cost a paid API one more call each)",
            {"action": "store_false"},
        ),
        Flag(
            "--api-key-env",
            "api_key_env",
            "environment variable holding the openai: API key",
            {"metavar": "NAME"},
        ),
        Flag("--batch-size", "batch_size", "hf: prompts per batch", {"type": positive_int}),
        Flag(
            "--max-batch-tokens",
            "max_batch_tokens",
            "hf: cap on padded prompt tokens per batch",
            {"type": positive_int},
        ),
        Flag("--device", "device", "hf: device (auto, cpu, cuda, cuda:1, …)"),
        Flag("--dtype", "dtype", "hf:/vllm: dtype (auto, float32, bfloat16, float16)"),
        Flag(
            "--allow-missing",
            "allow_missing",
            "file: models may lack outputs for some prompts (they are left out)",
            {"action": "store_true"},
        ),
    ),
)
_SERVICE_FIELDS = (
    "concurrency", "timeout_s", "max_retries", "backoff_base_s", "backoff_cap_s", "hedge", "api_key_env"
)  # fmt: skip
_PLACEMENT_FIELDS = ("batch_size", "max_batch_tokens", "device", "dtype")


def add_generation_options(
    parser: argparse.ArgumentParser, defaults: GenerationConfig | None = None, placement: bool = True
) -> None:
    """Decoding flags, and (for local models) where and in what batches they run."""
    group = parser.add_argument_group("generation")
    GENERATION_FLAGS.add(group, defaults or GenerationConfig())
    if placement:
        BACKEND_FLAGS.add(group, BackendOptions(), (*_PLACEMENT_FIELDS, "allow_missing"))


def add_placement_options(parser: argparse.ArgumentParser, title: str) -> None:
    """Where local models run and in what batches, for commands without the decoding flags."""
    BACKEND_FLAGS.add(parser.add_argument_group(title), BackendOptions(), _PLACEMENT_FIELDS)


def add_service_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("services")
    BACKEND_FLAGS.add(group, BackendOptions(), _SERVICE_FIELDS)
    group.add_argument("--no-cache", action="store_true", help="do not read or write the call cache")
    group.add_argument(
        "--seed",
        type=seed_value,
        default=argparse.SUPPRESS,
        help=f"seed for sampling and order (default {GenerationConfig().seed})",
    )


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output-dir", type=Path, default=DEFAULT_RESULTS, help=f"results root (default {DEFAULT_RESULTS}/)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def add_dry_run_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the calls that would be made (after the cache), their tokens and cost, and exit",
    )


def seed(args: argparse.Namespace) -> int:
    """`--seed`, or the default of the decoding settings it seeds (the same default everywhere)."""
    value: int = getattr(args, "seed", GenerationConfig().seed)
    return value


def generation_config(
    args: argparse.Namespace, defaults: GenerationConfig | None = None, flags: FlagTable | None = None
) -> GenerationConfig:
    """The decoding settings the flags say, over `defaults` (a command's own, e.g. datagen's)."""
    base = (defaults or GenerationConfig()).model_dump()
    return (flags or GENERATION_FLAGS).build(GenerationConfig, args, **{**base, "seed": seed(args)})


def backend_options(args: argparse.Namespace, name: str | None = None) -> BackendOptions:
    """The backend settings the flags say; a flag the command lacks keeps the class default."""
    return BackendOptions(**BACKEND_FLAGS.given(args), name=name)


def call_cache(args: argparse.Namespace) -> CallCache:
    return NullCache() if args.no_cache else CallCache()


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


def print_json(payload: object) -> None:
    print(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
