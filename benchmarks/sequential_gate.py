"""The sequential CI gate on real GPT-4 verdicts: judge calls saved, and agreement with the full run.

`compare --stop-when-decided` judges prompts in a seeded order and stops as soon as the
anytime-valid confidence sequence (alpaca_bench.stats.sequential_gate) puts the win rate on one
side of the threshold; if it never does, the answer is the full-run gate's. This replays what
that would have done, without calling a judge:

- Real verdicts: every AlpacaEval annotation file in the shared data (GPT-4 judges, each model
  against the judge's baseline, 805 prompts; `alpaca_eval_gpt4` verdicts are win / tie / loss,
  the weighted judge's are probabilities). Each file's per-prompt preferences are replayed in
  --orders seeded prompt orders (`seeded_order`, seeds 0..orders-1).
- Simulated verdicts: win rates 30% to 70% in steps of 5 points, as win / tie / loss draws with
  10% ties, --orders data sets of 805 each (i.i.d., so their order is already random).

The baseline, run in the same process on the same preferences, is the full-run gate: all the
prompts judged, then "fail" iff the upper end of the 95% BCa bootstrap interval
(`bootstrap_ci`, as `alpaca_bench.gate` uses) is below the threshold. Reported per row: the
full-run decision, how often the sequence decided early (fail / pass) or not at all, the mean
share of the judge calls used (with the median and 95th percentile count), and how often the
final answer (early decision, else the full-run fallback) equals the full run's. Then a summary
over the models far from the threshold (|win rate - threshold| >= 0.15), and the ratios against
the baseline: calls used / full-run calls, and the time per gate decision. Usage:

    python benchmarks/sequential_gate.py [--orders 200] [--alpha 0.05] [--threshold 0.5]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core; set before numpy loads

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from alpaca_bench.alpacaeval import read_annotations  # noqa: E402
from alpaca_bench.paths import data_dir  # noqa: E402
from alpaca_bench.stats import (  # noqa: E402
    full_run_gate,
    per_prompt_preferences,
    seeded_order,
    sequential_gate,
    sequential_gate_paths,
)

FAR = 0.15  # "far from the threshold" for the summary line
TIES = 0.10


@dataclass(frozen=True)
class Row:
    label: str
    n: int
    win_rate: float
    full: str  # the full-run decision ("mixed" for simulated rows, where it varies by data set)
    full_fail_share: float
    early_fail: float
    early_pass: float
    undecided: float
    calls: float  # mean share of the n judge calls used
    median_calls: float
    p95_calls: float
    agreement: float  # final answer == full-run answer
    early_agreement: float  # among early decisions only (NaN if none)


def replay(
    label: str, orders: np.ndarray, full_fails: np.ndarray, win_rate: float, threshold: float, alpha: float
) -> Row:
    """The gate on each row of `orders`, whose full-run answers are `full_fails` (True = fail)."""
    gate = sequential_gate_paths(orders, threshold, alpha)
    early = ~gate.undecided
    final_fails = np.where(early, gate.failed, full_fails)
    n = orders.shape[1]
    return Row(
        label=label,
        n=n,
        win_rate=win_rate,
        full="fail" if full_fails.all() else "pass" if not full_fails.any() else "mixed",
        full_fail_share=float(full_fails.mean()),
        early_fail=float(gate.failed.mean()),
        early_pass=float(gate.passed.mean()),
        undecided=float(gate.undecided.mean()),
        calls=float(gate.n_used.mean() / n),
        median_calls=float(np.median(gate.n_used)),
        p95_calls=float(np.percentile(gate.n_used, 95)),
        agreement=float(np.mean(final_fails == full_fails)),
        early_agreement=float(np.mean(gate.failed[early] == full_fails[early])) if early.any() else np.nan,
    )


def real_rows(folder: Path, args: argparse.Namespace) -> tuple[list[Row], dict[str, np.ndarray]]:
    rows, kept = [], {}
    files = sorted((folder / "alpaca-eval" / "annotations").glob("*/*.json"))
    if not files:
        sys.exit(f"no AlpacaEval annotation files under {folder / 'alpaca-eval' / 'annotations'}")
    for path in files:
        judgments = read_annotations(path).judgments
        ids, preferences = per_prompt_preferences(judgments)
        baseline = judgments[0].baseline
        full, _, _ = full_run_gate(
            preferences, args.threshold, np.random.default_rng(0), 1.0 - args.alpha, args.n_boot
        )
        orders = np.stack([preferences[seeded_order(ids, seed)] for seed in range(args.orders)])
        label = f"{path.parent.name}/{path.stem} vs {baseline}"
        full_fails = np.full(args.orders, full == "fail")
        rows.append(replay(label, orders, full_fails, float(preferences.mean()), args.threshold, args.alpha))
        kept[label] = preferences
    return rows, kept


def simulated_rows(args: argparse.Namespace) -> list[Row]:
    rows = []
    rng = np.random.default_rng(2024)
    for win_rate in np.round(np.arange(0.30, 0.701, 0.05), 2):
        wins = win_rate - TIES / 2
        data = rng.choice([0.0, 0.5, 1.0], p=[1 - TIES - wins, TIES, wins], size=(args.orders, 805))
        full_fails = np.array(
            [full_run_gate(d, args.threshold, rng, 1.0 - args.alpha, args.n_boot)[0] == "fail" for d in data]
        )
        rows.append(
            replay(f"simulated {win_rate:.0%}", data, full_fails, float(win_rate), args.threshold, args.alpha)
        )
    return rows


def print_table(title: str, rows: list[Row]) -> None:
    print(title)
    width = max(len(row.label) for row in rows)
    header = (
        f"  {'comparison':<{width}} {'win':>6} {'full run':>9} {'early fail':>10} {'early pass':>10}"
        f" {'undecided':>9} {'calls used':>10} {'median':>6} {'p95':>5} {'agree':>7} {'early ok':>8}"
    )
    print(header)
    for row in rows:
        full = row.full if row.full != "mixed" else f"{row.full_fail_share:.0%} fail"
        early_ok = "-" if np.isnan(row.early_agreement) else f"{row.early_agreement:.1%}"
        print(
            f"  {row.label:<{width}} {row.win_rate:>6.1%} {full:>9} {row.early_fail:>10.1%}"
            f" {row.early_pass:>10.1%} {row.undecided:>9.1%} {row.calls:>10.1%}"
            f" {row.median_calls:>6.0f} {row.p95_calls:>5.0f}"
            f" {row.agreement:>7.1%} {early_ok:>8}"
        )


def time_per_decision(preferences: np.ndarray, args: argparse.Namespace) -> tuple[float, float, float]:
    """Seconds per decision: the sequential gate on one order (with its interval, and the
    full-run fallback when undecided), the vectorised replay per order, and the full-run gate."""
    rng = np.random.default_rng(0)
    orders = np.stack([preferences[rng.permutation(preferences.size)] for _ in range(args.orders)])
    started = time.perf_counter()
    for row in orders[:20]:
        sequential_gate(row, args.threshold, args.alpha, rng=np.random.default_rng(0), n_boot=args.n_boot)
    single = (time.perf_counter() - started) / 20
    started = time.perf_counter()
    sequential_gate_paths(orders, args.threshold, args.alpha)
    vectorised = (time.perf_counter() - started) / args.orders
    started = time.perf_counter()
    for _ in range(5):
        full_run_gate(preferences, args.threshold, np.random.default_rng(0), 1.0 - args.alpha, args.n_boot)
    full = (time.perf_counter() - started) / 5
    return single, vectorised, full


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--orders", type=int, default=200, help="prompt orders per model (data sets per rate)"
    )
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--n-boot", type=int, default=10_000, help="resamples of the full-run bootstrap")
    args = parser.parse_args()
    folder = data_dir()
    if folder is None:
        sys.exit("no data folder: set ALPACA_BENCH_DATA_DIR to the shared data (e.g. ../shared/data)")
    started = time.perf_counter()
    print(
        f"sequential gate at threshold {args.threshold:.0%}, alpha {args.alpha} (a {1 - args.alpha:.0%} "
        f"confidence sequence, checked after every judgment), {args.orders} orders per comparison; "
        f"full-run gate: {1 - args.alpha:.0%} BCa bootstrap, {args.n_boot} resamples"
    )
    real, preferences = real_rows(folder, args)
    print_table(
        "\nreal GPT-4 verdicts (AlpacaEval annotations), each model against its judge's baseline", real
    )
    simulated = simulated_rows(args)
    print_table(f"\nsimulated win / tie / loss verdicts ({TIES:.0%} ties), 805 prompts", simulated)

    far = [row for row in real + simulated if abs(row.win_rate - args.threshold) >= FAR]
    calls = float(np.mean([row.calls for row in far]))
    agreement = float(np.mean([row.agreement for row in far]))
    print(
        f"\nsummary, |win rate - {args.threshold:.0%}| >= {FAR:.0%} ({len(far)} rows: "
        f"{sum(row in real for row in far)} real, {sum(row in simulated for row in far)} simulated): "
        f"calls used {calls:.1%} of the full run's, agreement with the full run {agreement:.1%}"
    )
    everything = real + simulated
    print(
        f"all {len(everything)} rows: calls used {np.mean([r.calls for r in everything]):.1%}, "
        f"agreement {np.mean([r.agreement for r in everything]):.1%}"
    )

    example = next(label for label in preferences if "alpaca_eval_gpt4/alpaca-7b" in label)
    single, vectorised, full = time_per_decision(preferences[example], args)
    print("\nratios against the baseline (the full-run gate, same process, same preferences):")
    print(
        f"  judge calls: sequential / full run = {calls:.3f} on the far rows ({1 / calls:.1f}x fewer calls)"
    )
    print(f"  time per gate decision on {example}:")
    print(f"    full-run gate (bootstrap, {args.n_boot} resamples) : {full * 1e3:8.2f} ms")
    print(f"    sequential_gate (one order, with its interval)   : {single * 1e3:8.2f} ms  ", end="")
    print(f"({single / full:.2f}x)")
    print(f"    sequential_gate_paths (vectorised, per order)    : {vectorised * 1e3:8.3f} ms  ", end="")
    print(f"({vectorised / full:.3f}x)")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
