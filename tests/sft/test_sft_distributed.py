"""A real 2-process FSDP2 run on CPU (gloo, launched by `alpaca-bench sft --nproc 2` through
torchrun): parameters are sharded, and it trains the same model as 1 process on the same data."""

from __future__ import annotations

import json
import shutil

import pytest

from alpaca_bench.sft import read_metrics

from conftest import run_process

pytest_plugins = ["sft_helpers"]  # shared fixtures: tiny models and real data, built once

TINY = ["--recipe", "tiny-cpu", "--no-progress"]

torch = pytest.importorskip("torch")

# 20 examples, 9 per step: 3 steps an epoch, the last one short, and on 2 processes some
# micro-batches are empty (the rank still has to run them for FSDP's collectives).
SETTINGS = ["global_batch_size=9", "micro_batch_size=2", "epochs=2", "save_every_steps=3", "lr=3e-3"]


@pytest.fixture(scope="module")
def runs(sft_model, sft_data, tmp_path_factory):
    """The same run on 2 processes (a real torchrun launch) and on 1 (in-process)."""
    from alpaca_bench.cli import main

    root = tmp_path_factory.mktemp("fsdp")
    two, one = root / "two", root / "one"
    args = ["sft", "--model", sft_model, "--data", sft_data, *TINY, *SETTINGS]
    done = run_process(*args, "--output-dir", two, "--nproc", "2", "--json", timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert main([str(a) for a in [*args, "--output-dir", one]]) == 0
    return json.loads(done.stdout), two, one


@pytest.mark.slow
def test_each_rank_holds_only_its_shard(runs) -> None:
    result, two, _ = runs
    assert result["world_size"] == 2
    report = json.loads((two / "distributed.json").read_text())
    assert report["world_size"] == 2 and [r["rank"] for r in report["ranks"]] == [0, 1]
    for rank in report["ranks"]:
        assert rank["split_parameters"] == rank["parameters"] > 0, "every parameter is a DTensor shard"
        assert rank["local_elements"] < rank["full_elements"]
    assert sum(r["local_elements"] for r in report["ranks"]) == report["ranks"][0]["full_elements"]
    # Independent evidence: each rank wrote its own half of the checkpoint (DCP writes what a rank holds).
    checkpoint = two / "checkpoints" / "step_000006"
    sizes = [(checkpoint / f"__{rank}_0.distcp").stat().st_size for rank in (0, 1)]
    assert all(0.35 < size / sum(sizes) < 0.65 for size in sizes), sizes


@pytest.mark.slow
def test_two_processes_train_the_same_model_as_one(runs) -> None:
    from safetensors.torch import load_file

    _, two, one = runs
    sharded, single = read_metrics(two), read_metrics(one)
    assert [r["step"] for r in sharded] == [r["step"] for r in single] == list(range(1, 7))
    for a, b in zip(sharded, single, strict=True):
        assert a["supervised_tokens"] == b["supervised_tokens"]
        assert a["lr"] == pytest.approx(b["lr"], rel=1e-12)
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5)
        assert a["grad_norm"] == pytest.approx(b["grad_norm"], rel=1e-4)
    assert sharded[-1]["loss"] < sharded[0]["loss"]
    gathered, whole = load_file(two / "model.safetensors"), load_file(one / "model.safetensors")
    assert gathered.keys() == whole.keys()
    # Adam turns reduction-order noise in near-zero gradients into lr-sized steps, hence atol ~ lr / 30.
    for name in whole:
        torch.testing.assert_close(gathered[name], whole[name], rtol=1e-3, atol=1e-4)


@pytest.mark.slow
def test_a_two_process_checkpoint_resumes_on_one_process(runs, sft_model, sft_data, tmp_path) -> None:
    from alpaca_bench.sft import build_config, run_sft

    _, two, _ = runs
    out = tmp_path / "resumed"
    (out / "checkpoints").mkdir(parents=True)
    shutil.copy(two / "sft_run.json", out / "sft_run.json")
    shutil.copytree(two / "checkpoints" / "step_000003", out / "checkpoints" / "step_000003")
    config = build_config(
        "tiny-cpu", SETTINGS, model=str(sft_model), data=[str(sft_data)], output_dir=str(out)
    )
    result = run_sft(config, resume=True, show_progress=False)
    assert result.resumed_from_step == 3 and result.world_size == 1
    resumed = {r["step"]: r for r in read_metrics(out)}
    assert sorted(resumed) == [4, 5, 6]
    for record in read_metrics(two)[3:]:
        assert resumed[record["step"]]["loss"] == pytest.approx(record["loss"], rel=1e-5)
