"""The eval set / judge / comparison pickers several pages share."""

from __future__ import annotations

import streamlit as st

from ._index import ResultsIndex

NO_RESULTS = (
    "No comparisons in this results folder yet. Make one with "
    "`alpaca-bench compare BASELINE CANDIDATE --output-dir DIR`, then reload."
)


def has_results(index: ResultsIndex) -> bool:
    """Show what could not be read, and a hint when there is nothing to show."""
    if index.problems:
        st.warning(f"{len(index.problems)} run folder(s) could not be read and are left out.")
        with st.expander("Which, and why"):
            st.text("\n".join(index.problems))
    if not index.eval_sets():
        st.info(NO_RESULTS)
        return False
    return True


def eval_set_and_judge(index: ResultsIndex, key: str) -> tuple[str, str]:
    left, right = st.columns(2)
    eval_set = left.selectbox("Eval set", index.eval_sets(), key=f"{key}_eval_set")
    judge = right.selectbox("Judge", index.judges(str(eval_set)), key=f"{key}_judge")
    return str(eval_set), str(judge)
