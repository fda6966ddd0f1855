"""hf: generation with a tiny model built from config (nothing downloaded)."""

import asyncio
import json

import pytest

from alpaca_bench.generation import build_request, generate
from alpaca_bench.models import BackendOptions, ChatRequest, load_backend
from alpaca_bench.models._hf import render_prompt
from alpaca_bench.prompt_format import alpaca_prompt
from alpaca_bench.records import GenerationConfig, Prompt


def test_generate_252_self_instruct_prompts_then_resume_with_zero_calls(
    data_dir, tiny_model_dir, tmp_path, cli
):
    args = [
        "generate",
        f"hf:{tiny_model_dir}",
        "--output-dir",
        tmp_path / "results",
        "--max-new-tokens",
        "8",
        "--batch-size",
        "32",
        "--json",
        "--no-progress",
    ]
    first = cli(*args)
    assert first.code == 0, first.err
    report = json.loads(first.out)
    assert (report["outputs"], report["model_calls"]) == (252, 252)
    lines = (tmp_path / "results/self-instruct/models/tiny-a/generations.jsonl").read_text().splitlines()
    assert len(lines) == 252
    second = json.loads(cli(*args).out)
    assert (second["outputs"], second["model_calls"], second["reused"]) == (252, 0, 252)


def test_cache_serves_a_second_results_root_without_model_calls(tiny_model_dir, tmp_path):
    config = GenerationConfig(max_new_tokens=4)
    first = generate(
        f"hf:{tiny_model_dir}",
        "demo",
        output_dir=tmp_path / "a",
        config=config,
        show_progress=False,
    )
    second = generate(
        f"hf:{tiny_model_dir}",
        "demo",
        output_dir=tmp_path / "b",
        config=config,
        show_progress=False,
    )
    assert first.calls == 20 and second.calls == 0
    assert [g.output for g in first.generations] == [g.output for g in second.generations]


def test_batches_are_length_sorted_and_left_padded(tiny_model_dir):
    backend = load_backend(f"hf:{tiny_model_dir}", BackendOptions(batch_size=3))
    backend.load()
    assert backend.tokenizer.padding_side == "left"
    prompts = [Prompt(id=str(i), instruction="word " * n) for i, n in enumerate([3, 40, 1, 20, 7])]
    batches = backend.batches([build_request(p, GenerationConfig()) for p in prompts])
    assert [[r.key for r, _ in b] for b in batches] == [["1", "3", "4"], ["0", "2"]]


def test_templates(tiny_model_dir):
    backend = load_backend(f"hf:{tiny_model_dir}")
    backend.load()
    request = build_request(Prompt(id="p", instruction="Fix this", input="teh cat"), GenerationConfig())
    assert render_prompt(request, backend.tokenizer, "auto") == alpaca_prompt("Fix this", "teh cat")
    assert render_prompt(request, backend.tokenizer, "raw") == "Fix this\n\nteh cat"
    backend.tokenizer.chat_template = (
        "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
    )
    assert render_prompt(request, backend.tokenizer, "auto") == "<user>Fix this\n\nteh cat<assistant>"


def test_logprobs_and_greedy_determinism(tiny_model_dir):
    backend = load_backend(f"hf:{tiny_model_dir}", BackendOptions(batch_size=4))
    requests = [
        ChatRequest(key=str(i), messages=[{"role": "user", "content": f"Say {i}"}], max_tokens=6, logprobs=5)
        for i in range(4)
    ]

    async def run():
        return {c.key: c async for c in backend.stream(requests)}

    first, second = asyncio.run(run()), asyncio.run(run())
    assert {k: c.text for k, c in first.items()} == {k: c.text for k, c in second.items()}
    tops = first["0"].top_logprobs
    assert tops is not None and 1 <= len(tops) <= 5
    assert all(v <= 0 for v in tops.values())
    assert first["0"].usage.completion_tokens <= 6


def test_not_a_model_folder_is_an_input_error(tmp_path):
    from alpaca_bench.errors import InputError

    with pytest.raises(InputError, match=r"no config\.json"):
        load_backend(f"hf:{tmp_path}")
