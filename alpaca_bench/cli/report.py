"""How a comparison summary is shown: a rich report for people, one JSON object for machines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..health import counts_text, truncation_text
from ..records import ComparisonSummary, SequentialStop

if TYPE_CHECKING:
    from ..planning import CallPlan


def summary_json(summary: ComparisonSummary, run_dir: Path) -> dict[str, Any]:
    """The flat JSON `compare --json` prints: the documented fields first, details after."""
    flat: dict[str, Any] = {
        "baseline": summary.baseline,
        "candidate": summary.candidate,
        "eval_set": summary.eval_set,
        "judge": summary.judge,
        "n": summary.n,
        "wins": summary.wins,
        "losses": summary.losses,
        "ties": summary.ties,
        "unscored": summary.unscored,
        "win_rate": summary.win_rate,
        "discrete_win_rate": summary.discrete_win_rate,
        "ci_low": summary.ci.low if summary.ci else None,
        "ci_high": summary.ci.high if summary.ci else None,
        "standard_error": summary.standard_error,
        "p_value": summary.p_value,
        "position_consistency": summary.position_consistency,
        "truncated_baseline": summary.truncated_baseline,
        "truncated_candidate": summary.truncated_candidate,
        "warnings": summary.warnings,
        "judge_calls": summary.judge_calls,
        "cost_usd": summary.cost_usd,
        "wall_s": summary.wall_s,
        "output_dir": str(run_dir),
    }
    details = summary.model_dump(mode="json", exclude=set(flat) | {"ci"})
    return {**flat, "ci_method": summary.ci.method if summary.ci else None, **details}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def print_summary(console: Console, summary: ComparisonSummary, run_dir: Path) -> None:
    console.print(
        f"[bold]{escape(summary.candidate)}[/bold] (candidate) vs [bold]{escape(summary.baseline)}[/bold] "
        f"(baseline) on {escape(summary.eval_set)}, judged by {escape(summary.judge)}"
    )
    if summary.win_rate is None or summary.ci is None:
        console.print("[yellow]no scored judgments: no win rate[/yellow]")
    else:
        console.print(
            f"candidate win rate [bold]{_pct(summary.win_rate)}[/bold]  "
            f"{int(summary.ci.level * 100)}% CI {_pct(summary.ci.low)} – {_pct(summary.ci.high)} "
            f"({summary.ci.method}, {summary.n_boot:,} resamples)  "
            f"SE {_pct(summary.standard_error)}  sign test p = {summary.p_value:.3g}"
        )
    counts = counts_text(
        summary.n, summary.wins, summary.losses, summary.ties, summary.win_rate, summary.discrete_win_rate
    )
    console.print(
        escape(counts)
        + (f" · [red]{summary.unscored} unscored[/red]" if summary.unscored else " · 0 unscored")
    )
    if summary.position_consistency is not None:
        console.print(f"position consistency (both orders agree): {_pct(summary.position_consistency)}")
    if summary.min_detectable_effect is not None:
        console.print(
            f"smallest difference this n can detect (80% power): ±{_pct(summary.min_detectable_effect)}"
        )
    if summary.avg_length_baseline is not None and summary.avg_length_candidate is not None:
        console.print(
            f"mean output length: baseline {summary.avg_length_baseline:.0f} chars, "
            f"candidate {summary.avg_length_candidate:.0f} chars"
        )
    console.print(truncation_text(summary))
    if summary.flagged_baseline or summary.flagged_candidate:
        excluded = " (excluded)" if summary.excluded_flagged else ""
        console.print(
            f"[yellow]flagged outputs: baseline {summary.flagged_baseline}, "
            f"candidate {summary.flagged_candidate}{excluded}[/yellow]"
        )
    if summary.sequential is not None:
        console.print(_stopped_text(summary.sequential))
        console.print(sequence_note(summary.sequential))
    _print_categories(console, summary)
    for warning in summary.warnings:
        console.print(f"[yellow]warning: {escape(warning)}[/yellow]")
    console.print(f"{calls_text(summary)} · wall {summary.wall_s:.1f} s → {run_dir}")


def _stopped_text(stop: SequentialStop) -> str:
    level = f"{1 - stop.alpha:.0%}"
    reached = {
        "above": f"lies at or above {_pct(stop.threshold)}",
        "below": f"lies below {_pct(stop.threshold)}",
        "narrow": f"is narrower than {_pct(stop.width)}",
        None: "never decided",
    }[stop.decision]
    return (
        f"stopped when decided: {stop.n_judged} of {stop.n_available} prompts judged; "
        f"{level} confidence sequence {_pct(stop.low)} – {_pct(stop.high)} {reached}"
    )


def sequence_note(stop: SequentialStop) -> str:
    """What a reader must know about an early stop, and what it saved."""
    cost = (
        f"; judging every prompt would have cost about ${stop.full_run_cost_usd:.4f}"
        if stop.full_run_cost_usd is not None
        else ""
    )
    return (
        "the confidence sequence stays valid however often it is checked; the bootstrap CI above is "
        f"not valid after a data-dependent stop, so read the sequence{cost}"
    )


def calls_text(summary: ComparisonSummary) -> str:
    """This invocation's calls in one line, then what the stored judgments cost in all."""
    c = summary.calls
    sent = f"judge calls sent {c.sent}"
    extra = [
        f"{n} {label}"
        for n, label in ((c.retries, "retries"), (c.hedges, "hedged"), (c.abandoned, "abandoned"))
        if n
    ]
    if extra:
        sent += f" ({', '.join(extra)})"
    return (
        f"{sent} · {c.answers} answers, {c.used} used · {c.cache_hits} cache hits · "
        f"cost ${c.cost_usd:.4f} this run, ${summary.cost_usd:.4f} for all {summary.n_judgments} judgments"
    )


def _print_categories(console: Console, summary: ComparisonSummary, limit: int = 12) -> None:
    if len(summary.per_category) < 2:
        return
    table = Table("category", "n", "win rate", title="by category", title_justify="left")
    for name, row in list(summary.per_category.items())[:limit]:
        table.add_row(name, f"{row['n']:.0f}", _pct(row["win_rate"]))
    if len(summary.per_category) > limit:
        table.add_row(f"… {len(summary.per_category) - limit} more", "", "")
    console.print(table)


def plan_json(plans: Sequence[CallPlan]) -> dict[str, Any]:
    return {
        "dry_run": True,
        "calls": sum(p.calls for p in plans),
        "cost_usd": sum(p.cost_usd for p in plans),
        "batch_cost_usd": sum(
            p.batch_cost_usd if p.batch_cost_usd is not None else p.cost_usd for p in plans
        ),
        "estimated": any(p.estimated for p in plans),
        "stages": [p.to_dict() for p in plans],
    }


def print_plan(console: Console, plans: Sequence[CallPlan], command: str) -> None:
    """The dry run's table: calls after the cache, tokens, cost at the sync and batch price."""
    table = Table(
        "stage", "calls", "cached", "prompt tokens", "output tokens (at most)", "cost", "batch cost",
        title=f"dry run: what {command} would call now (nothing was called)", title_justify="left",
    )  # fmt: skip
    for p in plans:
        batch = "–" if p.batch_cost_usd is None else f"${p.batch_cost_usd:.4f}"
        cost = "free" if p.free else f"${p.cost_usd:.4f}"
        counts = (f"{p.calls:,}", f"{p.cached:,}", f"{p.prompt_tokens:,}", f"{p.completion_tokens:,}")
        table.add_row(
            escape(p.stage), *counts, cost, "free" if p.free and p.batch_cost_usd is not None else batch
        )
    total = plan_json(plans)
    table.add_row(
        "total",
        f"{total['calls']:,}",
        "",
        "",
        "",
        f"${total['cost_usd']:.4f}",
        f"${total['batch_cost_usd']:.4f}",
    )
    console.print(table)
    console.print(f"{total['calls']} calls would be made")
    if total["estimated"]:
        console.print(
            "[yellow]some outputs are not generated yet: their judge calls are counted with placeholder "
            "outputs of --max-new-tokens (an upper bound on tokens; identical outputs would need no "
            "call)[/yellow]"
        )
