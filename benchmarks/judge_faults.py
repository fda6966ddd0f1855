"""Judging through a failing server, against the same run with no faults, in one process.

805 AlpacaEval pairs (gpt4_1106_preview vs alpaca-7b outputs, one order) are judged by a local
OpenAI-compatible server that answers after 200 ms. The faulty run injects 30% faults: a third of
them open-socket hangs (no headers, headers then nothing, half a body then nothing; each lasts 60 s
unless the client lets go), the rest 429/503 with Retry-After, 500, connection resets, truncated
bodies and bodies trickled over 3 s. Every run uses the default settings (`--timeout 120`,
`--max-retries 10`, `--concurrency 16`) and no call cache. Prints wall time with faults / without
(target < 2x), calls sent per pair and how they split (retries, hedges, abandoned attempts), and
checks that every pair was judged exactly once with the verdict the server gives it. Usage:

    python benchmarks/judge_faults.py [--latency 0.2] [--rate 0.3] [--no-hedge-run]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from alpaca_bench.comparison import CompareSettings, compare
from alpaca_bench.judges import JudgeOptions
from alpaca_bench.models import BackendOptions
from alpaca_bench.testing import HANG_KINDS, FaultPlan, Reply, ScriptedOpenAIServer

DATA = Path(os.environ.get("ALPACA_BENCH_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
KINDS = ("429", "503", "500", "reset", "truncated", "trickle", *HANG_KINDS)


def verdict(body: dict) -> Reply:
    """A deterministic judge: B when the prompt's length is odd (any fixed rule will do)."""
    p_b = 0.8 if len(body["messages"][-1]["content"]) % 2 else 0.2
    return Reply("B" if p_b > 0.5 else "A", top_logprobs={"A": -1.0 + p_b, "B": -p_b})


def judge(server: ScriptedOpenAIServer, out: Path, backend: BackendOptions) -> tuple[float, dict, dict]:
    files = DATA / "alpaca-eval" / "model_outputs"
    settings = CompareSettings(
        eval_set="alpaca-eval",
        judge=f"openai:bench-judge@{server.base_url}",
        output_dir=out,
        judge_options=JudgeOptions(backend=backend),
        use_cache=False,
        show_progress=False,
        n_boot=200,
    )
    started = time.perf_counter()
    result = compare(str(files / "alpaca-7b.json"), str(files / "gpt4_1106_preview.json"), settings)
    wall = time.perf_counter() - started
    lines = (result.run_dir / "judgments.jsonl").read_text().splitlines()
    verdicts: dict = {}
    for line in lines:
        record = json.loads(line)
        key = (record["prompt_id"], record["first_shown"])
        assert key not in verdicts, f"{key} judged twice"
        verdicts[key] = record["preference"]
    return wall, result.summary.calls.model_dump(), verdicts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-hedge-run", action="store_true", help="also time the faulty run with --no-hedge"
    )
    args = parser.parse_args()
    os.environ.setdefault("ALPACA_BENCH_DATA_DIR", str(DATA))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ALPACA_BENCH_CACHE"] = str(Path(tmp) / "cache")
        defaults = BackendOptions()
        with ScriptedOpenAIServer(verdict, latency_s=args.latency) as clean:
            clean_s, clean_calls, expected = judge(clean, Path(tmp) / "clean", defaults)
        runs = [("faults", defaults)]
        if args.no_hedge_run:
            runs.append(("faults, --no-hedge", replace(defaults, hedge=False)))
        print(
            f"805 pairs, one order, {args.latency * 1000:.0f} ms per answer, defaults (concurrency "
            f"{defaults.concurrency}, timeout {defaults.timeout_s:g} s, {defaults.max_retries} attempts)"
        )
        sent = clean_calls["sent"] / len(expected)
        print(f"no faults          : {clean_s:6.1f} s, {sent:.2f} calls sent per pair")
        for label, options in runs:
            plan = FaultPlan(rate=args.rate, kinds=KINDS, seed=args.seed, stall_s=3.0)
            with ScriptedOpenAIServer(verdict, faults=plan, latency_s=args.latency) as server:
                wall, calls, got = judge(
                    server, Path(tmp) / label.replace(" ", "").replace(",", "_"), options
                )
                hangs = sum(server.fault_counts[k] for k in HANG_KINDS)
                assert got == expected, "a verdict was lost, duplicated or changed"
                print(
                    f"{label:19s}: {wall:6.1f} s = {wall / clean_s:.2f}x the fault-free time; "
                    f"{calls['sent'] / len(got):.2f} calls sent per pair ({calls['retries']} retries, "
                    f"{calls['hedges']} hedges, {calls['abandoned']} abandoned); server saw "
                    f"{len(server.bodies)} requests, {server.faulted} faulted ({hangs} hangs)"
                )


if __name__ == "__main__":
    main()
