"""Speed of the paired bootstrap: 10,000 resamples over 805 prompts on one core.

Target (issue #3): under 0.2 s. Prints the time of `bootstrap_ci` and of `summarize` (both
intervals, counts, sign test) for discrete verdicts (win/tie/loss, drawn as multinomial counts)
and for a logprob-weighted judge's continuous preferences (drawn as index matrices), and the
ratio against a naive loop that draws one resample at a time, run in the same process on the
same data. Usage:

    python benchmarks/bootstrap_speed.py [--prompts 805] [--n-boot 10000] [--repeats 5]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says; set before numpy loads

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from alpaca_bench.stats import (  # noqa: E402
    LengthComparison,
    bootstrap_ci,
    length_controlled_win_rates,
    summarize,
)

TARGET_S = 0.2


def best_of(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def naive_percentile(values: np.ndarray, rng: np.random.Generator, n_boot: int) -> tuple[float, float]:
    means = [values[rng.integers(0, values.size, values.size)].mean() for _ in range(n_boot)]
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def measure(label: str, prefs: np.ndarray, n_boot: int, repeats: int) -> float:
    def rng() -> np.random.Generator:
        return np.random.default_rng(1)

    percentile = best_of(repeats, lambda: bootstrap_ci(prefs, rng(), n_boot, method="percentile"))
    bca = best_of(repeats, lambda: bootstrap_ci(prefs, rng(), n_boot, method="bca"))
    summary = best_of(repeats, lambda: summarize(prefs, rng(), n_boot))
    naive = best_of(1, lambda: naive_percentile(prefs, rng(), n_boot))
    print(f"{label}")
    print(f"  bootstrap_ci percentile : {percentile:.4f} s")
    print(f"  bootstrap_ci BCa        : {bca:.4f} s")
    print(f"  summarize (both + tests): {summary:.4f} s")
    print(f"  naive loop (baseline)   : {naive:.4f} s")
    print(f"  speed-up over the loop  : {naive / percentile:.1f}x")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prompts", type=int, default=805)
    parser.add_argument("--n-boot", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = np.random.default_rng(0)
    n = args.prompts
    verdicts = np.where(data.random(n) < 0.1, 0.5, (data.random(n) < 0.6).astype(float))
    weighted = data.beta(0.4, 0.6, n)
    print(f"{args.n_boot} resamples over {n} prompts, one core (best of {args.repeats})")
    slowest = max(
        measure("discrete verdicts (win / tie / loss)", verdicts, args.n_boot, args.repeats),
        measure("continuous preferences (logprob-weighted judge)", weighted, args.n_boot, args.repeats),
    )
    verdict = "meets" if slowest < TARGET_S else "MISSES"
    print(f"target < {TARGET_S} s: {verdict} (slowest summarize {slowest:.3f} s)")
    lengths = data.integers(100, 2000, (2, n)).astype(float)
    comparison = LengthComparison("m", [str(i) for i in range(n)], verdicts, lengths[0], lengths[1])
    lc = best_of(1, lambda: length_controlled_win_rates([comparison], np.random.default_rng(1), args.n_boot))
    print(f"for reference, length-controlled win rate with {args.n_boot} refits: {lc:.2f} s")


if __name__ == "__main__":
    main()
