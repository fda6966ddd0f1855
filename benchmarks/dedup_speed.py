"""Exact ROUGE-L dedup: alpaca-bench against the rouge-score reference loop, on the same input.

Input: the 175 seed tasks as references, and --num instructions made of the 252 self-instruct
and 805 AlpacaEval instructions plus perturbed copies of them (dropped, swapped, inserted and
replaced words, case and punctuation changes: see alpaca_bench.datagen._perturb), shuffled.

Reference: the straightforward greedy loop Alpaca's generate_instruction.py runs, with rouge-score
itself: each instruction is tokenized once with the scorer's tokenizer, scored with
`rouge_scorer._score_lcs` against every reference and every kept instruction, and kept when the
highest score is ≤ the threshold. The reference would take hours on the full input, so it runs on
the first --reference-subset instructions; its time per scored pair there is multiplied by the
number of pairs the same loop scores on the full input. That number is exact, not estimated: the
loop scores every (instruction, earlier kept or reference) pair, and the kept sets are known
because alpaca-bench's decisions are identical (checked on the subset here, and on 2,000
instructions in tests/datagen/test_datagen_dedup.py).

Prints both timings, the speed-up on the full input (extrapolated reference) and on the subset
(both measured). Usage:

    python benchmarks/dedup_speed.py [--num 20000] [--reference-subset 800] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from rouge_score import rouge_scorer

from alpaca_bench.datagen import deduplicate
from alpaca_bench.datagen._perturb import near_duplicates

DATA = Path(os.environ.get("ALPACA_BENCH_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))


def load_inputs(num: int, seed: int, max_edits: int) -> tuple[list[str], list[str]]:
    seeds = [json.loads(line)["instruction"] for line in (DATA / "self-instruct/seed_tasks.jsonl").open()]
    evals = [
        json.loads(line)["instruction"]
        for line in (DATA / "self-instruct/user_oriented_instructions.jsonl").open()
    ]
    alpaca_eval = [row["instruction"] for row in json.loads((DATA / "alpaca-eval/eval_set.json").read_text())]
    bases = evals + alpaca_eval
    return seeds, near_duplicates(bases, num - len(bases), seed=seed, max_edits=max_edits)


def reference(texts: list[str], references: list[str], threshold: float) -> tuple[list[bool], float, int]:
    """rouge-score's greedy loop: (decisions, seconds, pairs scored)."""
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    started = time.perf_counter()
    kept = [scorer._tokenizer.tokenize(r) for r in references]
    decisions, pairs = [], 0
    for text in texts:
        tokens = scorer._tokenizer.tokenize(text)
        scores = [rouge_scorer._score_lcs(tokens, other).fmeasure for other in kept]
        pairs += len(scores)
        keep = max(scores, default=0.0) <= threshold
        decisions.append(keep)
        if keep:
            kept.append(tokens)
    return decisions, time.perf_counter() - started, pairs


def pairs_scored(decisions: list[bool], references: int) -> int:
    """Pairs the reference loop scores: every instruction against the references and all kept."""
    total, kept = 0, references
    for keep in decisions:
        total += kept
        kept += keep
    return total


def ours(
    texts: list[str], references: list[str], threshold: float, workers: int, repeats: int
) -> tuple[list[bool], float]:
    times, decisions = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        decisions = [d.kept for d in deduplicate(texts, threshold, references, workers=workers)]
        times.append(time.perf_counter() - started)
    return decisions, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--num", type=int, default=20000, help="instructions to deduplicate (default 20000)")
    parser.add_argument(
        "--reference-subset", type=int, default=800, help="first N run by rouge-score (default 800)"
    )
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--workers", type=int, default=2, help="scoring threads (2 = the CI machine)")
    parser.add_argument("--max-edits", type=int, default=16, help="heavier edits keep more instructions")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of alpaca-bench (median)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    seeds, texts = load_inputs(args.num, args.seed, args.max_edits)
    subset = texts[: args.reference_subset]
    print(
        f"input: {len(texts)} instructions, {len(seeds)} seed tasks as references, threshold {args.threshold}"
    )

    ref_decisions, ref_seconds, ref_pairs = reference(subset, seeds, args.threshold)
    sub_decisions, sub_seconds = ours(subset, seeds, args.threshold, args.workers, args.repeats)
    assert sub_decisions == ref_decisions, "decisions differ from rouge-score"
    per_pair = ref_seconds / ref_pairs
    print(
        f"rouge-score reference on the first {len(subset)}: {ref_seconds:.1f}s for {ref_pairs:,} pairs "
        f"({per_pair * 1e6:.1f} µs/pair); alpaca-bench: {sub_seconds:.3f}s; identical decisions; "
        f"speed-up {ref_seconds / sub_seconds:.0f}x (both measured)"
    )

    full_decisions, full_seconds = ours(texts, seeds, args.threshold, args.workers, args.repeats)
    assert full_decisions[: len(subset)] == ref_decisions
    full_pairs = pairs_scored(full_decisions, len(seeds))
    extrapolated = per_pair * full_pairs
    print(
        f"full input: alpaca-bench {full_seconds:.2f}s with {args.workers} workers "
        f"(median of {args.repeats}), kept {sum(full_decisions)} of {len(texts)}; "
        f"rouge-score would score {full_pairs:,} pairs ≈ {extrapolated / 3600:.1f} h"
    )
    print(
        f"speed-up: {extrapolated / full_seconds:.0f}x (target ≥ 50x); 20k in under 2 minutes: "
        f"{'yes' if full_seconds < 120 else 'NO'}"
    )


if __name__ == "__main__":
    main()
