"""`alpaca-bench agreement RUN_DIR`."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from rich.table import Table

from .options import examples, positive_int, print_json, seed_value, stdout


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "agreement",
        epilog=examples(
            "alpaca-bench agreement results/self-instruct/a__vs__b/rouge",
            "alpaca-bench agreement results/self-instruct/a__vs__b/rouge --judge human --json",
        ),
        help="how well the judge agrees with human raters (and raters with each other)",
        description="Human–human and judge–human agreement (with and without ties), Cohen's kappa, the "
        "judge's accuracy against the human majority, and each rater's win rate with its CI, on the "
        "pairs of a comparison run that humans rated with `alpaca-bench rate`.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a comparison run folder")
    parser.add_argument("--judge", metavar="NAME", help="the judge to compare with (default: the run's)")
    parser.add_argument(
        "--n-boot", type=positive_int, default=10_000, help="bootstrap resamples (default 10000)"
    )
    parser.add_argument("--seed", type=seed_value, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..judges.human import agreement_report

    report = agreement_report(args.run_dir, judge=args.judge, n_boot=args.n_boot, seed=args.seed)
    payload = report.to_dict()
    if args.json:
        print_json(payload)
        return 0
    console = stdout()
    console.print(
        f"{payload['candidate']} (candidate) vs {payload['baseline']} (baseline) on {payload['eval_set']}: "
        f"{payload['n_pairs_rated']} pairs rated by {len(payload['raters'])} rater(s)",
        markup=False,
    )
    console.print(_win_rate_table(payload["win_rates"]))
    console.print(_agreement_table(payload))
    majority = payload["judge_vs_majority"]
    if majority and majority["n"]:
        console.print(
            f"judge {payload['judge']} vs the human majority: {_pct(majority['accuracy'])}% of "
            f"{majority['n']} pairs ({majority['n_without_majority']} without a strict majority left out)",
            markup=False,
        )
    else:
        console.print("judge vs the human majority: needs pairs rated by at least two raters", markup=False)
    return 0


def _pct(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f}"


def _win_rate_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="candidate win rate in % (95% bca bootstrap CI over prompts)")
    for name in ("who", "prompts", "W/L/T", "both bad", "win rate", "95% CI"):
        table.add_column(name, justify="left" if name == "who" else "right")
    for row in rows:
        s = row["summary"]
        table.add_row(
            row["who"],
            str(s["n"]),
            f"{s['wins']}/{s['losses']}/{s['ties']}",
            str(row["n_flagged"]),
            _pct(s["win_rate"]),
            f"{_pct(s['ci_low'])}–{_pct(s['ci_high'])}",
        )
    return table


def _agreement_table(payload: dict[str, Any]) -> Table:
    table = Table(
        title="agreement in % (without ties: pairs neither side called a tie); Cohen's kappa over "
        "win/tie/loss",
    )
    for name in ("between", "pairs", "with ties", "n w/o ties", "without ties", "kappa"):
        table.add_column(name, justify="left" if name == "between" else "right")
    rows = [(f"{p['first']} – {p['second']}", p["agreement"]) for p in payload["human_human"]]
    if payload["human_human_pooled"] and len(payload["human_human"]) > 1:
        rows.append(("human – human (pooled)", payload["human_human_pooled"]))
    rows += [(f"{p['first']} – {p['second']}", p["agreement"]) for p in payload["judge_human"]]
    if payload["judge_human_pooled"] and len(payload["judge_human"]) > 1:
        rows.append((f"{payload['judge']} – human (pooled)", payload["judge_human_pooled"]))
    for label, a in rows:
        kappa = "–" if a["kappa"] is None else f"{a['kappa']:.3f}"
        table.add_row(
            label,
            str(a["n"]),
            _pct(a["agreement_with_ties"]),
            str(a["n_without_ties"]),
            _pct(a["agreement_without_ties"]),
            kappa,
        )
    if not rows:
        table.caption = "no pair was rated by two raters, or by a rater and the judge"
    return table
