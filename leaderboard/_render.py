"""Showing untrusted text safely, and small formatting shared by the pages.

Model outputs, judge answers, prompts and even model names come from files anyone could have
written. They are shown with `st.text` (plain, preformatted) or inside data frames and charts,
never as HTML and never as Markdown; where a name must sit inside Markdown (a heading), every
Markdown character is escaped first.
"""

from __future__ import annotations

import re

import streamlit as st

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")


def escape_markdown(text: str) -> str:
    """`text` as literal characters inside Markdown (no emphasis, links, HTML, math or emoji)."""
    return _MARKDOWN.sub(r"\\\1", text)


def heading(text: str, level: int = 3) -> None:
    st.markdown("#" * level + " " + escape_markdown(text))


def plain(label: str, text: str) -> None:
    """A caption (our own words) above untrusted text shown verbatim."""
    st.caption(label)
    st.text(text if text else "(empty)")
