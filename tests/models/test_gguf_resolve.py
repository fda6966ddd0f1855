"""GGUF spec resolution without real weights: which file a spec names, and the cheap header
check that refuses corrupt files early. The files here are tiny GGUFs written by `gguf`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from alpaca_bench.errors import InputError
from alpaca_bench.models import BackendOptions, load_backend
from alpaca_bench.models import _gguf as gguf_module
from alpaca_bench.models._gguf import content_hash, find_gguf, read_header, resolve_hf_path


def write_gguf(path: Path, arch: str = "llama", scale: float = 1.0) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name("tiny")
    writer.add_tensor("token_embd.weight", np.full((4, 8), scale, dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.full((8, 8), scale, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_gguf_file_or_a_folder_with_exactly_one_is_a_gguf_spec(tmp_path):
    (tmp_path / "one").mkdir()
    file = write_gguf(tmp_path / "one" / "m.gguf")
    assert find_gguf(file) == file
    assert find_gguf(tmp_path / "one") == file
    (tmp_path / "one" / "config.json").write_text("{}")
    assert find_gguf(tmp_path / "one") is None  # a transformers folder wins over a stray .gguf
    assert find_gguf(tmp_path / "nowhere") is None
    assert find_gguf("HuggingFaceTB/SmolLM2-135M-Instruct") is None
    assert resolve_hf_path("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert resolve_hf_path(str(empty)) == str(empty)


def test_a_folder_with_two_gguf_files_is_refused_naming_the_folder(tmp_path):
    write_gguf(tmp_path / "a.gguf")
    write_gguf(tmp_path / "b.gguf")
    with pytest.raises(InputError) as caught:
        find_gguf(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path}: holds 2 .gguf files (a.gguf, b.gguf)")
    assert caught.value.exit_code == 2


def test_the_header_check_reads_the_architecture(tmp_path):
    header = read_header(write_gguf(tmp_path / "m.gguf"))
    assert (header.version, header.architecture, header.name, header.tensor_count) == (3, "llama", "tiny", 2)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: os.urandom(4096), "not a GGUF file"),
        (lambda data: b"", "not a GGUF file"),
        (lambda data: data[:40], "truncated GGUF file (its header runs past the end"),
        (lambda data: data[:-16], "truncated GGUF file"),
        (lambda data: data[:4] + (1).to_bytes(4, "little") + data[8:], "unsupported GGUF version 1"),
    ],
    ids=["random-bytes", "empty", "cut-header", "cut-tensors", "version-1"],
)
def test_a_damaged_file_is_one_input_error_naming_it(tmp_path, damage, reason):
    good = write_gguf(tmp_path / "good.gguf").read_bytes()
    bad = tmp_path / "x.gguf"
    bad.write_bytes(damage(good))
    with pytest.raises(InputError) as caught:
        read_header(bad)
    message = str(caught.value)
    assert message.startswith(f"{bad}: {reason}"), message
    assert "\n" not in message


def test_hf_backend_checks_the_file_at_construction_and_converts_nothing(tmp_path):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(os.urandom(1000))
    with pytest.raises(InputError, match="not a GGUF file"):
        load_backend(f"hf:{bad}", BackendOptions())
    with pytest.raises(InputError, match="is not supported by transformers"):
        load_backend(f"hf:{write_gguf(tmp_path / 'odd.gguf', arch='nosucharch')}", BackendOptions())
    with pytest.raises(InputError) as caught:
        load_backend(f"hf:{tmp_path / 'missing.gguf'}", BackendOptions())
    assert str(caught.value) == f"{tmp_path / 'missing.gguf'}: does not exist"
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InputError, match=r"no config\.json"):
        load_backend(f"hf:{plain}", BackendOptions())
    backend = load_backend(f"hf:{write_gguf(tmp_path / 'ok.Q4.gguf')}", BackendOptions())
    assert backend.name == "ok.Q4"
    assert backend.identity()["fingerprint"] == f"gguf:{content_hash(tmp_path / 'ok.Q4.gguf')}"
    assert not (tmp_path / "cache" / "gguf").exists() or not [
        p for p in (tmp_path / "cache" / "gguf").iterdir() if p.name != "hashes"
    ]


def test_the_content_hash_is_memoised_and_follows_edits(tmp_path):
    file = write_gguf(tmp_path / "m.gguf")
    first = content_hash(file)
    memos = list((tmp_path / "cache" / "gguf" / "hashes").iterdir())
    assert len(memos) == 1
    assert content_hash(file) == first
    copy = write_gguf(tmp_path / "copy.gguf")
    assert content_hash(copy) == first  # same bytes, same identity, wherever the file lives
    write_gguf(file, scale=2.0)  # same size, new bytes
    stat = file.stat()
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert content_hash(file) != first


def test_a_corrupt_gguf_exits_2_with_one_line(tmp_path, cli):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(os.urandom(1000))
    result = cli("generate", f"hf:{bad}", "--eval-set", "demo", "--output-dir", tmp_path / "out")
    assert result.code == 2
    assert result.err.strip().count("\n") == 0 and str(bad) in result.err, result.err


def fake_build(calls: list[Path]):
    """Stands in for the transformers conversion: records the temp folder, writes a config."""

    def build(file: Path, folder: Path, header: object) -> None:
        calls.append(folder)
        (folder / "config.json").write_text("{}")

    return build


def test_a_file_is_converted_once_then_served_from_the_cache(tmp_path, monkeypatch):
    calls: list[Path] = []
    monkeypatch.setattr(gguf_module, "_build", fake_build(calls))
    file = write_gguf(tmp_path / "m.gguf")
    folder = Path(resolve_hf_path(str(file)))
    assert folder == tmp_path / "cache" / "gguf" / content_hash(file)
    assert (folder / "config.json").is_file() and len(calls) == 1
    assert calls[0].parent == folder.parent and calls[0].name.startswith(f".{folder.name}.")
    assert resolve_hf_path(str(file)) == str(folder) and len(calls) == 1
    assert not list(folder.parent.glob("*.tmp"))


def test_a_failed_conversion_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(file: Path, folder: Path, header: object) -> None:
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(gguf_module, "_build", broken)
    file = write_gguf(tmp_path / "m.gguf")
    with pytest.raises(KeyboardInterrupt):
        resolve_hf_path(str(file))
    root = tmp_path / "cache" / "gguf"
    assert sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock")) == ["hashes"]


def test_a_killed_runs_temp_folder_is_cleared_and_a_concurrent_finisher_wins(tmp_path, monkeypatch):
    file = write_gguf(tmp_path / "m.gguf")
    target = tmp_path / "cache" / "gguf" / content_hash(file)
    stale = target.parent / f".{target.name}.killed.tmp"
    stale.mkdir(parents=True)

    def other_process_finishes_first(file: Path, folder: Path, header: object) -> None:
        (folder / "config.json").write_text('{"mine": true}')
        target.mkdir()
        (target / "config.json").write_text('{"theirs": true}')

    monkeypatch.setattr(gguf_module, "_build", other_process_finishes_first)
    assert resolve_hf_path(str(file)) == str(target)
    assert json.loads((target / "config.json").read_text()) == {"theirs": True}
    assert not stale.exists() and not list(target.parent.glob("*.tmp"))


def test_an_incomplete_converted_folder_is_replaced(tmp_path, monkeypatch):
    """A folder with no config.json (an older, non-atomic writer or a hand copy) is no
    conversion: it is rebuilt, not renamed onto (which fails with 'directory not empty')."""
    calls: list[Path] = []
    monkeypatch.setattr(gguf_module, "_build", fake_build(calls))
    file = write_gguf(tmp_path / "m.gguf")
    target = tmp_path / "cache" / "gguf" / content_hash(file)
    target.mkdir(parents=True)
    (target / "tokenizer.json").write_text("{}")
    assert resolve_hf_path(str(file)) == str(target)
    assert (target / "config.json").is_file() and len(calls) == 1
    assert not (target / "tokenizer.json").exists()
