"""Real outputs and prompts for the scan tests, loaded once per session.

Outputs are read with the same `file:` reader the CLI uses, so AlpacaEval JSON lists and
self-instruct prediction files line up with their eval set's prompt ids.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from alpaca_bench.evalsets import EvalSet, load_eval_set
from alpaca_bench.models._base import BackendOptions
from alpaca_bench.models._file import FileBackend

# every real outputs file the false-positive test must cover, by eval set
EXPECTED_FILES = {"alpaca-eval": 23, "self-instruct": 8}
# the carriers the attack variants are built on: short real answers, so the attack text
# is a large part of each output, and one file per eval set
CARRIERS = {
    "alpaca-eval": "alpaca-eval/model_outputs/text_davinci_003.json",
    "self-instruct": "self-instruct/predictions/text-davinci-003_predictions.jsonl",
}


def data_root() -> Path:
    return Path(os.environ["ALPACA_BENCH_DATA_DIR"])


@cache
def eval_set(name: str) -> EvalSet:
    return load_eval_set(name)


@cache
def prompts(name: str) -> dict[str, str]:
    """Prompt id -> instruction and input, as the CLI passes them to the scanner."""
    return {p.id: f"{p.instruction}\n{p.input}".strip() for p in eval_set(name).prompts}


@cache
def outputs(path: Path, eval_set_name: str) -> dict[str, str]:
    backend = FileBackend(str(path), BackendOptions(allow_missing=True))
    backend.prepare(eval_set(eval_set_name).prompts)
    return dict(backend.outputs)


def real_files() -> list[tuple[str, Path]]:
    """(eval set, path) of every real outputs file in the shared data."""
    root = data_root()
    found = [("alpaca-eval", p) for p in sorted((root / "alpaca-eval" / "model_outputs").glob("*.json"))]
    found += [("self-instruct", p) for p in sorted((root / "self-instruct" / "predictions").glob("*.jsonl"))]
    return found


def is_published_attack(path: Path) -> bool:
    """Files that are attacks themselves (AlpacaEval's NullModel outputs), not model answers."""
    return "null" in path.stem.lower()
