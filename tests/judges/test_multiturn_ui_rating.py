"""Rating conversations: a multi-turn pair is shown turn by turn (each user message, then
Response 1 and 2 to it) in the real app driven through textual's Pilot, and a rating of it is
stored with the pair hash over every turn's answer (`Generation.content`), so that it counts in
`RunFolder.current_judgments` and stops counting once a later turn's answer changes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from multiturn_fixtures import (
    ANSWERS,
    BASELINE,
    CANDIDATE,
    HAIKU,
    PROMPTS,
    SINGLE,
    TRIP,
    TURN_TWO_PAYLOAD,
    build_results,
    generation,
    registered_eval_set,
)
from test_rate_fixtures import NEVER_ON_SCREEN, screen_text

from alpaca_bench.judges.human import RatingApp, RatingPair, RatingSession, rating_pairs
from alpaca_bench.records import HUMAN
from alpaca_bench.store import RunFolder, pair_hash

PROMPT = {p.id: p for p in PROMPTS}


@pytest.fixture
def run(tmp_path: Path) -> Iterator[RunFolder]:
    with registered_eval_set():
        yield RunFolder(build_results(tmp_path / "results", judged=False))


def _expected_turns(pair: RatingPair) -> list[tuple[str, str, str]]:
    """(user message, Response 1, Response 2) of every turn, from the fixture's own texts."""
    b, c = ANSWERS[BASELINE][pair.prompt.id], ANSWERS[CANDIDATE][pair.prompt.id]
    first, second = (b, c) if pair.first_shown == "baseline" else (c, b)
    return list(zip(pair.prompt.user_turns(), first, second, strict=True))


def test_pairs_of_conversations_hold_every_turn_and_hash_the_content(run):
    pairs = {p.prompt.id: p for p in rating_pairs(run, "alice")}
    # the haiku's first answers are alike and only turn 2 differs: still a pair to rate;
    # conversations alike in every turn are not
    assert set(pairs) == {TRIP, HAIKU, SINGLE}
    for pid, pair in pairs.items():
        b, c = generation(BASELINE, pid), generation(CANDIDATE, pid)
        assert pair.pair_hash == pair_hash(b.content, c.content)
        shown = [(t.user, t.first, t.second) for t in pair.turns()]
        assert shown == _expected_turns(pair)
        assert [t.number for t in pair.turns()] == list(range(1, PROMPT[pid].n_turns + 1))
    assert pairs[TRIP].is_conversation and not pairs[SINGLE].is_conversation
    trip_b, trip_c = generation(BASELINE, TRIP), generation(CANDIDATE, TRIP)
    assert pairs[TRIP].pair_hash != pair_hash(trip_b.output, trip_c.output)  # not the first turn alone
    assert pairs[SINGLE].pair_hash == pair_hash(ANSWERS[BASELINE][SINGLE][0], ANSWERS[CANDIDATE][SINGLE][0])


def _in_order(text: str, parts: list[str]) -> bool:
    at = -1
    for part in parts:
        at = text.find(part, at + 1)
        if at < 0:
            return False
    return True


def _shown_texts(app) -> list[str]:
    """Every box of the conversation column, top to bottom, as the widgets hold them."""
    boxes = app.screen.query("#conversation .box")
    return [str(box.query_one("Static").visual) for box in boxes]


def test_rating_screen_shows_conversations_turn_by_turn_and_stores_content_hashes(run):
    session = RatingSession(run, "alice")
    assert session.total == 3
    seen: dict[str, RatingPair] = {}

    async def rate_all() -> None:
        app = RatingApp(session)
        async with app.run_test(size=(80, 70)) as pilot:
            await pilot.pause()
            while session.current is not None:
                pair = session.current
                text = screen_text(app)
                assert not [n for n in NEVER_ON_SCREEN if n in text.lower()], text
                turns = _expected_turns(pair)
                if pair.is_conversation:
                    assert not app.screen.query_one("#prompt").display
                    assert not app.screen.query_one("#responses").display
                    # the widgets, top to bottom: user, Response 1, Response 2 of turn 1, then turn 2
                    assert _shown_texts(app) == [t for turn in turns for t in turn]
                    titles = [
                        f"Turn {k}: {what}" for k in (1, 2) for what in ("user", "Response 1", "Response 2")
                    ]
                    assert [b.border_title for b in app.screen.query("#conversation .box")] == titles
                    # and on screen, stacked at 80 columns, in that order
                    on_screen = [
                        part
                        for k, (user, first, second) in enumerate(turns, 1)
                        for part in (f"Turn {k}: user", user.splitlines()[0][:30], f"Turn {k}: Response 1",
                                     first[:30], f"Turn {k}: Response 2", second[:30])
                    ]  # fmt: skip
                    assert _in_order(text, on_screen), text
                    assert app.focused is not None and app.focused.border_title == "Turn 1: Response 1"
                else:
                    assert "Turn 1" not in text and not app.screen.query_one("#conversation").display
                    assert app.screen.query_one("#prompt").display
                    assert pair.prompt.instruction in text
                    assert _in_order(text, ["Response 1", turns[0][1], "Response 2", turns[0][2]]), text
                seen[pair.prompt.id] = pair
                await pilot.press("1")
                await pilot.pause()
            await pilot.press("q")

    asyncio.run(rate_all())
    assert set(seen) == {TRIP, HAIKU, SINGLE}
    stored = run.load_judgments()
    assert len(stored) == 3
    for judgment in stored:
        b, c = generation(BASELINE, judgment.prompt_id), generation(CANDIDATE, judgment.prompt_id)
        assert judgment.pair_hash == pair_hash(b.content, c.content) == seen[judgment.prompt_id].pair_hash
    counted = run.current_judgments(HUMAN, "alice")
    assert {j.prompt_id for j in counted} == {TRIP, HAIKU, SINGLE}

    # a new second answer of the trip conversation: the rating of the old one no longer counts,
    # and the pair is offered again
    log = run.eval_dir / "models" / CANDIDATE / "generations.jsonl"
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if line["prompt_id"] == TRIP:
            line["follow_up_outputs"] = ["A different second answer."]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert {j.prompt_id for j in run.current_judgments(HUMAN, "alice")} == {HAIKU, SINGLE}
    again = RatingSession(run, "alice")
    assert again.progress().rated == 2 and again.current is not None and again.current.prompt.id == TRIP


def test_wide_terminal_puts_each_turns_responses_side_by_side_and_zoom_fills_the_screen(run):
    session = RatingSession(run, "bob")
    while session.current is not None and session.current.prompt.id != HAIKU:
        session.skip()
    assert session.current is not None

    async def look() -> None:
        app = RatingApp(session)
        async with app.run_test(size=(130, 50)) as pilot:
            await pilot.pause()
            rows = app.screen.query(".turn-responses")
            assert len(rows) == 2 and all(r.has_class("wide") for r in rows)
            text = screen_text(app)
            assert any(
                "Turn 2: Response 1" in line and "Turn 2: Response 2" in line for line in text.splitlines()
            )
            assert TURN_TWO_PAYLOAD in _shown_texts(app) and "[bold]Pluie[/bold]" in text  # as written
            await pilot.resize_terminal(80, 50)
            await pilot.pause()
            assert not any(r.has_class("wide") for r in app.screen.query(".turn-responses"))
            await pilot.press("tab", "tab", "tab")  # turn 1: Response 2, turn 2: user, its Response 1
            await pilot.pause()
            assert app.focused is not None and app.focused.border_title == "Turn 2: Response 1"
            await pilot.press("z")
            await pilot.pause()
            zoomed = screen_text(app)
            assert "Turn 2: Response 1" in zoomed and "Turn 1: user" not in zoomed
            assert app.focused.region.height == 50  # the zoomed box fills the screen
            await pilot.press("z", "q")

    asyncio.run(look())
    assert session.current is not None and not run.load_judgments(), "looking writes nothing"
