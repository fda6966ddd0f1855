"""The `alpaca-bench` command line: a thin layer that parses options and calls the library.

Each command lives in its own module with `register(subparsers)`; the list below is the whole
registry. Errors from the library arrive as AlpacaBenchError and leave as one line and an exit
code (the table in the README); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from ..errors import AlpacaBenchError
from ..redact import redact

COMMANDS = (
    "evalsets",
    "generate",
    "compare",
    "scan",
    "gate",
    "demo",
    "stats",
    "sft",
    "datagen",
    "rate",
    "agreement",
    "leaderboard",
)

EXIT_CODES = """exit codes:
  0  success
  1  gate failed (the candidate regressed)
  2  bad input or usage (the message names the file and the problem)
  3  a service failed after retries (progress is kept; re-run to resume)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alpaca-bench",
        description="Is model B better than model A, by how much, and how sure are we? "
        "Blind pairwise comparisons with an LLM judge or human raters, with honest statistics.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name.replace('-', '_')}").register(subparsers)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("alpaca-bench")
    except PackageNotFoundError:
        return "unknown"


def configure_logging(verbosity: int) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    console = Console(stderr=True)
    handler = RichHandler(
        console=console, show_path=False, show_time=verbosity > 1, markup=False, rich_tracebacks=False
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in (
        "httpx",
        "httpcore",
        "openai",
        "urllib3",
        "filelock",
        "datasets",
        "huggingface_hub",
    ):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code or 0)
    except AlpacaBenchError as exc:  # a flag's own parser (e.g. --judge-price) found it wrong
        return _error(exc)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    configure_logging(args.verbose)
    try:
        code: int = args.handler(args)
        return code
    except AlpacaBenchError as exc:
        return _error(exc)
    except KeyboardInterrupt:
        print(
            "alpaca-bench: interrupted; progress is saved, re-run the same command to resume",
            file=sys.stderr,
        )
        return 130


def _error(exc: AlpacaBenchError) -> int:
    print(f"alpaca-bench: error: {redact(str(exc))}", file=sys.stderr)
    return exc.exit_code


def run() -> None:
    sys.exit(main())
