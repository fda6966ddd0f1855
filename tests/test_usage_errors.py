"""A usage error, for every command: exactly one line on stderr that names the flag or argument
and says where the help is, nothing on stdout, exit 2."""

from __future__ import annotations

import pytest

from conftest import run_process

# (argv, what the line must name)
USAGE_ERRORS = [
    (["compare", "mock:a"], "CANDIDATE"),
    (["compare", "mock:a", "mock:b", "--limit", "0"], "--limit"),
    (["compare", "mock:a", "mock:b", "--limit", "-1"], "--limit"),
    (["compare", "mock:a", "mock:b", "--max-new-tokens", "0"], "--max-new-tokens"),
    (["compare", "mock:a", "mock:b", "--temperature", "warm"], "--temperature"),
    (["compare", "mock:a", "mock:b", "--no-such-flag"], "--no-such-flag"),
    (["compare", "mock:a", "mock:b", "--template", "fancy"], "--template"),
    (["compare", "mock:a", "mock:b", "--judge-batch-size", "0"], "--judge-batch-size"),
    (["generate"], "MODEL"),
    (["generate", "mock:a", "--concurrency", "none"], "--concurrency"),
    (["generate", "mock:a", "--seed", "-3"], "--seed"),
    (["judge"], "RUN_DIR"),
    (["gate", "--mode", "strict"], "--mode"),
    (["gate", "--confidence", "high"], "--confidence"),
    (["scan"], "OUTPUTS"),
    (["stats", "x.json", "--format", "csv"], "--format"),
    (["stats", "x.json", "--n-boot", "0"], "--n-boot"),
    (["rate"], "RUN_DIR"),
    (["agreement", "run", "--seed", "x"], "--seed"),
    (["sft", "--model", "m"], "--data"),
    (["datagen", "--num", "zero"], "--num"),
    (["datagen", "dedup", "in.jsonl"], "--output"),
    (["leaderboard", "--port", "99999"], "--port"),
    (["evalsets", "remove"], "action"),
    (["demo", "--unknown"], "--unknown"),
    (["nope"], "nope"),
]


@pytest.mark.parametrize(("argv", "named"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_error_is_one_line(cli, argv, named):
    result = cli(*argv)
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("alpaca-bench: error: ") and named in lines[0], lines[0]
    assert "--help'" in lines[0], lines[0]
    assert result.out == ""


def test_usage_error_from_the_real_console_script():
    """The same from a child process, as a user's shell sees it."""
    done = run_process("compare", "mock:a", "mock:b", "--limit", "0")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "alpaca-bench: error: argument --limit: expected a number of at least 1, got 0 "
        "(see 'alpaca-bench compare --help')"
    ]
