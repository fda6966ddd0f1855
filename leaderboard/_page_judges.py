"""Judges: how far each judge agrees with people and with other judges, whether it keeps its
verdict when the outputs swap places, and whether it favours longer outputs."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ._choices import has_results
from ._context import PageContext
from ._judges import (
    agreement_rows,
    length_bias_bins,
    length_bias_points,
    position_consistency_rows,
)

RATE_FORMAT = "%.3f"


def render(ctx: PageContext) -> None:
    st.title("Judges")
    index = ctx.index()
    if not has_results(index):
        return
    eval_set = str(st.selectbox("Eval set", index.eval_sets(), key="judges_eval_set"))

    st.subheader("Agreement")
    agreement = agreement_rows(index, eval_set)
    if agreement:
        st.dataframe(
            pd.DataFrame(agreement),
            hide_index=True,
            key="judges_agreement",
            column_config={
                c: st.column_config.NumberColumn(format=RATE_FORMAT)
                for c in ("agreement_with_ties", "agreement_without_ties", "kappa")
            },
        )
        st.caption(
            "Over pairs both judged; people's ratings of a pair are averaged first. Kappa over "
            "win / tie / loss; 'without ties' leaves out pairs either side called a tie."
        )
    else:
        st.info("No pair was judged by two judges (or a judge and a person) on this eval set.")

    st.subheader("Position consistency")
    consistency = position_consistency_rows(index, eval_set)
    if consistency:
        st.dataframe(
            pd.DataFrame(consistency),
            hide_index=True,
            key="judges_consistency",
            column_config={"position_consistency": st.column_config.NumberColumn(format=RATE_FORMAT)},
        )
        st.caption(
            "Share of pairs judged in both orders (compare --both-orders) whose verdict survived "
            "the swap; empty when no pair was judged both ways."
        )
    else:
        st.info("No LLM judge on this eval set.")

    st.subheader("Length bias")
    points = length_bias_points(index, eval_set)
    bins = length_bias_bins(index, eval_set)
    if points or bins:
        st.caption(
            "Win rate against the length difference of the outputs (candidate − baseline, "
            "characters): dots are comparisons, lines are prompts pooled in equal-count bins."
        )
        st.altair_chart(_length_chart(points, bins), key="judges_length_chart")
    else:
        st.info("No scored comparisons on this eval set.")


def _length_chart(points: list[dict[str, object]], bins: list[dict[str, object]]) -> alt.LayerChart:
    x = alt.X("length_difference:Q", title="length difference (characters)")
    y = alt.Y("win_rate:Q", title="win rate", scale=alt.Scale(domain=[0, 1]))
    color = alt.Color("judge:N")
    dots = (
        alt.Chart(
            pd.DataFrame(points, columns=["judge", "model", "baseline", "length_difference", "win_rate", "n"])
        )
        .mark_point(filled=True, size=60)
        .encode(x=x, y=y, color=color, tooltip=["judge:N", "model:N", "baseline:N", "win_rate:Q", "n:Q"])
    )
    lines = (
        alt.Chart(pd.DataFrame(bins, columns=["judge", "length_difference", "low", "high", "win_rate", "n"]))
        .mark_line(point=True)
        .encode(x=x, y=y, color=color, tooltip=["judge:N", "low:Q", "high:Q", "win_rate:Q", "n:Q"])
    )
    parity = alt.Chart(pd.DataFrame({"parity": [0.5]})).mark_rule(strokeDash=[4, 4]).encode(y="parity:Q")
    chart: alt.LayerChart = (parity + dots + lines).properties(height=360)
    return chart
