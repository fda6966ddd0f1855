"""Bad seed files and options: exit 2, one line naming the file or option, nothing written."""

from pathlib import Path

import pytest

pytest_plugins = ["datagen_fakes"]

BAD = Path(__file__).parents[1] / "data" / "bad"
SEED_FILES = sorted(BAD.glob("seeds_*"))
MODEL = "openai:teacher@http://127.0.0.1:9/v1"  # never called: input is checked first


def test_the_seed_corpus_is_there():
    assert len(SEED_FILES) >= 10


@pytest.mark.parametrize("path", SEED_FILES, ids=[p.name for p in SEED_FILES])
def test_bad_seed_file(cli, tmp_path, path):
    out = tmp_path / "out" / "tasks.jsonl"
    result = cli("datagen", "--seed-tasks", path, "--model", MODEL, "--num", "5", "--output", out)
    _assert_one_line(result, path.name)
    assert not out.parent.exists(), "nothing may be written for bad input"


def _assert_one_line(result, named):
    assert result.code == 2, result.err
    message = result.err.strip()
    assert message.startswith("alpaca-bench: error: ") and "\n" not in message, message
    assert named in message
    assert "Traceback" not in result.err + result.out


GENERATE_CASES = [
    (["--seed-tasks", "/no/such/seeds.jsonl"], "/no/such/seeds.jsonl"),
    (["--format", "xml"], "xml"),
    (["--similarity-threshold", "1.5"], "threshold"),
    (["--similarity-threshold", "abc"], "threshold"),
    (["--price", "cheap"], "price"),
    (["--examples-per-prompt", "500"], "--examples-per-prompt"),
    (["--machine-examples", "5"], "--machine-examples"),
    (["--top-p", "2"], "--top-p"),
    (["--model", "file:outputs.json"], "file:outputs.json"),
    (["--model", "nope:model"], "nope"),
    (["--output", "OUT/tasks.json"], ".jsonl"),
]


@pytest.mark.parametrize("extra, named", GENERATE_CASES, ids=[c[1] for c in GENERATE_CASES])
def test_bad_generate_option(cli, tmp_path, seed_tasks_file, extra, named):
    options = {
        "--seed-tasks": str(seed_tasks_file),
        "--model": MODEL,
        "--num": "5",
        "--output": "OUT/tasks.jsonl",
    }
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        options[flag] = value
    argv = [part.replace("OUT", str(tmp_path / "out")) for pair in options.items() for part in pair]
    _assert_one_line(cli("datagen", *argv), named)
    assert not (tmp_path / "out").exists()


def test_missing_required_options_name_them(cli):
    result = cli("datagen", "--model", MODEL)
    _assert_one_line(result, "--seed-tasks")
    assert "--num" in result.err and "--output" in result.err


def test_corrupt_existing_output_is_named(cli, tmp_path, seed_tasks_file):
    out = tmp_path / "tasks.jsonl"
    out.write_text('{"instruction": "a", "input": "", "output": "b"}\n{not json}\n{"instruction": "c"}\n')
    result = cli("datagen", "--seed-tasks", seed_tasks_file, "--model", MODEL, "--num", "5", "--output", out)
    _assert_one_line(result, "tasks.jsonl:2")


DEDUP_CASES = [
    (["/no/such/input.jsonl"], "/no/such/input.jsonl"),
    ([BAD / "seeds_no_instruction.jsonl"], "seeds_no_instruction.jsonl"),
    ([BAD / "seeds_invalid_json.json"], "seeds_invalid_json.json"),
    ([BAD / "seeds_empty.jsonl"], "seeds_empty.jsonl"),
    (["INPUT", "--threshold", "2"], "threshold"),
    (["INPUT", "--threshold", "x"], "threshold"),
    (["INPUT", "--against", BAD / "seeds_strings_not_objects.json"], "seeds_strings_not_objects.json"),
    (["INPUT", "--rejected", "REJ.txt"], "REJ.txt"),
]


@pytest.mark.parametrize("args, named", DEDUP_CASES, ids=[str(c[1]) for c in DEDUP_CASES])
def test_bad_dedup_input(cli, tmp_path, seed_tasks_file, args, named):
    out = tmp_path / "out" / "kept.jsonl"
    argv = [seed_tasks_file if a == "INPUT" else tmp_path / a if a == "REJ.txt" else a for a in args]
    _assert_one_line(cli("datagen", "dedup", *argv, "--output", out), str(named))
    assert not out.parent.exists()
