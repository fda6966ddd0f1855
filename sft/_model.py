"""Loading the model and tokenizer, and making them trainable: pad token, LoRA, checkpointing.

Weights are loaded in fp32 (the optimizer's master copy; bf16 is applied per forward pass). On N
processes only rank 0 reads the checkpoint; the others build the same modules on the meta device
(no memory) and receive their shards from rank 0, so a 7B model costs one copy of host memory
instead of N (one of the classic out-of-memory problems of the original Alpaca script).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import torch

from alpaca_bench.errors import InputError
from alpaca_bench.models._gguf import resolve_hf_path

from ._config import LoraSettings, SFTConfig

logger = logging.getLogger(__name__)

PAD_TOKEN = "<pad>"
PEFT_HINT = "LoRA needs peft: pip install 'alpaca-bench[sft]'"


def _source(spec: str) -> str:
    """A local path (a `.gguf` is converted once into a cached folder), or the spec as a repo id."""
    local = Path(spec).expanduser()
    return resolve_hf_path(str(local)) if local.exists() else spec


def _loading(spec: str, exc: Exception) -> InputError:
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return InputError(f"cannot load model {spec!r}: {first}")


def load_tokenizer(spec: str) -> Any:
    """The tokenizer, with a pad token added when it has none (Llama's has none).

    A dedicated pad token, not EOS: padding with EOS and masking pads would also mask the EOS
    labels the model needs to learn to stop.
    """
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(_source(spec))
    except (OSError, ValueError) as exc:
        raise _loading(spec, exc) from None
    if tokenizer.pad_token is None:
        tokenizer.add_special_tokens({"pad_token": PAD_TOKEN})
        logger.info("the tokenizer had no pad token; added %r (id %d)", PAD_TOKEN, tokenizer.pad_token_id)
    tokenizer.padding_side = "right"
    return tokenizer


def load_model(spec: str, *, on_meta: bool) -> Any:
    """The causal LM in fp32: real weights, or (on_meta) the same modules without storage."""
    from transformers import AutoConfig
    from transformers import AutoModelForCausalLM as Auto

    auto: Any = Auto  # transformers' factory methods are untyped
    try:
        if not on_meta:
            return auto.from_pretrained(_source(spec), dtype=torch.float32, attn_implementation="sdpa")
        config = AutoConfig.from_pretrained(_source(spec))
        with torch.device("meta"):
            return auto.from_config(config, dtype=torch.float32, attn_implementation="sdpa")
    except (OSError, ValueError) as exc:
        raise _loading(spec, exc) from None


def fit_embeddings(model: Any, tokenizer: Any) -> None:
    """Grow the embeddings to the tokenizer; new rows start at the mean of the old ones.

    The mean keeps the new token's logit ordinary at the start, where a random row can make
    the model's first predictions for every position shift toward (or away from) it.
    """
    old = model.get_input_embeddings().weight.shape[0]
    new = len(tokenizer)
    if new > old:
        model.resize_token_embeddings(new, mean_resizing=False)
        with torch.no_grad():
            weights = {id(w): w for w in _embedding_weights(model)}
            for weight in weights.values():
                weight[old:] = weight[:old].mean(dim=0, keepdim=True)
        logger.info("resized embeddings from %d to %d rows (mean-initialised)", old, new)
    model.config.pad_token_id = tokenizer.pad_token_id
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id


def _embedding_weights(model: Any) -> list[torch.Tensor]:
    weights = [model.get_input_embeddings().weight]
    output = model.get_output_embeddings()
    if output is not None:
        weights.append(output.weight)
    return weights


def apply_lora(model: Any, settings: LoraSettings) -> Any:
    """Wrap in peft LoRA adapters; only the adapters train."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        raise InputError(PEFT_HINT) from None
    lora = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )
    try:
        with warnings.catch_warnings():  # peft still asks transformers 5 a deprecated question
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
            return get_peft_model(model, lora)
    except ValueError as exc:
        raise InputError(f"lora: {str(exc).splitlines()[0][:200]}") from None


def enable_activation_checkpointing(model: Any) -> None:
    """Recompute each layer's activations in backward instead of storing them (non-reentrant)."""
    kwargs = {"use_reentrant": False}
    if callable(getattr(model, "activation_checkpointing_enable", None)):  # transformers >= 5
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def prepare_model(model: Any, tokenizer: Any, config: SFTConfig) -> Any:
    """Everything done to the model before sharding, identically on every rank."""
    fit_embeddings(model, tokenizer)
    model.config.use_cache = False
    if config.activation_checkpointing:
        enable_activation_checkpointing(model)
    if config.lora.enabled:
        model = apply_lora(model, config.lora)
    return model


def base_model(model: Any) -> Any:
    """The transformers model under a peft wrapper (or the model itself)."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def decoder_layers(model: Any) -> list[torch.nn.Module]:
    """The repeated transformer blocks, found by the class names transformers never splits."""
    names = set(getattr(base_model(model), "_no_split_modules", None) or ())
    layers = [module for module in model.modules() if type(module).__name__ in names]
    if not layers:
        raise InputError(
            f"cannot find the decoder layers of {type(base_model(model)).__name__} to shard "
            "(its _no_split_modules names none)"
        )
    return layers


def count_parameters(model: Any) -> tuple[int, int]:
    """(all, trainable) parameter counts, of the full (unsharded) tensors."""
    total = trainable = 0
    for param in model.parameters():
        total += param.numel()
        if param.requires_grad:
            trainable += param.numel()
    return total, trainable
