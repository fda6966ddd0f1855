import json
import multiprocessing
import os

import pytest

from alpaca_bench.cache import CallCache
from alpaca_bench.errors import InputError
from alpaca_bench.files import JsonlLog, atomic_write_json
from alpaca_bench.records import JudgeIdentity, Judgment
from alpaca_bench.store import ResultsRoot, RunFolder, sanitize_name


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../x", "x"),
        ("a/b", "a_b"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("gpt-4o@http://h:1/v1", "gpt-4o_http_h_1_v1"),
        ("Ünïcode name", "n_code_name"),
    ],
)
def test_sanitize_name(name, expected):
    assert sanitize_name(name) == expected


def test_hostile_model_names_stay_inside_the_results_root(tmp_path):
    root = ResultsRoot(tmp_path / "results")
    for name in ("../../x", "/etc/passwd", "..\\..\\y", "a/../../b"):
        folder = root.model_dir("self-instruct", name)
        assert folder.resolve().is_relative_to((tmp_path / "results").resolve())
        assert len(folder.relative_to(tmp_path / "results").parts) == 3


def test_partial_last_line_is_ignored_then_repaired(tmp_path):
    log = JsonlLog(tmp_path / "log.jsonl")
    log.append({"a": 1})
    with open(log.path, "ab") as handle:
        handle.write(b'{"a": 2, "trunc')
    assert log.read_dicts() == [{"a": 1}]
    log.append({"a": 3})
    assert log.read_dicts() == [{"a": 1}, {"a": 3}]
    assert log.path.read_bytes().endswith(b'{"a": 3}\n')


def test_corrupt_middle_line_is_an_input_error(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"a": 2}\n')
    with pytest.raises(InputError, match=r"log.jsonl:2: corrupt record"):
        JsonlLog(path).read_dicts()


def _append_many(path, worker):
    run = RunFolder(path)
    for i in range(40):
        run.add_judgment(
            Judgment(
                prompt_id=f"p{i}",
                baseline="a",
                candidate="b",
                judge=JudgeIdentity(name="j"),
                first_shown="baseline",
                verdict="tie",
                preference=0.5,
                raw=worker,
            )
        )


def test_two_processes_appending_the_same_judgments_write_each_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(tmp_path, w)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    records = RunFolder(tmp_path).load_judgments()
    assert sorted(j.prompt_id for j in records) == sorted(f"p{i}" for i in range(40))


def _cache_writer(path, worker):
    cache = CallCache(path)
    for i in range(100):
        cache.put(f"{worker}-{i}", "t", {"v": i})


def test_call_cache_is_safe_for_several_processes(tmp_path):
    path = tmp_path / "calls.sqlite"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_cache_writer, args=(path, w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = CallCache(path)
    assert cache.count() == 300
    assert cache.get("2-99") == {"v": 99}
    assert cache._connect().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write_json(tmp_path / "s.json", {"x": 1})
    atomic_write_json(tmp_path / "s.json", {"x": 2})
    assert os.listdir(tmp_path) == ["s.json"]
    assert (tmp_path / "s.json").read_text().strip().endswith("}")


def _open_and_write(path, worker, start):
    import time

    while time.time() < start:
        pass
    CallCache(path).put(f"k{worker}", "t", {"w": worker})


def test_many_processes_creating_the_cache_at_once(tmp_path):
    """Switching a new database to WAL can report 'locked' without waiting; opening must retry."""
    import time

    path = tmp_path / "fresh" / "calls.sqlite"
    start = time.time() + 1.5
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open_and_write, args=(path, w, start)) for w in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert CallCache(path).count() == 6


def test_jsonl_rows_keep_unicode_line_separators_inside_strings(tmp_path, data_dir):
    """JSON strings may hold U+2028 raw; a row is split at newlines only (Arena-Hard v2.0 has them)."""
    from alpaca_bench.files import read_json_rows

    path = tmp_path / "rows.jsonl"
    path.write_text('{"prompt": "one\u2028two"}\n{"prompt": "three"}\n', encoding="utf-8")
    assert [r["prompt"] for r in read_json_rows(path)] == ["one\u2028two", "three"]
    real = read_json_rows(data_dir / "arena-hard" / "v2.0" / "question.jsonl")
    assert len(real) == 750 and any("\u2028" in json.dumps(row, ensure_ascii=False) for row in real)
