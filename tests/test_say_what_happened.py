"""The CLI says what it did when that differs from what was asked: a limit above the eval set's
size, a run folder whose prompt set changed (the earlier summary is kept), a mistyped spec (the
closest valid one is suggested) and a path that is not what it should be."""

from __future__ import annotations

import json

import pytest

from alpaca_bench.tiny import build_tiny_model


def _compare(cli, out, *extra):
    return cli(
        "compare", "mock:a?words=6", "mock:b?words=12", "--eval-set", "demo", "--judge", "rouge",
        "--output-dir", out, "--n-boot", "200", "--json", "--no-progress", *extra,
    )  # fmt: skip


def test_limit_above_the_eval_set_is_noted_and_a_changed_prompt_set_keeps_the_earlier_summary(cli, tmp_path):
    out = tmp_path / "results"
    first = _compare(cli, out, "--limit", "5")
    assert first.code == 0, first.err
    run_dir = next(out.glob("demo/*__vs__*/rouge"))
    assert json.loads((run_dir / "summary.json").read_text())["n_prompts"] == 5

    again = _compare(cli, out, "--limit", "5")  # same prompt set: the summary is simply current
    assert again.code == 0 and not (run_dir / "summary.1.json").exists()

    bigger = _compare(cli, out, "--limit", "100")
    assert bigger.code == 0, bigger.err
    assert "--limit 100 is more than the 20 prompts of demo" in bigger.err
    assert "kept as summary.1.json" in bigger.err
    assert json.loads((run_dir / "summary.1.json").read_text())["n_prompts"] == 5
    assert json.loads((run_dir / "summary.json").read_text())["n_prompts"] == 20
    assert json.loads(bigger.out)["n_prompts"] == 20


@pytest.mark.parametrize(
    ("argv", "suggested"),
    [
        (["--judge", "roug"], "did you mean 'rouge'?"),
        (["--judge", "opnai:gpt-4o"], "did you mean 'openai:MODEL[@URL]'?"),
        (["--judge", "embeding:./minilm"], "did you mean 'embedding:PATH'?"),
    ],
)
def test_a_mistyped_judge_gets_the_closest_spec(cli, tmp_path, argv, suggested):
    result = cli("compare", "mock:a", "mock:b", "--eval-set", "demo", "--output-dir", tmp_path, *argv)
    assert result.code == 2
    assert suggested in result.err and "rouge:" not in result.err, result.err


def test_a_mistyped_scheme_and_eval_set_get_the_closest_name(cli, tmp_path):
    scheme = cli("generate", "mokc:a", "--eval-set", "demo", "--output-dir", tmp_path)
    assert scheme.code == 2 and "did you mean 'mock:NAME'?" in scheme.err
    eval_set = cli("generate", "mock:a", "--eval-set", "dem", "--output-dir", tmp_path)
    assert eval_set.code == 2 and "did you mean 'demo'?" in eval_set.err


def test_a_model_path_says_what_is_wrong_with_it(cli, tmp_path):
    missing = cli(
        "generate", f"hf:{tmp_path / 'no-such-model'}", "--eval-set", "demo", "--output-dir", tmp_path
    )
    assert missing.code == 2 and "does not exist" in missing.err
    build_tiny_model(tmp_path / "models" / "tiny", ["hello world"], seed=0, hidden_size=16, vocab_size=320)
    parent = cli("generate", f"hf:{tmp_path / 'models'}", "--eval-set", "demo", "--output-dir", tmp_path)
    assert parent.code == 2
    assert "not a transformers model folder" in parent.err and "model folders inside it: tiny" in parent.err


def test_a_missing_hub_style_model_says_there_is_no_such_local_folder(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the hub's answer is the offline one, at once
    # ...also when an earlier test imported huggingface_hub, which reads the variable on import
    # (otherwise the hub retries its connection for ~50 s before answering)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    result = cli("generate", "hf:modls/tiny", "--eval-set", "demo", "--output-dir", tmp_path)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "no local folder of that name; the hub says:" in result.err
