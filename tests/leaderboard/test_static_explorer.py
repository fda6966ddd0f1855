"""The static site's explorer (`leaderboard/_static/explorer.js`) in a real Chromium, opened from
`file://` with no server: data arrives as `<script src>` files filling `window.AB_DATA`. Cards,
filters, pagination and the state in `location.hash`; untrusted text stays inert; nothing is
requested beyond the page's own files; the layout reads at 1400 and 900 px."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from lb_data import PAYLOAD

pytestmark = pytest.mark.slow
pytest_plugins = ["lb_fixtures"]

STATIC = Path(__file__).resolve().parents[2] / "leaderboard" / "_static"
EVAL, BASELINE, CANDIDATE, JUDGE = "mini", "base-model", "cand-model", "rouge"
KEY = f"{EVAL}/{BASELINE}__vs__{CANDIDATE}/{JUDGE}"
OUTCOMES = ("candidate wins", "baseline wins", "tie", "unscored", "not judged")
CATEGORIES = ("brainstorm", "coding", "open qa")
GHOST = "ghost-prompt"  # has outputs and a row, but no entry in AB_DATA.prompts
PAYLOAD_ID, FLAGGED_ID, EMPTY_ID, LONG_ID = "p05", "p12", "p07", "p09"
NO_OUTPUT_ID = "p44"  # the candidate has no output for it
FLAG = "candidate: repeated text (the same 12-word span 5 times)"
SHOWN_NOTHING = ("None", "null", "undefined", "NaN")
TIMEOUT_MS = 30_000


def _prompts() -> dict[str, dict]:
    prompts = {}
    for i in range(45):
        colour = "What Colour is it?" if i % 7 == 0 else "Describe it."
        prompts[f"p{i:02d}"] = {
            "instruction": f"Instruction {i}: {colour}",
            "input": f"input text {i}" if i % 5 == 0 else "",
            "reference": f"The reference for {i}." if i % 4 == 0 else ("" if i % 4 == 1 else None),
            "category": CATEGORIES[i % 3],
        }
    return prompts


def _outputs(side: str, ids: list[str]) -> dict[str, str]:
    outputs = {pid: f"{side} answer to {pid}" for pid in ids}
    if side == "candidate":
        outputs[PAYLOAD_ID] = PAYLOAD
        outputs[EMPTY_ID] = ""
        outputs[LONG_ID] = "x" * 900  # one unbroken word that must wrap
        outputs["p23"] = "the sky has a colour"  # a search hit in an output only
        del outputs[NO_OUTPUT_ID]
    return outputs


def _verdict(first: str, preference: float | None, raw: str = "", rater: str | None = None) -> dict:
    positional = {1.0: "A>B", 0.0: "B>A", 0.5: "tie", None: "first"}[preference]
    return {"first_shown": first, "verdict": positional, "preference": preference, "raw": raw,
            "rater": rater, "both_bad": False}  # fmt: skip


def _rows(ids: list[str]) -> list[dict]:
    rows = []
    for i, pid in enumerate(ids):
        outcome = OUTCOMES[i % 5]
        preference = {"candidate wins": 1.0, "baseline wins": 0.0, "tie": 0.5}.get(outcome)
        verdicts = []
        if outcome != "not judged":
            verdicts.append(_verdict("baseline", preference, raw=f"score {i}" if i % 2 else ""))
            if i % 3 == 0:  # both orders
                verdicts.append(_verdict("candidate", preference, raw=f"second look at {pid}"))
        human = []
        if i in (1, 2, 8):
            human = [_verdict("candidate", 1.0, rater="alice"), _verdict("baseline", None, rater=None)]
            human[1]["both_bad"] = True
        rows.append({"id": pid, "outcome": outcome, "preference": preference, "verdicts": verdicts,
                     "human": human, "flags": [FLAG] if pid == FLAGGED_ID else []})  # fmt: skip
    return rows


def _assign(what: str, key: str, value: object) -> str:
    return (
        "window.AB_DATA = window.AB_DATA || {prompts: {}, outputs: {}, comparisons: {}};\n"
        f"AB_DATA.{what}[{json.dumps(key)}] = {json.dumps(value, indent=1)};\n"
    )


def _page(comparison_key: str, scripts: list[str]) -> str:
    tags = "".join(f'<script src="{src}"></script>\n' for src in [*scripts, "assets/explorer.js"])
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Explorer</title>'
        '<link rel="stylesheet" href="assets/explorer.css"></head>\n<body><h1>A comparison</h1>\n'
        f'<div id="ab-explorer" data-comparison="{comparison_key}"></div>\n{tags}</body></html>\n'
    )


class Site:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.prompts = _prompts()
        self.ids = [*self.prompts, GHOST]
        self.rows = _rows(self.ids)
        self.baseline = _outputs("baseline", self.ids)
        self.candidate = _outputs("candidate", self.ids)
        comparison = {"key": KEY, "eval_set": EVAL, "baseline": BASELINE, "candidate": CANDIDATE,
                      "judge": JUDGE, "rows": self.rows}  # fmt: skip
        files = {
            f"data/prompts/{EVAL}.js": _assign("prompts", EVAL, self.prompts),
            f"data/outputs/{EVAL}/{BASELINE}.js": _assign("outputs", f"{EVAL}/{BASELINE}", self.baseline),
            f"data/outputs/{EVAL}/{CANDIDATE}.js": _assign("outputs", f"{EVAL}/{CANDIDATE}", self.candidate),
            "data/comparisons/mini-base-vs-cand.js": _assign("comparisons", KEY, comparison),
        }
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        (root / "assets").mkdir()
        for name in ("explorer.js", "explorer.css"):
            shutil.copy(STATIC / name, root / "assets" / name)
        (root / "compare.html").write_text(_page(KEY, list(files)), encoding="utf-8")
        (root / "missing.html").write_text(_page("no/such__vs__key/x", list(files)[:3]), encoding="utf-8")

    def url(self, name: str = "compare.html", hash_: str = "") -> str:
        return (self.root / name).as_uri() + hash_

    def matching(self, outcome: str = "", q: str = "", flagged: bool | None = None) -> list[str]:
        """Ids the explorer should list, by the documented rule (search: id, instruction,
        input and both outputs, case-insensitive)."""
        found = []
        for row in self.rows:
            pid = row["id"]
            prompt = self.prompts.get(pid, {})
            text = [pid, prompt.get("instruction", ""), prompt.get("input", ""),
                    self.baseline.get(pid, ""), self.candidate.get(pid, "")]  # fmt: skip
            if outcome and row["outcome"] != outcome:
                continue
            if q and q.lower() not in "\n".join(text).lower():
                continue
            if flagged is not None and bool(row["flags"]) != flagged:
                continue
            found.append(pid)
        return found


@pytest.fixture
def site(tmp_path) -> Site:
    root = tmp_path / "site"
    root.mkdir()
    return Site(root)


class Watched:
    """A page whose requests, page errors and console errors are recorded."""

    def __init__(self, browser, width: int) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("requestfailed", lambda request: self.errors.append(f"failed: {request.url}"))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector(".ab-count, .ab-error", timeout=TIMEOUT_MS)

    def ids(self) -> list[str]:
        return self.page.locator(".ab-card").evaluate_all("cards => cards.map(c => c.dataset.promptId)")

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()

    def hash(self) -> str:
        return self.page.evaluate("location.hash")

    def check_clean(self) -> None:
        shown = self.page.evaluate(
            """() => [...document.body.querySelectorAll('*')].map(e => [...e.childNodes]
                 .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('').trim())"""
        )
        assert not [s for s in shown if s in SHOWN_NOTHING]
        assert not self.errors, self.errors
        assert self.requests and all(url.startswith("file://") for url in self.requests), self.requests


def _card(watched: Watched, pid: str):
    return watched.page.locator(f'.ab-card[data-prompt-id="{pid}"]')


def _columns(watched: Watched, pid: str) -> list[dict]:
    """The bounding boxes of a card's baseline and candidate output columns."""
    return [
        _card(watched, pid).locator(f".ab-output-{side}").bounding_box() for side in ("baseline", "candidate")
    ]


def test_pages_filters_and_hash_at_1400(browser, site, tmp_path):
    w = Watched(browser, 1400)
    w.open(site.url())
    total = len(site.rows)
    assert w.text(".ab-count") == f"{total} of {total} prompts match"
    assert w.text(".ab-page") == "Page 1 of 3"
    assert w.ids() == site.ids[:20]
    w.page.screenshot(path=str(tmp_path / "explorer-1400.png"), full_page=True)

    # Each card: header, reference only where there is one, one verdict line per judgment.
    for row in site.rows[:20]:
        pid, card = row["id"], _card(w, row["id"])
        head = card.locator(".ab-card-head").inner_text()
        category = site.prompts[pid]["category"]
        assert head.startswith(f"{pid} · {category} · {row['outcome']}")
        assert ("mean preference" in head) == (row["preference"] is not None)
        has_reference = bool(site.prompts[pid]["reference"])
        assert card.locator(".ab-reference").count() == int(has_reference)
        if has_reference:
            assert site.prompts[pid]["reference"] in card.locator(".ab-reference").inner_text()
        assert card.locator(".ab-verdict").count() == len(row["verdicts"])
        assert card.locator("details.ab-raw").count() == sum(bool(v["raw"]) for v in row["verdicts"])
        if len(row["verdicts"]) == 2:
            lines = card.locator(".ab-verdict-line").all_inner_texts()
            assert lines[0].startswith(f"Judge {JUDGE} (order 1): ")
            assert lines[1].startswith(f"Judge {JUDGE} (order 2): ")
            assert "shown first: candidate" in lines[1]
        if not row["verdicts"]:
            assert card.locator(".ab-verdicts").inner_text() == "not judged"
        assert card.get_by_text(f"Baseline: {BASELINE}", exact=True).count() == 1
        assert card.get_by_text(f"Candidate: {CANDIDATE}", exact=True).count() == 1
    assert any(len(r["verdicts"]) == 2 for r in site.rows[:20])
    assert _card(w, "p12").locator(".ab-verdict-line").first.inner_text() == (
        f"Judge {JUDGE} (order 1): tie · shown first: baseline · candidate preference 0.50"
    )
    assert _card(w, "p01").locator(".ab-verdict-line").inner_text() == (
        f"Judge {JUDGE}: B>A · shown first: baseline · candidate preference 0.00"
    )

    # Human ratings: a table, missing values as a dash.
    table = _card(w, "p01").locator("table")
    assert table.locator("th").all_inner_texts() == [
        "Rater", "Verdict", "Shown first", "Candidate preference", "Both bad"]  # fmt: skip
    assert table.locator("tbody tr").nth(1).locator("td").all_inner_texts() == [
        "–", "first", "baseline", "–", "yes"]  # fmt: skip
    assert _card(w, "p00").locator("table").count() == 0

    # Untrusted text stays text; empty output.
    assert _card(w, PAYLOAD_ID).get_by_text(PAYLOAD, exact=True).count() == 1
    assert w.page.evaluate("typeof window.__pwned") == "undefined"
    assert w.page.locator('img[src="x"]').count() == 0
    assert _card(w, EMPTY_ID).locator(".ab-output-candidate pre").inner_text() == "(empty)"
    assert _card(w, FLAGGED_ID).locator(".ab-flag").all_inner_texts() == [f"⚠ {FLAG}"]
    base, cand = _columns(w, "p02")
    assert base["y"] == cand["y"] and cand["x"] > base["x"] + base["width"] - 1  # side by side
    w.check_clean()

    # Next: page 2, in the hash; a reload restores it.
    w.page.get_by_role("button", name="Next").click()
    assert w.ids() == site.ids[20:40]
    assert "page=2" in w.hash() and w.text(".ab-page") == "Page 2 of 3"
    w.page.reload()
    w.page.wait_for_selector(".ab-card", timeout=TIMEOUT_MS)
    assert w.ids() == site.ids[20:40] and w.text(".ab-page") == "Page 2 of 3"
    w.page.get_by_role("button", name="Next").click()
    assert w.ids() == site.ids[40:] and w.page.get_by_role("button", name="Next").is_disabled()
    ghost = _card(w, GHOST)
    assert ghost.get_by_text("(prompt text not available)", exact=True).count() == 1
    assert ghost.locator(".ab-card-head").inner_text().startswith(f"{GHOST} · (none) · ")
    assert _card(w, NO_OUTPUT_ID).locator(".ab-output-candidate pre").inner_text() == "(no output)"
    w.check_clean()

    # Filters narrow and go back to page 1.
    w.page.get_by_label("Outcome", exact=True).select_option("tie")
    ties = site.matching(outcome="tie")
    assert w.text(".ab-count") == f"{len(ties)} of {total} prompts match"
    assert w.ids() == ties[:20] and "page=" not in w.hash() and "outcome=tie" in w.hash()
    w.page.get_by_label("Outcome", exact=True).select_option("")
    w.page.get_by_label("Search", exact=True).fill("COLOUR")
    colour = site.matching(q="colour")
    assert 3 < len(colour) < 20 and "p23" in colour
    assert w.text(".ab-count") == f"{len(colour)} of {total} prompts match"
    assert w.ids() == colour and "q=COLOUR" in w.hash()
    w.page.get_by_label("Search", exact=True).fill("")
    w.page.get_by_label("Gaming flags", exact=True).select_option("flagged")
    assert w.ids() == site.matching(flagged=True) == [FLAGGED_ID]
    w.page.get_by_label("Gaming flags", exact=True).select_option("")
    w.page.get_by_label("Category", exact=True).select_option("coding")
    coding = [r["id"] for r in site.rows if site.prompts.get(r["id"], {}).get("category") == "coding"]
    assert w.text(".ab-count") == f"{len(coding)} of {total} prompts match" and w.ids() == coding
    options = w.page.get_by_label("Category", exact=True).locator("option").all_inner_texts()
    assert options == ["All categories", "(none)", *CATEGORIES]

    # A link to a filtered view opens that view.
    w.open(site.url(hash_="#outcome=tie&q=colour"))
    both = site.matching(outcome="tie", q="colour")
    assert w.ids() == both and w.text(".ab-count") == f"{len(both)} of {total} prompts match"
    assert w.page.get_by_label("Outcome", exact=True).input_value() == "tie"
    assert w.page.get_by_label("Search", exact=True).input_value() == "colour"
    w.page.get_by_label("Outcome", exact=True).select_option("baseline wins")
    w.page.go_back()  # Back returns to the previous view
    w.page.wait_for_function("location.hash.includes('outcome=tie')", timeout=TIMEOUT_MS)
    assert w.ids() == both and w.page.get_by_label("Outcome", exact=True).input_value() == "tie"
    w.check_clean()


def test_layout_at_900_and_narrow(browser, site, tmp_path):
    w = Watched(browser, 900)
    w.open(site.url())
    assert len(w.ids()) == 20
    assert w.page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    long_box = _card(w, LONG_ID).locator(".ab-output-candidate pre").bounding_box()
    assert long_box["x"] + long_box["width"] <= 900 and long_box["height"] > 60  # wrapped, not wide
    base, cand = _columns(w, "p02")
    assert base["y"] == cand["y"]  # still side by side at 900 px
    w.page.screenshot(path=str(tmp_path / "explorer-900.png"), full_page=True)
    w.check_clean()

    w.page.set_viewport_size({"width": 600, "height": 1000})
    base, cand = _columns(w, "p02")
    assert cand["y"] >= base["y"] + base["height"]  # stacked
    assert w.page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    w.page.screenshot(path=str(tmp_path / "explorer-600.png"), full_page=True)


def test_missing_comparison_data_says_so(browser, site, tmp_path):
    w = Watched(browser, 1400)
    w.open(site.url("missing.html"))
    message = w.text(".ab-error")
    assert message.startswith("This comparison's data did not load: ") and "no/such__vs__key/x" in message
    assert w.page.locator(".ab-card, .ab-filters").count() == 0
    w.page.screenshot(path=str(tmp_path / "explorer-missing.png"), full_page=True)
    w.check_clean()


def test_explorer_js_reads_no_network_and_writes_no_html():
    """Outside its comments the script never parses HTML text, evaluates code or fetches."""
    source = (STATIC / "explorer.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    forbidden = ("innerHTML", "outerHTML", "insertAdjacentHTML", r"document\.write", r"\beval\b",
                 "new Function", r"\bfetch\b", "XMLHttpRequest", r"\bimport\b")  # fmt: skip
    assert not re.findall("|".join(forbidden), code)
    assert "textContent" in code and code.strip().startswith("(function () {")
