"""The real thing: `alpaca-bench leaderboard` serving the app, driven by a real Chromium through
playwright: every page opens without an exception, a battle vote is stored, an XSS payload in a
model output stays inert text, and plain `streamlit run` works. (How readable each page is, at
two widths and served as well as exported, is `test_visual.py`; the machinery is `lb_browser`.)"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lb_browser import PAGES, TIMEOUT_MS, find_chromium, free_port, open_page, serve, settled
from lb_data import PAYLOAD

from alpaca_bench.files import JsonlLog
from alpaca_bench.records import Judgment

pytestmark = pytest.mark.slow
pytest_plugins = ["lb_fixtures"]


@pytest.fixture
def results(lb_results, tmp_path) -> Path:
    """A copy: battle votes must not change the folder other tests read."""
    return Path(shutil.copytree(lb_results, tmp_path / "results"))


@pytest.fixture
def server(results, lb_battle_config, lb_env, tmp_path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "alpaca_bench", "leaderboard", "--results", str(results),
               "--port", str(port), "--battle-config", str(lb_battle_config)]  # fmt: skip
    yield from serve(command, port, tmp_path / "server.log")


def test_every_page_opens_and_payloads_stay_text(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for slug in PAGES:
        open_page(page, server, slug, tmp_path)
        assert page.locator("h1").first.inner_text().lower().replace("-", "") == slug.replace("-", "")
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0  # hidden on every page

    evil = "&comparison=demo/a__vs__evil/rouge%23rouge"
    open_page(page, server, "explorer", tmp_path, evil, "explorer-payload")
    shown = page.get_by_text(PAYLOAD, exact=True)
    assert shown.count() == 10 and shown.first.is_visible()  # the literal text, on every prompt of the page
    assert page.evaluate("typeof window.__pwned") == "undefined"  # neither the script nor onerror ran
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("script", has_text="__pwned").count() == 0

    open_page(page, server, "leaderboard", tmp_path, shot="leaderboard-link")
    page.get_by_role("link", name="evil", exact=True).click()  # a model's name opens its comparison
    page.wait_for_selector("text=Comparison", timeout=TIMEOUT_MS)
    settled(page)
    assert "comparison=demo%2Fa__vs__evil%2Frouge%23rouge" in page.url or "a__vs__evil" in page.url
    assert page.get_by_text(PAYLOAD, exact=True).count() == 10

    assert not errors, errors
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        [f"{slug}.png" for slug in PAGES] + ["explorer-payload.png", "leaderboard-link.png"]
    )


def test_a_battle_vote_in_a_real_browser(server, browser, tmp_path, results):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    open_page(page, server, "battle", tmp_path)
    rater = page.get_by_role("textbox", name="Your rater id")
    rater.fill("browser-rater")
    rater.press("Enter")
    settled(page)
    page.get_by_role("textbox", name="Prompt").fill("Name a colour of the sky.")
    page.get_by_role("button", name="Ask two anonymous models").click()
    page.get_by_role("button", name="A is better").wait_for(timeout=TIMEOUT_MS)
    settled(page)
    assert page.get_by_text("alpha").count() == 0 and page.get_by_text("beta").count() == 0
    page.get_by_role("button", name="A is better").click()
    page.get_by_text("Vote recorded").wait_for(timeout=TIMEOUT_MS)
    settled(page)
    revealed = page.get_by_text("Model A was").inner_text()
    page.screenshot(path=str(tmp_path / "battle-voted.png"), full_page=True)
    votes = JsonlLog(results / "battle" / "alpha__vs__beta" / "human" / "judgments.jsonl").read(Judgment)
    (vote,) = [v for v in votes if v.rater == "browser-rater"]
    winner = revealed.removeprefix("Model A was ").strip()
    assert vote.preference == (1.0 if winner == vote.candidate else 0.0)


def test_plain_streamlit_run_works_too(lb_results, lb_env, browser, tmp_path):
    port = free_port()
    app = Path(__file__).parents[2] / "leaderboard" / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--", "--results", str(lb_results)]  # fmt: skip
    for url in serve(command, port, tmp_path / "server.log"):
        page = browser.new_page()
        open_page(page, url, "leaderboard", tmp_path)
        page.wait_for_selector("table.ab-main", timeout=TIMEOUT_MS)
        assert page.get_by_text(str(lb_results)).is_visible()
        assert not page.locator('[data-testid="stAppDeployButton"]').is_visible()  # hidden by the stylesheet


def test_chromium_lookup_order(tmp_path, monkeypatch):
    """$ALPACA_BENCH_CHROMIUM, then playwright's own browser, then PATH; never a fixed path."""
    on_path = tmp_path / "bin" / "chromium-browser"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    bundled = tmp_path / "ms-playwright" / "chrome"
    bundled.parent.mkdir()
    bundled.write_text("")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.delenv("ALPACA_BENCH_CHROMIUM", raising=False)
    assert find_chromium(None) == str(on_path)
    assert find_chromium(str(tmp_path / "not-downloaded")) == str(on_path)
    assert find_chromium(str(bundled)) == str(bundled)
    monkeypatch.setenv("ALPACA_BENCH_CHROMIUM", "/opt/my/chrome")
    assert find_chromium(str(bundled)) == "/opt/my/chrome"
    monkeypatch.delenv("ALPACA_BENCH_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_chromium(None) is None
