"""The leaderboard's tables and charts as HTML: one rendering for the served app and the export.

The Streamlit pages hand these fragments to `st.html`, and `export_site` writes the same
fragments into static pages, so a published site shows exactly what the app shows. Charts are
HTML too (rows of a grid, marks placed in percent), not a plotting library: every label is a
real element that wraps instead of being dropped or drawn over its neighbour, the height grows
with the rows, nothing needs JavaScript or a network, and a browser test can check what a
reader sees. Every string that came from a file (model names, judge names, warnings) goes
through `html.escape`; nothing here interprets Markdown.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alpaca_bench.records import ComparisonSummary, MeanScore

from ._index import LENGTH_RATIO_CAVEAT, SMALL_N_MDE, Row
from ._scores import NO_GRADES, ScoreTable

STATIC = Path(__file__).with_name("_static")
DASH = "–"
RANK_NOTE = (
    "Rank = 1 + the number of models whose 95% interval lies wholly above this one's, so models "
    "that cannot be told apart share a rank (shown as “2=”)."
)
Link = Callable[[str], str | None]


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


@cache
def stylesheet() -> str:
    """The one stylesheet (served pages inline it, the export writes it to assets/)."""
    return (STATIC / "style.css").read_text(encoding="utf-8")


# --- numbers as a person reads them -----------------------------------------------------------


def percent(value: float | None, digits: int = 1) -> str:
    return DASH if value is None or math.isnan(value) else f"{100.0 * value:.{digits}f}"


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:,.{digits}f}"


def money(value: float | None) -> str:
    return DASH if value is None else f"${value:,.4f}"


def _interval(
    low: float | None, high: float | None, show: Callable[[float | None], str], brackets: bool = False
) -> str:
    if low is None or high is None:
        return ""
    text = f"{show(low)}{DASH}{show(high)}"
    return f'<span class="ab-ci">{esc(f"({text})" if brackets else text)}</span>'


def _with_interval(
    value: str,
    low: float | None,
    high: float | None,
    show: Callable[[float | None], str],
    mark: str = "",
    brackets: bool = False,
) -> str:
    """A value with its interval beneath; `mark` (HTML) sits right after the value."""
    return f'<span class="ab-val">{esc(value)}{mark}</span>{_interval(low, high, show, brackets)}'


def _shared(rows: Sequence[Row], key: str = "rank") -> set[int]:
    seen: dict[int, int] = {}
    for row in rows:
        if row.get(key) is not None:
            seen[row[key]] = seen.get(row[key], 0) + 1
    return {rank for rank, count in seen.items() if count > 1}


def _rank(row: Row, shared: set[int], key: str = "rank") -> str:
    rank = row.get(key)
    if rank is None:
        return DASH
    return f"{rank}=" if rank in shared else str(rank)


# --- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column as a reader sees it: heading, an explanation on hover, how a row fills it."""

    heading: str
    cell: Callable[[Row], str]  # HTML (already escaped)
    help: str = ""
    numeric: bool = True


def table(
    rows: Iterable[Row],
    columns: Sequence[Column],
    *,
    css: str = "",
    row_css: Callable[[Row], str] | None = None,
) -> str:
    head = "".join(
        f'<th scope="col"{_title(c.help)} class="{"ab-num" if c.numeric else ""}">{esc(c.heading)}</th>'
        for c in columns
    )
    body = []
    for row in rows:
        cells = "".join(f'<td class="{"ab-num" if c.numeric else ""}">{c.cell(row)}</td>' for c in columns)
        extra = row_css(row) if row_css else ""
        body.append(f'<tr class="{extra}">{cells}</tr>')
    return (
        f'<div class="ab-scroll"><table class="ab-table {css}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _title(text: str) -> str:
    return f' title="{esc(text)}"' if text else ""


def _text(key: str) -> Callable[[Row], str]:
    return lambda row: esc(DASH if row.get(key) is None else row[key])


def _num(key: str, digits: int = 0) -> Callable[[Row], str]:
    return lambda row: esc(number(row.get(key), digits))


def _pct(key: str) -> Callable[[Row], str]:
    return lambda row: esc(percent(row.get(key)))


# --- the leaderboard --------------------------------------------------------------------------


def leaderboard(rows: Sequence[Row], link: Link | None = None) -> str:
    """The main table (fits 1400 px), the secondary columns behind a disclosure, the notes
    that say what rank, LC and the marks mean, and the win-rate chart."""
    if not rows:
        return '<p class="ab-empty">No comparisons against this baseline yet.</p>'
    shared = _shared(rows)

    def model(row: Row) -> str:
        """The name (linked to its comparison), the baseline's tag, and the row's notes beneath,
        so they stay in view however narrow the table gets."""
        name = esc(row["model"])
        target = link(row["comparison"]) if link and row.get("comparison") else None
        shown = f'<a href="{esc(target)}">{name}</a>' if target else name
        mark = ' <span class="ab-tag">baseline</span>' if row["is_baseline"] else ""
        said = notes(row)
        below = f'<span class="ab-notes">{said}</span>' if said else ""
        return f'<span class="ab-model">{shown}</span>{mark}{below}'

    def win_rate(row: Row) -> str:
        if row["is_baseline"]:
            return '<span class="ab-val">50.0</span><span class="ab-ci">by definition</span>'
        return _with_interval(percent(row["win_rate"]), row["ci_low"], row["ci_high"], percent)

    def controlled(row: Row) -> str:
        if row["is_baseline"] or row["lc_win_rate"] is None:
            return esc(DASH if row["lc_win_rate"] is None else percent(row["lc_win_rate"]))
        dagger = (
            '<sup class="ab-mark" title="lengths differ greatly: see the note below">†</sup>'
            if row["lc_caveat"]
            else ""
        )
        return _with_interval(percent(row["lc_win_rate"]), row["lc_low"], row["lc_high"], percent, dagger)

    def rating(row: Row) -> str:
        if row["rating"] is None:
            return DASH
        return _with_interval(number(row["rating"]), row["rating_low"], row["rating_high"], number)

    def n(row: Row) -> str:
        if row["n"] is None:
            return DASH
        small = (
            f'<span class="ab-small" title="small sample: differences under ±{percent(row["mde"], 0)} points '
            f'cannot be detected">small n · MDE ±{esc(percent(row["mde"], 0))}</span>'
            if row["small_n"]
            else ""
        )
        return f'<span class="ab-val">{esc(number(row["n"]))}</span>{small}'

    def notes(row: Row) -> str:
        parts = []
        if row["is_baseline"]:
            parts.append("every win rate is against it")
        if row["lc_caveat"] and row["length_ratio"] is not None:
            parts.append(f"outputs {row['length_ratio']:.1f}× the baseline's length")
        if row["warning_text"]:
            parts.append(row["warning_text"])
        return esc(" · ".join(parts))

    main = [
        Column("Rank", lambda r: esc(_rank(r, shared)), "1 + models whose interval lies wholly above"),
        Column("Model", model, numeric=False),
        Column(
            "Win rate %",
            win_rate,
            "candidate's win rate against the baseline, with its 95% bootstrap interval",
        ),
        Column(
            "LC win rate %",
            controlled,
            "length-controlled win rate: as if the outputs were as long as the baseline's",
        ),
        Column(
            "BT rating",
            rating,
            "Bradley–Terry rating over every comparison of this judge (Elo scale), 95% interval",
        ),
        Column("Prompts", n, "prompts with a scored verdict"),
    ]
    secondary = [
        Column("Model", lambda r: esc(r["model"]), numeric=False),
        Column("Wins", _num("wins"), "prompts leaning to the candidate"),
        Column("Losses", _num("losses"), "prompts leaning to the baseline"),
        Column("Ties", _num("ties")),
        Column("Unscored", _num("unscored"), "judge answers that could not be read"),
        Column("Avg length", _num("avg_length"), "mean output length, characters"),
        Column("Baseline avg length", _num("baseline_avg_length"), "characters"),
        Column("Truncated", _num("truncated"), "outputs that stopped at the token limit (– unknown)"),
        Column("Judge cost", lambda r: esc(money(r["cost_usd"]))),
        Column("p-value", _num("p_value", 3), "two-sided sign test against parity"),
        Column("BT rank", lambda r: esc(_rank(r, _shared(rows, "bt_rank"), "bt_rank"))),
    ]
    return (
        table(rows, main, css="ab-main", row_css=lambda r: "ab-baseline" if r["is_baseline"] else "")
        + f'<p class="ab-note">{esc(RANK_NOTE)}</p>'
        + _leaderboard_notes(rows)
        + '<details class="ab-more"><summary>More columns: wins, losses, ties, unscored, lengths, '
        "truncation, judge cost, p-value</summary>"
        + table(rows, secondary, row_css=lambda r: "ab-baseline" if r["is_baseline"] else "")
        + "</details>"
        + win_rate_chart(rows)
    )


def _leaderboard_notes(rows: Sequence[Row]) -> str:
    notes = [
        "LC = length-controlled win rate: the judge's preference for longer outputs is fitted and "
        "set aside, as if both models wrote equally long answers."
    ]
    if any(r["lc_caveat"] for r in rows):
        notes.append(
            f"† outputs over {LENGTH_RATIO_CAVEAT:g}× (or under 1/{LENGTH_RATIO_CAVEAT:g}) the "
            "baseline's length: the LC figure extrapolates far beyond the data, read it with its interval."
        )
    if any(r["small_n"] for r in rows):
        notes.append(
            f"small n: fewer prompts than needed to detect a {100 * SMALL_N_MDE:g}-point difference "
            "(MDE = the smallest true difference the sample would detect 80% of the time)."
        )
    return "".join(f'<p class="ab-note">{esc(n)}</p>' for n in notes)


def ratings(rows: Sequence[Row]) -> str:
    """Bradley–Terry ratings of every model, with intervals, and their chart."""
    if not rows:
        return '<p class="ab-empty">No scored verdicts yet.</p>'
    shared = _shared(rows)

    def model(row: Row) -> str:
        mark = ' <span class="ab-tag">anchor, 1000</span>' if row["anchor"] else ""
        return f'<span class="ab-model">{esc(row["model"])}</span>{mark}'

    columns = [
        Column("Rank", lambda r: esc(_rank(r, shared)), "1 + models significantly better in the bootstrap"),
        Column("Model", model, numeric=False),
        Column(
            "BT rating",
            lambda r: _with_interval(number(r["rating"]), r["rating_low"], r["rating_high"], number),
            "Elo scale, 95% bootstrap interval",
        ),
        Column("Judgments", _num("judgments"), "scored judgments this model took part in"),
    ]
    note = (
        "Rank = 1 + the number of models rated significantly higher (their difference stays above "
        "zero in 95% of bootstrap rounds); models can share a rank (“2=”)."
    )
    low = min((r["rating_low"] if r["rating_low"] is not None else r["rating"]) for r in rows)
    high = max((r["rating_high"] if r["rating_high"] is not None else r["rating"]) for r in rows)
    pad = max(10.0, 0.08 * (high - low))
    marks = [
        ChartRow(
            label=row["model"],
            value=row["rating"],
            low=row["rating_low"],
            high=row["rating_high"],
            text=number(row["rating"]),
            title=f"{row['model']}: {number(row['rating'])} "
            f"({number(row['rating_low'])}–{number(row['rating_high'])})",
            highlight=row["anchor"],
        )
        for row in rows
    ]
    return (
        table(rows, columns, css="ab-main", row_css=lambda r: "ab-baseline" if r["anchor"] else "")
        + f'<p class="ab-note">{esc(note)}</p>'
        + dot_chart(
            "ratings",
            marks,
            domain=(low - pad, high + pad),
            axis_title="Bradley–Terry rating (Elo scale), dot = rating, bar = 95% interval",
            reference=1000.0,
        )
    )


# --- single-answer scores ---------------------------------------------------------------------


def _score(value: float | None) -> str:
    return number(value, 2)


def _mean_score(score: MeanScore | None) -> str:
    """ "7.42 (7.10–7.71)": the mean with its interval beneath, in brackets."""
    if score is None or score.mean is None:
        return esc(DASH)
    return _with_interval(_score(score.mean), score.low, score.high, _score, brackets=True)


def _score_in(group: str, name: str) -> Callable[[Row], str]:
    """The cell of one turn's (or category's) mean score."""
    return lambda row: _mean_score(row[group].get(name))


def scores(grades: ScoreTable) -> str:
    """One eval set's grades: the main table (mean, one column per turn of a multi-turn set,
    grades scored and unscored), the per-category means behind a disclosure, and the chart."""
    rows = grades.rows
    if not rows:
        return f'<p class="ab-empty">{esc(NO_GRADES)}</p>'
    judges = list(dict.fromkeys(r["judge"] for r in rows))
    counts: dict[tuple[str, int], int] = {}
    for row in rows:
        if row["rank"] is not None:
            counts[(row["judge"], row["rank"])] = counts.get((row["judge"], row["rank"]), 0) + 1

    def rank(row: Row) -> str:
        if row["rank"] is None:
            return esc(DASH)
        return esc(f"{row['rank']}=" if counts[(row["judge"], row["rank"])] > 1 else row["rank"])

    def model(row: Row) -> str:
        notes = f'<span class="ab-notes">{esc(row["warning_text"])}</span>' if row["warning_text"] else ""
        return f'<span class="ab-model">{esc(row["model"])}</span>{notes}'

    def overall(row: Row) -> str:
        return _mean_score(MeanScore(mean=row["mean"], low=row["low"], high=row["high"]))

    level = f"{100 * rows[0]['level']:g}%"
    lo, hi = grades.score_range
    main = [
        Column("Rank", rank, "1 + models of the same judge whose interval lies wholly above"),
        Column("Model", model, numeric=False),
        Column("Judge", _text("judge"), numeric=False),
        Column("Mean score", overall, f"mean grade ({lo:g}–{hi:g}) with its {level} bootstrap interval"),
    ]
    if len(grades.turns) > 1:
        main += [
            Column(f"Turn {t}", _score_in("per_turn", t), f"mean grade of turn {t}") for t in grades.turns
        ]
    main += [
        Column("Scored", _num("n"), "grades with a score"),
        Column("Unscored", _num("unscored"), "grader answers that could not be read as a score"),
    ]
    more = [
        Column("Model", _text("model"), numeric=False),
        Column("Judge", _text("judge"), numeric=False),
        *(Column(c, _score_in("per_category", c), f"mean grade in {c}") for c in grades.categories),
        Column("Prompts", _num("n_prompts")),
        Column("Grades", _num("n_grades"), "every grade, scored or not (one per answer graded)"),
        Column("Judge cost", lambda r: esc(money(r["cost_usd"]))),
    ]
    note = (
        f"Rank = 1 + the number of models graded by the same judge whose {level} interval lies "
        "wholly above this one's, so models that cannot be told apart share a rank (“2=”); "
        "scores given by different judges are not comparable."
    )
    marks = [
        ChartRow(
            label=row["model"],
            value=row["mean"],
            low=row["low"],
            high=row["high"],
            text=_score(row["mean"]),
            title=f"{row['model']} ({row['judge']}): {_score(row['mean'])} "
            f"({_score(row['low'])}–{_score(row['high'])})",
            group=f"Judge: {row['judge']}" if len(judges) > 1 else "",
        )
        for row in rows
        if row["mean"] is not None
    ]
    what = "per-category means, " if grades.categories else ""
    return (
        table(rows, main, css="ab-main")
        + f'<p class="ab-note">{esc(note)}</p>'
        + f'<details class="ab-more"><summary>More columns: {what}prompts, grades, judge cost</summary>'
        + table(rows, more)
        + "</details>"
        + dot_chart(
            f"scores-{grades.eval_set}",
            marks,
            domain=(lo, hi),
            ticks=_score_ticks(lo, hi),
            tick_text=lambda v: f"{v:g}",
            axis_title=f"Mean score ({lo:g}–{hi:g}): dot = mean, bar = {level} interval",
        )
    )


def _score_ticks(lo: float, hi: float) -> list[float]:
    """Every whole score on a short scale (1–10), else the usual round steps."""
    if hi - lo <= 10 and float(lo).is_integer():
        return [lo + k for k in range(int(hi - lo) + 1)]
    return _nice_ticks(lo, hi)


def scores_empty() -> str:
    return f'<p class="ab-empty">{esc(NO_GRADES)}</p>'


# --- charts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartRow:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    second: float | None = None  # a diamond (the LC win rate)
    text: str = ""
    title: str = ""
    highlight: bool = False
    group: str = ""


def dot_chart(
    name: str,
    rows: Sequence[ChartRow],
    *,
    domain: tuple[float, float],
    axis_title: str,
    reference: float | None = None,
    ticks: Sequence[float] | None = None,
    tick_text: Callable[[float], str] = lambda v: f"{v:,.0f}",
    legend: str = "",
) -> str:
    """One row per item: label, a track with the interval (bar), the value (dot), an optional
    second value (diamond) and a reference line, and the value as text. Rows grow with their
    labels, so no label is ever hidden or drawn over another."""
    lo, hi = domain
    span = (hi - lo) or 1.0

    def at(value: float) -> float:
        return max(0.0, min(100.0, 100.0 * (value - lo) / span))

    body = []
    group = None
    for row in rows:
        if row.group and row.group != group:
            group = row.group
            body.append(f'<div class="ab-group">{esc(group)}</div>')
        marks = []
        if reference is not None:
            marks.append(f'<span class="ab-ref" style="left:{at(reference):.2f}%"></span>')
        if row.low is not None and row.high is not None:
            left, right = at(row.low), at(row.high)
            marks.append(
                f'<span class="ab-bar" style="left:{left:.2f}%;width:{max(right - left, 0.3):.2f}%"></span>'
            )
        if row.second is not None:
            marks.append(f'<span class="ab-diamond" style="left:{at(row.second):.2f}%"></span>')
        if row.value is not None:
            marks.append(f'<span class="ab-dot" style="left:{at(row.value):.2f}%"></span>')
        css = "ab-row ab-highlight" if row.highlight else "ab-row"
        body.append(
            f'<div class="{css}"{_title(row.title)}><div class="ab-label">{esc(row.label)}</div>'
            f'<div class="ab-track">{"".join(marks)}</div><div class="ab-value">{esc(row.text)}</div></div>'
        )
    tick_values = list(ticks) if ticks is not None else _nice_ticks(lo, hi)
    axis = "".join(
        f'<span class="ab-tick" style="left:{at(t):.2f}%">{esc(tick_text(t))}</span>'
        for t in tick_values
        if lo <= t <= hi
    )
    return (
        f'<figure class="ab-chart" data-chart="{esc(name)}">{"".join(body)}'
        f'<div class="ab-row ab-axis"><div></div><div class="ab-track ab-ticks">{axis}</div><div></div></div>'
        f"<figcaption>{esc(axis_title)}{(' ' + esc(legend)) if legend else ''}</figcaption></figure>"
    )


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    raw = (hi - lo) / count
    if raw <= 0:
        return [lo]
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * step:
            step *= factor
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


# a win rate's scale: 0–100% with parity (50%) marked
WIN_RATE_AXIS: dict[str, Any] = {
    "domain": (0.0, 1.0),
    "reference": 0.5,
    "ticks": [0.0, 0.25, 0.5, 0.75, 1.0],
    "tick_text": lambda v: f"{100 * v:.0f}%",
}


def win_rate_chart(rows: Sequence[Row]) -> str:
    scored = [r for r in rows if r["win_rate"] is not None]
    if not scored:
        return '<p class="ab-empty">No scored verdicts yet.</p>'
    marks = [
        ChartRow(
            label=row["model"],
            value=row["win_rate"],
            low=row["ci_low"],
            high=row["ci_high"],
            second=None if row["is_baseline"] else row["lc_win_rate"],
            text=percent(row["win_rate"]),
            title=(
                f"{row['model']}: {percent(row['win_rate'])}% "
                + (
                    "(the baseline)"
                    if row["is_baseline"]
                    else f"({percent(row['ci_low'])}–{percent(row['ci_high'])}), "
                    f"LC {percent(row['lc_win_rate'])}%, {number(row['n'])} prompts"
                )
            ),
            highlight=row["is_baseline"],
        )
        for row in scored
    ]
    return dot_chart(
        "win-rate",
        marks,
        **WIN_RATE_AXIS,
        axis_title="Win rate against the baseline: dot = win rate, bar = 95% interval, diamond = "
        "length-controlled; the dashed line is parity (50%).",
    )


def heatmap(rows: Sequence[Row]) -> str:
    """Win rate of the row model against the column model; blank where never compared."""
    if not rows:
        return '<p class="ab-empty">No scored comparisons for this eval set and judge yet.</p>'
    models = sorted({r["model"] for r in rows} | {r["opponent"] for r in rows})
    cells = {(r["model"], r["opponent"]): r for r in rows}
    head = "".join(
        f'<th scope="col" class="ab-col"><span class="ab-label">{esc(m)}</span></th>' for m in models
    )
    body = []
    for model in models:
        tds = []
        for opponent in models:
            cell = cells.get((model, opponent))
            if model == opponent:
                tds.append('<td class="ab-self"></td>')
            elif cell is None:
                tds.append(
                    f'<td class="ab-blank" title="{esc(model)} and {esc(opponent)} were never compared"></td>'
                )
            else:
                rate = cell["win_rate"]
                tip = f"{model} against {opponent}: {percent(rate)}% over {cell['n']} prompts"
                tds.append(
                    f'<td style="{_colour(rate)}"{_title(tip)}>'
                    f'<span class="ab-cell">{esc(percent(rate, 0))}</span></td>'
                )
        body.append(f'<tr><th scope="row" class="ab-label">{esc(model)}</th>{"".join(tds)}</tr>')
    return (
        '<figure class="ab-chart" data-chart="head-to-head"><div class="ab-scroll">'
        '<table class="ab-heatmap"><thead><tr><th class="ab-corner">model ↓ against →</th>'
        f"{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
        "<figcaption>Cell: win rate (%) of the row's model against the column's model; blank = "
        "never compared. Blue: the row model wins more often, red: less often.</figcaption></figure>"
    )


def _colour(rate: float) -> str:
    """Red (0%) through white (50%) to blue (100%), with text that stays readable."""
    t = max(0.0, min(1.0, rate))
    red, blue, white = (202, 0, 32), (5, 113, 176), (247, 247, 247)
    end, weight = (blue, (t - 0.5) * 2) if t >= 0.5 else (red, (0.5 - t) * 2)
    rgb = [round(w + (e - w) * weight) for w, e in zip(white, end, strict=True)]
    text = "#fff" if weight > 0.55 else "#111"
    return f"background:rgb({rgb[0]},{rgb[1]},{rgb[2]});color:{text}"


# --- the judges page --------------------------------------------------------------------------


def agreement(rows: Sequence[Row]) -> str:
    columns = [
        Column("Kind", _text("kind"), numeric=False),
        Column("First", _text("first"), numeric=False),
        Column("Second", _text("second"), numeric=False),
        Column("Pairs", _num("n"), "pairs both judged"),
        Column("Agreement", _pct("agreement_with_ties"), "share of pairs with the same win / tie / loss, %"),
        Column("Pairs without ties", _num("n_without_ties"), "pairs neither side called a tie"),
        Column("Agreement without ties", _pct("agreement_without_ties"), "%"),
        Column("Cohen's κ", _num("kappa", 3), "agreement beyond chance over win / tie / loss"),
    ]
    return table(rows, columns)


def consistency(rows: Sequence[Row]) -> str:
    columns = [
        Column("Judge", _text("judge"), numeric=False),
        Column(
            "Position consistency",
            _pct("position_consistency"),
            "% of pairs judged both ways whose verdict survived the swap",
        ),
        Column("Comparisons", _num("comparisons")),
        Column("In both orders", _num("comparisons_in_both_orders"), "comparisons run with --both-orders"),
        Column("Judgments", _num("judgments")),
    ]
    return table(rows, columns)


def length_bias(bins: Sequence[Row]) -> str:
    """Per judge, one row per equal-count bin of length difference, labelled with its range and
    the number of prompts in it: the chart cannot be stretched by one extreme model."""
    marks = [
        ChartRow(
            label=_length_range(b["low"], b["high"]),
            value=b["win_rate"],
            low=b["ci_low"],
            high=b["ci_high"],
            text=f"{percent(b['win_rate'], 0)}% · n {b['n']}",
            title=f"{b['judge']}: {b['n']} prompts, length difference "
            f"{_signed(b['low'])} to {_signed(b['high'])}",
            group=f"Judge: {b['judge']}",
        )
        for b in bins
    ]
    return dot_chart(
        "length-bias",
        marks,
        **WIN_RATE_AXIS,
        axis_title="Candidate win rate by length difference (candidate − baseline, characters), prompts "
        "pooled in equal-count bins; bar = 95% interval, n = prompts in the bin. A judge without "
        "length bias stays near 50% in every bin.",
    )


def _length_range(low: float, high: float) -> str:
    if round(low) == round(high):
        return f"{_signed(low)} chars"
    return f"{_signed(low)} to {_signed(high)} chars"


def _signed(value: float) -> str:
    return f"{value:+,.0f}".replace("-", "−")


# --- one comparison ---------------------------------------------------------------------------


def comparison_summary(summary: ComparisonSummary, judge: str, *, prompts: int | None = None) -> str:
    """The figures of one comparison as a wrapping list (never cut off, unlike st.metric)."""
    s = summary
    items: list[tuple[str, str]] = [
        ("Judge", judge),
        ("Win rate", f"{percent(s.win_rate)}%" if s.win_rate is not None else DASH),
        ("95% interval", f"{percent(s.ci.low)}% – {percent(s.ci.high)}%" if s.ci else DASH),
        ("Prompts scored", f"{s.n}" + (f" of {prompts}" if prompts is not None else "")),
        ("Wins / losses / ties", f"{s.wins} / {s.losses} / {s.ties}"),
        ("Unscored", str(s.unscored)),
    ]
    if s.min_detectable_effect is not None:
        items.append(("Detectable difference", f"±{percent(s.min_detectable_effect, 0)} points"))
    cells = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in items)
    return f'<dl class="ab-metrics">{cells}</dl>'


def verdict_table(verdicts: Sequence[Any]) -> str:
    """People's ratings of one prompt (ShownVerdict-like records)."""
    rows = [
        {
            "rater": v.rater or DASH,
            "verdict": v.verdict,
            "first": v.first_shown,
            "preference": v.preference,
            "both_bad": "yes" if v.both_bad else "no",
        }
        for v in verdicts
    ]
    return table(
        rows,
        [
            Column("Rater", _text("rater"), numeric=False),
            Column("Verdict", _text("verdict"), numeric=False),
            Column("Shown first", _text("first"), numeric=False),
            Column("Candidate preference", _num("preference", 2)),
            Column("Both bad", _text("both_bad"), numeric=False),
        ],
    )
