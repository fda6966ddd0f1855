"""The anytime-valid confidence sequence and the sequential gate, tested as statistics.

Error rates are simulated and compared with binomial bounds, not magic numbers: a rate that
may be at most p passes when the count of errors in `PATHS` paths is at most the binomial
(PATHS, p) quantile at 1 - 1e-3, so a correct procedure fails a check with probability below
0.1% (the seeds are fixed, so the outcome itself is deterministic). The naive rule is checked
the other way: its error count must exceed that same upper quantile for alpha, i.e. be
significantly above alpha, which is the check that catches a gate that is not anytime-valid.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy.stats import binom

from alpaca_bench.alpacaeval import read_annotations
from alpaca_bench.paths import data_dir
from alpaca_bench.stats import (
    ConfidenceSequence,
    bootstrap_ci,
    confidence_sequence,
    ever_excludes,
    full_run_gate,
    log_capital,
    per_prompt_preferences,
    seeded_order,
    sequential_gate,
    sequential_gate_paths,
    width_stop,
)

ALPHA = 0.05
N = 805  # AlpacaEval's prompts: the number of looks a gate checking after every judgment takes
PATHS = 2000
Z95 = 1.959963984540054


def upper(rate: float, paths: int = PATHS) -> float:
    """Largest error count consistent with an error rate of at most `rate` (one-sided 0.1%)."""
    return float(binom.ppf(1.0 - 1e-3, paths, rate))


def bernoulli(rng: np.random.Generator, mean: float, shape: tuple[int, int]) -> np.ndarray:
    return (rng.random(shape) < mean).astype(float)


def mixture(rng: np.random.Generator, mean: float, shape: tuple[int, int], ties: float = 0.2) -> np.ndarray:
    """Ties (0.5) with probability `ties`, a judge's probability (Beta) with 0.3, else a clean
    win or loss; the Beta and the Bernoulli share the mean that makes the total `mean`."""
    share = (mean - 0.5 * ties) / (1.0 - ties)
    assert 0.0 < share < 1.0
    kind = rng.random(shape)
    continuous = rng.beta(4 * share, 4 * (1 - share), shape)
    clean = (rng.random(shape) < share).astype(float)
    return np.where(kind < ties, 0.5, np.where(kind < ties + 0.3, continuous, clean))


def discrete(rng: np.random.Generator, mean: float, shape: tuple[int, int], ties: float = 0.1) -> np.ndarray:
    """Win / tie / loss verdicts (a GPT-4 judge without logprobs) with the given mean."""
    wins = mean - ties / 2
    return rng.choice([0.0, 0.5, 1.0], p=[1 - ties - wins, ties, wins], size=shape)


# --- coverage ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "mean", "seed"),
    [
        ("bernoulli", 0.03, 1),
        ("bernoulli", 0.3, 2),
        ("bernoulli", 0.5, 3),
        ("bernoulli", 0.8, 4),
        ("mixture", 0.3, 5),
        ("mixture", 0.5, 6),
        ("mixture", 0.7, 7),
        ("concentrated", 0.62, 8),  # small spread: the variance-adaptive bets get large
    ],
)
def test_the_sequence_covers_the_true_mean_at_every_n_at_once(kind, mean, seed):
    """P(the CS ever excludes the true mean in 805 looks) <= alpha, for any law on [0, 1]."""
    rng = np.random.default_rng(seed)
    shape = (PATHS, N)
    if kind == "bernoulli":
        paths = bernoulli(rng, mean, shape)
    elif kind == "mixture":
        paths = mixture(rng, mean, shape)
    else:
        paths = rng.beta(60 * mean, 60 * (1 - mean), shape)
    missed = int(ever_excludes(paths, mean, ALPHA).sum())
    assert missed <= upper(ALPHA), f"{kind} {mean}: the CS missed the mean in {missed}/{PATHS} paths"


def test_the_grid_sequence_is_the_capital_process_at_each_grid_point():
    """The reported interval excludes a grid point m exactly from the first n at which m's own
    capital reaches 2/alpha (the exact test at m), and from then on."""
    rng = np.random.default_rng(3)
    paths = mixture(rng, 0.6, (12, 300))
    sequence = ConfidenceSequence(ALPHA)
    points = [0.0, 0.25, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 1.0]
    assert set(points) <= set(sequence.grid.tolist())
    barrier = math.log(2 / ALPHA)
    for path in paths:
        cs = confidence_sequence(path, ALPHA)
        for m in points:
            log_plus, log_minus = log_capital(path, m, ALPHA)
            below = np.maximum.accumulate(log_plus >= barrier)  # m excluded, interval above it
            above = np.maximum.accumulate(log_minus >= barrier)
            np.testing.assert_array_equal(cs.low >= m, below | (m == 0.0))
            np.testing.assert_array_equal(cs.high <= m, above | (m == 1.0))


# --- the gate: Type I error under continuous monitoring -----------------------------------------


def wald_first_exclusion(paths: np.ndarray, threshold: float, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether the per-step 95% Wald interval ever lies below / above `threshold`, checking after
    every judgment from the `start`-th on (before that the standard error means nothing)."""
    n = np.arange(1, paths.shape[1] + 1)
    mean = np.cumsum(paths, axis=1) / n
    variance = (np.cumsum(paths**2, axis=1) - n * mean**2) / np.maximum(n - 1, 1)
    half = Z95 * np.sqrt(np.maximum(variance, 0.0) / n)
    looked = n >= start
    return ((mean + half < threshold) & looked).any(axis=1), ((mean - half > threshold) & looked).any(axis=1)


def test_the_sequential_gate_keeps_its_level_where_the_naive_rule_does_not():
    """At a true win rate exactly on the threshold (0.5), checking after every one of 805
    judgments.

    The gate answers "is the win rate below the threshold?". A "fail" there is a Type I error of
    the fail decision (null: win rate >= threshold; this is its worst case). A "pass" at the
    threshold is the limit of the pass decision's Type I error as the true rate rises to the
    threshold from below (null: win rate < threshold). Each must be at most alpha/2, as each
    one-sided half of the two-sided 95% interval of the full-run gate, and any early decision
    at most alpha.

    The naive rule stops as soon as the per-step 95% Wald interval excludes the threshold. It
    stands in for "recompute the bootstrap interval after every judgment": for a mean of 30+
    bounded values the percentile bootstrap interval is the Wald interval up to O(1/n) (checked
    below at n = 805), and a bootstrap per step for 2,000 x 805 steps would take hours.
    """
    rng = np.random.default_rng(20240805)
    threshold = 0.5
    paths = discrete(rng, threshold, (PATHS, N))
    gate = sequential_gate_paths(paths, threshold, ALPHA)
    wrong_fail = int(np.count_nonzero(gate.failed))
    wrong_pass = int(np.count_nonzero(gate.passed))
    assert wrong_fail <= upper(ALPHA / 2), f"sequential gate: wrong fail in {wrong_fail}/{PATHS}"
    assert wrong_pass <= upper(ALPHA / 2), f"sequential gate: pass in {wrong_pass}/{PATHS}"
    assert wrong_fail + wrong_pass <= upper(ALPHA)

    naive_fail, naive_pass = wald_first_exclusion(paths, threshold, start=30)
    assert int(naive_fail.sum()) > upper(ALPHA), (
        f"naive rule: wrong fail only {int(naive_fail.sum())}/{PATHS}"
    )
    assert int(naive_pass.sum()) > upper(ALPHA)
    assert int((naive_fail | naive_pass).sum()) > upper(2 * ALPHA)

    # The same Wald interval looked at once, at n = 805, is fine: the looks are the problem.
    once_fail, _ = wald_first_exclusion(paths, threshold, start=N)
    assert int(once_fail.sum()) <= upper(ALPHA / 2)

    # The whole gate with its fallback (undecided -> the full-run answer, here the Wald interval
    # at 805 for the bootstrap's) wrongly fails at most alpha/2 + 2.5%, by a union bound.
    combined_fail = gate.failed | (gate.undecided & once_fail)
    assert int(combined_fail.sum()) <= upper(ALPHA / 2 + 0.025)


def test_the_wald_interval_stands_for_the_bootstrap_at_full_size():
    rng = np.random.default_rng(11)
    for path in discrete(rng, 0.5, (5, N)):
        low, high = bootstrap_ci(path, np.random.default_rng(1), 20_000, method="percentile")
        half = Z95 * path.std(ddof=1) / math.sqrt(N)
        assert abs(low - (path.mean() - half)) < 0.003
        assert abs(high - (path.mean() + half)) < 0.003


def test_far_from_the_threshold_the_gate_decides_correctly_on_a_fraction_of_the_prompts():
    rng = np.random.default_rng(7)
    for mean, expected in [(0.75, "passed"), (0.25, "failed")]:
        gate = sequential_gate_paths(discrete(rng, mean, (PATHS, N)), 0.5, ALPHA)
        assert np.count_nonzero(getattr(gate, expected)) >= PATHS - upper(1e-3)
        # Measured: about 30 judgments on average (under 4% of 805); "well under half" is the claim.
        assert gate.n_used.mean() < N / 4, gate.n_used.mean()


# --- the sequence as a data structure ------------------------------------------------------------


def test_updating_one_at_a_time_equals_the_batch_computation():
    rng = np.random.default_rng(5)
    for values in (mixture(rng, 0.58, (1, 500))[0], discrete(rng, 0.3, (1, 300))[0]):
        path = confidence_sequence(values, ALPHA)
        one = ConfidenceSequence(ALPHA)
        lows, highs, means = [], [], []
        for value in values:
            one.update(float(value))
            lows.append(one.low)
            highs.append(one.high)
            means.append(one.mean)
        np.testing.assert_array_equal(lows, path.low)
        np.testing.assert_array_equal(highs, path.high)
        np.testing.assert_allclose(means, path.mean, rtol=1e-12)
        chunked = ConfidenceSequence(ALPHA)
        for start in range(0, values.size, 77):  # chunks that straddle the internal batch size
            chunked.extend(values[start : start + 77])
        assert (chunked.n, chunked.low, chunked.high) == (values.size, path.low[-1], path.high[-1])


def test_bounds_stay_in_the_unit_interval_and_only_ever_shrink():
    rng = np.random.default_rng(6)
    for values in (
        bernoulli(rng, 0.02, (1, N))[0],
        mixture(rng, 0.5, (1, N))[0],
        bernoulli(rng, 0.9, (1, N))[0],
    ):
        path = confidence_sequence(values, ALPHA)
        assert np.all((path.low >= 0.0) & (path.high <= 1.0) & (path.low < path.high))
        assert np.all(np.diff(path.low) >= 0.0)
        assert np.all(np.diff(path.high) <= 0.0)
        assert path.width[-1] < path.width[0]
    empty = ConfidenceSequence(ALPHA)
    assert (empty.n, empty.low, empty.high) == (0, 0.0, 1.0) and math.isnan(empty.mean)


def test_the_interval_follows_the_running_mean_but_is_not_centred_on_it():
    """On i.i.d. data the running mean is inside the interval at nearly every step. It is not an
    invariant: the predictable bets weigh early observations more, and the running intersection
    keeps what early data excluded. A sorted (outcome-dependent) order shows it starkly, and
    is why the gate's order must come from `seeded_order`, not from the data."""
    rng = np.random.default_rng(8)
    inside = total = 0
    for mean in np.linspace(0.15, 0.85, 40):
        path = confidence_sequence(discrete(rng, float(mean), (1, N))[0], ALPHA)
        inside += int(np.count_nonzero((path.low <= path.mean) & (path.mean <= path.high)))
        total += N
    assert inside >= 0.97 * total, inside / total
    ordered = confidence_sequence(np.sort(discrete(rng, 0.5, (1, N))[0]), ALPHA)
    assert not ordered.low[-1] <= ordered.mean[-1] <= ordered.high[-1]


def test_endpoints_are_exact():
    zeros = confidence_sequence(np.zeros(200), ALPHA)
    assert np.all(zeros.low == 0.0)  # mean 0 is never excluded by all-zero data
    assert zeros.high[-1] < 0.05
    ones = confidence_sequence(np.ones(200), ALPHA)
    assert np.all(ones.high == 1.0) and ones.low[-1] > 0.95
    ties = confidence_sequence(np.full(200, 0.5), ALPHA)  # a judge that always ties
    assert ties.low[-1] < 0.5 < ties.high[-1] and ties.width[-1] < 0.1


def test_the_width_rule_stops_at_the_first_narrow_enough_interval():
    rng = np.random.default_rng(9)
    values = discrete(rng, 0.6, (1, N))[0]
    path = confidence_sequence(values, ALPHA)
    stop = width_stop(values, 0.2, ALPHA)
    assert stop.reached and stop.high - stop.low < 0.2
    assert np.all(path.width[: stop.n_used - 1] >= 0.2)
    assert (stop.low, stop.high) == (path.low[stop.n_used - 1], path.high[stop.n_used - 1])
    never = width_stop(values, 0.01, ALPHA)
    assert not never.reached and never.n_used == never.n_total == N


# --- the gate on one sequence --------------------------------------------------------------------


def test_the_gate_agrees_with_the_streaming_sequence_at_every_step():
    """`sequential_gate` (the exact test at the threshold) stops where a streaming
    `ConfidenceSequence` with the threshold on its grid first decides, with the same answer,
    and reports an interval on the side it decided."""
    rng = np.random.default_rng(10)
    for mean in (0.38, 0.45, 0.5, 0.53, 0.6):
        for values in discrete(rng, mean, (8, 400)):
            threshold = 0.5123  # not on the evenly spaced grid: added as a point
            result = sequential_gate(values, threshold, ALPHA)
            stream = ConfidenceSequence(ALPHA, points=[threshold])
            decided = None
            for value in values:
                stream.update(float(value))
                decided = stream.decide(threshold)
                if decided:
                    break
            assert result.decision == decided
            assert result.n_used == stream.n
            if decided == "fail":
                assert result.high <= threshold and result.decided_by == "sequence"
            elif decided == "pass":
                assert result.low >= threshold
            else:
                assert result.decided_by == "undecided" and result.n_used == values.size


def test_undecided_falls_back_to_the_full_run_gate():
    values = np.array([1.0, 0.0] * 150)  # win rate exactly 0.5: never decided early
    result = sequential_gate(values, 0.5, ALPHA, rng=np.random.default_rng(0), n_boot=2000)
    expected, low, high = full_run_gate(values, 0.5, np.random.default_rng(0), 0.95, 2000)
    assert result.decided_by == "full-run" and result.n_used == result.n_total == 300
    assert (result.decision, result.full_run_low, result.full_run_high) == (expected, low, high)
    assert result.decision == "pass"


def test_determinism():
    ids = [f"p{i}" for i in range(805)]
    order = seeded_order(ids, seed=3)
    assert order == seeded_order(ids, seed=3)
    assert sorted(order) == list(range(805)) and order != list(range(805))
    assert order != seeded_order(ids, seed=4)
    # A prompt's place depends on its id, not on how the list was given or what else is in it.
    reversed_ids = ids[::-1]
    assert [reversed_ids[i] for i in seeded_order(reversed_ids, 3)] == [ids[i] for i in order]
    kept = [ids[i] for i in order if ids[i] != "p17"]
    fewer = ids[:17] + ids[18:]
    assert [fewer[i] for i in seeded_order(fewer, 3)] == kept
    values = discrete(np.random.default_rng(1), 0.55, (1, 500))[0]
    first, second = confidence_sequence(values), confidence_sequence(values)
    np.testing.assert_array_equal(first.low, second.low)
    np.testing.assert_array_equal(first.high, second.high)
    assert sequential_gate(values, 0.5, rng=np.random.default_rng(2)) == sequential_gate(
        values, 0.5, rng=np.random.default_rng(2)
    )


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match=r"preferences must lie in \[0, 1\].*1.5 at position 2"):
        confidence_sequence([0.0, 1.0, 1.5])
    with pytest.raises(ValueError, match=r"nan at position 1 \(drop unscored"):
        sequential_gate([0.5, math.nan], 0.5)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        ConfidenceSequence().update(-0.1)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        ConfidenceSequence().extend([0.5, 2.0])
    with pytest.raises(ValueError, match=r"position 3"):
        sequential_gate_paths([[0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 7.0]], 0.5)
    with pytest.raises(ValueError, match="no preferences"):
        confidence_sequence([])
    with pytest.raises(ValueError, match="alpha must be between 0 and 1"):
        ConfidenceSequence(alpha=1.0)
    with pytest.raises(ValueError, match="threshold must lie in"):
        sequential_gate([0.5], threshold=1.2)
    with pytest.raises(ValueError, match="width must be positive"):
        width_stop([0.5], 0.0)
    with pytest.raises(ValueError, match="unique"):
        seeded_order(["a", "a"], 0)


def test_805_updates_on_a_2001_point_grid_are_fast():
    values = discrete(np.random.default_rng(12), 0.5, (1, N))[0]
    best = math.inf
    for _ in range(3):
        sequence = ConfidenceSequence(ALPHA)
        started = time.perf_counter()
        for value in values:
            sequence.update(float(value))
        best = min(best, time.perf_counter() - started)
    assert best < 0.5, f"{best:.3f} s for 805 updates (target: well under 0.05 s on an idle core)"


# --- real GPT-4 verdicts --------------------------------------------------------------------------


def test_a_real_annotation_file_is_decided_early_and_the_same_as_the_full_run():
    """alpaca-7b against text-davinci-003, judged by GPT-4 (AlpacaEval's published win rate
    26.5%): the gate must fail it, as the full run does, on at most half of the 805 prompts."""
    folder = data_dir()
    assert folder is not None, "no data folder: set ALPACA_BENCH_DATA_DIR (see tests/conftest.py)"
    path = folder / "alpaca-eval" / "annotations" / "alpaca_eval_gpt4" / "alpaca-7b.json"
    assert path.is_file(), f"{path} is missing: the replay test needs the shared AlpacaEval data"
    ids, preferences = per_prompt_preferences(read_annotations(path).judgments)
    assert len(ids) == 805 and abs(preferences.mean() - 0.26459627329192543) < 1e-12
    full, _, high = full_run_gate(preferences, 0.5, np.random.default_rng(0))
    assert full == "fail" and high < 0.5
    for seed in range(5):
        ordered = preferences[seeded_order(ids, seed)]
        result = sequential_gate(ordered, 0.5, ALPHA, rng=np.random.default_rng(seed))
        assert result.decision == full and result.decided_by == "sequence"
        assert result.n_used <= N // 2, result
        assert result.high <= 0.5
