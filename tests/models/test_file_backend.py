import asyncio
import json

import pytest

from alpaca_bench.errors import InputError
from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.models import BackendOptions, load_backend
from alpaca_bench.models._base import split_spec

PREDICTIONS = [
    "davinci",
    "text-davinci-001",
    "text-davinci-002",
    "text-davinci-003",
    "davinci-self-instruct",
    "davinci-superni-ft",
    "davinci-t0-ft",
    "davinci-self-instruct-and-superni-ft",
]


@pytest.mark.parametrize("model", PREDICTIONS)
def test_self_instruct_predictions_align_to_all_252_prompts(data_dir, model):
    eval_set = load_eval_set("self-instruct")
    path = data_dir / "self-instruct" / "predictions" / f"{model}_predictions.jsonl"
    backend = load_backend(str(path))
    assert backend.name == model
    served = backend.prepare(eval_set.prompts)
    assert len(served) == 252
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [backend.outputs[p.id] for p in eval_set] == [row["response"] for row in rows]


@pytest.mark.parametrize("model", ["alpaca-7b", "gpt4_1106_preview", "text_davinci_003"])
def test_alpaca_eval_outputs_align_to_all_805_prompts(data_dir, model):
    eval_set = load_eval_set("alpaca-eval")
    backend = load_backend(f"file:{data_dir}/alpaca-eval/model_outputs/{model}.json")
    assert backend.name == model
    assert len(backend.prepare(eval_set.prompts)) == 805


def test_alpaca_eval_joined_instructions_align_to_self_instruct(data_dir):
    backend = load_backend(f"file:{data_dir}/alpaca-eval/model_outputs/alpaca-7b.json")
    assert len(backend.prepare(load_eval_set("self-instruct").prompts)) == 252


def test_missing_outputs_are_named_unless_allowed(data_dir, tmp_path):
    lines = (data_dir / "self-instruct/predictions/davinci_predictions.jsonl").read_text().splitlines()
    partial = tmp_path / "partial.jsonl"
    partial.write_text("\n".join(lines[3:]) + "\n")
    eval_set = load_eval_set("self-instruct")
    with pytest.raises(InputError, match=r"3 of 252 prompts have no output.*user_oriented_task_0"):
        load_backend(str(partial)).prepare(eval_set.prompts)
    backend = load_backend(str(partial), BackendOptions(allow_missing=True))
    assert len(backend.prepare(eval_set.prompts)) == 249


def test_stream_serves_the_aligned_outputs(data_dir):
    from alpaca_bench.generation import build_request
    from alpaca_bench.records import GenerationConfig

    eval_set = load_eval_set("self-instruct").head(5)
    backend = load_backend(str(data_dir / "self-instruct/predictions/text-davinci-003_predictions.jsonl"))
    backend.prepare(eval_set.prompts)

    async def collect():
        return [c async for c in backend.stream([build_request(p, GenerationConfig()) for p in eval_set])]

    outputs = asyncio.run(collect())
    assert [c.key for c in outputs] == [p.id for p in eval_set]
    assert outputs[0].text == backend.outputs["user_oriented_task_0"]


@pytest.mark.parametrize(
    "spec, scheme",
    [
        ("out.json", "file"),
        ("dir/out.jsonl", "file"),
        ("hf:gpt2", "hf"),
        ("openai:gpt-4o@http://x:1/v1", "openai"),
        ("mock:", "mock"),
    ],
)
def test_spec_schemes(spec, scheme):
    assert split_spec(spec)[0] == scheme


@pytest.mark.parametrize("spec", ["nope:x", "justaname", ""])
def test_bad_specs(spec):
    with pytest.raises(InputError):
        split_spec(spec)


def test_vllm_without_vllm_installed_says_how_to_install(cli, tmp_path):
    import importlib.util

    assert importlib.util.find_spec("vllm") is None, "this test covers machines without vLLM (like CI)"
    result = cli("generate", "vllm:some/model", "--eval-set", "demo", "--output-dir", tmp_path / "out")
    assert result.code == 2
    assert "pip install 'alpaca-bench[vllm]'" in result.err and result.err.count("\n") == 1
    assert not (tmp_path / "out").exists()
