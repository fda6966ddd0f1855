"""A local transformers judge: verdicts from the exact logprobs of the verdict tokens."""

import json


def test_hf_judge_scores_every_pair_from_logprobs(cli, tmp_path, tiny_model_dir):
    result = cli(
        "compare",
        "mock:short?words=5",
        "mock:long?words=40",
        "--eval-set",
        "demo",
        "--judge",
        f"hf:{tiny_model_dir}",
        "--output-dir",
        tmp_path / "results",
        "--json",
        "--no-progress",
        "--both-orders",
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["judge"] == "tiny-a-pairwise"
    assert summary["n"] == 20 and summary["unscored"] == 0
    records = [
        json.loads(x)
        for x in (tmp_path / "results/demo/short__vs__long/tiny-a-pairwise/judgments.jsonl")
        .read_text()
        .splitlines()
    ]
    assert len(records) == 40
    assert all(0.0 < r["preference"] < 1.0 for r in records)  # fractional: weighted by the token logprobs
    assert all({"A", "B"} <= {t.strip() for t in r["raw"]["top_logprobs"]} for r in records)
    assert summary["position_consistency"] is not None
