"""End to end: `alpaca-bench sft` a tiny pad-less model on Alpaca-format data, then `alpaca-bench
compare hf:BASE hf:TUNED --judge rouge` on those prompts: the tuned model has to win."""

from __future__ import annotations

import json

import pytest

from conftest import run_process

pytest_plugins = ["sft_helpers"]  # shared fixtures: tiny models and real data, built once

TINY = ["--recipe", "tiny-cpu", "--no-progress"]


def _losses(output_dir):
    from alpaca_bench.sft import read_metrics

    return [record["loss"] for record in read_metrics(output_dir)]


MEMORISE = [
    "epochs=30",
    "global_batch_size=20",
    "micro_batch_size=20",
    "lr=5e-3",
    "lr_scheduler=constant",
    "warmup_ratio=0",
    "max_length=512",
]


@pytest.mark.slow
def test_the_tuned_model_beats_its_base_on_what_it_was_taught(
    cli, sft_model_nopad, sft_data, sft_rows, tmp_path
):
    tuned = tmp_path / "tuned"
    done = cli("sft", "--model", sft_model_nopad, "--data", sft_data, "--output-dir", tuned, *TINY, *MEMORISE)
    assert done.code == 0, done.err
    curve = _losses(tuned)
    assert len(curve) == 30 and curve[-1] < 0.5 * curve[0]

    eval_set = tmp_path / "taught.jsonl"
    eval_set.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"taught-{i}",
                    "instruction": r["instruction"],
                    "input": r["input"],
                    "reference": r["output"],
                }
            )
            + "\n"
            for i, r in enumerate(sft_rows)
        ),
        encoding="utf-8",
    )
    compared = run_process(
        "compare", f"hf:{sft_model_nopad}", f"hf:{tuned}",
        "--judge", "rouge", "--eval-set", eval_set, "--output-dir", tmp_path / "results",
        "--template", "alpaca", "--max-new-tokens", "32", "--no-cache", "--no-progress", "--json",
        timeout=240,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr[-3000:]
    summary = json.loads(compared.stdout)
    assert summary["n"] == len(sft_rows) == 20
    assert summary["wins"] > 3 * summary["losses"]
    assert summary["win_rate"] >= 0.75
    assert summary["ci_low"] > 0.5, "the win is significant, not luck"
