"""Every setting that applies to a judge's backend reaches it intact.

Settings used to be copied field by field from `CompareSettings` into the judge's options and
again into its backend; copies lost a judge's dtype, max batch tokens and key variable. These
tests set each one to a non-default value and read it back from the judge's own backend, from
the library and from the command line.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import pytest

from alpaca_bench.cli import build_parser
from alpaca_bench.cli.compare import settings_from
from alpaca_bench.comparison import CompareSettings, Comparison
from alpaca_bench.judges import JudgeOptions
from alpaca_bench.models._base import BackendOptions

# (field, non-default value) for every backend setting a judge can use
JUDGE_BACKEND_SETTINGS = [
    ("dtype", "bfloat16"),
    ("device", "cpu"),
    ("batch_size", 3),
    ("max_batch_tokens", 777),
    ("timeout_s", 7.5),
    ("max_retries", 2),
    ("backoff_base_s", 0.125),
    ("backoff_cap_s", 4.0),
    ("concurrency", 5),
    ("api_key_env", "MY_JUDGE_KEY"),
    ("hedge", False),
]


def _judge_backend(settings: CompareSettings) -> BackendOptions:
    comparison = Comparison(settings)
    options: BackendOptions = comparison.judge.backend.options  # type: ignore[attr-defined]
    return options


@pytest.mark.parametrize(("field", "value"), JUDGE_BACKEND_SETTINGS)
def test_each_judge_backend_setting_reaches_the_hf_judge(tiny_model_dir, field, value):
    settings = CompareSettings(
        eval_set="demo",
        judge=f"hf:{tiny_model_dir}",
        judge_options=JudgeOptions(backend=replace(BackendOptions(), **{field: value})),
    )
    assert getattr(BackendOptions(), field) != value  # the test sets a non-default
    assert getattr(_judge_backend(settings), field) == value


# the model flag that sets each field (the judge's model shares them unless a --judge-* flag says)
MODEL_FLAGS = {
    "dtype": "--dtype",
    "device": "--device",
    "batch_size": "--batch-size",
    "max_batch_tokens": "--max-batch-tokens",
    "timeout_s": "--timeout",
    "max_retries": "--max-retries",
    "backoff_base_s": "--backoff-base",
    "backoff_cap_s": "--backoff-cap",
    "concurrency": "--concurrency",
    "api_key_env": "--api-key-env",
    "hedge": "--no-hedge",
}


@pytest.mark.parametrize(("field", "value"), JUDGE_BACKEND_SETTINGS)
def test_models_settings_reach_the_judge_when_it_has_none_of_its_own(tiny_model_dir, field, value):
    flag = [MODEL_FLAGS[field]] if isinstance(value, bool) else [MODEL_FLAGS[field], str(value)]
    settings = _cli_settings("--eval-set", "demo", "--judge", f"hf:{tiny_model_dir}", *flag)
    assert getattr(settings.backend, field) == value
    assert getattr(_judge_backend(settings), field) == value


def test_judge_gets_its_own_settings_not_the_models(tiny_model_dir):
    settings = CompareSettings(
        eval_set="demo",
        judge=f"hf:{tiny_model_dir}",
        backend=BackendOptions(dtype="float16", name="model-name", allow_missing=True),
        judge_options=JudgeOptions(backend=BackendOptions(dtype="bfloat16")),
    )
    options = _judge_backend(settings)
    assert options.dtype == "bfloat16"
    assert options.name is None and options.allow_missing is False


def _cli_settings(*argv: str) -> CompareSettings:
    parser = build_parser()
    args: argparse.Namespace = parser.parse_args(["compare", "mock:a", "mock:b", *argv])
    return settings_from(args)


def test_cli_judge_flags_reach_the_judge_and_leave_the_models_alone(tiny_model_dir):
    settings = _cli_settings(
        "--eval-set",
        "demo",
        "--judge",
        f"hf:{tiny_model_dir}",
        "--dtype",
        "float16",
        "--judge-dtype",
        "bfloat16",
        "--judge-max-batch-tokens",
        "777",
        "--judge-batch-size",
        "3",
        "--judge-device",
        "cpu",
        "--judge-api-key-env",
        "MY_JUDGE_KEY",
        "--timeout",
        "7.5",
        "--max-retries",
        "2",
        "--no-hedge",
    )
    options = _judge_backend(settings)
    assert (options.dtype, options.max_batch_tokens, options.batch_size, options.device) == (
        "bfloat16",
        777,
        3,
        "cpu",
    )
    assert options.api_key_env == "MY_JUDGE_KEY"
    assert (options.timeout_s, options.max_retries, options.hedge) == (7.5, 2, False)
    assert settings.backend.dtype == "float16" and settings.backend.api_key_env == "OPENAI_API_KEY"


def test_judge_dtype_changes_the_loaded_judge_model(tiny_model_dir):
    """Not just carried: the judge's model is really loaded in that dtype."""
    import torch

    settings = CompareSettings(
        eval_set="demo",
        judge=f"hf:{tiny_model_dir}",
        judge_options=JudgeOptions(backend=BackendOptions(dtype="bfloat16")),
    )
    backend = Comparison(settings).judge.backend  # type: ignore[attr-defined]
    backend.load()
    assert backend.model.dtype == torch.bfloat16


def test_judge_key_variable_and_base_url_are_used_for_real_calls(cli, tmp_path, scripted_server, monkeypatch):
    """The judge authenticates with the key from its own variable, at the URL in its spec."""
    from alpaca_bench.testing import Reply

    monkeypatch.setenv("MY_JUDGE_KEY", "judge-secret")
    monkeypatch.setenv("OPENAI_API_KEY", "models-key-not-for-the-judge")
    server = scripted_server(lambda body: Reply("B"), api_key="judge-secret")
    result = cli(
        "compare",
        "mock:short?words=5",
        "mock:long?words=40",
        "--eval-set",
        "demo",
        "--limit",
        "3",
        "--judge",
        f"openai:judge-model@{server.base_url}",
        "--judge-api-key-env",
        "MY_JUDGE_KEY",
        "--judge-price",
        "0,0",
        "--output-dir",
        tmp_path / "results",
        "--json",
        "--no-progress",
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["n"] == 3 and summary["unscored"] == 0
    assert server.served == 3
    assert all(h.get("authorization") == "Bearer judge-secret" for h in server.headers)


def test_tie_margin_reaches_the_reference_judge():
    settings = CompareSettings(eval_set="demo", judge="rouge", judge_options=JudgeOptions(tie_margin=0.5))
    judge = Comparison(settings).judge
    assert judge.identity()["tie_margin"] == 0.5
    cli = Comparison(_cli_settings("--eval-set", "demo", "--judge", "rouge", "--tie-margin", "0.25")).judge
    assert cli.identity()["tie_margin"] == 0.25
