"""How large a difference a comparison of n prompts can see.

Both functions use the normal approximation to a two-sided test of "win rate = 50%" on the mean
per-prompt preference. Unless told the spread `sd` of the per-prompt preferences they assume
0.5, the largest it can be (every prompt a clean win or loss at even odds); ties and
fractional preferences only shrink it, so the default figures are conservative.
"""

from __future__ import annotations

import math

from scipy.special import ndtr, ndtri

WORST_CASE_SD = 0.5


def minimum_detectable_effect(
    n: int, alpha: float = 0.05, power: float = 0.8, sd: float | None = None
) -> float:
    """Smallest |win rate − 0.5| that a two-sided level-`alpha` test on n prompts detects with
    probability `power` (the small chance of rejecting on the wrong side is ignored)."""
    _check(n, alpha)
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be between 0 and 1, got {power}")
    spread = _spread(sd)
    return float((ndtri(1.0 - alpha / 2.0) + ndtri(power)) * spread / math.sqrt(n))


def power(n: int, effect: float, alpha: float = 0.05, sd: float | None = None) -> float:
    """Probability that a two-sided level-`alpha` test on n prompts rejects "win rate = 0.5"
    when the true win rate is 0.5 + `effect`."""
    _check(n, alpha)
    spread = _spread(sd)
    if spread == 0.0:
        return 1.0 if effect != 0.0 else alpha
    shift = abs(effect) * math.sqrt(n) / spread
    critical = ndtri(1.0 - alpha / 2.0)
    return float(ndtr(shift - critical) + ndtr(-shift - critical))


def _spread(sd: float | None) -> float:
    if sd is None:
        return WORST_CASE_SD
    if not sd >= 0.0:
        raise ValueError(f"sd must be non-negative, got {sd}")
    return sd


def _check(n: int, alpha: float) -> None:
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
