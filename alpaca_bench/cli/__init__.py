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
from typing import Any, NoReturn

from ..errors import AlpacaBenchError
from ..redact import redact
from .options import examples

COMMANDS = (
    "evalsets",
    "data",
    "generate",
    "compare",
    "grade",
    "arena",
    "export",
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


class HelpFormatter(argparse.HelpFormatter):
    """Wraps prose paragraphs; keeps indented blocks (examples, tables) line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.strip("\n").split("\n\n"):
            lines = paragraph.splitlines()
            if any(line.startswith("  ") for line in lines):
                paragraphs.append("\n".join(indent + line for line in lines))
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem and where the help is, exit 2
    (argparse's own prints the whole usage block first). Subcommands inherit the class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"alpaca-bench: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="alpaca-bench",
        description="Is model B better than model A, by how much, and how sure are we? "
        "Blind pairwise comparisons with an LLM judge or human raters, with honest statistics.",
        epilog=EXIT_CODES + "\n" + examples("alpaca-bench demo", "alpaca-bench compare --help"),
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
    # the hub's own retry warnings would print each retry twice; its final error is what we report
    os.environ.setdefault("HF_HUB_VERBOSITY", "error" if verbosity == 0 else "info")
    if verbosity == 0:
        logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
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
        print(
            f"alpaca-bench: error: choose a command: {', '.join(COMMANDS)} (see 'alpaca-bench --help')",
            file=sys.stderr,
        )
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
