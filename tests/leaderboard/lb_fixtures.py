"""Fixtures of the leaderboard tests, loaded by each test module with `pytest_plugins` (a
conftest.py here would shadow tests/conftest.py for `from conftest import …`).

A results folder made by the real library: `compare` runs of mock models judged by the rouge
judge and by an LLM judge on a real HTTP server (both orders), people's ratings entered through
the rating session, and one model whose every output is an XSS payload."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lb_browser import CHROMIUM_ARGS, chromium_path
from lb_build import build_results

from alpaca_bench.store import ResultsRoot


@pytest.fixture(scope="session")
def lb_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.getbasetemp() / "leaderboard-fixture" / "results"
    if not (root / "demo").is_dir():
        build_results(root)
    return root


@pytest.fixture(scope="session")
def lb_runs(lb_results: Path) -> dict[str, Path]:
    """Run folders by "baseline/candidate/judge-folder"."""
    return {f"{p.parent.name.replace('__vs__', '/')}/{p.name}": p for p in ResultsRoot(lb_results).run_dirs()}


@pytest.fixture
def lb_battle_config(tmp_path: Path) -> Path:
    path = tmp_path / "battle.yaml"
    path.write_text(
        "models:\n"
        "  - {name: alpha, spec: 'mock:alpha?words=8'}\n"
        "  - {name: beta, spec: 'mock:beta?words=16'}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def browser() -> Iterator[object]:
    """A real Chromium (see `lb_browser.find_chromium`), driven through playwright."""
    from playwright.sync_api import sync_playwright  # the [dev] extra

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=chromium_path(driver), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def lb_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for the app under test, without whatever the developer's shell sets."""
    monkeypatch.delenv("ALPACA_BENCH_RESULTS", raising=False)
    monkeypatch.delenv("ALPACA_BENCH_BATTLE_CONFIG", raising=False)
    return dict(os.environ)
