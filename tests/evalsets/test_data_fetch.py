"""`alpaca-bench data fetch`: the manifest pins the shared data, and a fetch over real HTTP (a
server on 127.0.0.1 standing in for the public sources) is verified, resumable and refuses bad
copies. Nothing here reaches the internet."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from alpaca_bench.evalsets import DATA_FILES, fetch_data, load_eval_set
from alpaca_bench.evalsets._fetch import CsvRows, JsonRows
from alpaca_bench.paths import data_dir as resolve_data_dir

MANIFEST = {remote.relative_path: remote for remote in DATA_FILES}
NOT_DATA = {"README.md"}  # the shared folder's own notes, not a published file


@dataclass
class Mirror:
    """A file server over the shared data that counts requests and can garble chosen files."""

    root: Path
    url: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    corrupt: dict[str, int] = field(default_factory=dict)  # path -> how many more bad copies


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            relative = unquote(self.path).lstrip("/")
            mirror.hits[relative] += 1
            path = mirror.root / relative
            if not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes()
            if mirror.corrupt.get(relative, 0) > 0:
                mirror.corrupt[relative] -= 1
                body = body[: len(body) // 2]  # a truncated transfer
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def mirror(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    served = Mirror(data_dir)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("ALPACA_BENCH_DATA_MIRROR", served.url)
    monkeypatch.delenv("ALPACA_BENCH_OFFLINE")
    yield served
    server.shutdown()
    server.server_close()


def _shared_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - NOT_DATA


# --- (a) the manifest is the shared data -------------------------------------------------------


def test_every_checksum_verifies_against_the_shared_copy(data_dir):
    wrong = [path for path, remote in MANIFEST.items() if not remote.verify(data_dir / path)]
    assert wrong == []


def test_every_shared_file_is_in_the_manifest_once(data_dir):
    assert len(MANIFEST) == len(DATA_FILES)
    assert _shared_files(data_dir) == set(MANIFEST)
    assert all(remote.url.startswith("https://") for remote in DATA_FILES)


def test_a_changed_row_fails_but_a_reserialised_copy_with_extra_fields_verifies(data_dir, tmp_path):
    remote = MANIFEST["alpaca-eval/model_outputs/phi-2.json"]
    assert isinstance(remote.fingerprint, JsonRows)
    rows = json.loads((data_dir / remote.relative_path).read_text(encoding="utf-8"))
    copy = tmp_path / "phi-2.json"
    copy.write_text(json.dumps([{**row, "extra": 1} for row in rows]), encoding="utf-8")
    assert remote.verify(copy)
    rows[400]["output"] += "!"
    copy.write_text(json.dumps(rows), encoding="utf-8")
    assert not remote.verify(copy)


def test_a_leaderboard_verifies_inside_a_bigger_published_table(data_dir, tmp_path):
    remote = MANIFEST["alpaca-eval/leaderboard_alpaca_eval_gpt4.csv"]
    assert isinstance(remote.fingerprint, CsvRows)
    lines = (data_dir / remote.relative_path).read_text(encoding="utf-8").splitlines()
    bigger = tmp_path / "board.csv"
    extra_model = "some-other-model" + "," * (lines[0].count(","))
    bigger.write_text("\n".join([lines[0], extra_model, *lines[1:]]) + "\n", encoding="utf-8")
    assert remote.verify(bigger)
    bigger.write_text("\n".join([lines[0], lines[1].replace(",50.0,", ",49.0,", 1), *lines[2:]]) + "\n")
    assert not remote.verify(bigger)


# --- (b) a real fetch, then a re-run that downloads nothing ------------------------------------


def test_fetch_writes_verified_files_and_a_second_run_downloads_nothing(cli, mirror, data_dir, tmp_path):
    dest = tmp_path / "fetched"
    first = cli("data", "fetch", "--dest", dest, "--json")
    assert first.code == 0, first.err
    report = json.loads(first.out)
    assert sorted(report["fetched"]) == sorted(MANIFEST) and report["present"] == []
    assert _shared_files(dest) == set(MANIFEST)  # and no partial files left behind
    for path, remote in MANIFEST.items():
        assert remote.verify(dest / path), path
        assert (dest / path).read_bytes() == (data_dir / path).read_bytes(), path
    kinds = {Path(path).suffix for path in report["fetched"]}
    assert {".json", ".jsonl", ".csv", ""} <= kinds
    assert set(mirror.hits.values()) == {1}

    requests = sum(mirror.hits.values())
    second = cli("data", "fetch", "--dest", dest, "--no-progress")
    assert second.code == 0, second.err
    assert sum(mirror.hits.values()) == requests
    assert f"fetched 0 files (0.0 MB) into {dest}; {len(MANIFEST)} already there" in second.out


def test_only_fetches_the_files_under_a_prefix_and_says_so(cli, mirror, tmp_path):
    dest = tmp_path / "d"
    result = cli("data", "fetch", "--dest", dest, "--only", "mt-bench", "--no-progress")
    assert result.code == 0, result.err
    assert _shared_files(dest) == {p for p in MANIFEST if p.startswith("mt-bench/")}
    assert "+ mt-bench/question.jsonl" in result.out
    assert "ALPACA_BENCH_DATA_DIR=" in result.out  # not the default folder, so it says how to use it
    unknown = cli("data", "fetch", "--dest", dest, "--only", "mt-bench2")
    assert unknown.code == 2 and "alpaca-eval, arena-hard, mt-bench, self-instruct" in unknown.err


# --- (c) corrupted downloads -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["mt-bench/question.jsonl", "mt-bench/LICENSE"])
def test_a_corrupted_download_is_retried_until_it_verifies(cli, mirror, tmp_path, path):
    mirror.corrupt[path] = 1
    dest = tmp_path / "d"
    result = cli("data", "fetch", "--dest", dest, "--only", "mt-bench")
    assert result.code == 0, result.err
    assert mirror.hits[path] == 2
    assert MANIFEST[path].verify(dest / path)


def test_a_download_that_stays_corrupt_is_refused_and_not_left_in_place(cli, mirror, tmp_path):
    bad = "mt-bench/reference_answer/gpt-4.jsonl"
    mirror.corrupt[bad] = 100
    dest = tmp_path / "d"
    result = cli("data", "fetch", "--dest", dest, "--only", "mt-bench", "--no-progress")
    assert result.code == 3
    error = result.err.strip().splitlines()[-1]
    assert error.startswith(f"alpaca-bench: error: {bad}: ") and "checksum" in error
    assert mirror.hits[bad] == 3
    assert not (dest / bad).exists()
    assert _shared_files(dest) == {"mt-bench/question.jsonl"}  # fetched before it and kept; no partials


# --- (d) offline -------------------------------------------------------------------------------


def test_offline_with_missing_files_is_one_line_and_exit_2(cli, tmp_path):
    result = cli("data", "fetch", "--dest", tmp_path / "d", "--only", "arena-hard")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "ALPACA_BENCH_OFFLINE" in lines[0] and "arena-hard/v0.1/question.jsonl" in lines[0]
    assert "7 data files missing" in lines[0]
    assert not (tmp_path / "d").exists()


def test_offline_with_everything_present_is_fine(cli, data_dir, tmp_path):
    dest = tmp_path / "d"
    for path in MANIFEST:
        if path.startswith("mt-bench/"):
            (dest / path).parent.mkdir(parents=True, exist_ok=True)
            (dest / path).write_bytes((data_dir / path).read_bytes())
    result = cli("data", "fetch", "--dest", dest, "--only", "mt-bench", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["fetched"] == []


# --- (e) eval sets use the fetched folder ------------------------------------------------------


def test_data_dir_falls_back_to_the_fetched_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ALPACA_BENCH_DATA_DIR")
    monkeypatch.setenv("ALPACA_BENCH_CACHE", str(tmp_path / "cache"))
    assert resolve_data_dir() is None  # nothing fetched yet
    (tmp_path / "cache" / "data").mkdir(parents=True)
    assert resolve_data_dir() == tmp_path / "cache" / "data"
    monkeypatch.setenv("ALPACA_BENCH_DATA_DIR", str(tmp_path / "mine"))
    assert resolve_data_dir() == tmp_path / "mine"  # the variable still wins


def test_a_default_fetch_is_what_the_eval_sets_load(mirror, tmp_path, monkeypatch):
    monkeypatch.delenv("ALPACA_BENCH_DATA_DIR")
    report = fetch_data(only="self-instruct/user_oriented", show_progress=False)
    assert report.dest == tmp_path / "cache" / "data"
    assert report.fetched == ("self-instruct/user_oriented_instructions.jsonl",)
    monkeypatch.setenv("ALPACA_BENCH_OFFLINE", "1")
    eval_set = load_eval_set("self-instruct")
    assert len(eval_set) == 252
    assert eval_set.source == str(report.dest / "self-instruct" / "user_oriented_instructions.jsonl")
