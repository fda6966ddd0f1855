"""Recipes and overrides: every shipped recipe validates, overrides are typed, mistakes name the key."""

from __future__ import annotations

import pytest

from alpaca_bench.errors import InputError
from alpaca_bench.sft import SFTConfig, available_recipes, build_config, validate_recipe


def test_shipped_recipes_are_the_documented_ones() -> None:
    assert set(available_recipes()) >= {"alpaca", "tiny-cpu"}


@pytest.mark.parametrize("name", available_recipes())
def test_every_shipped_recipe_validates(name: str) -> None:
    config = validate_recipe(name)
    assert isinstance(config, SFTConfig)
    assert config.micro_batch_size <= config.global_batch_size
    assert config.lr > 0


def test_alpaca_recipe_has_the_papers_hyperparameters() -> None:
    config = validate_recipe("alpaca")
    assert config.lr == 2e-5
    assert config.epochs == 3
    assert config.global_batch_size == 128
    assert config.max_length == 512
    assert config.warmup_ratio == 0.03
    assert config.lr_scheduler == "cosine"
    assert config.weight_decay == 0.0
    assert config.dtype == "bf16"


def test_tiny_cpu_recipe_is_fp32_on_cpu() -> None:
    config = validate_recipe("tiny-cpu")
    assert (config.dtype, config.device) == ("fp32", "cpu")


def test_overrides_are_coerced_to_the_field_types() -> None:
    config = build_config(
        "alpaca",
        [
            "lr=1e-4",
            "epochs=1",
            "packing=true",
            "max_grad_norm=none",
            "lora.enabled=true",
            "lora.rank=16",
            "lora.target_modules=q_proj,v_proj",
            "betas=[0.9, 0.95]",
        ],
    )
    assert config.lr == 1e-4 and isinstance(config.lr, float)
    assert config.epochs == 1 and config.packing is True
    assert config.max_grad_norm is None
    assert config.lora.enabled and config.lora.rank == 16
    assert config.lora.target_modules == ["q_proj", "v_proj"]
    assert config.betas == (0.9, 0.95)
    # what was not overridden keeps the recipe's value
    assert config.global_batch_size == 128


def test_command_line_fields_fill_in_what_to_train(tmp_path) -> None:
    config = build_config("tiny-cpu", [], model="m", data=["a.json", "b.jsonl"], output_dir=str(tmp_path))
    assert config.model == "m" and config.data == ["a.json", "b.jsonl"]


def test_a_recipe_file_can_be_given_by_path(tmp_path) -> None:
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("lr: 3.0e-4\nepochs: 2\n", encoding="utf-8")
    config = build_config(str(recipe), ["epochs=5"])
    assert (config.lr, config.epochs) == (3e-4, 5)


@pytest.mark.parametrize(
    "override, expected",
    [
        ("lr=fast", "override 'lr=fast': lr: Input should be a valid number"),
        ("lrr=1e-5", "unknown recipe key 'lrr'; did you mean 'lr'?"),
        ("lora.rnak=4", "unknown recipe key 'lora.rnak'; did you mean 'lora.rank'?"),
        ("epochs.inner=1", "'epochs' has no sub-keys"),
        ("epochs", "expected key=value"),
        ("=3", "expected key=value"),
        ("lr_scheduler=exponential", "unknown scheduler 'exponential'"),
        ("warmup_ratio=2", "override 'warmup_ratio=2': warmup_ratio"),
    ],
)
def test_bad_overrides_name_the_key(override: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        build_config("tiny-cpu", [override])
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_inconsistent_overrides_are_reported_with_them() -> None:
    with pytest.raises(InputError, match="micro_batch_size \\(100\\) exceeds global_batch_size"):
        build_config("tiny-cpu", ["micro_batch_size=100"])


def test_unknown_recipe_name_lists_the_shipped_ones() -> None:
    with pytest.raises(InputError, match="shipped: alpaca, tiny-cpu"):
        build_config("alpacca")


def test_resume_compatibility_ignores_bookkeeping_keys() -> None:
    base = validate_recipe("tiny-cpu")
    assert base.math_differences(base.model_copy(update={"save_every_steps": 7, "device": "auto"})) == []
    assert base.math_differences(base.model_copy(update={"lr": 1.0})) == ["lr"]
