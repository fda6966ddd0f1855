"""Alpaca-style supervised fine-tuning on torch FSDP2 (`alpaca-bench sft`).

A recipe in the spirit of torchtune: a YAML config (`recipes/alpaca.yaml`, `recipes/tiny-cpu.yaml`)
validated by `SFTConfig`, Alpaca-format data masked so the loss is on responses only, and one
training loop that runs as a single process or as N torchrun processes with every decoder layer
sharded by `fully_shard`. The result is a Hugging Face model folder that `hf:DIR` loads.

Importing this package does not import torch: `run_sft` loads the training code
(`alpaca_bench.sft._train`) on first use.
"""

from __future__ import annotations

from ._config import LoraSettings, SFTConfig, available_recipes, build_config, validate_recipe
from ._data import AlpacaExample, Sample, load_examples, pack_samples, tokenize_examples
from ._launch import run_sft
from ._metrics import read_metrics
from ._order import DataOrder
from ._result import SFTResult

__all__ = [
    "AlpacaExample",
    "DataOrder",
    "LoraSettings",
    "SFTConfig",
    "SFTResult",
    "Sample",
    "available_recipes",
    "build_config",
    "load_examples",
    "pack_samples",
    "read_metrics",
    "run_sft",
    "tokenize_examples",
    "validate_recipe",
]
