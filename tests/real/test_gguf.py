"""`hf:FILE.gguf` with released weights: converted once, then an ordinary transformers folder.

The converted-model cache is shared by the session (tests/real/conftest.py), so SmolLM2 is
dequantised once (~25-40 s on two cores) whichever test runs first; every test keeps its own
call cache, so generations here are real model calls unless a test says otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alpaca_bench import paths
from alpaca_bench.models import BackendOptions, load_backend
from alpaca_bench.models._gguf import SOURCE_FILE, content_hash, resolve_hf_path


def converted(file: Path) -> Path:
    return paths.cache_dir() / "gguf" / content_hash(file)


def generate(cli, spec: str, out: Path, *extra: str, limit: int = 16, tokens: int = 16) -> dict:
    """`alpaca-bench -v generate` in-process; -v so a conversion's INFO line reaches stderr.

    16 new tokens: on two shared cores one-at-a-time generation costs ~0.25 s a token.
    """
    result = cli(
        "-v",
        "generate",
        spec,
        "--limit",
        str(limit),
        "--max-new-tokens",
        str(tokens),
        "--output-dir",
        out,
        "--json",
        "--no-progress",
        *extra,
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    report["stderr"] = result.err
    return report


def outputs(report: dict) -> list[str]:
    lines = Path(report["path"]).read_text(encoding="utf-8").splitlines()
    by_id = {r["prompt_id"]: r["output"] for r in map(json.loads, lines)}
    return [by_id[key] for key in sorted(by_id)]


def test_generate_a_gguf_then_rerun_with_zero_calls_from_the_converted_cache(
    data_dir, smollm2_gguf, tmp_path, cli
):
    """The acceptance test: 16 self-instruct prompts; the rerun makes no calls, and a run that
    must load the model again (batch size 1, no call cache) loads the converted folder as it is
    and writes the same greedy text one prompt at a time as batched generation did."""
    folder = converted(smollm2_gguf)
    fresh = not folder.exists()
    first = generate(cli, f"hf:{smollm2_gguf}", tmp_path / "results", "--batch-size", "16")
    assert (first["outputs"], first["model_calls"]) == (16, 16)
    assert ("converting" in first["stderr"]) == fresh, first["stderr"]
    assert Path(first["path"]).parent.name == "SmolLM2-135M-Instruct.Q4_1"
    texts = outputs(first)
    assert len(texts) == 16 and all(t.strip() for t in texts)
    before = folder.stat()

    second = generate(cli, f"hf:{smollm2_gguf}", tmp_path / "results")
    assert (second["outputs"], second["model_calls"], second["reused"]) == (16, 0, 16)
    assert outputs(second) == texts

    single = generate(cli, f"hf:{smollm2_gguf}", tmp_path / "b1", "--batch-size", "1", "--no-cache")
    assert single["model_calls"] == 16
    assert outputs(single) == texts  # batched greedy == one-at-a-time greedy
    for report in (second, single):
        assert "converting" not in report["stderr"], report["stderr"]
    after = folder.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not [p for p in folder.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_corrupt_gguf_exits_2_with_one_line_naming_it(smollm2_gguf, tmp_path, cli):
    truncated = tmp_path / "cut.gguf"
    with smollm2_gguf.open("rb") as source:
        truncated.write_bytes(source.read(smollm2_gguf.stat().st_size // 2))
    garbage = tmp_path / "x.gguf"
    garbage.write_bytes(os.urandom(1 << 16))
    process = subprocess.run(  # once as a real process, for the real exit status
        [sys.executable, "-m", "alpaca_bench", "generate", f"hf:{truncated}", "--output-dir", tmp_path / "r"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 2, process.stderr
    assert process.stderr.strip().splitlines() == [
        f"alpaca-bench: error: {truncated}: truncated GGUF file "
        f"({truncated.stat().st_size} bytes, its tensors need {smollm2_gguf.stat().st_size})"
    ]
    result = cli("generate", f"hf:{garbage}", "--limit", "1", "--output-dir", tmp_path / "r")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"alpaca-bench: error: {garbage}: not a GGUF file (no GGUF magic bytes at the start)"
    ]
    assert not list((tmp_path / "r").glob("**/generations.jsonl"))


def test_a_folder_with_one_gguf_is_a_spec_and_one_with_two_is_refused(smollm2_gguf, tmp_path, cli):
    one = tmp_path / "one"
    one.mkdir()
    (one / smollm2_gguf.name).symlink_to(smollm2_gguf)
    backend = load_backend(f"hf:{one}", BackendOptions())
    direct = load_backend(f"hf:{smollm2_gguf}", BackendOptions())
    # the same bytes are the same model, wherever they live: one generation-cache key
    assert backend.identity() == direct.identity()
    assert resolve_hf_path(str(one)) == str(converted(smollm2_gguf))

    two = tmp_path / "two"
    two.mkdir()
    (two / "a.gguf").symlink_to(smollm2_gguf)
    (two / "b.gguf").symlink_to(smollm2_gguf)
    result = cli("generate", f"hf:{two}", "--limit", "1", "--output-dir", tmp_path / "r")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"alpaca-bench: error: {two}: holds 2 .gguf files (a.gguf, b.gguf); name the one to use"
    ]


def test_the_converted_folder_is_a_plain_transformers_model_with_the_chat_template(smollm2_gguf):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from alpaca_bench.sft._model import _source

    folder = Path(resolve_hf_path(str(smollm2_gguf)))
    assert _source(str(smollm2_gguf)) == str(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert model.config.model_type == "llama" and getattr(model.config, "quantization_config", None) is None
    assert "<|im_start|>" in (tokenizer.chat_template or "")
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}], add_generation_prompt=True, tokenize=False
    )
    assert rendered.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    source = json.loads((folder / SOURCE_FILE).read_text())
    assert (source["architecture"], source["gguf_file"]) == ("llama", smollm2_gguf.name)


def test_gemma3_base_gguf_converts_and_generates(data_dir, gemma_gguf, tmp_path, cli):
    report = generate(cli, f"hf:{gemma_gguf}", tmp_path / "results", limit=2, tokens=8)
    assert (report["outputs"], report["model_calls"]) == (2, 2)
    assert all(t.strip() for t in outputs(report))
    source = json.loads((converted(gemma_gguf) / SOURCE_FILE).read_text())
    assert source["architecture"] == "gemma3"


def test_mt_bench_second_turn_is_generated_after_the_models_own_first_answer(smollm2_gguf, tmp_path, cli):
    """Real weights, real chat template: each second turn is generated from a prompt that holds
    the first user message, the model's own first answer and the follow-up, in that order."""
    from alpaca_bench.evalsets import load_eval_set
    from alpaca_bench.generation import build_request
    from alpaca_bench.models._hf import render_prompt
    from alpaca_bench.records import GenerationConfig

    report = generate(
        cli, f"hf:{smollm2_gguf}", tmp_path / "results", "--eval-set", "mt-bench", limit=3, tokens=12
    )
    assert (report["outputs"], report["model_calls"]) == (3, 6)  # two turns each
    rows = [json.loads(line) for line in Path(report["path"]).read_text(encoding="utf-8").splitlines()]
    eval_set = load_eval_set("mt-bench")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted(smollm2_gguf))
    assert tokenizer.chat_template
    for row in rows:
        assert (
            row["output"].strip()
            and len(row["follow_up_outputs"]) == 1
            and row["follow_up_outputs"][0].strip()
        )
        prompt = eval_set.get(row["prompt_id"])
        request = build_request(prompt, GenerationConfig(max_new_tokens=12), [row["output"]])
        text = render_prompt(request, tokenizer, "auto")
        first, answer, second = (
            text.index(s) for s in (prompt.instruction, row["output"], prompt.follow_ups[0].message)
        )
        assert first < answer < second
    again = generate(
        cli, f"hf:{smollm2_gguf}", tmp_path / "results", "--eval-set", "mt-bench", limit=3, tokens=12
    )
    assert (again["model_calls"], again["reused"]) == (0, 3)
