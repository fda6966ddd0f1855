"""Head-to-head: the win rate of every model against every model it was compared with."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from alpaca_bench.store import sanitize_name

from . import _html
from ._choices import eval_set_and_judge, has_results
from ._context import PageContext


def render(ctx: PageContext) -> None:
    st.title("Head-to-head")
    index = ctx.index()
    if not has_results(index):
        return
    eval_set, judge = eval_set_and_judge(index, "h2h")
    rows = index.head_to_head(eval_set, judge)
    st.html(_html.heatmap(rows))
    if rows:
        st.download_button(
            "Download pairs (CSV)",
            data=pd.DataFrame(rows).to_csv(index=False),
            file_name=f"head-to-head-{sanitize_name(f'{eval_set}-{judge}')}.csv",
            mime="text/csv",
            key="h2h_csv",
        )
