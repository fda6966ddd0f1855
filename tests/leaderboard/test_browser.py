"""The real thing: `alpaca-bench leaderboard` serving the app, driven by a real Chromium through
playwright: tables and charts render, every page opens without an exception, a battle vote is
stored, and an XSS payload in a model output stays inert text.

The browser is found by `find_chromium` (the order the README gives): `$ALPACA_BENCH_CHROMIUM`,
playwright's own Chromium (`playwright install chromium`), then a Chromium or Chrome on PATH.
Without one these tests fail in CI (`CI` or `ALPACA_BENCH_CI` set) and are skipped elsewhere."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from lb_data import PAYLOAD

from alpaca_bench.files import JsonlLog
from alpaca_bench.records import Judgment

pytestmark = pytest.mark.slow
pytest_plugins = ["lb_fixtures"]

ON_PATH = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = ("leaderboard", "head-to-head", "explorer", "judges", "battle")
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(command: list[str], port: int, log: Path) -> Iterator[str]:
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not come up:\n" + log.read_text()
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def results(lb_results, tmp_path) -> Path:
    """A copy: battle votes must not change the folder other tests read."""
    return Path(shutil.copytree(lb_results, tmp_path / "results"))


@pytest.fixture
def server(results, lb_battle_config, lb_env, tmp_path) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "alpaca_bench", "leaderboard", "--results", str(results),
               "--port", str(port), "--battle-config", str(lb_battle_config)]  # fmt: skip
    yield from _serve(command, port, tmp_path / "server.log")


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright  # the [dev] extra

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=_chromium(driver), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def find_chromium(bundled: str | None) -> str | None:
    """The browser to drive: $ALPACA_BENCH_CHROMIUM, else playwright's own (`bundled`, when it
    is installed), else the first Chromium or Chrome on PATH; None when there is none."""
    named = os.environ.get("ALPACA_BENCH_CHROMIUM")
    if named:
        return named
    if bundled and Path(bundled).is_file():
        return bundled
    return next((found for name in ON_PATH if (found := shutil.which(name))), None)


def _chromium(driver) -> str:
    try:
        bundled = driver.chromium.executable_path
    except Exception:  # playwright raises when its browsers were never downloaded
        bundled = None
    found = find_chromium(bundled)
    if found is not None and Path(found).is_file():
        return found
    message = (
        f"no Chromium for the browser tests ({found or 'none found'}): run `playwright install chromium`, "
        "install chromium, or set ALPACA_BENCH_CHROMIUM to a browser's path"
    )
    if os.environ.get("CI") or os.environ.get("ALPACA_BENCH_CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _settled(page) -> None:
    """Wait until Streamlit has finished running the script and drawn the page."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_timeout(300)


def _open(page, url: str, slug: str, tmp_path: Path, query: str = "") -> None:
    page.goto(f"{url}/?page={slug}{query}")
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)
    _settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")
    page.screenshot(path=str(tmp_path / f"{slug}.png"), full_page=True)


def test_every_page_in_a_real_browser(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    _open(page, server, "leaderboard", tmp_path)
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=TIMEOUT_MS)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.locator("canvas, svg").first.wait_for(timeout=TIMEOUT_MS)
    assert chart.bounding_box()["height"] > 50
    assert page.get_by_text("Download table (CSV)").is_visible()

    for slug in PAGES[1:]:
        _open(page, server, slug, tmp_path)
        assert page.locator("h1").first.inner_text().lower().replace("-", "") == slug.replace("-", "")
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0  # the battle page has none

    _open(page, server, "explorer", tmp_path, "&comparison=demo/a__vs__evil/rouge%23rouge")
    shown = page.get_by_text(PAYLOAD, exact=True)
    assert shown.count() == 10 and shown.first.is_visible()  # the literal text, on every prompt of the page
    assert page.evaluate("typeof window.__pwned") == "undefined"  # neither the script nor onerror ran
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("script", has_text="__pwned").count() == 0
    page.screenshot(path=str(tmp_path / "explorer-payload.png"), full_page=True)

    assert not errors, errors
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        [f"{slug}.png" for slug in PAGES] + ["explorer-payload.png"]
    )


def test_a_battle_vote_in_a_real_browser(server, browser, tmp_path, results):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _open(page, server, "battle", tmp_path)
    rater = page.get_by_role("textbox", name="Your rater id")
    rater.fill("browser-rater")
    rater.press("Enter")
    _settled(page)
    page.get_by_role("textbox", name="Prompt").fill("Name a colour of the sky.")
    page.get_by_role("button", name="Ask two anonymous models").click()
    page.get_by_role("button", name="A is better").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    assert page.get_by_text("alpha").count() == 0 and page.get_by_text("beta").count() == 0
    page.get_by_role("button", name="A is better").click()
    page.get_by_text("Vote recorded").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    revealed = page.get_by_text("Model A was").inner_text()
    page.screenshot(path=str(tmp_path / "battle-voted.png"), full_page=True)
    votes = JsonlLog(results / "battle" / "alpha__vs__beta" / "human" / "judgments.jsonl").read(Judgment)
    (vote,) = [v for v in votes if v.rater == "browser-rater"]
    winner = revealed.removeprefix("Model A was ").strip()
    assert vote.preference == (1.0 if winner == vote.candidate else 0.0)


def test_plain_streamlit_run_works_too(lb_results, lb_env, browser, tmp_path):
    port = _free_port()
    app = Path(__file__).parents[2] / "leaderboard" / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--", "--results", str(lb_results)]  # fmt: skip
    for url in _serve(command, port, tmp_path / "server.log"):
        page = browser.new_page()
        _open(page, url, "leaderboard", tmp_path)
        page.wait_for_selector('[data-testid="stDataFrame"]', timeout=TIMEOUT_MS)
        assert page.get_by_text(str(lb_results)).is_visible()


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
