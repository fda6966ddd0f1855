"""The CI regression gate: fail when the candidate is significantly worse than the baseline.

In `significance` mode (the default) a run fails only when the upper end of the candidate's
win-rate confidence interval is below `min_win_rate - margin`, so noise alone rarely fails a
build. With `sequential`, prompts are judged in a seeded order and judging stops as soon as an
anytime-valid confidence sequence lies wholly below the threshold (fail) or at or above it
(pass); a run the sequence never decides is gated on all its prompts as usual. `point` mode
compares the point estimate instead (stricter, noisier). Either way the
result says how large a regression this many prompts can detect, because a gate that cannot
see a 10-point drop should say so rather than pass quietly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .comparison import CompareSettings, compare
from .errors import InputError
from .records import ComparisonSummary
from .settings import GateSettings
from .stats import minimum_detectable_effect
from .store import open_run
from .summary import summarize_run

SMALL_RUN_EFFECT = 0.10  # with margin 0, warn when only drops larger than this are detectable


@dataclass(frozen=True)
class GateResult:
    regressed: bool
    settings: GateSettings
    summary: ComparisonSummary
    min_detectable_effect: float | None
    warning: str | None
    run_dir: Path
    decided_by: str = "interval"  # "sequence": the confidence sequence decided before the end

    @property
    def verdict(self) -> str:
        return "fail" if self.regressed else "pass"


def decide(summary: ComparisonSummary, settings: GateSettings, run_dir: Path) -> GateResult:
    """Pure decision on a summary whose interval was computed at `settings.confidence`."""
    if summary.win_rate is None or summary.ci is None:
        raise InputError("the run has no scored judgments; the gate cannot decide", run_dir)
    value = summary.ci.high if settings.mode == "significance" else summary.win_rate
    mde = minimum_detectable_effect(summary.n, alpha=1.0 - settings.confidence) if summary.n > 1 else None
    return GateResult(
        bool(value < settings.threshold), settings, summary, mde, _warning(summary.n, mde, settings), run_dir
    )


def _warning(n: int, mde: float | None, settings: GateSettings) -> str | None:
    wanted = settings.margin if settings.margin > 0 else SMALL_RUN_EFFECT
    if mde is None:
        return f"only {n} scored prompt(s): the gate cannot detect any regression"
    if mde > wanted:
        return (
            f"{n} prompts are too few to detect a regression of {wanted:.0%}: at 80% power this run detects "
            f"only drops of about {mde:.0%} or more; use more prompts"
        )
    return None


def gate_run(
    run_dir: Path, settings: GateSettings, n_boot: int = 10_000, seed: int = 0, exclude_flagged: bool = False
) -> GateResult:
    """Gate an existing comparison run folder."""
    run = open_run(run_dir)
    summary = summarize_run(
        run, n_boot=n_boot, seed=seed, level=settings.confidence, exclude_flagged=exclude_flagged
    )
    return decide(summary, settings, run.path)


def gate_compare(
    baseline: str, candidate: str, compare_settings: CompareSettings, settings: GateSettings
) -> GateResult:
    """Run (or reuse) the comparison, then gate it (stopping once decided with `sequential`)."""
    if settings.sequential:
        compare_settings = replace(compare_settings, stop=settings.stop_rule())
    result = compare(baseline, candidate, compare_settings)
    stop = result.summary.sequential
    if settings.sequential and stop is not None and stop.decision in ("above", "below"):
        mde = minimum_detectable_effect(result.summary.n, alpha=1.0 - settings.confidence)
        return GateResult(
            stop.decision == "below",
            settings,
            result.summary,
            mde if result.summary.n > 1 else None,
            None,
            result.run_dir,
            decided_by="sequence",
        )
    gated = gate_run(
        result.run_dir,
        settings,
        compare_settings.n_boot,
        compare_settings.seed,
        compare_settings.exclude_flagged,
    )
    if stop is None:
        return gated
    # the sequence ran to the end undecided: gated on every prompt, and the report says so
    return replace(gated, summary=gated.summary.model_copy(update={"sequential": stop}))
