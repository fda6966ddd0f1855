"""AlpacaEval annotations in and out: the encoding, unparsed rows, and a lossless round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from alpaca_bench.alpacaeval import (
    annotations_to_judgments,
    candidate_preference,
    judgments_to_annotations,
    read_annotations,
    write_annotations,
)
from alpaca_bench.errors import InputError
from alpaca_bench.records import Prompt
from alpaca_bench.stats import per_prompt_preferences


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 0.0),
        (2, 1.0),
        (1.5, 0.5),
        (0, 0.5),
        (1.25, 0.25),
        (1.9999, 0.9999),
        (None, None),
        (math.nan, None),
    ],
)
def test_preference_encoding(value, expected):
    got = candidate_preference(value)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("value", [3, 0.5, -1, "2", True, [2]])
def test_impossible_preferences_are_refused(value):
    with pytest.raises(ValueError):
        candidate_preference(value)


def row(instruction, preference, generator="model"):
    return {
        "instruction": instruction,
        "output_1": "base answer",
        "generator_1": "base",
        "output_2": "a longer model answer",
        "generator_2": generator,
        "annotator": "gpt4_judge",
        "preference": preference,
    }


def test_unparsed_rows_become_unscored_judgments(tmp_path):
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps([row("a", 2), row("b", float("nan")), row("c", None), row("d", 0)]))
    imported = read_annotations(path)
    assert [j.verdict for j in imported.judgments] == ["B>A", "unscored", "unscored", "tie"]
    assert [j.judge.name for j in imported.judgments] == ["gpt4_judge"] * 4
    ids, prefs = per_prompt_preferences(imported.judgments)
    assert sorted(prefs.tolist()) == [0.5, 1.0]
    assert imported.lengths[("base", "model", ids[0])] == (len("base answer"), len("a longer model answer"))


def test_bad_rows_name_the_item(tmp_path):
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps([row("a", 2), row("b", 7)]))
    with pytest.raises(InputError, match=r"annotations.json: row 2: preference 7"):
        read_annotations(path)
    path.write_text(json.dumps([{"instruction": "x"}]))
    with pytest.raises(InputError, match="missing field"):
        read_annotations(path)


def test_real_annotations_survive_a_round_trip(tmp_path, data_dir):
    source = data_dir / "alpaca-eval" / "annotations" / "alpaca_eval_gpt4" / "text_davinci_001.json"
    original = json.loads(source.read_text())
    imported = read_annotations(source)
    assert len(imported.judgments) == len(original)
    prompts = {pid: Prompt(id=pid, instruction=text) for pid, text in imported.instructions.items()}
    by_instruction = {r["instruction"]: r for r in original}
    baseline = {pid: by_instruction[text]["output_1"] for pid, text in imported.instructions.items()}
    candidate = {pid: by_instruction[text]["output_2"] for pid, text in imported.instructions.items()}
    rows = judgments_to_annotations(imported.judgments, prompts, baseline, candidate)
    out = tmp_path / "exported.json"
    write_annotations(out, rows)
    again = read_annotations(out)
    assert [j.preference for j in again.judgments] == [j.preference for j in imported.judgments]
    for before, after in zip(original, json.loads(out.read_text()), strict=True):
        assert after["instruction"] == before["instruction"]
        assert after["output_2"] == before["output_2"]
        assert (after["generator_1"], after["generator_2"]) == (before["generator_1"], before["generator_2"])
        if before["preference"] is None:
            assert after["preference"] is None
        else:  # the old tie code 0 is written as today's 1.5
            assert after["preference"] == (1.5 if before["preference"] == 0 else before["preference"])
    assert np.isclose(
        per_prompt_preferences(again.judgments)[1].mean(),
        per_prompt_preferences(imported.judgments)[1].mean(),
    )


def test_export_joins_input_to_the_instruction_and_needs_the_outputs():
    judgment = annotations_to_judgments([row("x", 2)], "rows").judgments[0]
    prompt = Prompt(id=judgment.prompt_id, instruction="Summarise", input="the text")
    rows = judgments_to_annotations([judgment], {prompt.id: prompt}, {prompt.id: "b"}, {prompt.id: "c"})
    assert rows[0]["instruction"] == "Summarise\n\nthe text"
    assert rows[0]["preference"] == 2.0
    with pytest.raises(ValueError, match="candidate output"):
        judgments_to_annotations([judgment], {prompt.id: prompt}, {prompt.id: "b"}, {})
