"""The malformed-input corpus (tests/data/bad/): every command that reads a user file gets each
file of its kind and must exit 2 with one line naming the file and the problem, print no
traceback and write nothing. File names start with the kind of input they break."""

from pathlib import Path

import pytest

from conftest import run_process

BAD = Path(__file__).parent / "data" / "bad"
UNREACHABLE = "openai:judge@http://127.0.0.1:9/v1"  # validation must fail before any call

# kind prefix -> commands that read that kind of file ({file}: the bad file, {out}: an output folder)
COMMANDS: dict[str, list[list[str]]] = {
    "evalset_": [
        ["generate", "mock:m", "--eval-set", "{file}", "--output-dir", "{out}"],
        ["evalsets", "show", "{file}"],
        ["compare", "mock:a", "mock:b", "--eval-set", "{file}", "--judge", "rouge", "--output-dir", "{out}"],
    ],
    "outputs_": [
        ["generate", "file:{file}", "--eval-set", "demo", "--output-dir", "{out}"],
        [
            "compare",
            "file:{file}",
            "mock:b",
            "--eval-set",
            "demo",
            "--judge",
            "rouge",
            "--output-dir",
            "{out}",
        ],
        ["scan", "{file}", "--eval-set", "demo"],
    ],
    "template_": [
        [
            "compare",
            "mock:a",
            "mock:b",
            "--eval-set",
            "demo",
            "--judge",
            UNREACHABLE,
            "--judge-template",
            "{file}",
            "--output-dir",
            "{out}",
        ],
        [
            "gate",
            "--baseline",
            "mock:a",
            "--candidate",
            "mock:b",
            "--eval-set",
            "demo",
            "--judge",
            UNREACHABLE,
            "--judge-template",
            "{file}",
            "--output-dir",
            "{out}",
        ],
    ],
    "recipe_": [
        [
            "sft",
            "--model",
            "org/tiny-model",
            "--data",
            "train.jsonl",
            "--recipe",
            "{file}",
            "--output-dir",
            "{out}",
        ],
    ],
    "sftdata_": [
        [
            "sft",
            "--model",
            "org/tiny-model",
            "--data",
            "{file}",
            "--recipe",
            "tiny-cpu",
            "--output-dir",
            "{out}",
        ],
    ],
    "seeds_": [
        [
            "datagen",
            "--seed-tasks",
            "{file}",
            "--model",
            UNREACHABLE,
            "--num",
            "5",
            "--output",
            "{out}/tasks.jsonl",
        ],
    ],
    "battle_": [["leaderboard", "--battle-config", "{file}", "--results", "{out}"]],
    "annotations_": [
        ["stats", "{file}", "--format", "alpaca-eval"],
        ["stats", "{file}"],
    ],
}


def _cases():
    for path in sorted(BAD.iterdir()):
        kind = next((prefix for prefix in COMMANDS if path.name.startswith(prefix)), None)
        for argv in COMMANDS.get(kind, []):
            yield pytest.param(argv, path, id=f"{argv[0]}-{path.name}")


OTHER = [
    pytest.param(
        ["generate", "file:/no/such/outputs.json", "--eval-set", "demo", "--output-dir", "{out}"],
        "/no/such/outputs.json",
        id="missing-file",
    ),
    pytest.param(
        ["generate", f"file:{BAD}", "--eval-set", "demo", "--output-dir", "{out}"], str(BAD), id="directory"
    ),
    pytest.param(
        ["generate", "nope:model", "--eval-set", "demo", "--output-dir", "{out}"], "nope", id="unknown-scheme"
    ),
    pytest.param(
        ["generate", f"hf:{BAD}", "--eval-set", "demo", "--output-dir", "{out}"],
        str(BAD),
        id="hf-not-a-model",
    ),
    pytest.param(
        ["generate", "mock:m", "--eval-set", "no-such-set", "--output-dir", "{out}"],
        "no-such-set",
        id="unknown-eval-set",
    ),
    pytest.param(
        ["generate", "mock:m?colour=red", "--eval-set", "demo", "--output-dir", "{out}"],
        "colour",
        id="bad-mock-option",
    ),
    pytest.param(
        ["generate", "mock:m", "--eval-set", "demo", "--top-p", "3", "--output-dir", "{out}"],
        "--top-p",
        id="bad-top-p",
    ),
    pytest.param(
        ["compare", "mock:a", "mock:b", "--eval-set", "demo", "--judge", "bleu", "--output-dir", "{out}"],
        "bleu",
        id="unknown-judge",
    ),
    pytest.param(
        ["compare", "mock:a", "mock:b", "--judge-price", "cheap", "--output-dir", "{out}"],
        "cheap",
        id="bad-judge-price",
    ),
    pytest.param(
        ["compare", "mock:a", "mock:b", "--eval-set", "demo", "--temperature", "-1", "--output-dir", "{out}"],
        "--temperature",
        id="bad-temperature",
    ),
    pytest.param(
        [
            "compare",
            "mock:a",
            "mock:b",
            "--eval-set",
            "demo",
            "--judge",
            UNREACHABLE,
            "--judge-template",
            "/no/such/template.yaml",
            "--output-dir",
            "{out}",
        ],
        "template.yaml",
        id="missing-template",
    ),
    pytest.param(["judge", "/no/such/run", "--judge", "rouge"], "/no/such/run", id="missing-run"),
    pytest.param(["gate", str(BAD)], str(BAD), id="gate-not-a-run"),
]


@pytest.mark.parametrize("argv, named", [*_cases(), *OTHER])
def test_bad_input_exits_2_with_one_line(cli, tmp_path, argv, named):
    out = tmp_path / "out"
    filled = [a.replace("{file}", str(named)).replace("{out}", str(out)) for a in argv]
    result = cli(*filled)
    assert result.code == 2, result.err
    message = result.err.strip()
    assert "\n" not in message, message
    assert message.startswith("alpaca-bench: error: ")
    assert (named.name if isinstance(named, Path) else named) in message
    assert "Traceback" not in result.err + result.out
    assert not out.exists(), "nothing may be written for bad input"


def test_every_bad_file_is_exercised_and_the_corpus_is_large():
    files = sorted(BAD.iterdir())
    assert len(files) >= 30
    orphans = [f.name for f in files if not any(f.name.startswith(prefix) for prefix in COMMANDS)]
    assert orphans == [], f"bad files no command reads: {orphans}"


def test_real_process_prints_no_traceback(tmp_path):
    done = run_process(
        "generate", "mock:m", "--eval-set", BAD / "evalset_not_utf8.jsonl", "--output-dir", tmp_path / "r"
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "evalset_not_utf8.jsonl: not valid UTF-8" in done.stderr
