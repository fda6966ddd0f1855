"""The built-in eval sets: self-instruct (252), alpaca-eval (805) and the shipped demo set."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import read_json_rows
from ..records import Prompt
from ._base import EvalSet, register_eval_set
from ._download import RemoteFile, locate


def _self_instruct_rows(path: Path) -> list[dict[str, Any]]:
    rows = read_json_rows(path)
    for number, row in enumerate(rows, start=1):
        if not row.get("instances") or "instruction" not in row:
            raise InputError("expected 'instruction' and 'instances'", path, number)
    return rows


def _self_instruct_fingerprint(path: Path) -> list[list[str]]:
    return [
        [
            r["id"],
            r["instruction"],
            r["instances"][0]["input"],
            r["instances"][0]["output"],
            r["motivation_app"],
        ]
        for r in _self_instruct_rows(path)
    ]


def _alpaca_eval_fingerprint(path: Path) -> list[list[str]]:
    return [[r["instruction"], r["dataset"]] for r in read_json_rows(path)]


SELF_INSTRUCT = RemoteFile(
    name="self-instruct",
    relative_path="self-instruct/user_oriented_instructions.jsonl",
    url="https://raw.githubusercontent.com/yizhongw/self-instruct/main/human_eval/user_oriented_instructions.jsonl",
    content_sha256="a896118d701d340a365837305c9cb89a07a5259fb11c2d7b80cec0a59905a43b",
    fingerprint=_self_instruct_fingerprint,
)

ALPACA_EVAL = RemoteFile(
    name="alpaca-eval",
    relative_path="alpaca-eval/eval_set.json",
    url="https://huggingface.co/datasets/tatsu-lab/alpaca_eval/resolve/main/alpaca_eval.json",
    content_sha256="53781705eb5bc8c2d7bd9ab42aa496fa382326fc54b47b1312defdcb68d0a9c0",
    fingerprint=_alpaca_eval_fingerprint,
)


def load_self_instruct() -> EvalSet:
    path = locate(SELF_INSTRUCT)
    prompts = []
    for row in _self_instruct_rows(path):
        instance = row["instances"][0]
        prompts.append(
            Prompt(
                id=row["id"],
                instruction=row["instruction"],
                input=instance.get("input", ""),
                reference=instance.get("output"),
                category=row.get("motivation_app"),
            )
        )
    return EvalSet("self-instruct", prompts, source=str(path))


def load_alpaca_eval() -> EvalSet:
    path = locate(ALPACA_EVAL)
    prompts = [
        Prompt(id=f"alpaca_eval_{i:03d}", instruction=row["instruction"], category=row.get("dataset"))
        for i, row in enumerate(read_json_rows(path))
    ]
    return EvalSet("alpaca-eval", prompts, source=str(path))


def load_demo() -> EvalSet:
    resource = importlib.resources.files("alpaca_bench") / "data" / "demo.jsonl"
    text = resource.read_text(encoding="utf-8")
    prompts = [Prompt.model_validate(json.loads(line)) for line in text.splitlines() if line.strip()]
    return EvalSet("demo", prompts, source="alpaca_bench/data/demo.jsonl")


def register_builtins() -> None:
    register_eval_set(
        "self-instruct",
        "Self-Instruct user-oriented eval set used by Alpaca's human evaluation (252, references)",
        load_self_instruct,
    )
    register_eval_set("alpaca-eval", "AlpacaEval's 805 instructions (no references)", load_alpaca_eval)
    register_eval_set("demo", "20 short prompts with references, shipped with alpaca-bench", load_demo)
