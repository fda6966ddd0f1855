"""Leaderboard: one row per model against a chosen baseline, or Bradley–Terry ratings of all."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from alpaca_bench.store import sanitize_name

from ._choices import eval_set_and_judge, has_results
from ._context import PageContext
from ._index import ResultsIndex, Row

ALL_MODELS = "All models (Bradley–Terry ratings)"
PERCENT_COLUMNS = ("win_rate", "ci_low", "ci_high", "lc_win_rate")
TEXT_COLUMNS = ("model", "warning_text")
COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", format="%d", help="1 + models significantly better (BT)"),
    "model": st.column_config.TextColumn("Model"),
    "win_rate": st.column_config.NumberColumn("Win rate %", format="%.1f"),
    "ci_low": st.column_config.NumberColumn("CI low %", format="%.1f", help="95% bootstrap interval"),
    "ci_high": st.column_config.NumberColumn("CI high %", format="%.1f"),
    "lc_win_rate": st.column_config.NumberColumn("LC win rate %", format="%.1f", help="length-controlled"),
    "rating": st.column_config.NumberColumn("BT rating", format="%.0f", help="Elo scale, anchor at 1000"),
    "rating_low": st.column_config.NumberColumn("BT low", format="%.0f"),
    "rating_high": st.column_config.NumberColumn("BT high", format="%.0f"),
    "n": st.column_config.NumberColumn("n", format="%d", help="prompts with a scored verdict"),
    "wins": st.column_config.NumberColumn("Wins", format="%d", help="prompts leaning to the candidate"),
    "losses": st.column_config.NumberColumn("Losses", format="%d", help="prompts leaning to the baseline"),
    "ties": st.column_config.NumberColumn("Ties", format="%d"),
    "unscored": st.column_config.NumberColumn("Unscored", format="%d", help="judge answers not parseable"),
    "avg_length": st.column_config.NumberColumn("Avg length", format="%.0f", help="characters"),
    "truncated": st.column_config.NumberColumn(
        "Truncated", format="%d", help="candidate outputs that stopped at the token limit (blank: unknown)"
    ),
    "cost_usd": st.column_config.NumberColumn("Judge cost $", format="%.4f"),
    "warning_text": st.column_config.TextColumn(
        "Warnings", help="what to check before trusting the win rate; details in the Explorer"
    ),
    "judgments": st.column_config.NumberColumn("Judgments", format="%d"),
}
TABLE = [c for c in COLUMNS if c != "judgments"]
RATINGS_TABLE = ["rank", "model", "rating", "rating_low", "rating_high", "judgments"]


def render(ctx: PageContext) -> None:
    st.title("Leaderboard")
    index = ctx.index()
    if not has_results(index):
        return
    eval_set, judge = eval_set_and_judge(index, "lb")
    options = _views(index, eval_set, judge)
    view = str(st.selectbox("Baseline", options, key="lb_baseline"))
    if view == ALL_MODELS:
        _ratings(index.ratings(eval_set, judge))
    else:
        _leaderboard(index.leaderboard(eval_set, judge, view), f"{eval_set}-{judge}-{view}")


def _views(index: ResultsIndex, eval_set: str, judge: str) -> list[str]:
    """Baselines, most used first; the ratings view leads when no model is a common baseline."""
    baselines = index.baselines(eval_set, judge)
    main = len(index.select(eval_set, judge, baselines[0])) if baselines else 0
    if main * 2 < len(index.select(eval_set, judge)):
        return [ALL_MODELS, *baselines]
    return [*baselines, ALL_MODELS]


def _frame(rows: list[Row], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column not in TEXT_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in PERCENT_COLUMNS:
        if column in frame:
            frame[column] = frame[column] * 100.0
    return frame


def _leaderboard(rows: list[Row], name: str) -> None:
    frame = _frame(rows, TABLE)
    st.dataframe(frame, hide_index=True, column_config=COLUMNS, key="lb_table")
    warned = sum(1 for row in rows if row["warnings"])
    if warned:
        st.warning(
            f"{warned} of {len(rows)} comparisons have warnings (see the Warnings column): their win "
            "rates may say more about truncated answers or the judge than about the models.",
            icon="⚠️",
        )
    st.download_button(
        "Download table (CSV)",
        data=pd.DataFrame(rows).to_csv(index=False),
        file_name=f"leaderboard-{sanitize_name(name)}.csv",
        mime="text/csv",
        key="lb_csv",
    )
    scored = frame.dropna(subset=["win_rate"])
    if scored.empty:
        st.info("No scored verdicts yet.")
        return
    st.caption("Win rate (dot) with its 95% CI, and the length-controlled win rate (diamond); 50% = parity.")
    st.altair_chart(_win_rate_chart(scored), key="lb_chart")


def _win_rate_chart(frame: pd.DataFrame) -> alt.LayerChart:
    order = frame.sort_values("win_rate", ascending=False)["model"].tolist()
    y = alt.Y("model:N", sort=order, title=None)
    x = alt.X("win_rate:Q", title="win rate vs baseline (%)", scale=alt.Scale(domain=[0, 100]))
    base = alt.Chart(frame)
    parity = alt.Chart(pd.DataFrame({"parity": [50.0]})).mark_rule(strokeDash=[4, 4]).encode(x="parity:Q")
    interval = base.mark_errorbar(ticks=True).encode(y=y, x=alt.X("ci_low:Q", title=""), x2="ci_high:Q")
    tooltip = [
        "model:N",
        alt.Tooltip("win_rate:Q", format=".1f"),
        alt.Tooltip("ci_low:Q", format=".1f"),
        alt.Tooltip("ci_high:Q", format=".1f"),
        alt.Tooltip("lc_win_rate:Q", format=".1f"),
        "n:Q",
    ]
    points = base.mark_point(filled=True, size=70).encode(y=y, x=x, tooltip=tooltip)
    controlled = base.mark_point(shape="diamond", size=50, color="orange").encode(y=y, x="lc_win_rate:Q")
    chart: alt.LayerChart = (parity + interval + points + controlled).properties(
        height=max(140, 26 * len(frame))
    )
    return chart


def _ratings(rows: list[Row]) -> None:
    if not rows:
        st.info("No scored verdicts yet.")
        return
    frame = _frame(rows, RATINGS_TABLE)
    st.dataframe(frame, hide_index=True, column_config=COLUMNS, key="lb_ratings")
    st.download_button(
        "Download ratings (CSV)",
        data=pd.DataFrame(rows).to_csv(index=False),
        file_name="ratings.csv",
        mime="text/csv",
        key="lb_ratings_csv",
    )
    order = frame.sort_values("rating", ascending=False)["model"].tolist()
    y = alt.Y("model:N", sort=order, title=None)
    base = alt.Chart(frame)
    chart = base.mark_errorbar(ticks=True).encode(
        y=y,
        x=alt.X("rating_low:Q", title="Bradley–Terry rating (95% CI)", scale=alt.Scale(zero=False)),
        x2="rating_high:Q",
    ) + base.mark_point(filled=True, size=70).encode(
        y=y, x="rating:Q", tooltip=["model:N", "rating:Q", "rank:Q"]
    )
    st.altair_chart(chart.properties(height=max(140, 26 * len(frame))), key="lb_ratings_chart")
