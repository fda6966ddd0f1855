"""Training throughput of the SFT recipe: tokens/s (and model FLOPs utilisation on a GPU).

Trains a freshly built Llama of a configurable size on self-instruct's 252 user-oriented tasks
(Alpaca format, real text) with the recipe's own loop, twice in the same process: with dynamic
padding (the baseline) and with packing. Prints real (non-padding) tokens/s for both, their
ratio, and on CUDA the MFU = 6 x parameters x tokens/s / peak FLOP/s. The first steps of each
run are warm-up and not counted. Usage:

    python benchmarks/sft_throughput.py [--hidden-size 64 --layers 2] [--steps 12] [--threads 2]
    python benchmarks/sft_throughput.py --hidden-size 1024 --layers 24 --heads 16 --vocab-size 32000 \\
        --dtype bf16 --micro-batch-size 8 --global-batch-size 64      # ~0.4B parameters, on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from alpaca_bench.datagen import load_seed_tasks
from alpaca_bench.sft import build_config, read_metrics
from alpaca_bench.sft._launch import prepare_run
from alpaca_bench.sft._train import train
from alpaca_bench.tiny import build_tiny_model

# Dense bf16 peak FLOP/s by GPU name fragment (vendor data sheets, no sparsity).
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0, "4090": 165.0}
WARMUP_STEPS = 2


def alpaca_rows(data_dir: Path) -> list[dict[str, str]]:
    """Self-instruct's 252 user-oriented tasks as Alpaca records (read like any seed file)."""
    tasks = load_seed_tasks(data_dir / "self-instruct" / "user_oriented_instructions.jsonl")
    return [t.model_dump() for t in tasks]


def measure(
    model_dir: Path, data: Path, out: Path, args: argparse.Namespace, packing: bool
) -> dict[str, float]:
    overrides = [
        f"max_steps={args.steps + WARMUP_STEPS}",
        "epochs=100",
        f"global_batch_size={args.global_batch_size}",
        f"micro_batch_size={args.micro_batch_size}",
        f"max_length={args.max_length}",
        f"dtype={args.dtype}",
        f"device={args.device}",
        f"packing={'true' if packing else 'false'}",
        f"activation_checkpointing={'true' if args.activation_checkpointing else 'false'}",
    ]
    config = build_config("tiny-cpu", overrides, model=str(model_dir), data=[str(data)], output_dir=str(out))
    prepare_run(config, resume=False)
    result = train(config, show_progress=False)
    timed = read_metrics(out)[WARMUP_STEPS:]
    tokens = sum(r["tokens"] for r in timed)
    seconds = sum(r["step_time_s"] for r in timed)
    return {
        "tokens_per_s": tokens / seconds,
        "step_s": statistics.median(r["step_time_s"] for r in timed),
        "parameters": result.parameters,
    }


def peak_flops(device: str, override: float | None) -> tuple[float | None, str]:
    import torch

    if override:
        return override * 1e12, "given"
    if device == "cpu" or not torch.cuda.is_available():
        return None, "cpu"
    name = torch.cuda.get_device_name()
    for fragment, tflops in PEAK_TFLOPS.items():
        if fragment in name:
            return tflops * 1e12, name
    return None, name


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab-size", type=int, default=2000, help="BPE vocabulary trained on the data")
    parser.add_argument("--steps", type=int, default=12, help="timed optimizer steps per run")
    parser.add_argument("--global-batch-size", type=int, default=16)
    parser.add_argument("--micro-batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--activation-checkpointing", action="store_true")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2 = the CI machine)")
    parser.add_argument("--peak-tflops", type=float, help="peak FLOP/s of the accelerator, for MFU")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    data_dir = Path(
        os.environ.get("ALPACA_BENCH_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    rows = alpaca_rows(data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "train.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        texts = [f"{r['instruction']} {r['input']} {r['output']}" for r in rows]
        model_dir = build_tiny_model(
            root / "model", texts, hidden_size=args.hidden_size, layers=args.layers, heads=args.heads,
            vocab_size=args.vocab_size,
        )  # fmt: skip
        padded = measure(model_dir, data, root / "padded", args, packing=False)
        packed = measure(model_dir, data, root / "packed", args, packing=True)
    peak, device = peak_flops(args.device, args.peak_tflops)
    print(
        f"model: {padded['parameters'] / 1e6:.2f}M parameters "
        f"(hidden {args.hidden_size} x {args.layers} layers), "
        f"{args.dtype} on {device}, threads={args.threads}, global batch {args.global_batch_size}, "
        f"micro batch {args.micro_batch_size}, max length {args.max_length}, {args.steps} timed steps"
    )
    for label, run in (("dynamic padding", padded), ("packing        ", packed)):
        line = f"{label}: {run['tokens_per_s']:10.1f} tokens/s  (median step {run['step_s']:.3f} s)"
        if peak:
            mfu = 6 * run["parameters"] * run["tokens_per_s"] / peak
            line += f"  MFU {100 * mfu:.1f}%"
        print(line)
    if peak is None:
        print("MFU: not measured (no GPU; pass --peak-tflops to compute it against a given peak)")
    print(f"ratio (packing / dynamic padding): {packed['tokens_per_s'] / padded['tokens_per_s']:.2f}x")


if __name__ == "__main__":
    main()
