"""The summary of a comparison run, computed from what is on disk.

`compare` writes it at the end of a run; `stats`, `gate` and the leaderboard recompute it the
same way, so a number never depends on which command printed it. Only judgments of the exact
outputs the run now holds count (older judgments of since-changed outputs stay in the file
but are ignored). The summary also counts the outputs cut at the token limit and carries the
warnings of `alpaca_bench.health`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from .errors import AlpacaBenchError
from .evalsets import EvalSet
from .health import with_warnings
from .provenance import package_versions
from .records import HUMAN, ComparisonSummary, Generation, Interval
from .scan import scan_outputs
from .stats import per_prompt_preferences, position_consistency_of, summarize
from .store import RunFolder, RunManifest

logger = logging.getLogger(__name__)


def _eval_set_for(manifest: RunManifest) -> EvalSet | None:
    try:
        return manifest.load_eval_set()
    except AlpacaBenchError:
        logger.warning("eval set %r not found; the summary has no per-category table", manifest.eval_set)
        return None


def _per_category(ids: list[str], prefs: np.ndarray, eval_set: EvalSet | None) -> dict[str, dict[str, float]]:
    if eval_set is None:
        return {}
    groups: dict[str, list[float]] = defaultdict(list)
    for pid, pref in zip(ids, prefs.tolist(), strict=True):
        prompt = eval_set.get(pid)
        groups[(prompt.category if prompt else None) or "(none)"].append(pref)
    return {
        name: {"n": float(len(values)), "win_rate": float(np.mean(values))}
        for name, values in sorted(groups.items(), key=lambda kv: -len(kv[1]))
    }


def _mean_length(outputs: dict[str, Generation], ids: Sequence[str]) -> float | None:
    lengths = [outputs[i].length for i in ids if i in outputs]
    return float(np.mean(lengths)) if lengths else None


def truncation_counts(outputs: dict[str, Generation], ids: Sequence[str]) -> tuple[int, int]:
    """(outputs that stopped at the token limit, outputs whose finish reason is known) of `ids`."""
    reasons = [outputs[i].finish_reason for i in ids if i in outputs]
    return sum(r == "length" for r in reasons), sum(r is not None for r in reasons)


def token_limit(sides: Sequence[dict[str, Generation]], ids: Sequence[str]) -> int | None:
    """The `max_new_tokens` the outputs with a known finish reason were generated under, when
    they share one."""
    limits = {
        outputs[i].generation_config.get("max_new_tokens")
        for outputs in sides
        for i in ids
        if i in outputs and outputs[i].finish_reason is not None
    }
    limit = limits.pop() if len(limits) == 1 else None
    return limit if isinstance(limit, int) else None


def summarize_run(
    run: RunFolder,
    *,
    eval_set: EvalSet | None = None,
    judge_name: str | None = None,
    n_boot: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
    exclude_flagged: bool = False,
    wall_s: float = 0.0,
) -> ComparisonSummary:
    manifest = run.manifest()
    judge = judge_name or manifest.judge.name
    outputs_b, outputs_c = run.outputs(manifest.baseline), run.outputs(manifest.candidate)
    judgments = run.current_judgments(judge, sides=(outputs_b, outputs_c))
    human = judge == HUMAN
    flagged = {
        side: set(scan_outputs({pid: g.text for pid, g in outputs.items()}).flagged)
        for side, outputs in (("baseline", outputs_b), ("candidate", outputs_c))
    }
    flagged_ids = flagged["baseline"] | flagged["candidate"]
    counted = [j for j in judgments if not (exclude_flagged and j.prompt_id in flagged_ids)]
    unscored = [j for j in counted if j.preference is None]
    ids, prefs = per_prompt_preferences(counted)
    stats = summarize(prefs, np.random.default_rng(seed), n_boot=n_boot, level=level) if len(prefs) else None
    judged_ids = sorted({j.prompt_id for j in counted})
    truncated_b, known_b = truncation_counts(outputs_b, judged_ids)
    truncated_c, known_c = truncation_counts(outputs_c, judged_ids)
    summary = ComparisonSummary(
        baseline=manifest.baseline.name,
        candidate=manifest.candidate.name,
        eval_set=manifest.eval_set,
        judge=judge,
        n=len(ids),
        n_prompts=len(judged_ids),
        n_judgments=len(counted),
        wins=stats.wins if stats else 0,
        losses=stats.losses if stats else 0,
        ties=stats.ties if stats else 0,
        unscored=len(unscored),
        unscored_prompts=sorted({j.prompt_id for j in unscored}),
        win_rate=stats.win_rate if stats else None,
        discrete_win_rate=stats.discrete_win_rate if stats else None,
        ci=Interval(level=level, method=stats.ci_method, low=stats.ci_low, high=stats.ci_high)
        if stats
        else None,
        ci_percentile=(
            Interval(level=level, method="percentile", low=stats.percentile_low, high=stats.percentile_high)
            if stats
            else None
        ),
        n_boot=n_boot,
        standard_error=stats.standard_error if stats else None,
        p_value=stats.p_value if stats else None,
        min_detectable_effect=stats.min_detectable_effect if stats else None,
        position_consistency=position_consistency_of(counted) if manifest.both_orders and not human else None,
        avg_length_baseline=_mean_length(outputs_b, judged_ids),
        avg_length_candidate=_mean_length(outputs_c, judged_ids),
        truncated_baseline=truncated_b,
        truncated_candidate=truncated_c,
        finish_known_baseline=known_b,
        finish_known_candidate=known_c,
        max_new_tokens=token_limit((outputs_b, outputs_c), judged_ids),
        flagged_baseline=len(flagged["baseline"]),
        flagged_candidate=len(flagged["candidate"]),
        flagged_prompts=sorted(flagged_ids),
        excluded_flagged=exclude_flagged,
        per_category=_per_category(ids, prefs, eval_set or _eval_set_for(manifest)),
        judge_calls_total=sum(j.calls for j in counted),
        cost_usd=float(sum(j.cost_usd for j in counted)),
        wall_s=wall_s,
        seed=seed,
        versions=package_versions(),
    )
    return with_warnings(summary)
