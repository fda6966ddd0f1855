"""What a finished run reports (written by rank 0 as `sft_result.json`)."""

from __future__ import annotations

from pydantic import BaseModel

RESULT_FILE = "sft_result.json"


class SFTResult(BaseModel):
    output_dir: str
    steps: int
    resumed_from_step: int
    epochs: float
    examples: int
    rows: int
    final_loss: float | None
    train_tokens: int
    wall_s: float
    world_size: int
    parameters: int
    trainable_parameters: int
