"""How long the leaderboard takes to open a big results folder: 50 models × 805 prompts.

Builds the folder with `alpaca_bench.testing.build_synthetic_results` (generations, judgments,
manifests and summaries exactly as `compare` writes them, through the library's own store), then
times a cold load of the results index plus every table the Leaderboard and Head-to-head pages
show (leaderboard rows with length-controlled win rates and Bradley–Terry ratings for every
baseline, head-to-head matrix). The baseline, run in the same process, is the naive load that
trusts no summary on disk and recomputes every one (10,000 bootstrap resamples each), as a viewer
without the freshness check would have to. Target: the cold load under 3 s.

Then what a viewer waits for, each printed with its ratio to the cold index load above:

- export: `export_site(root, out)`, the static site (its own cold index load included);
- exported page: from `page.goto` of the site's index.html in a real Chromium until every
  model's label is in the win-rate chart (`[data-chart="win-rate"] .ab-label`, one per model);
- served page: the same on `alpaca-bench leaderboard`'s Leaderboard page, the first page the
  server renders (cold cache), timed once its health check answers.

The browser is `$ALPACA_BENCH_CHROMIUM`, else `chromium` on PATH, driven by playwright; without
either (or without `export_site`) a figure prints why it is not available.

    python benchmarks/leaderboard_load.py [--models 50] [--prompts 805] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alpaca_bench.leaderboard import IndexSettings, ResultsIndex
from alpaca_bench.testing import build_synthetic_results

LABELS = '[data-chart="win-rate"] .ab-label'
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_S = 300


class NotAvailable(Exception):
    """A figure this machine or this version of the library cannot measure."""


def open_everything(root: Path, settings: IndexSettings) -> tuple[float, int]:
    """Seconds to load the index and build every leaderboard and head-to-head table."""
    started = time.perf_counter()
    index = ResultsIndex.load(root, settings)
    rows = 0
    for eval_set in index.eval_sets():
        for judge in index.judges(eval_set):
            for baseline in index.baselines(eval_set, judge):
                rows += len(index.leaderboard(eval_set, judge, baseline))
            rows += len(index.head_to_head(eval_set, judge))
    return time.perf_counter() - started, rows


def export(root: Path, out: Path) -> float:
    """Seconds for `export_site(root, out)`, which loads the index itself."""
    try:
        from alpaca_bench.leaderboard import export_site  # type: ignore[attr-defined]
    except ImportError as exc:
        raise NotAvailable(f"alpaca_bench.leaderboard has no export_site ({exc})") from exc
    except Exception as exc:  # a half-written module (a SyntaxError) is not there yet either
        raise NotAvailable(f"export_site does not import: {type(exc).__name__}: {exc}") from exc
    started = time.perf_counter()
    export_site(root, out)
    took = time.perf_counter() - started
    if not (out / "index.html").is_file():
        raise RuntimeError(f"export_site wrote no {out / 'index.html'}")
    return took


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium driven by playwright, or NotAvailable saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright  # the [dev] extra
    except ImportError as exc:
        raise NotAvailable(f"playwright is not installed ({exc})") from exc
    path = os.environ.get("ALPACA_BENCH_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise NotAvailable("no chromium: set ALPACA_BENCH_CHROMIUM or put chromium on PATH")
    with sync_playwright() as driver:
        try:
            browser = driver.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        except Exception as exc:  # playwright's own Error: the browser did not start
            raise NotAvailable(f"{path} did not start: {str(exc).splitlines()[0]}") from exc
        try:
            yield browser
        finally:
            browser.close()


def time_to_labels(browser: Any, url: str, n_models: int) -> float:
    """Seconds from `goto(url)` until the win-rate chart shows one label per model."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        started = time.perf_counter()
        page.goto(url, timeout=TIMEOUT_S * 1000)
        page.wait_for_function(
            "([selector, n]) => document.querySelectorAll(selector).length >= n",
            arg=[LABELS, n_models],
            timeout=TIMEOUT_S * 1000,
            polling=50,
        )
        took = time.perf_counter() - started
        found = page.locator(LABELS).count()
    finally:
        page.close()
    if found != n_models:
        raise RuntimeError(f"{found} labels in the win-rate chart, not one per model ({n_models})")
    if errors:
        print(f"  page errors on {url}: {errors[:3]}")
    return took


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def leaderboard_server(root: Path, log: Path) -> Iterator[str]:
    """`alpaca-bench leaderboard` on a free port; its URL once the health check answers 200."""
    port = _free_port()
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
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text()[-600:].strip()
                raise NotAvailable(f"the server did not come up (exit {process.poll()}): {tail}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def exported_page(browser: Any, site: Path, n_models: int) -> float:
    index = site / "index.html"
    if not index.is_file():
        raise NotAvailable(f"no exported site at {site}")
    return time_to_labels(browser, index.resolve().as_uri(), n_models)


def served_page(browser: Any, root: Path, n_models: int, log: Path) -> float:
    with leaderboard_server(root, log) as url:
        try:
            return time_to_labels(browser, f"{url}/?page=leaderboard", n_models)
        except Exception:
            print("  the server's log ends:\n" + "\n".join(log.read_text().splitlines()[-15:]))
            raise


def report(name: str, measure: Callable[[], float], cold: float) -> bool:
    """Print one figure with its ratio to the cold index load; False when it failed."""
    label = f"{name}:".ljust(34)
    try:
        took = measure()
    except NotAvailable as exc:
        print(f"{label}not available: {exc}")
        return True
    except Exception as exc:  # the other figures are still worth having
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"{label}FAILED: {type(exc).__name__}: {first}")
        return False
    print(f"{label}{took:6.2f} s  ({took / cold:.1f}× the cold index load)")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--prompts", type=int, default=805)
    parser.add_argument(
        "--keep", type=Path, help="build the folder (and the site, beside it) here and keep it"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch) / "results"
        site = root.with_name(root.name + "-site") if args.keep else Path(scratch) / "site"
        started = time.perf_counter()
        names = build_synthetic_results(root, args.models, args.prompts)
        took = time.perf_counter() - started
        print(f"built {args.models} models × {args.prompts} prompts in {took:.1f} s → {root}")
        cold, rows = open_everything(root, IndexSettings())
        naive, naive_rows = open_everything(root, IndexSettings(trust_summaries=False))
        assert rows == naive_rows
        print(f"cold load, summaries from disk:   {cold:6.2f} s  ({rows} table rows)")
        print(f"naive load, every summary redone: {naive:6.2f} s")
        print(
            f"speed-up: {naive / cold:.1f}×   target: cold load < 3 s → {'met' if cold < 3.0 else 'NOT met'}"
        )

        ok = [report("export (static site)", lambda: export(root, site), cold)]
        n_models, log = len(names), Path(scratch) / "server.log"
        try:
            with chromium() as browser:
                ok.append(
                    report("exported page (Chromium)", lambda: exported_page(browser, site, n_models), cold)
                )
                ok.append(
                    report(
                        "served page (Chromium, cold)",
                        lambda: served_page(browser, root, n_models, log),
                        cold,
                    )
                )
        except NotAvailable as exc:
            print(f"{'exported page, served page:'.ljust(34)}not available: {exc}")
    if not all(ok):
        sys.exit(1)


if __name__ == "__main__":
    main()
