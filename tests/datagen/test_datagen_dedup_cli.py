"""`alpaca-bench datagen dedup`: greedy in file order, records kept whole, any file format."""

import json

import pytest
from rouge_score import rouge_scorer

from alpaca_bench.datagen import deduplicate
from alpaca_bench.datagen._perturb import near_duplicates
from alpaca_bench.evalsets import load_eval_set

pytest_plugins = ["datagen_fakes"]

SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


@pytest.fixture
def records(data_dir):
    one_line = [" ".join(p.instruction.split()) for p in load_eval_set("self-instruct").prompts[:80]]
    texts = near_duplicates(one_line, 120, seed=9)
    return [{"instruction": t, "input": "", "output": f"answer {i}", "id": i} for i, t in enumerate(texts)]


def test_dedup_jsonl_against_seeds(cli, tmp_path, records, seed_tasks_file):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    out, rejected = tmp_path / "out.jsonl", tmp_path / "rejected.jsonl"
    result = cli(
        "datagen",
        "dedup",
        source,
        "--threshold",
        "0.7",
        "--output",
        out,
        "--against",
        seed_tasks_file,
        "--rejected",
        rejected,
        "--json",
        "--no-progress",
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    seeds = [json.loads(line)["instruction"] for line in seed_tasks_file.read_text().splitlines()]
    decisions = deduplicate([r["instruction"] for r in records], 0.7, seeds)
    expected = [r for r, d in zip(records, decisions, strict=True) if d.kept]
    assert kept == expected, "whole records, in input order"
    assert summary["kept"] == len(kept) and summary["total"] == 200 and 0 < len(kept) < 200
    tokens = [SCORER._tokenizer.tokenize(r["instruction"]) for r in kept]
    for i, mine in enumerate(tokens):
        for other in tokens[:i]:
            assert rouge_scorer._score_lcs(mine, other).fmeasure <= 0.7
    dropped = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert len(dropped) == 200 - len(kept) and all(d["score"] > 0.7 and d["similar_to"] for d in dropped)


@pytest.mark.parametrize(
    "source_suffix, out_suffix", [(".json", ".json"), (".txt", ".txt"), (".json", ".jsonl")]
)
def test_dedup_formats(cli, tmp_path, records, source_suffix, out_suffix):
    source = tmp_path / f"in{source_suffix}"
    if source_suffix == ".txt":
        source.write_text("".join(r["instruction"] + "\n" for r in records))
    else:
        source.write_text(json.dumps(records))
    out = tmp_path / f"out{out_suffix}"
    assert cli("datagen", "dedup", source, "--output", out, "--threshold", "0.5").code == 0
    text = out.read_text()
    rows = (
        text.splitlines()
        if out_suffix == ".txt"
        else json.loads(text)
        if out_suffix == ".json"
        else [json.loads(line) for line in text.splitlines()]
    )
    keep = [d.kept for d in deduplicate([r["instruction"] for r in records], 0.5)]
    assert len(rows) == sum(keep)
    first_kept = records[keep.index(True)]
    assert rows[0] == (
        first_kept["instruction"]
        if out_suffix == ".txt"
        else first_kept
        if source_suffix == ".json"
        else {"instruction": first_kept["instruction"]}
    )
