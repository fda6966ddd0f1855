"""Tiny transformers models built from a config, for the demo, tests and benchmarks.

Nothing is downloaded: a byte-level BPE tokenizer is trained on the fly on the given texts
and a small Llama-architecture model is initialised from a seed. The result is a real model
folder that `hf:`, `from_pretrained` and SFT load like any checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .models._hf import import_torch_transformers

SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}


def train_tokenizer(texts: Iterable[str], vocab_size: int = 512, pad_token: bool = True) -> Any:
    """A byte-level BPE tokenizer wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    _, transformers = import_torch_transformers()
    specials = list(SPECIAL_TOKENS.values()) + (["<pad>"] if pad_token else [])
    tokenizer = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk_token"]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer=trainer)
    extra = {"pad_token": "<pad>"} if pad_token else {}
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, **SPECIAL_TOKENS, **extra)


def build_tiny_model(
    path: str | Path,
    texts: Iterable[str],
    *,
    seed: int = 0,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    vocab_size: int = 512,
    max_positions: int = 4096,
    pad_token: bool = True,
    chat_template: str | None = None,
) -> Path:
    """Write a randomly initialised causal LM and its tokenizer to `path`."""
    torch, transformers = import_torch_transformers()
    tokenizer = train_tokenizer(texts, vocab_size=vocab_size, pad_token=pad_token)
    if chat_template:
        tokenizer.chat_template = chat_template
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(config)
    out = Path(path)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
