"""What `compare`, `judge` and `gate` can be told: `CompareSettings`, composed of its parts'
settings, and `GateSettings`, the gate's question.

It lives apart from the comparison machinery (statistics, scipy) so that the CLI can quote its
defaults in `--help` without loading that machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .errors import InputError
from .evalsets import EvalSet
from .judges import DEFAULT_JUDGE, JudgeOptions
from .models._base import BackendOptions
from .paths import DEFAULT_RESULTS
from .records import GenerationConfig


@dataclass(frozen=True)
class StopRule:
    """When a comparison stops judging early (`compare --stop-when-decided`, `gate --sequential`).

    Prompts are judged in a seeded order and, after each prompt, an anytime-valid confidence
    sequence for the win rate (`stats.ConfidenceSequence`, level 1 − `alpha`) is updated. Judging
    stops as soon as the sequence lies wholly above or below `threshold` or, when `width` is set,
    as soon as it is narrower than `width`. A sequence stays valid however often it is looked
    at, which the bootstrap interval does not after a data-dependent stop."""

    threshold: float = 0.5
    width: float | None = None
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise InputError(f"the confidence must be between 0 and 1 (alpha {self.alpha})")
        if not 0.0 <= self.threshold <= 1.0:
            raise InputError(f"the threshold must be in [0, 1], got {self.threshold}")
        if self.width is not None and not 0.0 < self.width <= 1.0:
            raise InputError(f"--ci-width must be in (0, 1], got {self.width}")


@dataclass
class CompareSettings:
    """Everything `compare` can be told, composed of the settings of its parts.

    `generation` and `backend` are for the two models; `judge_options` holds the judge's settings,
    including its own model's backend settings (`judge_options.backend`). Each default is defined
    once, in the class that owns the field. `use_cache=False` turns off the call cache for the whole
    run, the judge's included.
    """

    eval_set: str | EvalSet = "self-instruct"
    limit: int | None = None
    judge: str = DEFAULT_JUDGE
    judge_options: JudgeOptions = field(default_factory=JudgeOptions)
    both_orders: bool = False
    seed: int = 0
    n_boot: int = 10_000
    output_dir: Path = DEFAULT_RESULTS
    max_unscored_frac: float = 0.05
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    backend: BackendOptions = field(default_factory=BackendOptions)
    baseline_name: str | None = None
    candidate_name: str | None = None
    exclude_flagged: bool = False
    use_cache: bool = True
    show_progress: bool = True
    stop: StopRule | None = None  # None: judge every prompt


@dataclass
class GradeSettings:
    """Everything `grade` can be told: the model's generation and backend settings, the grader
    (a judge spec with a grade template, `judge_options.template`, default single-10), and how
    the mean scores are summarised. Defaults are those of the classes composed here."""

    eval_set: str | EvalSet = "mt-bench"
    limit: int | None = None
    judge: str = DEFAULT_JUDGE
    judge_options: JudgeOptions = field(default_factory=JudgeOptions)
    seed: int = 0
    n_boot: int = 10_000
    level: float = 0.95
    output_dir: Path = DEFAULT_RESULTS
    max_unscored_frac: float = 0.05
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    backend: BackendOptions = field(default_factory=BackendOptions)
    model_name: str | None = None
    use_cache: bool = True
    show_progress: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.level < 1.0:
            raise InputError(f"--level must be between 0 and 1, got {self.level}")
        if self.n_boot < 0:
            raise InputError(f"--n-boot must be at least 0, got {self.n_boot}")


@dataclass(frozen=True)
class ArenaSettings:
    """How `arena` scores comparisons against one baseline (Arena-Hard's defaults): a strong
    verdict weighs `strong_weight` (1: no weighting), intervals are `level` from `n_boot`
    resamples of prompts, and style control is reported beside the raw score."""

    strong_weight: float = 3.0
    style_control: bool = True
    n_boot: int = 100
    level: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.level < 1.0:
            raise InputError(f"--level must be between 0 and 1, got {self.level}")
        if not self.strong_weight > 0:
            raise InputError(f"--strong-weight must be positive, got {self.strong_weight}")


GateMode = Literal["significance", "point"]


@dataclass(frozen=True)
class GateSettings:
    min_win_rate: float = 0.5
    margin: float = 0.0
    confidence: float = 0.95
    mode: GateMode = "significance"
    sequential: bool = False  # stop judging as soon as a confidence sequence decides (StopRule)

    def __post_init__(self) -> None:
        if not 0.0 < self.confidence < 1.0:
            raise InputError(f"--confidence must be between 0 and 1, got {self.confidence}")
        if not 0.0 <= self.min_win_rate <= 1.0 or self.margin < 0:
            raise InputError("--min-win-rate must be in [0, 1] and --margin at least 0")

    @property
    def threshold(self) -> float:
        return self.min_win_rate - self.margin

    def stop_rule(self) -> StopRule:
        """The rule `--sequential` judges under: the gate's threshold, at its confidence."""
        return StopRule(threshold=self.threshold, alpha=1.0 - self.confidence)
