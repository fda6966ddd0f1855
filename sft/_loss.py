"""The training loss: cross-entropy summed over labelled tokens only.

Summed, not averaged per micro-batch: the recipe divides by the number of labelled tokens in
the whole global batch (all micro-batches, all ranks), so every response token weighs the same
however the batch is split — which is what makes 1 process and N processes, or packing and
padding, train the same model.

Only labelled positions need logits at all. With a large vocabulary the output projection is
most of the model (Gemma-3-270m: 262k x 640, 168M of its 268M parameters, about 60% of the
FLOPs per token) and its fp32 logits the largest activation, while in Alpaca data most tokens
are prompt, whose logits the loss ignores. So where the model takes a boolean `logits_to_keep`
(transformers >= 5), the recipe asks it for the labelled positions only (`keep_mask`) and takes
the loss on those (`kept_loss_sum`): the same value, for a fraction of the compute and memory.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
import torch.nn.functional as F

from ._data import IGNORE_INDEX


def token_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of next-token cross-entropies where the label is not -100 (computed in fp32)."""
    vocab = logits.shape[-1]
    predicted = logits[:, :-1, :].float().reshape(-1, vocab)
    targets = labels[:, 1:].reshape(-1)
    return F.cross_entropy(predicted, targets, ignore_index=IGNORE_INDEX, reduction="sum")


def keep_mask(labels: torch.Tensor) -> torch.Tensor:
    """(batch, length) bool: True where a position predicts a labelled next token."""
    mask = torch.zeros_like(labels, dtype=torch.bool)
    mask[:, :-1] = labels[:, 1:] != IGNORE_INDEX
    return mask


def kept_loss_sum(logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """`token_loss_sum` from the logits of the `keep_mask` positions only, (kept, vocab) row-major."""
    targets = labels[:, 1:][mask[:, :-1]]
    if logits.shape != (targets.numel(), logits.shape[-1]):
        raise RuntimeError(
            f"the model returned logits of shape {tuple(logits.shape)} for {targets.numel()} kept positions"
        )
    return F.cross_entropy(logits.float(), targets, reduction="sum")


def keeps_selected_logits(model: Any) -> bool:
    """Whether `model`'s forward takes a boolean (batch, length) mask as `logits_to_keep`.

    transformers 5 models slice their hidden states through `slice_logits_to_keep`, which takes
    one; older ones (and any whose source cannot be read) take an int or 1-D tensor at most and
    get the full-logits loss, which is always correct.
    """
    try:
        from transformers import modeling_utils
    except ImportError:
        return False
    if not hasattr(modeling_utils, "slice_logits_to_keep"):
        return False
    try:
        source = inspect.getsource(inspect.unwrap(type(model).forward))
    except (OSError, TypeError):
        return False
    return "slice_logits_to_keep(" in source
