"""Malformed recipes and training data (tests/data/bad/recipe_*, sftdata_*): exit 2, one line
naming the file and the problem, no traceback, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["sft_helpers"]  # shared fixtures: tiny models and real data, built once

TINY = ["--recipe", "tiny-cpu", "--no-progress"]

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
RECIPES = sorted(BAD.glob("recipe_*"))
DATA = sorted(BAD.glob("sftdata_*"))

EXPECTED = {
    "recipe_empty.yaml": "recipe is empty",
    "recipe_epochs_not_a_number.yaml": "epochs: Input should be a valid integer",
    "recipe_invalid_yaml.yaml": "invalid YAML at line 2",
    "recipe_list_not_mapping.yaml": "expected a mapping of recipe keys",
    "recipe_lora_unknown_key.yaml": "lora.rnak: unknown recipe key",
    "recipe_micro_exceeds_global.yaml": "micro_batch_size (16) exceeds global_batch_size (8)",
    "recipe_negative_lr.yaml": "lr: Input should be greater than 0",
    "recipe_unknown_dtype.yaml": "dtype: Input should be 'bf16' or 'fp32'",
    "recipe_unknown_key.yaml": "learning_rate: unknown recipe key",
    "recipe_unknown_scheduler.yaml": "unknown scheduler 'exponential'",
    "sftdata_empty.jsonl": "file is empty",
    "sftdata_empty_instruction.jsonl": ":2: instruction: must not be empty",
    "sftdata_invalid_json.json": "invalid JSON at line 2",
    "sftdata_missing_output.jsonl": ":2: output: Field required",
    "sftdata_not_utf8.jsonl": "not valid UTF-8",
    "sftdata_object_not_list.json": "expected a JSON list of examples",
    "sftdata_output_not_text.json": "row 1: output: Input should be a valid string",
    "sftdata_rows_not_objects.json": "row 1: expected an object, got str",
    "sftdata_truncated_line.jsonl": ":2: invalid JSON",
    "sftdata_unsupported.csv": "unsupported data file type '.csv'",
}


def test_every_corpus_file_has_an_expected_message() -> None:
    assert {p.name for p in [*RECIPES, *DATA]} == set(EXPECTED)


def _assert_one_line(result, named: str, expected: str, out: Path) -> None:
    assert result.code == 2, result.err
    message = result.err.strip()
    assert "\n" not in message, message
    assert message.startswith("alpaca-bench: error: ")
    assert named in message and expected in message, message
    assert "Traceback" not in result.err + result.out
    assert not out.exists(), "nothing may be written for bad input"


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_bad_recipe(cli, sft_model, sft_data, tmp_path, recipe: Path) -> None:
    out = tmp_path / "run"
    result = cli("sft", "--model", sft_model, "--data", sft_data, "--output-dir", out, "--recipe", recipe)
    _assert_one_line(result, str(recipe), EXPECTED[recipe.name], out)


@pytest.mark.parametrize("data", DATA, ids=lambda p: p.name)
def test_bad_data(cli, sft_model, tmp_path, data: Path) -> None:
    out = tmp_path / "run"
    result = cli("sft", "--model", sft_model, "--data", data, "--output-dir", out, *TINY)
    _assert_one_line(result, str(data), EXPECTED[data.name], out)


def test_bad_data_is_found_in_any_of_several_files(cli, sft_model, sft_data, tmp_path) -> None:
    out = tmp_path / "run"
    bad = BAD / "sftdata_missing_output.jsonl"
    result = cli("sft", "--model", sft_model, "--data", sft_data, bad, "--output-dir", out, *TINY)
    _assert_one_line(result, str(bad), "output: Field required", out)


def test_not_a_model_folder(cli, sft_data, tmp_path) -> None:
    out = tmp_path / "run"
    result = cli("sft", "--model", BAD, "--data", sft_data, "--output-dir", out, *TINY)
    _assert_one_line(result, str(BAD), "not a transformers model folder", out)


def test_an_unrelated_non_empty_output_folder_is_refused(cli, sft_model, sft_data, tmp_path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    result = cli("sft", "--model", sft_model, "--data", sft_data, "--output-dir", out, *TINY)
    assert result.code == 2 and "not empty" in result.err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_an_existing_run_needs_resume_and_the_same_settings(cli, sft_model, sft_data, tmp_path) -> None:
    from alpaca_bench.sft import build_config
    from alpaca_bench.sft._launch import prepare_run

    out = tmp_path / "run"
    prepare_run(
        build_config("tiny-cpu", [], model=str(sft_model), data=[str(sft_data)], output_dir=str(out)), False
    )
    before = json.loads((out / "sft_run.json").read_text(encoding="utf-8"))
    again = cli("sft", "--model", sft_model, "--data", sft_data, "--output-dir", out, *TINY)
    assert again.code == 2 and "pass --resume" in again.err
    changed = cli(
        "sft", "--model", sft_model, "--data", sft_data, "--output-dir", out, *TINY, "--resume", "lr=0.5"
    )
    assert changed.code == 2 and "different settings than the run was started with: lr" in changed.err
    other_data = tmp_path / "other.jsonl"
    other_data.write_text('{"instruction": "Say hi.", "output": "Hi."}\n', encoding="utf-8")
    swapped = cli("sft", "--model", sft_model, "--data", other_data, "--output-dir", out, *TINY, "--resume")
    assert swapped.code == 2 and "different training data" in swapped.err
    assert json.loads((out / "sft_run.json").read_text(encoding="utf-8")) == before


def test_overrides_after_data_files_are_overrides_not_files(cli, sft_model, sft_data, tmp_path) -> None:
    out = tmp_path / "run"
    result = cli("sft", "--model", sft_model, *TINY, "--output-dir", out, "--data", sft_data, "lrr=3")
    _assert_one_line(result, "override 'lrr=3'", "did you mean 'lr'?", out)
