"""What the pages load, cached across reruns and sessions.

The results index is cached by the folder's fingerprint (every file's path, mtime and size), so
a new judgment, vote or summary is picked up on the next rerun while an unchanged folder is
read once per server; grade summaries likewise, by their own files' fingerprint. The battle
arena (and the models it has loaded) lives as long as the server, per results folder and config
file version.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from alpaca_bench.errors import InputError
from alpaca_bench.judges.human import Arena, load_battle_config

from ._index import Fingerprint, ResultsIndex, results_fingerprint
from ._scores import GradesFingerprint, Scores, grades_fingerprint, load_scores


@st.cache_resource(max_entries=4, show_spinner="Reading the results folder…")
def _index(root: str, fingerprint: Fingerprint) -> ResultsIndex:
    return ResultsIndex.load(Path(root))


def load_index(root: Path) -> ResultsIndex:
    return _index(str(root), results_fingerprint(root))


@st.cache_resource(max_entries=4, show_spinner=False)
def _scores(root: str, fingerprint: GradesFingerprint) -> Scores:
    return load_scores(Path(root))


def load_scores_cached(root: Path) -> Scores:
    """The grade summaries, read again only when one of them (or a manifest) changed."""
    return _scores(str(root), grades_fingerprint(root))


@st.cache_resource(max_entries=4, show_spinner=False)
def _arena(config: str, stamp: int, results: str) -> Arena:
    return Arena(load_battle_config(config), results)


def load_arena(config: Path, results: Path) -> Arena:
    """The arena for this config file as it is now (an edited file starts a new arena)."""
    try:
        stamp = config.stat().st_mtime_ns
    except OSError:
        raise InputError("battle config not found", config) from None
    return _arena(str(config), stamp, str(results))
