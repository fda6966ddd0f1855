"""Plugins add schemes to the backend and judge registries, eagerly or by import path."""

import pytest

from alpaca_bench.errors import InputError
from alpaca_bench.judges import judge_schemes, load_judge, register_judge
from alpaca_bench.models import MockBackend, backend_schemes, load_backend, register_backend
from alpaca_bench.registry import LazyRegistry


def test_register_a_backend_scheme_with_a_callable():
    register_backend("echo", lambda rest, options: MockBackend(f"{rest}?echo=1", options))
    assert "echo" in backend_schemes()
    backend = load_backend("echo:parrot")
    assert backend.name == "parrot" and backend.echo


def test_register_a_judge_by_import_path():
    register_judge("rouge2", "alpaca_bench.judges._reference:RougeJudge")
    assert "rouge2" in judge_schemes()
    with pytest.raises(InputError, match="just 'rouge'"):  # the factory itself ran
        load_judge("rouge2")


def test_lazy_entries_are_imported_once_and_cached():
    registry: LazyRegistry[object] = LazyRegistry({"path": "pathlib:Path"})
    from pathlib import Path

    assert registry.get("path") is Path
    assert registry.names() == ["path"] and "path" in registry and "other" not in registry
