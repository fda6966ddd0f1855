"""`alpaca-bench sft --model M --data FILE… --output-dir DIR [--recipe R] [key=value…] [--nproc N]`."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from .options import examples, positive_int, print_json, stdout

OVERRIDE = re.compile(r"^[A-Za-z_][\w.]*=")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sft",
        help="fine-tune a model on Alpaca-format data (FSDP over N processes)",
        description="Supervised fine-tuning the Alpaca way: prompts masked so the loss is on responses, "
        "FSDP2 sharding on N>1 processes (torchrun; NCCL on CUDA, gloo on CPU), periodic resumable "
        "checkpoints, and a Hugging Face model folder in --output-dir that hf:DIR loads.",
        epilog="overrides: any recipe key as key=value, e.g. lr=1e-5 epochs=1 max_steps=50 packing=true "
        "lora.enabled=true lora.rank=16 dtype=fp32 device=cpu save_every_steps=100\n\n"
        + examples(
            "alpaca-bench sft --model ./base --data tasks.jsonl --output-dir out",
            "alpaca-bench sft --model ./base --data tasks.jsonl --output-dir out --nproc 2 lr=1e-5",
            "alpaca-bench sft --model ./base --data tasks.jsonl --output-dir out --resume",
        ),
    )
    parser.add_argument("--model", required=True, help="model folder or hub repo to start from")
    parser.add_argument(
        "--data",
        required=True,
        nargs="+",
        metavar="FILE",
        help="Alpaca-format .json/.jsonl (instruction, input, output)",
    )
    parser.add_argument("--output-dir", required=True, help="where the model, checkpoints and metrics go")
    parser.add_argument(
        "--recipe",
        default="alpaca",
        help="shipped recipe name (alpaca, tiny-cpu) or a .yaml file (default alpaca)",
    )
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="recipe overrides")
    parser.add_argument(
        "--nproc", type=positive_int, default=1, help="processes (GPUs) on this machine (default 1)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --output-dir from its last checkpoint"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress display")
    parser.set_defaults(handler=handle)


def _split_data_and_overrides(data: list[str], overrides: list[str]) -> tuple[list[str], list[str]]:
    """`--data a.json lr=1e-5`: argparse hands `lr=1e-5` to --data; it is an override, not a file."""
    files = [item for item in data if not (OVERRIDE.match(item) and not Path(item).exists())]
    moved = [item for item in data if item not in files]
    return files, [*moved, *overrides]


def handle(args: argparse.Namespace) -> int:
    from alpaca_bench.sft import build_config, run_sft

    data, overrides = _split_data_and_overrides(args.data, args.overrides)
    config = build_config(args.recipe, overrides, model=args.model, data=data, output_dir=args.output_dir)
    result = run_sft(config, nproc=args.nproc, resume=args.resume, show_progress=not args.no_progress)
    if args.json:
        print_json(result.model_dump())
        return 0
    loss = "n/a" if result.final_loss is None else f"{result.final_loss:.4f}"
    stdout().print(
        f"trained {result.steps} steps ({result.epochs:.2f} epochs) on {result.world_size} process(es), "
        f"final loss {loss}, {result.wall_s:.1f} s → {result.output_dir} (load it as hf:{result.output_dir})"
    )
    return 0
