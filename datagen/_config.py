"""`DatagenConfig`: what `datagen` can be told, with its defaults.

Apart from the pipeline (numpy, rapidfuzz) so that the CLI can quote the defaults in `--help`
without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alpaca_bench.errors import InputError
from alpaca_bench.pricing import Price
from alpaca_bench.records import GenerationConfig

# Sampling, not greedy: self-instruct needs varied tasks; few-shot answers of 20 tasks are long.
DATAGEN_DECODING = GenerationConfig(temperature=1.0, max_new_tokens=3072)


@dataclass
class DatagenConfig:
    seed_tasks: Path
    model: str
    num: int
    output: Path
    examples_per_prompt: int = 3
    machine_examples: int = 0
    tasks_per_request: int = 20
    format: str = "numbered"
    similarity_threshold: float | str = 0.7
    # the teacher's decoding; its seed also picks each request's examples
    generation: GenerationConfig = field(default_factory=lambda: DATAGEN_DECODING)
    max_cost: float | None = None
    price: Price | None = None
    patience: int = 50

    def check(self, seeds: int) -> None:
        """Every option problem as one InputError, before anything is generated or written."""
        problems = [
            (self.num < 1, f"--num must be at least 1, got {self.num}"),
            (self.examples_per_prompt < 1, "--examples-per-prompt must be at least 1"),
            (
                self.examples_per_prompt > seeds,
                f"--examples-per-prompt {self.examples_per_prompt} is more than the {seeds} seed tasks",
            ),
            (
                not 0 <= self.machine_examples <= self.examples_per_prompt,
                "--machine-examples must be between 0 and --examples-per-prompt",
            ),
            (self.tasks_per_request < 1, "--tasks-per-request must be at least 1"),
            (self.max_cost is not None and self.max_cost < 0, "--max-cost must be ≥ 0"),
            (self.patience < 1, "--patience must be at least 1"),
        ]
        for failed, message in problems:
            if failed:
                raise InputError(message)
