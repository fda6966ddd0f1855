"""Judges: how far each judge agrees with people and with other judges, whether it keeps its
verdict when the outputs swap places, and whether it favours longer outputs."""

from __future__ import annotations

import streamlit as st

from . import _html
from ._choices import has_results
from ._context import PageContext
from ._judges import agreement_rows, length_bias_bins, position_consistency_rows


def render(ctx: PageContext) -> None:
    st.title("Judges")
    index = ctx.index()
    if not has_results(index):
        return
    eval_set = str(st.selectbox("Eval set", index.eval_sets(), key="judges_eval_set"))

    st.subheader("Agreement")
    agreement = agreement_rows(index, eval_set)
    if agreement:
        st.html(_html.agreement(agreement))
        st.caption(
            "Over pairs both judged; people's ratings of a pair are averaged first. Kappa over "
            "win / tie / loss; 'without ties' leaves out pairs either side called a tie."
        )
    else:
        st.info("No pair was judged by two judges (or a judge and a person) on this eval set.")

    st.subheader("Position consistency")
    consistency = position_consistency_rows(index, eval_set)
    if consistency:
        st.html(_html.consistency(consistency))
        st.caption(
            "Share of pairs judged in both orders (compare --both-orders) whose verdict survived "
            "the swap; – when no pair was judged both ways."
        )
    else:
        st.info("No LLM judge on this eval set.")

    st.subheader("Length bias")
    bins = length_bias_bins(index, eval_set)
    if bins:
        st.html(_html.length_bias(bins))
    else:
        st.info("No scored comparisons on this eval set.")
