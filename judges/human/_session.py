"""A rater's session: what is left to rate, each rating written to disk the moment it is given,
skip and undo.

Nothing is held only in memory: a rating is an appended, fsynced Judgment, an undo takes that
record back out of the file, and a new session rebuilds everything (what is left, what can be
undone) from the run folder. Killing the process loses at most the rating being entered.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from alpaca_bench.errors import InputError
from alpaca_bench.records import HUMAN, JudgeIdentity, Judgment, Verdict
from alpaca_bench.store import RunFolder

from ._pairs import RatingPair, rating_pairs

Choice = Literal["first", "second", "tie", "both_bad"]


@dataclass(frozen=True)
class ChoiceMeaning:
    verdict: Verdict  # positional: A is the output shown first
    first_preference: float  # P(first shown is better)
    flagged: bool = False


CHOICES: dict[Choice, ChoiceMeaning] = {
    "first": ChoiceMeaning("A>B", 1.0),
    "second": ChoiceMeaning("B>A", 0.0),
    "tie": ChoiceMeaning("tie", 0.5),
    "both_bad": ChoiceMeaning("tie", 0.5, flagged=True),
}


@dataclass(frozen=True)
class Progress:
    rated: int
    total: int
    skipped: int
    session_ratings: int
    per_minute: float | None  # ratings per minute since the session started
    seconds_each: float | None  # mean time looking at a pair before rating it


@dataclass
class _Given:
    judgment: Judgment
    pair: RatingPair
    this_session: bool
    seconds: float = 0.0


class RatingSession:
    """The queue of one rater on one run; the UI calls `rate`, `skip` and `undo`."""

    def __init__(
        self,
        run: RunFolder,
        rater: str,
        *,
        seed: int = 0,
        limit: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        rater = rater.strip()
        if not rater:
            raise InputError("the rater name must not be empty")
        self.run, self.rater, self._clock = run, rater, clock
        manifest = run.manifest()
        self._names = (manifest.baseline.name, manifest.candidate.name)
        pairs = rating_pairs(run, rater, seed, limit)
        self.total = len(pairs)
        by_id = {p.prompt.id: p for p in pairs}
        mine = run.current_judgments(HUMAN, rater)
        self._history = [_Given(j, by_id[j.prompt_id], False) for j in mine if j.prompt_id in by_id]
        done = {given.pair.prompt.id for given in self._history}
        self._queue = deque(p for p in pairs if p.prompt.id not in done)
        self._skipped: list[RatingPair] = []
        self._started = self._shown_at = clock()

    @property
    def current(self) -> RatingPair | None:
        return self._queue[0] if self._queue else None

    def rate(self, choice: Choice) -> Judgment:
        """Record a rating of the current pair and move on; on disk before this returns."""
        pair = self._require_current()
        meaning = CHOICES[choice]
        seconds = round(self._clock() - self._shown_at, 3)
        judgment = Judgment.from_positional(
            first_shown=pair.first_shown,
            p_b=1.0 - meaning.first_preference,
            prompt_id=pair.prompt.id,
            baseline=self._names[0],
            candidate=self._names[1],
            judge=JudgeIdentity(name=HUMAN),
            rater=self.rater,
            verdict=meaning.verdict,
            flagged=meaning.flagged,
            pair_hash=pair.pair_hash,
            raw={"choice": choice, "seconds": seconds},
        )
        self.run.add_judgment(judgment)  # False only if this rater's other session saved it first
        self._history.append(_Given(judgment, pair, True, seconds))
        self._advance()
        return judgment

    def skip(self) -> None:
        """Leave the current pair unrated; it comes back in the next session, not this one."""
        self._skipped.append(self._require_current())
        self._advance()

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    def undo(self) -> RatingPair | None:
        """Take back this rater's last rating (also one from an earlier session) and show its pair
        again; None when there is nothing to undo."""
        if not self._history:
            return None
        given = self._history.pop()
        self.run.judgments.remove_last(lambda value: _same_rating(value, given.judgment))
        if not any(g.pair.prompt.id == given.pair.prompt.id for g in self._history):
            self._queue.appendleft(given.pair)
            self._shown_at = self._clock()
        return given.pair

    def progress(self) -> Progress:
        mine = [g for g in self._history if g.this_session]
        minutes = (self._clock() - self._started) / 60.0
        return Progress(
            rated=len({g.pair.prompt.id for g in self._history}),
            total=self.total,
            skipped=len(self._skipped),
            session_ratings=len(mine),
            per_minute=len(mine) / minutes if mine and minutes > 0 else None,
            seconds_each=sum(g.seconds for g in mine) / len(mine) if mine else None,
        )

    def _require_current(self) -> RatingPair:
        if not self._queue:
            raise IndexError("no pair left to rate")
        return self._queue[0]

    def _advance(self) -> None:
        self._queue.popleft()
        self._shown_at = self._clock()


def _same_rating(value: dict[str, Any], judgment: Judgment) -> bool:
    return (
        (value.get("judge") or {}).get("name") == HUMAN
        and value.get("rater") == judgment.rater
        and value.get("prompt_id") == judgment.prompt_id
        and value.get("first_shown") == judgment.first_shown
        and value.get("pair_hash") == judgment.pair_hash
    )
