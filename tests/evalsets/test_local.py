import json

import pytest

from alpaca_bench.errors import InputError
from alpaca_bench.evalsets import load_eval_set, parse_field_map

ROWS = [
    {"question": "What is 2+2?", "answer": "4", "topic": "math"},
    {"question": "Name a colour.", "answer": "Blue", "topic": "misc"},
]


def test_jsonl_with_common_names(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": f"q{i}", "instruction": r["question"], "input": "", "output": r["answer"]})
            for i, r in enumerate(ROWS)
        )
    )
    eval_set = load_eval_set(str(path))
    assert eval_set.name == "mine"
    assert [p.id for p in eval_set] == ["q0", "q1"]
    assert eval_set.prompts[1].reference == "Blue"


def test_json_with_field_map(tmp_path):
    path = tmp_path / "qa.json"
    path.write_text(json.dumps(ROWS))
    eval_set = load_eval_set(
        str(path), parse_field_map("instruction=question,reference=answer,category=topic")
    )
    assert eval_set.prompts[0].instruction == "What is 2+2?"
    assert eval_set.prompts[0].reference == "4"
    assert eval_set.prompts[0].category == "math"
    assert eval_set.prompts[0].id == "qa-0000"


def test_csv(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text('prompt,reference\nSay hi,hi\n"Quote, please",ok\n')
    eval_set = load_eval_set(str(path))
    assert [p.instruction for p in eval_set] == ["Say hi", "Quote, please"]


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "qa.parquet"
    pq.write_table(
        pa.Table.from_pylist([{"instruction": r["question"], "reference": r["answer"]} for r in ROWS]),
        path,
    )
    assert [p.reference for p in load_eval_set(str(path))] == ["4", "Blue"]


def test_hub_spec_through_datasets_on_a_local_folder(tmp_path):
    folder = tmp_path / "my_set"
    folder.mkdir()
    (folder / "test.jsonl").write_text("\n".join(json.dumps({"instruction": r["question"]}) for r in ROWS))
    eval_set = load_eval_set(f"hf:{folder}")
    assert len(eval_set) == 2 and eval_set.prompts[0].instruction == "What is 2+2?"


def test_self_instruct_style_instances_are_understood(tmp_path):
    path = tmp_path / "si.jsonl"
    path.write_text(
        json.dumps({"id": "t1", "instruction": "Fix it", "instances": [{"input": "teh", "output": "the"}]})
    )
    prompt = load_eval_set(str(path)).prompts[0]
    assert (prompt.input, prompt.reference) == ("teh", "the")


@pytest.mark.parametrize("bad", ["instruction", "instruction=", "colour=x"])
def test_bad_field_maps(bad):
    with pytest.raises(InputError):
        parse_field_map(bad)
