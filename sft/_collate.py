"""Dynamic padding: a micro-batch is padded to its own longest row, not to max_length.

Plain rows get a 2-D attention mask. Packed rows get position ids that restart at every example
and no mask, which transformers turns into a block-diagonal causal mask (so examples sharing a
row never attend to each other); their padding is one more segment with labels -100.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ._data import IGNORE_INDEX, Sample


def collate(rows: Sequence[Sample], pad_token_id: int, packed: bool) -> dict[str, torch.Tensor]:
    """Tensors for one forward pass. An empty micro-batch becomes one pad token with no loss.

    (A rank with no samples left in a short last step still has to run its passes, because the
    other ranks wait for it in FSDP's collectives.)
    """
    if not rows:
        rows = [Sample((pad_token_id,), (IGNORE_INDEX,), (1,))]
    width = max(len(row) for row in rows)
    input_ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = torch.tensor(row.input_ids)
        labels[i, : len(row)] = torch.tensor(row.labels)
    batch: dict[str, Any] = {"input_ids": input_ids, "labels": labels}
    if packed:
        batch["position_ids"] = torch.stack([_positions(row.segments, width) for row in rows])
    else:
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            mask[i, : len(row)] = 1
        batch["attention_mask"] = mask
    return batch


def _positions(segments: Sequence[int], width: int) -> torch.Tensor:
    padding = width - sum(segments)
    parts = [torch.arange(length) for length in [*segments, padding] if length]
    return torch.cat(parts)
