"""The real rating app, driven by keys through textual's Pilot: rating, undo, skip, help, resize,
quit and resume, with the screen checked for model names after every key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from test_rate_fixtures import (
    CONTROL,
    LONG,
    MARKUP,
    NEVER_ON_SCREEN,
    NON_ASCII,
    human_records,
    make_run,
    outputs,
    screen_text,
)

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.judges.human import RatingApp, RatingSession
from alpaca_bench.store import open_run

EXPECTED_FIRST_PREFERENCE = {"1": 1.0, "2": 0.0, "t": 0.5, "b": 0.5}
EXPECTED_VERDICT = {"1": "A>B", "2": "B>A", "t": "tie", "b": "tie"}


class Driver:
    """Presses keys and checks the screen after each one."""

    def __init__(self, pilot: Any, run_dir: Path):
        self.pilot, self.app, self.run_dir = pilot, pilot.app, run_dir
        self.screens: list[str] = []

    async def press(self, *keys: str) -> str:
        for key in keys:
            await self.pilot.press(key)
            await self.pilot.pause()
            self.check()
        return self.screens[-1]

    async def settle(self) -> str:
        """Let work queued after the last refresh (the "more" marks) reach the screen."""
        await self.pilot.wait_for_scheduled_animations()
        await self.pilot.pause()
        return self.check()

    def check(self) -> str:
        text = screen_text(self.app)
        lowered = text.lower()
        for name in NEVER_ON_SCREEN:
            assert name not in lowered, f"{name!r} is on screen:\n{text}"
        self.screens.append(text)
        return text

    def shown(self) -> tuple[str, str]:
        """The outputs in the two response boxes, read from the widgets."""
        return tuple(  # type: ignore[return-value]
            str(self.app.screen.query_one(f"#{box}-text").visual) for box in ("first", "second")
        )


def _first_shown_seen(shown: tuple[str, str], prompt_id: str, index: int) -> str:
    """Which model's output the rater saw as Response 1, worked out from the outputs alone."""
    baseline, candidate = outputs(prompt_id, index)
    if shown == (baseline, candidate):
        return "baseline"
    assert shown == (candidate, baseline), shown
    return "candidate"


def _index() -> dict[str, int]:
    return {p.id: i for i, p in enumerate(load_eval_set("demo"))}


def test_rate_undo_skip_quit_resume(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    index = _index()
    asyncio.run(_first_session(run_dir, index))
    asyncio.run(_second_session(run_dir, index))
    bob = RatingSession(open_run(run_dir), "bob")
    alice = RatingSession(open_run(run_dir), "alice")
    assert bob.progress().rated == 0 and bob.total == 19, "raters are independent"
    assert alice.progress().rated == 19 and alice.current is None


async def _first_session(run_dir: Path, index: dict[str, int]) -> None:
    session = RatingSession(open_run(run_dir), "alice")
    app = RatingApp(session)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        ui = Driver(pilot, run_dir)
        text = ui.check()
        assert "alice: 0/19 rated" in text
        assert app.screen.query_one("#responses").has_class("wide"), "side by side at 120 columns"
        assert any("Response 1" in line and "Response 2" in line for line in text.splitlines())
        given = []
        for key in ("1", "2", "t", "b"):
            pair = session.current
            assert pair is not None
            shown = ui.shown()
            assert shown[0].splitlines()[0][:30] in ui.screens[-1] or shown[0] == LONG
            await ui.press(key)
            given.append(
                (key, pair.prompt.id, _first_shown_seen(shown, pair.prompt.id, index[pair.prompt.id]))
            )
        records = human_records(run_dir)
        assert len(records) == 4, "each rating is on disk as soon as it is given"
        for record, (key, prompt_id, seen_first) in zip(records, given, strict=True):
            assert record["rater"] == "alice" and record["prompt_id"] == prompt_id
            assert record["first_shown"] == seen_first
            assert record["verdict"] == EXPECTED_VERDICT[key]
            first = EXPECTED_FIRST_PREFERENCE[key]
            assert record["preference"] == (first if seen_first == "candidate" else 1.0 - first)
            assert record["flagged"] is (key == "b")
            assert (record["baseline"], record["candidate"]) == ("zebra-7b", "okapi-13b")
        assert "alice: 4/19 rated" in ui.screens[-1]

        before = session.current
        await pilot.resize_terminal(80, 24)
        text = ui.check()
        assert not app.screen.query_one("#responses").has_class("wide"), "stacked at 80 columns"
        assert session.current == before and "alice: 4/19 rated" in text, "a resize keeps state"
        assert before is not None and before.prompt.instruction[:40] in text

        text = await ui.press("s")
        assert session.current != before and len(human_records(run_dir)) == 4, "a skip writes nothing"
        assert "1 skipped" in text

        text = await ui.press("u")
        assert len(human_records(run_dir)) == 3, "undo takes the last rating off disk"
        assert session.current is not None and session.current.prompt.id == given[-1][1]
        assert "alice: 3/19 rated" in text

        text = await ui.press("question_mark")
        assert "Which response follows the instruction better?" in text
        await ui.press("1")
        assert len(human_records(run_dir)) == 3, "keys do not rate while the help is open"
        text = await ui.press("escape")
        assert "Which response follows" not in text

        await ui.press("1")
        records = human_records(run_dir)
        assert len(records) == 4 and records[-1]["prompt_id"] == given[-1][1]
        assert records[-1]["verdict"] == "A>B" and records[-1]["flagged"] is False
        await ui.press("q")
        assert not app.is_running


async def _second_session(run_dir: Path, index: dict[str, int]) -> None:
    """Resume: rated pairs are not shown again, the skipped one is; undo reaches the earlier
    session; then every pair is rated, including the long, markup and non-ASCII ones."""
    session = RatingSession(open_run(run_dir), "alice")
    before = human_records(run_dir)
    assert session.progress().rated == 4
    app = RatingApp(session)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        ui = Driver(pilot, run_dir)
        assert "alice: 4/19 rated" in ui.check()
        await ui.press("u")
        assert len(human_records(run_dir)) == 3, "undo also takes back the previous session's last rating"
        assert session.current is not None and session.current.prompt.id == before[-1]["prompt_id"]
        seen = []
        while session.current is not None:
            seen.append(session.current.prompt.id)
            await _look_at(ui, seen[-1])
            await ui.press("2")
        assert "All done: 19 of 19 pairs rated." in ui.screens[-1]
        await ui.press("q")
    still_rated = {r["prompt_id"] for r in before[:-1]}
    assert set(seen) == set(index) - still_rated - {"demo-03"} and len(seen) == 16
    records = human_records(run_dir)
    assert len(records) == 19 and len({r["prompt_id"] for r in records}) == 19
    assert "demo-03" not in {r["prompt_id"] for r in records}, "identical outputs are not rated"


async def _look_at(ui: Driver, prompt_id: str) -> None:
    """Outputs are plain text: markup shows literally, non-ASCII renders, long ones scroll."""
    text = ui.screens[-1]
    if prompt_id == "demo-01":
        assert MARKUP[:60] in text.replace("\n", "")
        assert NON_ASCII in text
        assert "\\x1b[2J\\x1b[31mred" in text and CONTROL not in text
        assert ui.app.is_running
    if prompt_id == "demo-02":
        box = "#first" if ui.shown()[0] == LONG else "#second"
        ui.app.clear_notifications()  # a toast may cover the box's lower border
        text = await ui.press("tab") if box == "#second" else await ui.settle()
        assert "step 0: keep going" in text and "more: scroll ↓" in text, text
        await ui.press("pagedown")
        text = await ui.settle()
        assert "step 0: keep going" not in text and ui.app.screen.query_one(box).scroll_y > 0
        await ui.press("end")
        text = await ui.settle()
        assert "step 59: keep going" in text and "more: scroll ↓" not in text
