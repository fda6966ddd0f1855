"""The rating queue and store without the UI: who sees which pairs in which order, resume,
several raters, pace, undo on a log other processes append to, and bad input."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_rate_fixtures import human_records, make_run

from alpaca_bench.files import JsonlLog
from alpaca_bench.judges.human import RatingSession, first_shown_for, rating_pairs
from alpaca_bench.records import Judgment
from alpaca_bench.store import RunFolder, open_run


@pytest.fixture(scope="module")
def run_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("template"))


@pytest.fixture
def run_dir(run_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the run's results tree, so each test rates from scratch."""
    import shutil

    root = run_template.parents[2]
    shutil.copytree(root, tmp_path / "results")
    return tmp_path / "results" / run_template.relative_to(root)


def test_pairs_orders_and_positions(run_dir: Path) -> None:
    run = open_run(run_dir)
    alice, again, bob = rating_pairs(run, "alice"), rating_pairs(run, "alice"), rating_pairs(run, "bob")
    ids = [p.prompt.id for p in alice]
    assert len(ids) == 19 and "demo-03" not in ids, "identical outputs have nothing to rate"
    assert ids == [p.prompt.id for p in again], "the order is a pure function of seed and rater"
    assert ids != [p.prompt.id for p in bob] and sorted(ids) == sorted(p.prompt.id for p in bob)
    assert [p.prompt.id for p in rating_pairs(run, "alice", seed=1)] != ids
    positions = [p.first_shown for p in alice]
    assert {"baseline", "candidate"} <= set(positions), "both positions are used"
    for pair in alice:
        assert pair.first_shown == first_shown_for(0, "alice", pair.prompt.id)
        first, second = pair.shown
        expected = (pair.baseline_output, pair.candidate_output)
        assert (first, second) == (expected if pair.first_shown == "baseline" else expected[::-1])


def test_limit_draws_the_same_pairs_for_every_rater(run_dir: Path) -> None:
    run = open_run(run_dir)
    sets = [{p.prompt.id for p in rating_pairs(run, rater, seed=7, limit=5)} for rater in ("a", "b", "c")]
    assert len(sets[0]) == 5 and sets[0] == sets[1] == sets[2]
    assert {p.prompt.id for p in rating_pairs(run, "a", seed=8, limit=5)} != sets[0]


def test_resume_skip_and_independent_raters(run_dir: Path) -> None:
    run = RunFolder(run_dir)
    session = RatingSession(run, "alice")
    order = []
    for choice in ("first", "second", "tie"):
        assert session.current is not None
        order.append(session.current.prompt.id)
        session.rate(choice)  # type: ignore[arg-type]
    assert session.current is not None
    skipped = session.current.prompt.id
    session.skip()
    assert session.progress().skipped == 1 and len(human_records(run_dir)) == 3

    resumed = RatingSession(run, "alice")
    assert resumed.progress().rated == 3 and resumed.current is not None
    assert resumed.current.prompt.id == skipped, "a skipped pair comes back next session"
    left = []
    while resumed.current is not None:
        left.append(resumed.current.prompt.id)
        resumed.skip()
    assert set(left).isdisjoint(order) and len(left) == 16

    bob = RatingSession(run, "bob")
    assert bob.progress().rated == 0 and bob.total == 19
    bob.rate("both_bad")
    record = human_records(run_dir)[-1]
    assert record["rater"] == "bob" and record["verdict"] == "tie" and record["flagged"] is True
    assert record["preference"] == 0.5
    assert RatingSession(run, "alice").progress().rated == 3


def test_pace_and_time_per_rating(run_dir: Path) -> None:
    now = [100.0]
    session = RatingSession(RunFolder(run_dir), "carol", clock=lambda: now[0])
    assert session.progress().per_minute is None
    for seconds in (10.0, 20.0, 30.0):
        now[0] += seconds
        session.rate("first")
    progress = session.progress()
    assert progress.session_ratings == 3 and progress.seconds_each == pytest.approx(20.0)
    assert progress.per_minute == pytest.approx(3 / 1.0), "3 ratings in 60 s"
    assert [r["raw"]["seconds"] for r in human_records(run_dir)] == [10.0, 20.0, 30.0]


def test_undo_takes_back_only_this_raters_last_rating(run_dir: Path) -> None:
    run = RunFolder(run_dir)
    alice, bob = RatingSession(run, "alice"), RatingSession(run, "bob")
    assert alice.undo() is None, "nothing to undo yet"
    alice.rate("first")
    undone = alice.current
    alice.rate("second")
    bob.rate("tie")  # another rater's record now follows alice's last one
    inode = os.stat(run.judgments.path).st_ino
    assert alice.undo() == undone and alice.current == undone
    assert os.stat(run.judgments.path).st_ino == inode, "the file is edited in place, never replaced"
    records = human_records(run_dir)
    assert [(r["rater"], r["verdict"]) for r in records] == [("alice", "A>B"), ("bob", "tie")]
    assert len(run.judgments.read(Judgment)) == 20 + 2, "the file still parses (judge + humans)"
    alice.rate("tie")
    assert RatingSession(run, "alice").progress().rated == 2


def test_remove_last_truncates_or_blanks_in_place(tmp_path: Path) -> None:
    log = JsonlLog(tmp_path / "log.jsonl")
    log.append([{"k": 1}, {"k": 2}, {"k": 1}, {"k": 3}])
    assert log.remove_last(lambda v: v["k"] == 3)
    assert log.path.read_bytes().endswith(b'{"k": 1}\n'), "the last line is truncated away"
    size = log.path.stat().st_size
    assert log.remove_last(lambda v: v["k"] == 2)
    assert log.path.stat().st_size == size, "an earlier line is blanked, nothing moves"
    assert log.read_dicts() == [{"k": 1}, {"k": 1}]
    assert log.remove_last(lambda v: v["k"] == 1)
    assert log.read_dicts() == [{"k": 1}]
    assert not log.remove_last(lambda v: v["k"] == 9)
    log.append({"k": 4})
    assert log.read_dicts() == [{"k": 1}, {"k": 4}]


def _append_many(path: str, count: int) -> None:
    log = JsonlLog(Path(path))
    for i in range(count):
        log.append({"writer": "other", "i": i})


def test_remove_last_while_another_process_appends(tmp_path: Path) -> None:
    log = JsonlLog(tmp_path / "shared.jsonl")
    other = multiprocessing.get_context("spawn").Process(target=_append_many, args=(str(log.path), 300))
    other.start()
    for i in range(150):
        log.append({"writer": "me", "i": i})
        if i % 2:
            assert log.remove_last(lambda v, i=i: v == {"writer": "me", "i": i})
    other.join(60)
    assert other.exitcode == 0
    values = log.read_dicts()
    assert [v["i"] for v in values if v["writer"] == "other"] == list(range(300)), "no append was lost"
    assert [v["i"] for v in values if v["writer"] == "me"] == list(range(0, 150, 2))
    for line in log.path.read_text().splitlines():
        assert not line.strip() or json.loads(line)


def test_bad_inputs_are_one_line_errors(run_dir: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    missing = cli("rate", tmp_path / "nope", "--rater", "x")
    assert missing.code == 2 and "run folder not found" in missing.err
    empty = cli("rate", run_dir, "--rater", "  ")
    assert empty.code == 2 and "rater name must not be empty" in empty.err
    no_tty = cli("rate", run_dir, "--rater", "x")
    assert no_tty.code == 2 and "interactive terminal" in no_tty.err
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest.update(eval_set="gone", eval_set_source=str(tmp_path / "gone.jsonl"))
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    lost = cli("rate", run_dir, "--rater", "x")
    assert lost.code == 2 and "manifest.json" in lost.err and "eval set" in lost.err
    assert "Traceback" not in empty.err, "a usage error: argparse's usage line, then the error"
    for done in (missing, no_tty, lost):
        assert "Traceback" not in done.err and len(done.err.strip().splitlines()) == 1
