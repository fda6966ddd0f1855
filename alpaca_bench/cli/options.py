"""Options shared by several commands, and their translation into library objects."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from ..cache import CallCache, NullCache
from ..errors import InputError
from ..files import first_error
from ..models.base import BackendOptions
from ..records import GenerationConfig

SPEC_HELP = (
    "model spec: hf:PATH_OR_REPO, openai:MODEL[@URL], vllm:PATH, "
    "file:PATH (or a .json/.jsonl path), mock:NAME"
)


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


def add_eval_set_option(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("eval set")
    group.add_argument(
        "--eval-set",
        default="self-instruct",
        help="self-instruct (252, default), alpaca-eval (805), demo (20), a .json/.jsonl/.csv/.parquet "
        "file, or hf:org/name[:config][:split]",
    )
    group.add_argument(
        "--field-map",
        help="column names for a custom file, e.g. instruction=question,reference=answer",
    )
    group.add_argument("--limit", type=positive_int, help="use only the first N prompts")


def add_generation_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("generation")
    group.add_argument("--max-new-tokens", type=positive_int, default=512, help="default 512")
    group.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    group.add_argument("--top-p", type=float, default=1.0)
    group.add_argument(
        "--template",
        choices=["auto", "alpaca", "chat", "raw"],
        default="auto",
        help="hf:/vllm: prompt format; auto = the tokenizer's chat template if any, else alpaca",
    )
    group.add_argument("--batch-size", type=positive_int, default=16, help="hf: batch size (default 16)")
    group.add_argument(
        "--max-batch-tokens",
        type=positive_int,
        default=4096,
        help="hf: cap on padded prompt tokens per batch (default 4096)",
    )
    group.add_argument("--device", default="auto", help="hf: device (auto, cpu, cuda, cuda:1, …)")
    group.add_argument("--dtype", default="auto", help="hf:/vllm: dtype (auto, float32, bfloat16, float16)")
    group.add_argument(
        "--allow-missing",
        action="store_true",
        help="file: models may lack outputs for some prompts (they are left out)",
    )


def add_service_options(parser: argparse.ArgumentParser, concurrency: int = 16) -> None:
    group = parser.add_argument_group("services")
    group.add_argument(
        "--concurrency",
        type=positive_int,
        default=concurrency,
        help=f"parallel API calls (default {concurrency})",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="hard cap in seconds on one attempt (default 120); attempts far slower than the "
        "server's recent latency are hedged and abandoned well before it",
    )
    attempts = BackendOptions.max_retries
    group.add_argument(
        "--max-retries",
        type=positive_int,
        default=attempts,
        help=f"attempts per call, not counting hedges (default {attempts})",
    )
    group.add_argument(
        "--backoff-base", type=float, default=0.5, help="first retry wait in seconds (default 0.5)"
    )
    group.add_argument(
        "--backoff-cap", type=float, default=30.0, help="longest retry wait in seconds (default 30)"
    )
    group.add_argument(
        "--no-hedge",
        dest="hedge",
        action="store_false",
        help="never send a second copy of a slow call (hedges cost a paid API one more call each)",
    )
    group.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="NAME",
        help="environment variable holding the openai: API key (default OPENAI_API_KEY)",
    )
    group.add_argument("--no-cache", action="store_true", help="do not read or write the call cache")
    group.add_argument("--seed", type=int, default=0, help="seed for sampling and order (default 0)")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output-dir", type=Path, default=Path("results"), help="results root (default results/)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def generation_config(args: argparse.Namespace) -> GenerationConfig:
    try:
        return GenerationConfig(
            max_new_tokens=args.max_new_tokens,
            temperature=args.temperature,
            top_p=args.top_p,
            template=args.template,
            seed=args.seed,
        )
    except ValidationError as exc:
        raise InputError(f"bad generation option {first_error(exc)}") from None


_BACKEND_FLAGS = {
    "concurrency": "concurrency",
    "timeout_s": "timeout",
    "max_retries": "max_retries",
    "backoff_base_s": "backoff_base",
    "backoff_cap_s": "backoff_cap",
    "hedge": "hedge",
    "batch_size": "batch_size",
    "max_batch_tokens": "max_batch_tokens",
    "device": "device",
    "dtype": "dtype",
    "allow_missing": "allow_missing",
    "api_key_env": "api_key_env",
}


def backend_options(args: argparse.Namespace, name: str | None = None) -> BackendOptions:
    """The backend settings a command's flags say; a flag the command lacks keeps its default."""
    given = {field: getattr(args, flag) for field, flag in _BACKEND_FLAGS.items() if hasattr(args, flag)}
    return BackendOptions(**given, name=name)


def judge_backend_options(args: argparse.Namespace) -> BackendOptions:
    """The judge's backend: the models' settings, with any `--judge-*` override applied."""
    options = backend_options(args)
    overrides = {
        field: value
        for field in ("device", "dtype", "batch_size", "max_batch_tokens", "api_key_env")
        if (value := getattr(args, f"judge_{field}", None)) is not None
    }
    return replace(options, **overrides)


def call_cache(args: argparse.Namespace) -> CallCache:
    return NullCache() if args.no_cache else CallCache()


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


def print_json(payload: object) -> None:
    print(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
