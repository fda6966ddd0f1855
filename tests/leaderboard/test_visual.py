"""Is every page readable, served and exported, at 1400 and 900 px? Real Chromium on real
results: six models compared with one baseline by the rouge judge, one pair also by an LLM
judge in both orders and by two people; and a folder of 50 models × 805 prompts.

Each page is screenshotted and passes the DOM checks of `lb_browser.readable`: every chart's
labels rendered, unclipped and apart; no cell reading "None" or "nan"; no raw column names; the
main table without sideways scrolling at 1400 px. The exported site must make no request that is
not a file of its own and run no script from a model output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lb_browser import PAGES, TIMEOUT_MS, free_port, open_page, readable, serve
from lb_build import run_compare
from lb_data import EVIL, LLM_JUDGE, PAYLOAD, RATINGS

from alpaca_bench.judges.human import RatingSession
from alpaca_bench.leaderboard import ResultsIndex, export_site
from alpaca_bench.store import RunFolder
from alpaca_bench.testing import ScriptedOpenAIServer, build_synthetic_results

from helpers import longer_wins

pytestmark = pytest.mark.slow
pytest_plugins = ["lb_fixtures"]

BASELINE = "a"
CANDIDATES = {
    "b": "mock:b?words=30",
    "c": "mock:c?words=20",
    "d-long-model-name-instruct-v2": "mock:d-long-model-name-instruct-v2?words=60",
    "e": "mock:e?words=12",
    "f": "mock:f?words=4",
    "evil": EVIL,
}
MODELS = {BASELINE, *CANDIDATES}
WIDTHS = (1400, 900)


@pytest.fixture(scope="module")
def six(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("six") / "results"
    rated = None
    for name, spec in CANDIDATES.items():
        run = run_compare(root, f"mock:{BASELINE}?words=10", spec)
        rated = run if name == "b" else rated
    with ScriptedOpenAIServer(longer_wins) as server:
        run_compare(
            root,
            "mock:a?words=10",
            "mock:b?words=30",
            f"openai:{LLM_JUDGE}@{server.base_url}",
            both_orders=True,
        )
    assert rated is not None
    for rater, choices in RATINGS.items():
        session = RatingSession(RunFolder(rated), rater, seed=1, limit=len(choices))
        for choice in choices:
            session.rate(choice)  # type: ignore[arg-type]
    return root


@pytest.fixture
def six_server(six, lb_battle_config, lb_env, tmp_path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "alpaca_bench", "leaderboard", "--results", str(six),
               "--port", str(port), "--battle-config", str(lb_battle_config)]  # fmt: skip
    yield from serve(command, port, tmp_path / "server.log")


def _watch(page) -> tuple[list[str], list[str]]:
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return requests, errors


def _leaderboard_checks(page, labels: dict[str, list[str]]) -> None:
    assert set(labels["win-rate"]) == MODELS and len(labels["win-rate"]) == len(MODELS)
    baseline_row = page.locator("table.ab-main tr.ab-baseline")
    assert baseline_row.count() == 1 and BASELINE in baseline_row.inner_text()
    assert "50.0" in baseline_row.inner_text()
    assert page.get_by_text("Rank = 1 + the number of models").count() == 1
    assert page.locator("table.ab-main .ab-small").count() >= 1  # 20 prompts: marked with its MDE
    assert page.locator("table.ab-main .ab-mark").count() >= 1  # "d" writes 6x the baseline: LC caveat


def test_served_pages_are_readable_at_both_widths(six_server, browser, tmp_path):
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        _, errors = _watch(page)
        for slug in PAGES:
            open_page(page, six_server, slug, tmp_path, shot=f"served-{slug}-{width}")
            labels = readable(page, width, main_table_fits=width == 1400)
            if slug == "leaderboard":
                _leaderboard_checks(page, labels)
            if slug == "head-to-head":
                assert set(labels["head-to-head"]) == MODELS and len(labels["head-to-head"]) == 2 * len(
                    MODELS
                )
            if slug == "judges":
                assert labels["length-bias"] and page.get_by_text("Cohen's κ").count() == 1
            if slug == "explorer":  # the most complete comparison: the LLM judge's, both orders
                assert f"a__vs__b%2F{LLM_JUDGE}-pairwise" in page.url  # the app writes its choice there
                assert page.get_by_text("order 2").count() >= 1
                assert page.get_by_text("Reference answer").count() >= 1
            assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
        assert not errors, errors
        page.close()
    assert len(list(tmp_path.glob("served-*.png"))) == 2 * len(PAGES)


def test_exported_site_is_readable_offline_and_inert(six, browser, tmp_path):
    report = export_site(six, tmp_path / "site")
    site = report.out
    index = ResultsIndex.load(six)
    evil = next(c for c in index.comparisons if c.candidate == "evil")
    files = {
        "index": "index.html",
        "ratings": "leaderboard-demo--rouge--all.html",
        "head-to-head": "head-to-head-demo--rouge.html",
        "judges": "judges-demo.html",
        "explorer-list": "explorer.html",
        "explorer-evil": "explorer-demo--a--evil--rouge.html",
        "explorer-llm": f"explorer-demo--a--b--{LLM_JUDGE}-pairwise.html",
    }
    assert all((site / f).is_file() for f in files.values()), sorted(p.name for p in site.iterdir())
    assert (site / "data" / "leaderboard.json").is_file() and evil.key
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        requests, errors = _watch(page)
        for name, file in files.items():
            page.goto((site / file).as_uri())
            if name.startswith("explorer-") and name != "explorer-list":
                page.wait_for_selector(".ab-card", timeout=TIMEOUT_MS)
            page.screenshot(path=str(tmp_path / f"exported-{name}-{width}.png"), full_page=True)
            labels = readable(page, width, main_table_fits=width == 1400)
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (name, width)
            if name == "index":
                _leaderboard_checks(page, labels)
            if name == "ratings":
                assert set(labels["ratings"]) == MODELS
                assert page.locator("table.ab-main .ab-ci").count() == len(MODELS)  # every BT interval
            if name == "head-to-head":
                assert set(labels["head-to-head"]) == MODELS
            if name == "explorer-evil":
                assert page.get_by_text(PAYLOAD, exact=True).count() == 20  # every card, as text
                assert page.evaluate("typeof window.__pwned") == "undefined"
                assert page.locator('img[src="x"]').count() == 0
            if name == "explorer-llm":
                assert page.locator(".ab-verdict").count() == 2 * page.locator(".ab-card").count()
                assert page.locator(".ab-reference").count() >= 1
        assert not errors, errors
        foreign = [url for url in requests if not url.startswith(site.as_uri())]
        assert not foreign, foreign  # nothing but the site's own files: no network at all
        page.close()


@pytest.fixture(scope="module")
def fifty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("fifty") / "results"
    names = build_synthetic_results(root, 50, 805, n_boot=200)
    return root, names


def test_fifty_models_every_label_served_and_exported(fifty, browser, lb_env, tmp_path):
    root, names = fifty
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "alpaca_bench",
        "leaderboard",
        "--results",
        str(root),
        "--port",
        str(port),
    ]
    rows = '[data-chart="win-rate"] .ab-label'
    for url in serve(command, port, tmp_path / "server.log"):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_page(page, url, "leaderboard", tmp_path, shot="served-fifty")
        page.wait_for_function(
            f"document.querySelectorAll('{rows}').length === {len(names)}", timeout=TIMEOUT_MS
        )
        labels = readable(page, 1400, main_table_fits=True)
        assert sorted(labels["win-rate"]) == sorted(names)
        open_page(page, url, "head-to-head", tmp_path, shot="served-fifty-h2h")
        assert sorted(set(readable(page, 1400, main_table_fits=False)["head-to-head"])) == sorted(names)
    site = export_site(root, tmp_path / "site").out
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        requests, _ = _watch(page)
        page.goto((site / "index.html").as_uri())
        page.screenshot(path=str(tmp_path / f"exported-fifty-{width}.png"), full_page=True)
        assert sorted(readable(page, width, main_table_fits=width == 1400)["win-rate"]) == sorted(names)
        assert all(url.startswith(site.as_uri()) for url in requests)
