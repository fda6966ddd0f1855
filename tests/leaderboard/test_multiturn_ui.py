"""The explorer on a comparison of conversations: the rows carry every turn (user message,
reference, both answers) in order, the served page and the exported page show them turn by turn
labelled "Turn k", single-turn prompts look as they always did, and a later turn's markup stays
text. One real-Chromium check of the exported page; the rest needs no browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from multiturn_fixtures import (
    ANSWERS,
    BASELINE,
    CANDIDATE,
    EVAL,
    HAIKU,
    PROMPTS,
    SINGLE,
    TRIP,
    TURN_TWO_PAYLOAD,
    build_results,
)
from streamlit.testing.v1 import AppTest

from alpaca_bench.leaderboard import ResultsIndex, app_path, explorer_rows, export_site, filter_rows

pytest_plugins = ["lb_fixtures"]
PROMPT = {p.id: p for p in PROMPTS}
KEY = f"{EVAL}/{BASELINE}__vs__{CANDIDATE}/scripted#scripted"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("multiturn") / "results"
    build_results(root)
    return root


@pytest.fixture(scope="module")
def site(results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_site(results, tmp_path_factory.mktemp("multiturn-site") / "site").out


def _turns(pid: str) -> list[tuple[str, str, str, str]]:
    """(user message, reference, baseline answer, candidate answer) of every turn of a prompt."""
    prompt = PROMPT[pid]
    return list(
        zip(
            prompt.user_turns(),
            prompt.references(),
            ANSWERS[BASELINE][pid],
            ANSWERS[CANDIDATE][pid],
            strict=True,
        )
    )


def test_explorer_rows_carry_every_turn_in_order(results):
    index = ResultsIndex.load(results)
    rows = {r.prompt_id: r for r in explorer_rows(index, index.comparison(KEY))}
    assert list(rows) == [p.id for p in PROMPTS]  # eval-set order
    for pid in (TRIP, HAIKU):
        row = rows[pid]
        assert row.is_conversation
        assert [(t.user, t.reference, t.baseline, t.candidate) for t in row.turns] == _turns(pid)
        assert row.baseline_output == ANSWERS[BASELINE][pid][0]  # the first turn stays where it was
    assert rows[TRIP].turns[1].reference == "Two days, the tile museum."
    single = rows[SINGLE]
    assert not single.is_conversation and len(single.turns) == 1
    assert (single.instruction, single.reference, single.candidate_output) == (
        PROMPT[SINGLE].instruction,
        "11",
        ANSWERS[CANDIDATE][SINGLE][0],
    )
    # search reaches a later turn: "one day each" is only in the trip's second baseline answer
    assert [r.prompt_id for r in filter_rows(list(rows.values()), search="ONE DAY EACH")] == [TRIP]
    assert [r.prompt_id for r in filter_rows(list(rows.values()), search="two days with one museum")] == [
        TRIP
    ]


def _app(results: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(results))
    app = AppTest.from_file(str(app_path()), default_timeout=120)
    app.query_params["comparison"] = KEY
    app.run()
    app.sidebar.radio(key="page").set_value("Explorer").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _in_order(items: list[str], wanted: list[str]) -> bool:
    at = -1
    for item in wanted:
        try:
            at = items.index(item, at + 1)
        except ValueError:
            return False
    return True


def test_served_explorer_shows_each_turn_then_both_answers(results, lb_env, monkeypatch):
    app = _app(results, monkeypatch)
    texts = [t.value for t in app.text]
    headings = [str(m.value) for m in app.markdown]
    captions = [str(c.value) for c in app.caption]
    for pid in (TRIP, HAIKU):
        # each turn: its user message, its reference where there is one, then both answers
        expected = [text for user, ref, b, c in _turns(pid) for text in (user, *([ref] if ref else []), b, c)]
        assert _in_order(texts, expected), (pid, texts)
    assert headings.count("#### Turn 1") == headings.count("#### Turn 2") == 3  # the three conversations
    assert captions.count("User message") == 6 and captions.count("Reference answer") == 3
    assert TURN_TWO_PAYLOAD in texts  # plain text, never HTML or Markdown
    assert not any("<img" in h for h in headings + captions)
    # the single-turn prompt: instruction, reference and both answers as before, no turns
    start = texts.index(PROMPT[SINGLE].instruction)
    assert texts[start : start + 4] == [
        PROMPT[SINGLE].instruction,
        "11",
        *(a[SINGLE][0] for a in ANSWERS.values()),
    ]
    assert captions.count("Instruction") == 1


def _data(path: Path) -> object:
    """The JSON a data file of the export assigns to AB_DATA."""
    prelude, assignment = path.read_text(encoding="utf-8").split("\n", 1)
    assert prelude.startswith("window.AB_DATA") and assignment.startswith("AB_DATA.")
    return json.loads(assignment.split(" = ", 1)[1].rstrip().removesuffix(";"))


def test_exported_data_carries_every_turn(site):
    prompts = _data(site / "data" / "prompts" / f"{EVAL}.js")
    assert prompts[TRIP]["turns"] == [
        {"message": "Plan a three-day trip to Lisbon.\n\nBudget: modest, no car.",
         "reference": "Day one: Alfama and the castle."},
        {"message": "Shorten it to two days with one museum.", "reference": "Two days, the tile museum."},
    ]  # fmt: skip
    assert [t["reference"] for t in prompts[HAIKU]["turns"]] == [None, None]
    # a single-turn prompt is written exactly as before
    assert prompts[SINGLE] == {"instruction": PROMPT[SINGLE].instruction, "input": "", "reference": "11",
                               "category": "math"}  # fmt: skip
    for model in (BASELINE, CANDIDATE):
        outputs = _data(site / "data" / "outputs" / EVAL / f"{model}.js")
        assert outputs[TRIP] == ANSWERS[model][TRIP] and outputs[HAIKU] == ANSWERS[model][HAIKU]
        assert outputs[SINGLE] == ANSWERS[model][SINGLE][0]  # text, not a list of one
    comparison = _data(next((site / "data" / "comparisons").glob("*.js")))
    assert [r["id"] for r in comparison["rows"]] == [p.id for p in PROMPTS]


@pytest.mark.slow
def test_exported_explorer_renders_each_turn(site, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((site / f"explorer-{EVAL}--{BASELINE}--{CANDIDATE}--scripted.html").as_uri())
    page.wait_for_selector(".ab-card", timeout=TIMEOUT_MS)
    page.screenshot(path=str(tmp_path / "explorer-turns.png"), full_page=True)
    for pid in (TRIP, HAIKU):
        card = page.locator(f'.ab-card[data-prompt-id="{pid}"]')
        turns = card.locator("section.ab-turn")
        assert turns.count() == 2 and card.locator(".ab-label", has_text="Instruction").count() == 0
        for k, (user, ref, b, c) in enumerate(_turns(pid)):
            turn = turns.nth(k)
            assert turn.locator(".ab-turn-label").inner_text() == f"Turn {k + 1}"
            assert turn.locator(".ab-user .ab-text").inner_text() == user
            assert turn.locator(".ab-reference").count() == int(bool(ref))
            if ref:
                assert turn.locator(".ab-reference .ab-text").inner_text() == ref
            assert turn.locator(".ab-output-baseline pre").inner_text() == b
            assert turn.locator(".ab-output-candidate pre").inner_text() == c
            assert turn.locator(".ab-output-baseline .ab-label").inner_text() == f"Baseline: {BASELINE}"
    single = page.locator(f'.ab-card[data-prompt-id="{SINGLE}"]')
    assert single.locator("section.ab-turn").count() == 0
    assert single.locator(".ab-label").all_inner_texts()[:2] == ["Instruction", "Reference answer"]
    assert single.locator(".ab-output-candidate pre").inner_text() == ANSWERS[CANDIDATE][SINGLE][0]
    assert page.evaluate("typeof window.__pwned") == "undefined" and page.locator('img[src="x"]').count() == 0
    page.get_by_label("Search", exact=True).fill("one day each")  # only in a second turn
    assert page.locator(".ab-card").evaluate_all("cs => cs.map(c => c.dataset.promptId)") == [TRIP]
    assert not errors, errors
