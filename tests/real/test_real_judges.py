"""Real judges on real outputs: MiniLM embeddings and SmolLM2 logprobs over the self-instruct
predictions of davinci and text-davinci-003 (published outputs, 252 prompts)."""

from __future__ import annotations

import json
from pathlib import Path

PREDICTIONS = "self-instruct/predictions/{}_predictions.jsonl"


def _records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_embedding_judge_with_real_minilm_on_all_252_prompts(cli, tmp_path, data_dir, minilm_dir):
    result = cli(
        "compare",
        data_dir / PREDICTIONS.format("davinci"),
        data_dir / PREDICTIONS.format("text-davinci-003"),
        "--judge",
        f"embedding:{minilm_dir}",
        "--both-orders",
        "--output-dir",
        tmp_path / "results",
        "--json",
        "--no-progress",
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["n"] == 252 and summary["unscored"] == 0
    # text-davinci-003 is far closer to the human references than raw davinci
    assert 0.5 < summary["ci_low"] < summary["win_rate"] < summary["ci_high"] <= 1.0
    # cosine similarity does not depend on which output is shown first
    assert summary["position_consistency"] == 1.0
    # published outputs carry no finish reason: truncation is unknown, not "0 truncated"
    for side in ("baseline", "candidate"):
        assert summary[f"truncated_{side}"] == 0
    run = Path(summary["output_dir"])
    on_disk = json.loads((run / "summary.json").read_text())
    for field in ("truncated_baseline", "truncated_candidate", "position_consistency", "warnings"):
        assert field in on_disk
    assert len(_records(run / "judgments.jsonl")) == 2 * 252


def test_real_hf_judge_scores_real_pairs_in_both_orders(cli, tmp_path, data_dir, smollm2_gguf):
    result = cli(
        "compare",
        data_dir / PREDICTIONS.format("davinci"),
        data_dir / PREDICTIONS.format("text-davinci-003"),
        "--limit",
        "12",
        "--judge",
        f"hf:{smollm2_gguf}",
        "--both-orders",
        "--output-dir",
        tmp_path / "results",
        "--json",
        "--no-progress",
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["n"] == 12 and summary["unscored"] == 0
    assert summary["position_consistency"] is not None
    assert 0.0 <= summary["position_consistency"] <= 1.0
    judgments = _records(Path(summary["output_dir"]) / "judgments.jsonl")
    assert len(judgments) == 24
    # real logprobs of the verdict tokens: strictly between the extremes, never rounded away
    assert all(0.0 < float(j["preference"]) < 1.0 for j in judgments)  # type: ignore[arg-type]
    assert len({round(float(j["preference"]), 6) for j in judgments}) > 12  # type: ignore[arg-type]
    if summary["position_consistency"] < 0.6:
        assert any("position consistency" in w for w in summary["warnings"])
