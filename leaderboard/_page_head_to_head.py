"""Head-to-head: the win rate of every model against every model it was compared with."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ._choices import eval_set_and_judge, has_results
from ._context import PageContext


def render(ctx: PageContext) -> None:
    st.title("Head-to-head")
    index = ctx.index()
    if not has_results(index):
        return
    eval_set, judge = eval_set_and_judge(index, "h2h")
    rows = index.head_to_head(eval_set, judge)
    if not rows:
        st.info("No scored comparisons for this eval set and judge yet.")
        return
    frame = pd.DataFrame(rows)
    frame["win_rate"] = frame["win_rate"] * 100.0
    st.caption("Cell: win rate (%) of the row model against the column model; blank = never compared.")
    st.altair_chart(_heatmap(frame), key="h2h_chart")
    matrix = frame.pivot(index="model", columns="opponent", values="win_rate")
    st.dataframe(
        matrix,
        column_config={c: st.column_config.NumberColumn(format="%.1f") for c in matrix.columns},
        key="h2h_table",
    )


def _heatmap(frame: pd.DataFrame) -> alt.LayerChart:
    models = sorted(set(frame["model"]) | set(frame["opponent"]))
    x = alt.X("opponent:N", sort=models, title="against")
    y = alt.Y("model:N", sort=models, title="model")
    base = alt.Chart(frame).encode(x=x, y=y)
    cells = base.mark_rect().encode(
        color=alt.Color("win_rate:Q", scale=alt.Scale(domain=[0, 100], scheme="redblue"), title="win %"),
        tooltip=["model:N", "opponent:N", alt.Tooltip("win_rate:Q", format=".1f"), "n:Q"],
    )
    labels = base.mark_text(fontSize=11).encode(text=alt.Text("win_rate:Q", format=".0f"))
    size = max(160, 36 * len(models))
    chart: alt.LayerChart = (cells + labels).properties(width=size, height=size)
    return chart
