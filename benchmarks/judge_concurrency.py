"""Judging throughput: 252 self-instruct pairs in both orders (504 calls) against a local
OpenAI-compatible server that answers after 200 ms.

Prints, for each concurrency, the ratio of summed call latency to wall time (how many calls were
effectively in flight), and the wall-time speed-up of `--concurrency 32` over 5 threads
(AlpacaEval's OpenAI decoder default) measured in the same process. Usage:

    python benchmarks/judge_concurrency.py [--latency 0.2] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from alpaca_bench.comparison import CompareSettings, compare
from alpaca_bench.judges import JudgeOptions
from alpaca_bench.models import BackendOptions
from alpaca_bench.testing import Reply, ScriptedOpenAIServer

DATA = Path(os.environ.get("ALPACA_BENCH_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))


def judge_once(server: ScriptedOpenAIServer, concurrency: int, out: Path) -> tuple[float, float, int]:
    preds = DATA / "self-instruct" / "predictions"
    settings = CompareSettings(
        judge=f"openai:bench-judge@{server.base_url}",
        both_orders=True,
        output_dir=out,
        judge_options=JudgeOptions(backend=BackendOptions(concurrency=concurrency)),
        use_cache=False,
        show_progress=False,
        n_boot=1000,
    )
    started = time.perf_counter()
    result = compare(
        str(preds / "davinci_predictions.jsonl"), str(preds / "text-davinci-003_predictions.jsonl"), settings
    )
    wall = time.perf_counter() - started
    records = [json.loads(line) for line in (result.run_dir / "judgments.jsonl").read_text().splitlines()]
    summed = sum(r["raw"].get("latency_s", 0.0) for r in records if isinstance(r["raw"], dict))
    return wall, summed, result.summary.judge_calls


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    os.environ.setdefault("ALPACA_BENCH_DATA_DIR", str(DATA))
    with (
        tempfile.TemporaryDirectory() as tmp,
        ScriptedOpenAIServer(
            lambda body: Reply("A", top_logprobs={"A": -0.2, "B": -1.7}), latency_s=args.latency
        ) as server,
    ):
        os.environ["ALPACA_BENCH_CACHE"] = str(Path(tmp) / "cache")
        rows = []
        for concurrency in (5, args.concurrency):
            wall, summed, calls = judge_once(server, concurrency, Path(tmp) / f"c{concurrency}")
            rows.append((concurrency, wall, summed, calls))
            print(
                f"concurrency {concurrency:>3}: {calls} calls, wall {wall:6.2f} s, summed call latency "
                f"{summed:7.2f} s, ratio {summed / wall:5.1f}x"
            )
        print(f"wall-time speed-up of concurrency {args.concurrency} over 5: {rows[0][1] / rows[1][1]:.1f}x")


if __name__ == "__main__":
    main()
