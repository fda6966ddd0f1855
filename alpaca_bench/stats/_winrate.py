"""Win rates of a candidate over a baseline, with the uncertainty a user needs to act on them.

Input everywhere is one candidate-centric preference per prompt in [0, 1] (tie = 0.5). Prompts,
not judgments, are the unit: several judgments of one prompt (both orders, several raters) are
averaged first, otherwise a prompt judged twice would count twice and the standard error would
be too small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri
from scipy.stats import binomtest

from ..records import Judgment
from ._bootstrap import CI_METHODS, CIMethod, bca_interval, bootstrap_means, percentile_interval
from ._sample_size import minimum_detectable_effect


def per_prompt_preferences(judgments: Iterable[Judgment]) -> tuple[list[str], NDArray[np.float64]]:
    """Sorted prompt ids and the mean preference of each; unscored judgments are left out.

    All judgments must compare the same baseline with the same candidate. Vectorised (one
    bincount, not a mean per prompt) because the leaderboard calls it on every comparison.
    """
    prompt_ids: list[str] = []
    preferences: list[float] = []
    pairs: set[tuple[str, str]] = set()
    for judgment in judgments:
        pairs.add((judgment.baseline, judgment.candidate))
        if judgment.preference is not None:
            prompt_ids.append(judgment.prompt_id)
            preferences.append(judgment.preference)
    if len(pairs) > 1:
        shown = ", ".join(f"{b} vs {c}" for b, c in sorted(pairs))
        raise ValueError(f"judgments of several comparisons ({shown}); summarize one at a time")
    if not prompt_ids:
        return [], np.zeros(0, dtype=np.float64)
    ids, inverse = np.unique(np.array(prompt_ids), return_inverse=True)
    sums = np.bincount(inverse, weights=np.array(preferences, dtype=np.float64), minlength=ids.size)
    means: NDArray[np.float64] = sums / np.bincount(inverse, minlength=ids.size)
    return [str(i) for i in ids], means


def outcome_counts(preferences: ArrayLike) -> tuple[int, int, int]:
    """(wins, losses, ties): a preference above 0.5 is a win, below a loss, exactly 0.5 a tie.

    Fractional preferences (a logprob-weighted judge) count by the side they lean to, which is
    how AlpacaEval counts `n_wins` for its weighted judges.
    """
    values = _preferences(preferences)
    return (
        int(np.count_nonzero(values > 0.5)),
        int(np.count_nonzero(values < 0.5)),
        int(np.count_nonzero(values == 0.5)),
    )


def discrete_win_rate(preferences: ArrayLike) -> float:
    """Each preference rounded to a win or a loss; exact ties stay half."""
    wins, _, ties = outcome_counts(preferences)
    return (wins + 0.5 * ties) / _preferences(preferences).size


def standard_error(preferences: ArrayLike) -> float:
    """Standard error of the mean preference with the N−1 sample deviation (NaN for one prompt)."""
    values = _preferences(preferences)
    if values.size < 2:
        return math.nan
    return float(values.std(ddof=1) / math.sqrt(values.size))


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test of "no preference" on the non-tied prompts."""
    if wins + losses == 0:
        return 1.0
    return float(binomtest(wins, wins + losses, 0.5).pvalue)


def wilson_interval(successes: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion; `successes` may count ties as halves."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0.0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    z = float(ndtri(1.0 - (1.0 - level) / 2.0))
    share = successes / n
    denominator = 1.0 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1.0 - share) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PreferenceSummary:
    """Everything a comparison reports about its per-prompt preferences.

    `ci_low`/`ci_high` are the interval of `ci_method`; both bootstrap intervals come from the
    same resamples and are always reported. `wilson_*` is the Wilson interval of the discrete
    win rate. Rates are fractions in [0, 1].
    """

    n: int
    wins: int
    losses: int
    ties: int
    win_rate: float
    discrete_win_rate: float
    standard_error: float
    ci_low: float
    ci_high: float
    ci_method: str
    ci_level: float
    n_boot: int
    percentile_low: float
    percentile_high: float
    bca_low: float
    bca_high: float
    wilson_low: float
    wilson_high: float
    p_value: float
    min_detectable_effect: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN (undefined, e.g. a standard error from one prompt) becomes None."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def summarize(
    preferences: ArrayLike,
    rng: np.random.Generator,
    n_boot: int = 10_000,
    level: float = 0.95,
    method: CIMethod = "bca",
) -> PreferenceSummary:
    """Win rate, counts, standard error, bootstrap intervals, sign test and detectable effect.

    `n_boot=0` skips the bootstrap (the intervals are NaN). The minimum detectable effect is for
    a two-sided test at alpha 0.05 with power 0.8 at this n, assuming the worst-case spread
    (see `sample_size.minimum_detectable_effect`).
    """
    if method not in CI_METHODS:
        raise ValueError(f"unknown interval method {method!r}; expected one of {', '.join(CI_METHODS)}")
    values = _preferences(preferences)
    wins, losses, ties = outcome_counts(values)
    n = values.size
    percentile = bca = (math.nan, math.nan)
    if n_boot > 0:
        boot = bootstrap_means(values, rng, n_boot)
        percentile = percentile_interval(boot, level)
        bca = bca_interval(values, boot, level)
    chosen = bca if method == "bca" else percentile
    wilson = wilson_interval(wins + 0.5 * ties, n, level)
    return PreferenceSummary(
        n=n,
        wins=wins,
        losses=losses,
        ties=ties,
        win_rate=float(values.mean()),
        discrete_win_rate=(wins + 0.5 * ties) / n,
        standard_error=standard_error(values),
        ci_low=chosen[0],
        ci_high=chosen[1],
        ci_method=method,
        ci_level=level,
        n_boot=n_boot,
        percentile_low=percentile[0],
        percentile_high=percentile[1],
        bca_low=bca[0],
        bca_high=bca[1],
        wilson_low=wilson[0],
        wilson_high=wilson[1],
        p_value=sign_test(wins, losses),
        min_detectable_effect=minimum_detectable_effect(n),
    )


def _preferences(preferences: ArrayLike) -> NDArray[np.float64]:
    values = np.asarray(preferences, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("no scored preferences")
    if not np.all((values >= 0.0) & (values <= 1.0)):
        raise ValueError("preferences must lie in [0, 1] (candidate-centric, tie = 0.5)")
    return values
