"""How a comparison summary is shown: a rich report for people, one JSON object for machines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..health import counts_text, truncation_text
from ..records import ComparisonSummary


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
    _print_categories(console, summary)
    for warning in summary.warnings:
        console.print(f"[yellow]warning: {escape(warning)}[/yellow]")
    console.print(f"{calls_text(summary)} · wall {summary.wall_s:.1f} s → {run_dir}")


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
