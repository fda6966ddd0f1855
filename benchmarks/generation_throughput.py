"""Throughput of batched `hf:` generation against one prompt at a time, same model and prompts.

Prints tokens/s for both and their ratio (the figure to compare; absolute times drift on
shared machines). Usage:

    python benchmarks/generation_throughput.py [--prompts 128] [--batch-size 32] [--max-new-tokens 64]
    python benchmarks/generation_throughput.py --model PATH.gguf --prompts 32 --batch-size 16

Without --model it builds a tiny random Llama; with --model it measures that checkpoint (an HF
folder or a GGUF file, e.g. the real SmolLM2-135M-Instruct from tests/real-weights.txt). Both runs
are greedy, so the batched run must produce the same tokens; the script checks it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.generation import build_request
from alpaca_bench.models import BackendOptions, load_backend
from alpaca_bench.records import GenerationConfig
from alpaca_bench.tiny import build_tiny_model


def measure(
    model: str, requests: list, batch_size: int, args: argparse.Namespace
) -> tuple[float, int, dict[str, str]]:
    options = BackendOptions(batch_size=batch_size, device=args.device, dtype=args.dtype)
    backend = load_backend(f"hf:{model}", options)
    backend.load()

    async def run() -> list:
        return [c async for c in backend.stream(requests)]

    asyncio.run(run_warmup(backend, requests[:2]))
    started = time.perf_counter()
    completions = asyncio.run(run())
    elapsed = time.perf_counter() - started
    tokens = sum(c.usage.completion_tokens for c in completions)
    return elapsed, tokens, {c.key: c.text for c in completions}


async def run_warmup(backend, requests) -> None:
    [c async for c in backend.stream(requests)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--model", help="an hf: model folder or .gguf file (default: a tiny random Llama)")
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2 = the CI machine)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--dtype", default="auto", help="auto (default), fp32, bf16 or fp16")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    os.environ.setdefault(
        "ALPACA_BENCH_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    eval_set = load_eval_set("self-instruct").head(args.prompts)
    config = GenerationConfig(max_new_tokens=args.max_new_tokens)
    requests = [build_request(p, config) for p in eval_set]
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            model, label = args.model, Path(args.model).name
        else:
            texts = [f"{p.instruction} {p.input} {p.reference}" for p in load_eval_set("self-instruct")]
            model = str(
                build_tiny_model(Path(tmp) / "bench", texts, hidden_size=args.hidden_size, layers=args.layers)
            )
            label = f"hidden{args.hidden_size}x{args.layers}layers"
        single_s, single_tokens, single_texts = measure(model, requests, 1, args)
        batched_s, batched_tokens, batched_texts = measure(model, requests, args.batch_size, args)
    single_rate = single_tokens / single_s
    batched_rate = batched_tokens / batched_s
    same = sum(single_texts[k] == batched_texts.get(k) for k in single_texts)
    print(
        f"prompts={len(requests)} max_new_tokens={args.max_new_tokens} threads={args.threads} "
        f"device={args.device} dtype={args.dtype} model={label}"
    )
    print(f"greedy outputs identical batched vs one at a time: {same} of {len(single_texts)}")
    print(f"one at a time : {single_s:7.2f} s  {single_rate:8.1f} tokens/s")
    print(f"batch size {args.batch_size:<3}: {batched_s:7.2f} s  {batched_rate:8.1f} tokens/s")
    print(f"ratio (batched / one at a time): {batched_rate / single_rate:.1f}x")


if __name__ == "__main__":
    main()
