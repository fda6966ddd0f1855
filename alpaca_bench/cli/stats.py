"""`alpaca-bench stats PATH`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from ..health import comparison_warnings
from .options import examples, positive_int, print_json, seed_value, stdout


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stats",
        epilog=examples(
            "alpaca-bench stats results/self-instruct/a__vs__b/rouge",
            "alpaca-bench stats annotations.json --format alpaca-eval --json",
        ),
        help="win rates with confidence intervals from judgments or AlpacaEval annotations",
        description="Win rate, standard error, bootstrap confidence interval, sign test and (optionally) "
        "length-controlled win rate of each comparison at PATH: a run folder, a judgments .jsonl file, "
        "an AlpacaEval annotations .json file, or a folder of any of these (one row per comparison; "
        "length-control difficulties are then estimated across all comparisons that share a judge "
        "and baseline).",
    )
    parser.add_argument(
        "path", metavar="PATH", type=Path, help="run folder, judgments file, annotations file or folder"
    )
    parser.add_argument(
        "--format",
        dest="source_format",
        choices=["auto", "alpaca-bench", "alpaca-eval"],
        default="auto",
        help="how to read PATH (default auto: run folders and .jsonl are alpaca-bench, .json rows with "
        "output_1/output_2/preference are AlpacaEval annotations)",
    )
    parser.add_argument(
        "--judge", metavar="NAME", help="only judgments by this judge (AlpacaEval: annotator)"
    )
    parser.add_argument(
        "--length-controlled", action="store_true", help="also report the length-controlled win rate"
    )
    parser.add_argument(
        "--n-boot", type=positive_int, default=10_000, help="bootstrap resamples (default 10000)"
    )
    parser.add_argument("--seed", type=seed_value, default=0, help="bootstrap seed (default 0)")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON: one object for a single comparison, a list for a folder or several",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..judgment_sources import stats_for_path

    rows = stats_for_path(
        args.path,
        source_format=args.source_format,
        judge=args.judge,
        length_controlled=args.length_controlled,
        n_boot=args.n_boot,
        seed=args.seed,
    )
    payload = [row.to_dict() for row in rows]
    for item in payload:
        item["warnings"] = _warnings(item)
    if args.json:
        one_input = args.path.is_file() or (args.path / "manifest.json").is_file()
        print_json(payload[0] if one_input and len(payload) == 1 else payload)
        return 0
    console = stdout()
    table = _table(payload, args.length_controlled)
    if not console.is_terminal:  # piped or redirected: no screen to fit, so never cut a figure
        wide = console.options.update_width(10_000)
        console.width = max(console.width, console.measure(table, options=wide).maximum)
    console.print(table)
    for row in payload:
        who = f"{row['model']} vs {row['baseline']} ({row['judge']})" if len(payload) > 1 else ""
        for warning in row["warnings"]:
            console.print(f"[yellow]warning: {escape(who + ': ' if who else '')}{escape(warning)}[/yellow]")
    return 0


def _warnings(row: dict[str, Any]) -> list[str]:
    """The warnings `compare` would give these figures (output truncation is not known here)."""
    return comparison_warnings(
        wins=row["n_wins"],
        losses=row["n_losses"],
        win_rate=row["win_rate"],
        discrete_win_rate=row["discrete_win_rate"],
        position_consistency=row["position_consistency"],
    )


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}"


def _table(rows: list[dict[str, Any]], length_controlled: bool) -> Table:
    """Columns that are the same on every row (baseline, judge) move into the title; names fold
    onto several lines rather than figures being cut short on a narrow terminal."""
    first = rows[0]
    level = f"{100 * first['ci_level']:.0f}%"
    shared = [key for key in ("baseline", "judge") if len({row[key] for row in rows}) == 1]
    title = f"win rates in % ({level} {first['ci_method']} bootstrap CI over prompts)"
    if shared:
        title += "; " + ", ".join(f"{key} {first[key]}" for key in shared)
    names = ["model", *[k for k in ("baseline", "judge") if k not in shared]]
    figures: dict[str, list[str]] = {
        "n": [str(r["n_total"]) for r in rows],
        "unscored": [str(r["n_unscored"]) for r in rows],
        "W/L/T": [f"{r['n_wins']}/{r['n_losses']}/{r['n_draws']}" for r in rows],
        "win rate": [f"{_pct(r['win_rate'])} ± {_pct(r['standard_error'])}" for r in rows],
        f"{level} CI": [f"{_pct(r['ci_low'])}–{_pct(r['ci_high'])}" for r in rows],
        "discrete": [_pct(r["discrete_win_rate"]) for r in rows],
        "p": [f"{r['p_value']:.2g}" for r in rows],
    }
    if not any(r["n_unscored"] for r in rows):
        del figures["unscored"]
    if all(abs(r["discrete_win_rate"] - r["win_rate"]) < 5e-4 for r in rows):
        del figures["discrete"]  # a judge without fractional preferences: the same figure
    if length_controlled:
        figures["LC"] = [_pct(r.get("length_controlled_win_rate")) for r in rows]
        figures[f"LC {level} CI"] = [f"{_pct(r.get('lc_ci_low'))}–{_pct(r.get('lc_ci_high'))}" for r in rows]
    caption = "win rate ± standard error; p: two-sided sign test on non-ties"
    if "discrete" in figures:
        caption += "; W/L/T count the side each prompt leans to, discrete = (W + T/2) / n"
    table = Table(title=title, caption=caption)
    for name in names:
        table.add_column(name, overflow="fold")
    for name, cells in figures.items():
        width = max(len(name), *(len(c) for c in cells))
        table.add_column(name, justify="right", no_wrap=True, min_width=width)
    for index, row in enumerate(rows):
        table.add_row(*[str(row[n]) for n in names], *[cells[index] for cells in figures.values()])
    return table
