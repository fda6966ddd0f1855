"""Pairs per second of a local `hf:` judge, batched against one pair at a time.

Real pairs: davinci vs text-davinci-003 on the self-instruct prompts (../shared/data), judged by
the pairwise template with exact verdict-token logprobs. Both runs send the same prompts with no
call cache; the figure to compare is the ratio (absolute times drift on shared machines).

    python benchmarks/hf_judge_speed.py --judge PATH.gguf [--pairs 48] [--batch-size 16]

PATH may be an HF folder or a GGUF file, e.g. SmolLM2-135M-Instruct from tests/real-weights.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.judges import JudgeOptions, JudgeResult, PairTask, load_judge
from alpaca_bench.models import BackendOptions


def tasks(data: Path, n: int) -> list[PairTask]:
    prompts = load_eval_set("self-instruct").head(n).prompts
    read = [
        [
            json.loads(line)["response"]
            for line in (data / f"self-instruct/predictions/{m}_predictions.jsonl").open()
        ]
        for m in ("davinci", "text-davinci-003")
    ]
    return [
        PairTask(f"{p.id}|baseline", p, read[0][i], read[1][i], "baseline") for i, p in enumerate(prompts)
    ]


def measure(spec: str, pairs: list[PairTask], batch_size: int) -> tuple[float, list[float | None], int]:
    judge = load_judge(
        spec, JudgeOptions(use_cache=False, backend=BackendOptions(batch_size=batch_size, device="cpu"))
    )
    judge.backend.load()  # type: ignore[attr-defined]

    async def run() -> list[JudgeResult]:
        return [r async for r in judge.judge(pairs)]

    asyncio.run(run_warmup(judge, pairs[:2]))
    started = time.perf_counter()
    results = {r.key: r for r in asyncio.run(run())}
    elapsed = time.perf_counter() - started
    prompt_tokens = sum(r.usage.prompt_tokens for r in results.values())
    return elapsed, [results[t.key].p_b for t in pairs], prompt_tokens


async def run_warmup(judge: object, pairs: list[PairTask]) -> None:
    [r async for r in judge.judge(pairs)]  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--judge", required=True, help="hf: model folder or .gguf file")
    parser.add_argument("--pairs", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2 = the CI machine)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    data = Path(
        os.environ.setdefault(
            "ALPACA_BENCH_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data")
        )
    )
    pairs = tasks(data, args.pairs)
    spec = f"hf:{args.judge}"
    single_s, single_p, prompt_tokens = measure(spec, pairs, 1)
    batched_s, batched_p, _ = measure(spec, pairs, args.batch_size)
    drift = max(abs((a or 0) - (b or 0)) for a, b in zip(single_p, batched_p, strict=True))
    print(
        f"pairs={len(pairs)} judge={Path(args.judge).name} threads={args.threads} "
        f"prompt tokens/pair={prompt_tokens / len(pairs):.0f} (one verdict token each: prefill-bound)"
    )
    for label, seconds in (("one at a time ", single_s), (f"batch size {args.batch_size:<3}", batched_s)):
        print(
            f"{label}: {seconds:7.2f} s  {len(pairs) / seconds:6.2f} pairs/s  "
            f"{prompt_tokens / seconds:7.0f} prompt tokens/s"
        )
    print(f"ratio (batched / one at a time): {single_s / batched_s:.1f}x; max |P(B) difference| {drift:.2e}")


if __name__ == "__main__":
    main()
