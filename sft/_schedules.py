"""Learning-rate schedules: a multiplier of the peak rate for each optimizer step.

Pure functions keyed by name, so the recipe names one and the scheduler's state is nothing but
the step count (which is what makes `--resume` exact).
"""

from __future__ import annotations

import math
from collections.abc import Callable

Schedule = Callable[[int, int, int], float]


def _warmup(step: int, warmup_steps: int) -> float | None:
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return None


def cosine(step: int, total_steps: int, warmup_steps: int) -> float:
    """Linear warmup, then half a cosine from the peak down to zero at the last step."""
    warm = _warmup(step, warmup_steps)
    if warm is not None:
        return warm
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def linear(step: int, total_steps: int, warmup_steps: int) -> float:
    warm = _warmup(step, warmup_steps)
    if warm is not None:
        return warm
    decay_steps = max(1, total_steps - warmup_steps)
    return max(0.0, 1.0 - (step - warmup_steps) / decay_steps)


def constant(step: int, total_steps: int, warmup_steps: int) -> float:
    warm = _warmup(step, warmup_steps)
    return 1.0 if warm is None else warm


SCHEDULES: dict[str, Schedule] = {"cosine": cosine, "linear": linear, "constant": constant}


def warmup_steps_for(total_steps: int, warmup_ratio: float) -> int:
    return math.ceil(total_steps * warmup_ratio)
