"""Shared pieces of the SFT tests (a plain module, not a conftest, so `from conftest import …`
elsewhere keeps meaning tests/conftest.py).

Training data is real: self-instruct's user-oriented tasks with short human-written answers, in
Alpaca format. Models are tiny Llamas built from config, with tokenizers trained on that data;
they are built once per session whichever test module asks first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHORT_OUTPUT_CHARS = 160


def alpaca_rows(data_dir: Path, count: int) -> list[dict[str, str]]:
    """The first `count` self-instruct tasks with a short reference answer, as Alpaca rows."""
    from alpaca_bench.datagen import load_seed_tasks

    tasks = load_seed_tasks(data_dir / "self-instruct" / "user_oriented_instructions.jsonl")
    return [t.model_dump() for t in tasks if len(t.output) <= SHORT_OUTPUT_CHARS][:count]


def _shared(factory: pytest.TempPathFactory, name: str) -> Path:
    return factory.getbasetemp() / "sft-shared" / name


def _texts(rows: list[dict[str, str]]) -> list[str]:
    from alpaca_bench.prompt_format import alpaca_prompt

    return [alpaca_prompt(r["instruction"], r["input"]) + r["output"] for r in rows] * 10


@pytest.fixture(scope="session")
def sft_rows(data_dir: Path) -> list[dict[str, str]]:
    return alpaca_rows(data_dir, 20)


@pytest.fixture(scope="session")
def sft_data(sft_rows: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = _shared(tmp_path_factory, "train.jsonl")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in sft_rows), encoding="utf-8")
    return path


def _model(factory: pytest.TempPathFactory, rows: list[dict[str, str]], name: str, **kwargs: Any) -> Path:
    from alpaca_bench.tiny import build_tiny_model

    path = _shared(factory, name)
    if not (path / "config.json").exists():
        build_tiny_model(path, _texts(rows), vocab_size=512, **kwargs)
    return path


@pytest.fixture(scope="session")
def sft_model(sft_rows: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama whose tokenizer has a pad token."""
    return _model(tmp_path_factory, sft_rows, "base", seed=3)


@pytest.fixture(scope="session")
def sft_model_nopad(sft_rows: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama whose tokenizer has no pad token, like Llama's own."""
    return _model(tmp_path_factory, sft_rows, "base-nopad", seed=4, pad_token=False)
