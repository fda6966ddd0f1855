"""The training loss: cross-entropy summed over labelled tokens only.

Summed, not averaged per micro-batch: the recipe divides by the number of labelled tokens in
the whole global batch (all micro-batches, all ranks), so every response token weighs the same
however the batch is split — which is what makes 1 process and N processes, or packing and
padding, train the same model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .data import IGNORE_INDEX


def token_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of next-token cross-entropies where the label is not -100 (computed in fp32)."""
    vocab = logits.shape[-1]
    predicted = logits[:, :-1, :].float().reshape(-1, vocab)
    targets = labels[:, 1:].reshape(-1)
    return F.cross_entropy(predicted, targets, ignore_index=IGNORE_INDEX, reduction="sum")
