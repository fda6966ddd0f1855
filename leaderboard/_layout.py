"""The app's frame: page choice in the sidebar (kept in the URL as `?page=`), the results
folder in use, and one-line errors instead of tracebacks for bad input."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from alpaca_bench.errors import AlpacaBenchError

from . import (
    _page_battle,
    _page_explorer,
    _page_head_to_head,
    _page_judges,
    _page_leaderboard,
    _page_scores,
)
from ._context import PageContext
from ._html import stylesheet
from ._render import escape_markdown
from ._settings import app_settings

Page = Callable[[PageContext], None]

PAGES: dict[str, Page] = {
    "Leaderboard": _page_leaderboard.render,
    "Scores": _page_scores.render,
    "Head-to-head": _page_head_to_head.render,
    "Explorer": _page_explorer.render,
    "Judges": _page_judges.render,
    "Battle": _page_battle.render,
}


def slug(name: str) -> str:
    return name.lower()


def main(argv: Sequence[str]) -> None:
    st.set_page_config(page_title="alpaca-bench leaderboard", layout="wide")
    st.html(f"<style>{stylesheet()}</style>")  # style only: added to the page, takes no space
    settings = app_settings(argv)
    names = list(PAGES)
    by_slug = {slug(name): name for name in names}
    requested = by_slug.get(str(st.query_params.get("page", "")), names[0])
    choice = st.sidebar.radio("Page", names, index=names.index(requested), key="page")
    st.query_params["page"] = slug(choice)
    st.sidebar.caption("Results folder")
    st.sidebar.text(str(settings.results))
    try:
        PAGES[choice](PageContext(settings))
    except AlpacaBenchError as exc:
        st.error(escape_markdown(str(exc)))
