"""Speed of Bradley–Terry with bootstrap CIs: 200 models × 805 prompts, 100 rounds, one core.

Target (issue #3): under 30 s. Every model is judged on every prompt against a random opponent
(161,000 judgments, ~19,000 distinct pairs). The baseline, run in the same process on the same
judgments, is the straightforward approach: refit each round by L-BFGS over the resampled
judgment list; it runs a few rounds and its per-round time is scaled to 100. Usage:

    python benchmarks/bradley_terry_speed.py [--models 200] [--prompts 805] [--rounds 100]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says; set before numpy loads

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from alpaca_bench.stats import bradley_terry  # noqa: E402

TARGET_S = 30.0


def simulate(models: int, prompts: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    strengths = rng.normal(0.0, 1.0, models)
    a = np.repeat(np.arange(models), prompts)
    b = (a + rng.integers(1, models, a.size)) % models
    prompt = np.tile(np.arange(prompts), models)
    p_b = 1.0 / (1.0 + np.exp(-(strengths[b] - strengths[a])))
    pref = (rng.random(a.size) < p_b).astype(float)
    pref[rng.random(a.size) < 0.1] = 0.5
    return strengths, a, b, pref, prompt


def naive_round(a: np.ndarray, b: np.ndarray, pref: np.ndarray, models: int) -> np.ndarray:
    """One refit on the judgment list itself (what a first implementation would do)."""

    def objective(free: np.ndarray) -> tuple[float, np.ndarray]:
        r = np.concatenate([[0.0], free])
        eta = r[b] - r[a]
        prob = 1.0 / (1.0 + np.exp(-eta))
        grad = np.bincount(b, prob - pref, models) - np.bincount(a, prob - pref, models)
        return float(np.sum(np.logaddexp(0.0, eta) - pref * eta)), grad[1:]

    return minimize(objective, np.zeros(models - 1), jac=True, method="L-BFGS-B").x


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--prompts", type=int, default=805)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--baseline-rounds", type=int, default=5)
    args = parser.parse_args()
    strengths, a, b, pref, prompt = simulate(args.models, args.prompts)
    names = [f"model-{i}" for i in range(args.models)]

    started = time.perf_counter()
    result = bradley_terry(a, b, pref, prompt, names, np.random.default_rng(1), n_boot=args.rounds)
    ours = time.perf_counter() - started

    rng = np.random.default_rng(1)
    started = time.perf_counter()
    for _ in range(args.baseline_rounds):
        drawn = rng.integers(0, args.prompts, args.prompts)
        keep = np.concatenate([np.flatnonzero(prompt == p) for p in drawn])
        naive_round(a[keep], b[keep], pref[keep], args.models)
    naive = (time.perf_counter() - started) / args.baseline_rounds * (args.rounds + 1)

    print(
        f"{args.models} models × {args.prompts} prompts ({a.size} judgments), {args.rounds} bootstrap rounds"
    )
    rho = spearmanr(result.ratings, strengths)[0]
    print(f"  bradley_terry            : {ours:.2f} s (Spearman with the true strengths {rho:.4f})")
    print(f"  naive L-BFGS per round   : {naive:.2f} s (scaled from {args.baseline_rounds} rounds)")
    print(f"  speed-up over the naive  : {naive / ours:.1f}x")
    print(f"  target < {TARGET_S:.0f} s           : {'meets' if ours < TARGET_S else 'MISSES'}")


if __name__ == "__main__":
    main()
