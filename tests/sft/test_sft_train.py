"""One-process training: the exported folder reproduces the trained model, an interrupted run
resumes exactly, bf16 runs save bf16, LoRA is merged, and a pad-less tokenizer trains and generates."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from alpaca_bench.sft import build_config, read_metrics, run_sft

pytest_plugins = ["sft_helpers"]  # shared fixtures: tiny models and real data, built once

TINY = ["--recipe", "tiny-cpu", "--no-progress"]


def _losses(output_dir):
    from alpaca_bench.sft import read_metrics

    return [record["loss"] for record in read_metrics(output_dir)]


torch = pytest.importorskip("torch")

PROBE = "Below is some text.\n\n### Response:\n"


def _config(model: Path, data: Path, out: Path, *overrides: str):
    return build_config("tiny-cpu", list(overrides), model=str(model), data=[str(data)], output_dir=str(out))


def _probe_ids(model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir)(PROBE, return_tensors="pt")["input_ids"]


@pytest.mark.parametrize(
    "variant", [[], ["lora.enabled=true", "lora.rank=4", "lr=1e-2"]], ids=["full", "lora"]
)
def test_exported_folder_gives_the_trained_models_logits(sft_model, sft_data, tmp_path, variant) -> None:
    from transformers import AutoModelForCausalLM

    from alpaca_bench.sft._launch import prepare_run
    from alpaca_bench.sft._train import train

    out = tmp_path / "run"
    config = _config(sft_model, sft_data, out, "max_steps=3", *variant)
    prepare_run(config, resume=False)
    ids = _probe_ids(sft_model)
    seen = {}

    def capture(state) -> None:
        if state.step == 3:
            state.model.eval()
            with torch.no_grad():
                seen["logits"] = state.model(input_ids=ids).logits
            state.model.train()

    result = train(config, show_progress=False, on_step=capture)
    assert result.steps == 3 and result.final_loss is not None
    exported = AutoModelForCausalLM.from_pretrained(out).eval()
    with torch.no_grad():
        reloaded = exported(input_ids=ids).logits
    if variant:  # merging adapters into the weights rounds differently from running them beside
        assert not any("lora" in name for name, _ in exported.named_parameters())
        torch.testing.assert_close(reloaded, seen["logits"], rtol=1e-5, atol=1e-5)
    else:
        assert torch.equal(reloaded, seen["logits"])
    base = AutoModelForCausalLM.from_pretrained(sft_model).eval()
    with torch.no_grad():
        assert not torch.allclose(base(input_ids=ids).logits, reloaded, atol=1e-3), "training changed nothing"


@pytest.mark.parametrize(
    "variant", [[], ["lora.enabled=true", "lora.dropout=0.2", "lr=1e-2"]], ids=["full", "lora-dropout"]
)
def test_resume_after_an_interruption_matches_an_uninterrupted_run(
    sft_model, sft_data, tmp_path, variant
) -> None:
    from safetensors.torch import load_file

    from alpaca_bench.sft._launch import prepare_run
    from alpaca_bench.sft._train import train

    settings = ["global_batch_size=4", "micro_batch_size=2", "epochs=2", "max_steps=7", "save_every_steps=2",
                *variant]  # fmt: skip
    straight = tmp_path / "straight"
    run_sft(_config(sft_model, sft_data, straight, *settings), show_progress=False)

    interrupted = tmp_path / "interrupted"
    config = _config(sft_model, sft_data, interrupted, *settings)
    prepare_run(config, resume=False)

    class Killed(Exception):
        pass

    def kill_after_five(state) -> None:
        if state.step == 5:
            raise Killed

    with pytest.raises(Killed):
        train(config, show_progress=False, on_step=kill_after_five)
    assert [r["step"] for r in read_metrics(interrupted)] == [1, 2, 3, 4, 5]
    assert not (interrupted / "model.safetensors").exists()

    result = run_sft(config, resume=True, show_progress=False)
    assert result.resumed_from_step == 4
    resumed, reference = read_metrics(interrupted), read_metrics(straight)
    assert [r["step"] for r in resumed] == list(range(1, 8)), "steps after the checkpoint are redone once"
    for mine, theirs in zip(resumed, reference, strict=True):
        assert mine["supervised_tokens"] == theirs["supervised_tokens"], "same data order"
        assert mine["lr"] == pytest.approx(theirs["lr"], rel=1e-12)
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-6)
        assert mine["grad_norm"] == pytest.approx(theirs["grad_norm"], rel=1e-5)
    a, b = load_file(interrupted / "model.safetensors"), load_file(straight / "model.safetensors")
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-6, atol=1e-7)
    kept = sorted(p.name for p in (interrupted / "checkpoints").iterdir())
    assert kept == ["step_000004", "step_000006"], "keep_checkpoints=2 prunes the oldest"


def test_bf16_runs_save_bf16_weights_that_load(sft_model, sft_data, tmp_path) -> None:
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM

    out = tmp_path / "bf16"
    result = run_sft(_config(sft_model, sft_data, out, "max_steps=2", "dtype=bf16"), show_progress=False)
    assert result.final_loss is not None and result.final_loss > 0
    with safe_open(out / "model.safetensors", "pt") as handle:
        dtypes = {handle.get_tensor(name).dtype for name in handle.keys()}  # noqa: SIM118
    assert dtypes == {torch.bfloat16}
    assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
    # training runs without a KV cache; the export must generate with one (else every step
    # recomputes the whole sequence)
    assert json.loads((out / "config.json").read_text())["use_cache"] is True
    assert json.loads((out / "generation_config.json").read_text()).get("use_cache", True) is True
    AutoModelForCausalLM.from_pretrained(out)


def test_pad_less_tokenizer_trains_and_the_result_generates(cli, sft_model_nopad, sft_data, tmp_path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    out = tmp_path / "tuned"
    args = ["--output-dir", out, *TINY, "max_steps=2", "max_length=512", "--json"]
    done = cli("sft", "--model", sft_model_nopad, "--data", sft_data, *args)
    assert done.code == 0, done.err
    assert json.loads(done.out)["steps"] == 2
    assert len(_losses(out)) == 2
    tokenizer = AutoTokenizer.from_pretrained(out)
    base_vocab = len(AutoTokenizer.from_pretrained(sft_model_nopad))
    assert tokenizer.pad_token == "<pad>" and tokenizer.pad_token_id == base_vocab
    config = AutoConfig.from_pretrained(out)
    assert config.vocab_size == base_vocab + 1 and config.pad_token_id == base_vocab
    generated = cli(
        "generate", f"hf:{out}", "--eval-set", "demo", "--limit", "2", "--max-new-tokens", "4",
        "--template", "alpaca", "--output-dir", tmp_path / "gen", "--no-cache", "--json",
    )  # fmt: skip
    assert generated.code == 0, generated.err
    assert json.loads(generated.out)["outputs"] == 2


def test_metrics_have_the_documented_fields(sft_model, sft_data, tmp_path) -> None:
    out = tmp_path / "run"
    settings = ["max_steps=3", "packing=true", "global_batch_size=2", "micro_batch_size=1"]
    settings.append("tensorboard=true")
    run_sft(_config(sft_model, sft_data, out, *settings), show_progress=False)
    records = read_metrics(out)
    assert [r["step"] for r in records] == [1, 2, 3]
    for record in records:
        assert {"step", "epoch", "loss", "lr", "grad_norm", "tokens_per_s"} <= record.keys()
        assert record["loss"] > 0 and record["grad_norm"] > 0 and record["tokens_per_s"] > 0
    assert records[0]["epoch"] < records[-1]["epoch"] <= 1
    result = json.loads((out / "sft_result.json").read_text())
    assert result["steps"] == 3 and result["world_size"] == 1
    # TensorBoard is optional: event files when it is installed (it is, with the [dev] extra), none otherwise.
    events = list((out / "tensorboard").glob("events.out.tfevents.*"))
    assert bool(events) == (importlib.util.find_spec("tensorboard") is not None)
