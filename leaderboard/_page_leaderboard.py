"""Leaderboard: one row per model against a chosen baseline (the baseline's own row included),
or Bradley–Terry ratings of all; laid out by `_html`, the same fragments the export writes."""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import streamlit as st

from alpaca_bench.store import sanitize_name

from . import _html
from ._choices import eval_set_and_judge, has_results
from ._context import PageContext
from ._index import ResultsIndex

ALL_MODELS = "All models (Bradley–Terry ratings)"


def render(ctx: PageContext) -> None:
    st.title("Leaderboard")
    index = ctx.index()
    if not has_results(index):
        return
    eval_set, judge = eval_set_and_judge(index, "lb")
    options = _views(index, eval_set, judge)
    view = str(st.selectbox("Baseline", options, key="lb_baseline"))
    name = sanitize_name(f"{eval_set}-{judge}-{'all' if view == ALL_MODELS else view}")
    if view == ALL_MODELS:
        rows = index.ratings(eval_set, judge)
        st.html(_html.ratings(rows))
    else:
        rows = index.leaderboard(eval_set, judge, view)
        warned = sum(1 for row in rows if row["warnings"])
        if warned:
            st.warning(
                f"{warned} of {len(rows) - 1} comparisons have warnings (see Notes): their win rates "
                "may say more about truncated answers or the judge than about the models.",
                icon="⚠️",
            )
        st.html(_html.leaderboard(rows, link=explorer_link))
    if rows:
        st.download_button(
            "Download table (CSV)",
            data=pd.DataFrame(rows).to_csv(index=False),
            file_name=f"leaderboard-{name}.csv",
            mime="text/csv",
            key="lb_csv",
        )


def explorer_link(key: str) -> str:
    """The Explorer on one comparison, in this app."""
    return f"?page=explorer&comparison={quote(key, safe='')}"


def _views(index: ResultsIndex, eval_set: str, judge: str) -> list[str]:
    """Baselines, most used first; the ratings view leads when no model is a common baseline."""
    baselines = index.baselines(eval_set, judge)
    main = len(index.select(eval_set, judge, baselines[0])) if baselines else 0
    if main * 2 < len(index.select(eval_set, judge)):
        return [ALL_MODELS, *baselines]
    return [*baselines, ALL_MODELS]
