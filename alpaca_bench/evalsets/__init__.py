"""Eval sets: what `--eval-set` accepts and how it becomes a list of Prompts."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError
from ._base import EvalSet, NamedSet, named_sets, register_eval_set
from ._builtin import register_builtins
from ._fetch import DATA_FILES, FetchReport, fetch_data
from ._local import SUFFIXES, load_hub, load_local, parse_field_map
from ._peer_sets import register_peer_sets

__all__ = [
    "DATA_FILES",
    "EvalSet",
    "FetchReport",
    "NamedSet",
    "as_eval_set",
    "available_eval_sets",
    "fetch_data",
    "load_eval_set",
    "parse_field_map",
    "register_eval_set",
]

register_builtins()
register_peer_sets()


def available_eval_sets() -> dict[str, NamedSet]:
    return named_sets()


def load_eval_set(spec: str, field_map: Mapping[str, str] | None = None) -> EvalSet:
    """Resolve a name, `hf:org/name[:config][:split]`, or a local file path."""
    known = named_sets()
    if spec in known:
        return known[spec].load()
    if spec.startswith("hf:"):
        return load_hub(spec[3:], field_map)
    path = Path(spec).expanduser()
    if path.suffix.lower() in SUFFIXES or path.exists():
        return load_local(path, field_map)
    close = difflib.get_close_matches(spec, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise InputError(
        f"unknown eval set {spec!r}; {hint}use one of {', '.join(sorted(known))}, "
        "hf:org/name[:config][:split], or a .json/.jsonl/.csv/.parquet file"
    )


def as_eval_set(value: str | EvalSet, limit: int | None = None) -> EvalSet:
    """An eval set given as a spec (loaded) or already loaded, cut to its first `limit` prompts."""
    loaded = value if isinstance(value, EvalSet) else load_eval_set(value)
    return loaded.head(limit)
