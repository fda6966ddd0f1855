"""`alpaca-bench demo`: the whole pipeline offline in about a minute on a laptop CPU.

Two tiny transformers models are built from config (tokenizer trained on the fly), answer the
shipped 20-prompt demo set, and are compared blind by the `rouge` reference judge, with a
bootstrap confidence interval. Nothing is downloaded and no key is needed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .comparison import CompareResult, CompareSettings, compare
from .evalsets import load_eval_set
from .models._base import BackendOptions
from .records import GenerationConfig
from .tiny import build_tiny_model

logger = logging.getLogger(__name__)

DEMO_MODELS = (("tiny-a", 1, 48), ("tiny-b", 2, 64))
DEMO_MAX_NEW_TOKENS = 40


@dataclass
class DemoResult:
    output_dir: Path
    model_dirs: list[Path]
    comparison: CompareResult


def demo_models(folder: Path) -> list[Path]:
    """Build (once) the two tiny demo models under `folder`."""
    eval_set = load_eval_set("demo")
    texts = [f"{p.instruction}\n{p.input}\n{p.reference}" for p in eval_set] * 10
    paths = []
    for name, seed, hidden in DEMO_MODELS:
        path = folder / name
        if not (path / "config.json").is_file():
            logger.info("building tiny model %s", name)
            build_tiny_model(path, texts, seed=seed, hidden_size=hidden, vocab_size=320)
        paths.append(path)
    return paths


def run_demo(output_dir: Path, show_progress: bool = True) -> DemoResult:
    baseline, candidate = demo_models(output_dir / "demo-models")
    settings = CompareSettings(
        eval_set=load_eval_set("demo"),
        judge="rouge",
        output_dir=output_dir,
        generation=GenerationConfig(max_new_tokens=DEMO_MAX_NEW_TOKENS),
        backend=BackendOptions(batch_size=20),
        show_progress=show_progress,
    )
    result = compare(f"hf:{baseline}", f"hf:{candidate}", settings)
    return DemoResult(output_dir, [baseline, candidate], result)
