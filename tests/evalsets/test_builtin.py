import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alpaca_bench.errors import InputError
from alpaca_bench.evalsets import _builtin as builtin
from alpaca_bench.evalsets import load_eval_set


def test_self_instruct_has_252_prompts_with_references(data_dir):
    eval_set = load_eval_set("self-instruct")
    assert len(eval_set) == 252
    assert eval_set.has_references
    assert sum(1 for p in eval_set if p.input) == 208
    assert eval_set.get("user_oriented_task_0").category == "Grammarly"
    assert len(eval_set.categories()) == 71


def test_alpaca_eval_has_805_prompts_with_dataset_categories(data_dir):
    eval_set = load_eval_set("alpaca-eval")
    assert len(eval_set) == 805
    assert eval_set.categories()["selfinstruct"] == 252
    assert not eval_set.has_references


def test_demo_set_ships_with_the_package():
    eval_set = load_eval_set("demo")
    assert len(eval_set) == 20 and eval_set.has_references


def test_offline_without_a_copy_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ALPACA_BENCH_DATA_DIR", str(tmp_path / "nothing"))
    with pytest.raises(InputError) as info:
        load_eval_set("self-instruct")
    message = str(info.value)
    assert "self-instruct/user_oriented_instructions.jsonl" in message
    assert "ALPACA_BENCH_DATA_DIR" in message


@pytest.fixture
def file_server(data_dir, tmp_path):
    (tmp_path / "www").mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path / "www", f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _remote(url):
    return builtin.RemoteFile(
        name="self-instruct",
        relative_path=builtin.SELF_INSTRUCT.relative_path,
        url=url,
        content_sha256=builtin.SELF_INSTRUCT.content_sha256,
        fingerprint=builtin.SELF_INSTRUCT.fingerprint,
    )


def test_download_is_checksum_verified_and_cached(file_server, data_dir, tmp_path, monkeypatch):
    www, base = file_server
    (www / "si.jsonl").write_bytes((data_dir / builtin.SELF_INSTRUCT.relative_path).read_bytes())
    monkeypatch.setenv("ALPACA_BENCH_DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.delenv("ALPACA_BENCH_OFFLINE")
    monkeypatch.setattr(builtin, "SELF_INSTRUCT", _remote(f"{base}/si.jsonl"))
    assert len(load_eval_set("self-instruct")) == 252
    (www / "si.jsonl").unlink()  # now only the cache has it
    assert len(load_eval_set("self-instruct")) == 252


def test_tampered_download_is_rejected(file_server, data_dir, tmp_path, monkeypatch):
    www, base = file_server
    text = (data_dir / builtin.SELF_INSTRUCT.relative_path).read_text()
    (www / "si.jsonl").write_text(text.replace("Grammarly", "Gramarly", 1))
    monkeypatch.setenv("ALPACA_BENCH_DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.delenv("ALPACA_BENCH_OFFLINE")
    monkeypatch.setattr(builtin, "SELF_INSTRUCT", _remote(f"{base}/si.jsonl"))
    with pytest.raises(InputError, match="checksum"):
        load_eval_set("self-instruct")
