"""Data: Alpaca formatting shared with generation, prompt masking, truncation, padding, packing,
and a seeded, resumable order that does not depend on the number of processes."""

from __future__ import annotations

import itertools
import json

import pytest

from alpaca_bench.prompt_format import alpaca_prompt
from alpaca_bench.sft import AlpacaExample, DataOrder, load_examples, pack_samples, tokenize_examples
from alpaca_bench.sft._data import IGNORE_INDEX
from alpaca_bench.sft._order import micro_batches
from alpaca_bench.sft._schedules import cosine, warmup_steps_for

pytest_plugins = ["sft_helpers"]  # shared fixtures: tiny models and real data, built once


@pytest.fixture(scope="module")
def tokenizer(sft_model):
    from alpaca_bench.sft._model import load_tokenizer

    return load_tokenizer(str(sft_model))


def test_loads_json_and_jsonl_alike(sft_rows, sft_data, tmp_path) -> None:
    as_json = tmp_path / "train.json"
    as_json.write_text(json.dumps(sft_rows), encoding="utf-8")
    assert load_examples([as_json]) == load_examples([sft_data])
    assert len(load_examples([sft_data, as_json])) == 2 * len(sft_rows)


def test_missing_or_null_input_means_no_input(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"instruction": "A", "output": "B"}\n{"instruction": "C", "input": null, "output": "D"}\n'
    )
    assert [e.input for e in load_examples([path])] == ["", ""]


def test_prompt_is_the_generation_template(sft_rows) -> None:
    example = AlpacaExample(**sft_rows[0])
    assert example.prompt() == alpaca_prompt(example.instruction, example.input)


def test_prompt_tokens_are_masked_and_response_plus_eos_is_labelled(tokenizer, sft_rows) -> None:
    examples = [AlpacaExample(**row) for row in sft_rows]
    samples = tokenize_examples(examples, tokenizer, max_length=1024)
    for example, sample in zip(examples, samples, strict=True):
        # the prompt is tokenised exactly as `hf:` generation tokenises it
        prompt_ids = tokenizer(example.prompt(), add_special_tokens=True)["input_ids"]
        response_ids = tokenizer(example.output, add_special_tokens=False)["input_ids"]
        assert list(sample.input_ids) == [*prompt_ids, *response_ids, tokenizer.eos_token_id]
        assert list(sample.labels[: len(prompt_ids)]) == [IGNORE_INDEX] * len(prompt_ids)
        assert list(sample.labels[len(prompt_ids) :]) == [*response_ids, tokenizer.eos_token_id]
        assert sample.supervised_tokens == len(response_ids) + 1
        assert tokenizer.decode(sample.input_ids[: len(prompt_ids)]) == example.prompt()


def test_truncation_keeps_max_length_and_drops_rows_without_a_response(tokenizer, sft_rows) -> None:
    examples = [AlpacaExample(**row) for row in sft_rows]
    prompt_lengths = [len(tokenizer(e.prompt())["input_ids"]) for e in examples]
    limit = sorted(prompt_lengths)[len(prompt_lengths) // 2]
    samples = tokenize_examples(examples, tokenizer, max_length=limit)
    assert all(len(s) <= limit and s.supervised_tokens >= 0 for s in samples)
    assert len(samples) == sum(1 for n in prompt_lengths if n < limit)
    assert all(s.labels[-1] != IGNORE_INDEX for s in samples)


def test_packing_keeps_every_example_whole(tokenizer, sft_rows) -> None:
    samples = tokenize_examples([AlpacaExample(**r) for r in sft_rows], tokenizer, max_length=512)
    rows = pack_samples(samples, max_length=512, seed=0)
    assert len(rows) < len(samples)
    assert all(len(r) <= 512 and sum(r.segments) == len(r) for r in rows)
    pieces = []
    for row in rows:
        start = 0
        for length in row.segments:
            pieces.append((row.input_ids[start : start + length], row.labels[start : start + length]))
            start += length
    assert sorted(pieces) == sorted((s.input_ids, s.labels) for s in samples)
    assert pack_samples(samples, 512, seed=0) == rows
    assert pack_samples(samples, 512, seed=1) != rows


def test_order_is_seeded_and_covers_each_epoch_once() -> None:
    order = DataOrder(num_samples=50, global_batch_size=16, seed=7)
    assert order.steps_per_epoch == 4
    epoch0 = [i for step in range(4) for i in order.step_samples(step)]
    epoch1 = [i for step in range(4, 8) for i in order.step_samples(step)]
    assert sorted(epoch0) == sorted(epoch1) == list(range(50))
    assert epoch0 != epoch1
    assert DataOrder(50, 16, seed=7).step_samples(5) == order.step_samples(5)
    assert DataOrder(50, 16, seed=8).step_samples(0) != order.step_samples(0)
    assert order.total_steps(epochs=3, max_steps=None) == 12
    assert order.total_steps(epochs=3, max_steps=5) == 5


@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_a_global_batch_is_the_same_samples_on_any_number_of_processes(world_size: int) -> None:
    samples = list(range(100, 109))
    plans = [micro_batches(samples, rank, world_size, micro_batch_size=2) for rank in range(world_size)]
    assert len({len(plan) for plan in plans}) == 1, "every rank runs the same number of passes"
    flat = sorted(i for plan in plans for micro in plan for i in micro)
    assert flat == samples
    assert all(len(micro) <= 2 for plan in plans for micro in plan)


def test_cosine_schedule_warms_up_then_decays_to_zero() -> None:
    total = 100
    warmup = warmup_steps_for(total, 0.03)
    assert warmup == 3
    values = [cosine(step, total, warmup) for step in range(total)]
    assert values[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert values[3] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(values[3:]))
    assert values[-1] < 0.001
    assert cosine(3 + 48, total, warmup) == pytest.approx(0.5, abs=0.02)
