"""Real-browser machinery the leaderboard's browser tests share (the `browser` fixture is in
`lb_fixtures`): finding a Chromium, serving the app, waiting for Streamlit to settle, and the
DOM checks a page must pass to be readable (`readable`).

The browser is found by `find_chromium` (the order the README gives): `$ALPACA_BENCH_CHROMIUM`,
playwright's own Chromium (`playwright install chromium`), then a Chromium or Chrome on PATH.
Without one the tests fail in CI (`CI` or `ALPACA_BENCH_CI` set) and are skipped elsewhere."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(command: list[str], port: int, log: Path) -> Iterator[str]:
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


def find_chromium(bundled: str | None) -> str | None:
    """The browser to drive: $ALPACA_BENCH_CHROMIUM, else playwright's own (`bundled`, when it
    is installed), else the first Chromium or Chrome on PATH; None when there is none."""
    named = os.environ.get("ALPACA_BENCH_CHROMIUM")
    if named:
        return named
    if bundled and Path(bundled).is_file():
        return bundled
    return next((found for name in ON_PATH if (found := shutil.which(name))), None)


def chromium_path(driver) -> str:
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


def settled(page) -> None:
    """Wait until Streamlit has finished running the script and drawn the page."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_timeout(300)


def open_page(page, url: str, slug: str, tmp_path: Path, query: str = "", shot: str | None = None) -> None:
    """Open one page of the served app, wait for it, check it raised nothing, screenshot it."""
    page.goto(f"{url}/?page={slug}{query}")
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)
    settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")
    page.screenshot(path=str(tmp_path / f"{shot or slug}.png"), full_page=True)


# What a reader must be able to see on every page, checked in the DOM the browser laid out:
# each chart's labels rendered, unclipped and not on top of each other; no cell reading
# "None" or "nan"; a table that scrolls sideways only inside its own box.
READABLE_JS = """
() => {
  const problems = [];
  const labels = {};
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  for (const chart of document.querySelectorAll('[data-chart]')) {
    const name = chart.dataset.chart;
    const found = [...chart.querySelectorAll('.ab-label')];
    labels[name] = found.map(el => el.textContent.trim());
    const rects = found.map(el => el.getBoundingClientRect());
    found.forEach((el, i) => {
      const style = getComputedStyle(el);
      const hidden = style.visibility === 'hidden' || style.display === 'none';
      if (rects[i].width < 1 || rects[i].height < 1 || hidden)
        problems.push(`${name}: label "${el.textContent}" is not rendered`);
      if (el.scrollWidth > el.clientWidth + 1 && style.writingMode === 'horizontal-tb')
        problems.push(`${name}: label "${el.textContent}" is clipped`);
    });
    for (let i = 0; i < rects.length; i++)
      for (let j = i + 1; j < rects.length; j++)
        if (overlap(rects[i], rects[j]))
          problems.push(`${name}: labels "${found[i].textContent}" and "${found[j].textContent}" overlap`);
  }
  for (const el of document.querySelectorAll('td, th, dd, dt, li, pre, p, span, div')) {
    if (el.children.length) continue;
    const text = el.textContent.trim();
    const inCell = el.closest('td, th, dd');
    if (/^(None|nan|NaN|null|undefined)$/.test(text) || (inCell && /\\b(None|NaN)\\b/.test(text)))
      problems.push(`a cell reads "${text}"`);
  }
  for (const table of document.querySelectorAll('.ab-main')) {
    const box = table.parentElement;
    labels['main-table-overflow'] = [String(box.scrollWidth - box.clientWidth)];
  }
  const snake = [...document.querySelectorAll('th, dt, h1, h2, h3, figcaption, summary')]
    .map(el => el.textContent.trim()).filter(t => /^[a-z]+(_[a-z]+)+$/.test(t));
  snake.forEach(t => problems.push(`raw column name "${t}"`));
  return {problems, labels};
}
"""


def readable(page, width: int, *, main_table_fits: bool) -> dict[str, list[str]]:
    """Run the DOM checks; fail with every problem found. Returns each chart's labels."""
    found = page.evaluate(READABLE_JS)
    problems = list(found["problems"])
    overflow = found["labels"].pop("main-table-overflow", ["0"])
    if main_table_fits and int(overflow[0]) > 0:
        problems.append(f"the main table scrolls sideways by {overflow[0]} px at {width} px")
    assert not problems, problems
    labels: dict[str, list[str]] = found["labels"]
    return labels
