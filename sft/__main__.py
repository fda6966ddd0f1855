"""Worker entry point: `torchrun --nproc-per-node N -m alpaca_bench.sft --run-file RUN.json`.

`alpaca-bench sft --nproc N` writes the run file and starts torchrun with this; for multi-node
runs call torchrun yourself with the same arguments (and a shared output folder).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from alpaca_bench.errors import AlpacaBenchError


def _configure_logging(level: str) -> None:
    """Worker logs go to stderr (stdout is the parent's, and may be carrying --json)."""
    import logging
    import os

    from rich.console import Console
    from rich.logging import RichHandler

    rank = os.environ.get("RANK", "0")
    handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False, markup=False)
    handler.setFormatter(logging.Formatter(f"[rank {rank}] %(message)s"))
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.WARNING), handlers=[handler], force=True
    )
    for noisy in ("filelock", "huggingface_hub", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alpaca_bench.sft", description=__doc__)
    parser.add_argument(
        "--run-file", type=Path, required=True, help="sft_run.json written by alpaca-bench sft"
    )
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)

    _configure_logging(args.log_level)
    from ._launch import config_from_run_file
    from ._train import train

    try:
        train(config_from_run_file(args.run_file), resume=args.resume, show_progress=not args.no_progress)
    except AlpacaBenchError as exc:
        sys.stderr.write(f"alpaca-bench: error: {exc}\n")
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
