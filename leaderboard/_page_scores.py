"""Scores: single-answer grades (MT-Bench style), one table per eval set, laid out by `_html`,
the same fragments the export writes. Independent of comparisons: a folder holding only grades
shows them here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from alpaca_bench.store import sanitize_name

from . import _html
from ._context import PageContext
from ._render import heading
from ._scores import NO_GRADES, flat_row


def render(ctx: PageContext) -> None:
    st.title("Scores")
    scores = ctx.scores()
    if scores.problems:
        st.warning(f"{len(scores.problems)} grading folder(s) could not be read and are left out.")
        with st.expander("Which, and why"):
            st.text("\n".join(scores.problems))
    if scores.empty:
        st.info(NO_GRADES)
        return
    for table in scores.tables:
        heading(table.eval_set, 2)
        st.html(_html.scores(table))
        st.download_button(
            "Download table (CSV)",
            data=pd.DataFrame([flat_row(r) for r in table.rows]).to_csv(index=False),
            file_name=f"scores-{sanitize_name(table.eval_set)}.csv",
            mime="text/csv",
            key=f"scores_csv_{table.eval_set}",
        )
    st.caption("Every figure comes from its grading folder’s summary.json; nothing is recomputed here.")
