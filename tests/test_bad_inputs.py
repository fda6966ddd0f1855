"""Malformed input files: exit 2, one line naming the file and the problem, no traceback,
nothing written. Every command that reads user files runs over this corpus."""

from pathlib import Path

import pytest

from conftest import run_process

BAD = Path(__file__).parent / "data" / "bad"


def _evalset_cases():
    for path in sorted(BAD.glob("evalset_*")):
        yield pytest.param(["generate", "mock:m", "--eval-set", path], path.name, id=f"generate-{path.name}")
        yield pytest.param(["evalsets", "show", path], path.name, id=f"evalsets-{path.name}")


def _outputs_cases():
    for path in sorted(BAD.glob("outputs_*")):
        yield pytest.param(
            ["generate", f"file:{path}", "--eval-set", "demo"],
            path.name,
            id=f"generate-{path.name}",
        )


OTHER = [
    pytest.param(
        ["generate", "file:/no/such/outputs.json", "--eval-set", "demo"],
        "/no/such/outputs.json",
        id="missing-file",
    ),
    pytest.param(["generate", f"file:{BAD}", "--eval-set", "demo"], str(BAD), id="directory"),
    pytest.param(["generate", "nope:model", "--eval-set", "demo"], "nope", id="unknown-scheme"),
    pytest.param(["generate", f"hf:{BAD}", "--eval-set", "demo"], str(BAD), id="hf-not-a-model"),
    pytest.param(["generate", "mock:m", "--eval-set", "no-such-set"], "no-such-set", id="unknown-eval-set"),
    pytest.param(["generate", "mock:m?colour=red", "--eval-set", "demo"], "colour", id="bad-mock-option"),
    pytest.param(["generate", "mock:m", "--eval-set", "demo", "--top-p", "3"], "top_p", id="bad-top-p"),
]


@pytest.mark.parametrize("argv, named", [*_evalset_cases(), *_outputs_cases(), *OTHER])
def test_bad_input_exits_2_with_one_line(cli, tmp_path, argv, named):
    out_dir = tmp_path / "results"
    extra = ["--output-dir", out_dir] if argv[0] == "generate" else []
    result = cli(*argv, *extra)
    assert result.code == 2, result.err
    message = result.err.strip()
    assert "\n" not in message, message
    assert message.startswith("alpaca-bench: error: ")
    assert named in message
    assert "Traceback" not in result.err + result.out
    assert not out_dir.exists(), "nothing may be written for bad input"


def test_the_corpus_is_large_enough():
    assert len(list(BAD.iterdir())) >= 18


def test_real_process_prints_no_traceback(tmp_path):
    done = run_process(
        "generate",
        "mock:m",
        "--eval-set",
        BAD / "evalset_not_utf8.jsonl",
        "--output-dir",
        tmp_path / "r",
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "evalset_not_utf8.jsonl: not valid UTF-8" in done.stderr
