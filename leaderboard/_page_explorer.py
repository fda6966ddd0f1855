"""Explorer: prompt by prompt through one comparison, with filters; a conversation turn by turn
(each user message, its reference, then both answers to it).

Everything shown here that came from a file (prompts, outputs, judge answers, flags) goes
through `st.text` or a data frame; nothing untrusted is ever rendered as HTML or Markdown.
"""

from __future__ import annotations

import streamlit as st

from alpaca_bench.health import counts_text, graded, truncation_text

from . import _html
from ._choices import has_results
from ._context import PageContext
from ._explorer import OUTCOMES, ExplorerRow, ShownVerdict, default_comparison, explorer_rows, filter_rows
from ._index import LoadedComparison, ResultsIndex
from ._render import escape_markdown, heading, plain

PAGE_SIZE = 10
FLAG_FILTERS = {"any": None, "flagged only": True, "not flagged": False}


def render(ctx: PageContext) -> None:
    st.title("Explorer")
    index = ctx.index()
    if not has_results(index):
        return
    comparison = _choose(index)
    rows = explorer_rows(index, comparison)
    _summary(comparison, len(rows))
    shown = _filtered(rows)
    st.caption(f"{len(shown)} of {len(rows)} prompts match.")
    if not shown:
        return
    pages = (len(shown) + PAGE_SIZE - 1) // PAGE_SIZE
    page = int(st.number_input("Page", min_value=1, max_value=pages, value=1, key="ex_page"))
    for row in shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        _prompt(row, comparison)


def _choose(index: ResultsIndex) -> LoadedComparison:
    """A comparison, preselected from `?comparison=KEY` when the link carries one, else the
    most complete one."""
    keys = [c.key for c in index.comparisons]
    labels = {c.key: c.label for c in index.comparisons}
    wanted = str(st.query_params.get("comparison", ""))
    start = keys.index(wanted if wanted in keys else default_comparison(index).key)
    key = str(
        st.selectbox("Comparison", keys, index=start, format_func=labels.__getitem__, key="ex_comparison")
    )
    st.query_params["comparison"] = key
    return index.comparison(key)


def _summary(c: LoadedComparison, prompts: int) -> None:
    s = c.summary
    st.html(_html.comparison_summary(s, c.judge, prompts=prompts))
    if graded(s.win_rate, s.discrete_win_rate):
        st.caption(
            escape_markdown(counts_text(s.n, s.wins, s.losses, s.ties, s.win_rate, s.discrete_win_rate))
        )
    truncation = truncation_text(s)
    st.caption(escape_markdown(truncation[:1].upper() + truncation[1:]))
    for warning in s.warnings:
        st.warning(escape_markdown(warning), icon="⚠️")


def _filtered(rows: list[ExplorerRow]) -> list[ExplorerRow]:
    left, middle, right = st.columns(3)
    categories = left.multiselect("Category", sorted({r.category for r in rows}), key="ex_categories")
    outcomes = middle.multiselect("Outcome", list(OUTCOMES), key="ex_outcomes")
    flagged = right.radio("Gaming flags", list(FLAG_FILTERS), horizontal=True, key="ex_flagged")
    search = st.text_input("Search prompts and outputs", key="ex_search")
    return filter_rows(
        rows,
        categories=categories,
        outcomes=outcomes,
        flagged=FLAG_FILTERS[str(flagged)],
        search=search or "",
    )


def _prompt(row: ExplorerRow, c: LoadedComparison) -> None:
    with st.container(border=True):
        st.text(
            f"{row.prompt_id} · {row.category} · {row.outcome}"
            + (f" · preference {row.preference:.2f}" if row.preference is not None else "")
        )
        if row.is_conversation:
            _conversation(row, c)
        else:
            plain("Instruction", row.instruction or "(prompt text not available)")
            if row.input:
                plain("Input", row.input)
            if row.reference:
                plain("Reference answer", row.reference)
            _answers(c, row.baseline_output, row.candidate_output)
        for flag in row.flags:
            st.text(f"⚠ flagged: {flag}")
        _verdicts(f"Judge {c.judge}", row.verdicts)
        if row.human:
            st.caption("Human ratings")
            st.html(_html.verdict_table(row.human))


def _conversation(row: ExplorerRow, c: LoadedComparison) -> None:
    """Turn by turn: the user's message, its reference, then both answers side by side, so each
    answer is read next to the message it replies to."""
    for number, turn in enumerate(row.turns, start=1):
        heading(f"Turn {number}", 4)
        plain("User message", turn.user or "(prompt text not available)")
        if turn.reference:
            plain("Reference answer", turn.reference)
        _answers(c, turn.baseline, turn.candidate)


def _answers(c: LoadedComparison, baseline: str | None, candidate: str | None) -> None:
    left, right = st.columns(2)
    with left:
        heading(f"Baseline: {c.baseline}", 5)
        st.text(_answer_text(baseline))
    with right:
        heading(f"Candidate: {c.candidate}", 5)
        st.text(_answer_text(candidate))


def _answer_text(text: str | None) -> str:
    if text is None:
        return "(no answer to this turn)"
    return text or "(empty)"


def _verdicts(title: str, verdicts: list[ShownVerdict]) -> None:
    if not verdicts:
        st.caption(escape_markdown(f"{title}: not judged"))
        return
    for order, v in enumerate(verdicts, start=1):
        who = f" · rater {v.rater}" if v.rater else ""
        which = f" · order {order}" if len(verdicts) > 1 else ""
        preference = "unscored" if v.preference is None else f"{v.preference:.2f}"
        st.text(
            f"{title}{who}{which}: {v.verdict} · shown first: {v.first_shown} · "
            f"candidate preference {preference}"
        )
        if v.raw:
            with st.expander("Raw judge answer"):
                st.text(v.raw)
