"""The loss is on responses only, packing changes nothing about it, and a tokenizer without a pad
token gets one (embeddings resized, new rows at the mean)."""

from __future__ import annotations

import pytest

from alpaca_bench.sft import AlpacaExample, pack_samples, tokenize_examples
from alpaca_bench.sft._data import IGNORE_INDEX

pytest_plugins = ["sft_helpers"]  # shared fixtures: tiny models and real data, built once

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def loaded(sft_model):
    from alpaca_bench.sft._model import load_model, load_tokenizer

    tokenizer = load_tokenizer(str(sft_model))
    model = load_model(str(sft_model), on_meta=False).eval()
    return model, tokenizer


@pytest.fixture(scope="module")
def samples(loaded, sft_rows):
    _, tokenizer = loaded
    return tokenize_examples([AlpacaExample(**r) for r in sft_rows[:8]], tokenizer, max_length=512)


def _batch_loss(model, batch):
    from alpaca_bench.sft._loss import token_loss_sum

    labels = batch.pop("labels")
    logits = model(**batch, use_cache=False).logits
    return token_loss_sum(logits, labels), logits, labels


def test_changing_what_prompt_positions_predict_cannot_change_the_loss(loaded, samples) -> None:
    from alpaca_bench.sft._collate import collate
    from alpaca_bench.sft._loss import token_loss_sum

    model, tokenizer = loaded
    batch = collate(samples, tokenizer.pad_token_id, packed=False)
    with torch.no_grad():
        loss, logits, labels = _batch_loss(model, dict(batch))
    # Rows of the logits whose next-token label is a prompt token (or padding): scramble them.
    masked = torch.zeros_like(labels, dtype=torch.bool)
    masked[:, :-1] = labels[:, 1:] == IGNORE_INDEX
    generator = torch.Generator().manual_seed(0)
    scrambled = logits.clone()
    scrambled[masked] = torch.randn(scrambled[masked].shape, generator=generator) * 50
    assert torch.equal(token_loss_sum(scrambled, labels), loss)
    # Control: the same scrambling on response positions does change it.
    response = logits.clone()
    response[~masked] = torch.randn(response[~masked].shape, generator=generator) * 50
    assert not torch.allclose(token_loss_sum(response, labels), loss)
    # And the gradient reaching prompt positions is exactly zero.
    leaf = logits.clone().requires_grad_(True)
    token_loss_sum(leaf, labels).backward()
    assert leaf.grad[masked].abs().max() == 0
    assert leaf.grad[~masked].abs().max() > 0


def test_loss_counts_exactly_the_response_and_eos_tokens(loaded, samples) -> None:
    from alpaca_bench.sft._collate import collate

    _, tokenizer = loaded
    batch = collate(samples, tokenizer.pad_token_id, packed=False)
    counted = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
    assert counted == sum(s.supervised_tokens for s in samples)
    eos_labels = int((batch["labels"] == tokenizer.eos_token_id).sum())
    assert eos_labels == len(samples)
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()


def test_packed_rows_give_the_same_loss_as_padded_rows(loaded, samples) -> None:
    from alpaca_bench.sft._collate import collate

    model, tokenizer = loaded
    padded = collate(samples, tokenizer.pad_token_id, packed=False)
    rows = pack_samples(samples, max_length=1024, seed=0)
    assert len(rows) < len(samples)
    packed = collate(rows, tokenizer.pad_token_id, packed=True)
    with torch.no_grad():
        padded_loss, _, _ = _batch_loss(model, dict(padded))
        packed_loss, _, _ = _batch_loss(model, dict(packed))
        # Control: without position resets the examples would attend to each other.
        leaky = dict(packed)
        leaky["position_ids"] = torch.arange(leaky["input_ids"].shape[1]).expand_as(leaky["input_ids"])
        leaky_loss, _, _ = _batch_loss(model, leaky)
    packed_error = abs(packed_loss.item() - padded_loss.item())
    leaky_error = abs(leaky_loss.item() - padded_loss.item())
    print(f"packed error {packed_error:.2e}, leaky error {leaky_error:.2e}")
    assert packed_error <= 1e-5 * padded_loss.item()
    assert leaky_error > 100 * max(packed_error, 1e-7 * padded_loss.item())


@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
def test_logits_at_labelled_positions_only_give_the_same_loss_and_gradients(loaded, samples, packed) -> None:
    """The recipe asks the model for logits where a label is (`logits_to_keep`): same loss and
    gradients as the full logits, per row even when rows have different prompt lengths."""
    from alpaca_bench.sft._collate import collate
    from alpaca_bench.sft._loss import keep_mask, keeps_selected_logits, kept_loss_sum, token_loss_sum

    model, tokenizer = loaded
    assert keeps_selected_logits(model), "transformers 5 models take a boolean logits_to_keep"
    rows = pack_samples(samples, max_length=1024, seed=0) if packed else samples
    batch = collate(rows, tokenizer.pad_token_id, packed=packed)
    labels = batch.pop("labels")
    mask = keep_mask(labels)
    assert int(mask.sum()) == sum(s.supervised_tokens for s in rows) < mask.numel() // 2
    params = [p for p in model.parameters() if p.requires_grad]
    full = token_loss_sum(model(**batch, use_cache=False).logits, labels)
    kept_logits = model(**batch, use_cache=False, logits_to_keep=mask).logits
    assert kept_logits.shape == (int(mask.sum()), model.config.vocab_size)
    kept = kept_loss_sum(kept_logits, labels, mask)
    torch.testing.assert_close(kept, full, rtol=1e-6, atol=0)
    for a, b in zip(torch.autograd.grad(kept, params), torch.autograd.grad(full, params), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5 * float(b.abs().max()))  # fp32 rounding


def test_a_pad_token_is_added_with_mean_initialised_embeddings(sft_model_nopad) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from alpaca_bench.sft._model import PAD_TOKEN, fit_embeddings, load_model, load_tokenizer

    original = AutoTokenizer.from_pretrained(sft_model_nopad)
    assert original.pad_token is None
    tokenizer = load_tokenizer(str(sft_model_nopad))
    assert tokenizer.pad_token == PAD_TOKEN
    assert tokenizer.pad_token_id == len(original) and tokenizer.pad_token_id != tokenizer.eos_token_id
    model = load_model(str(sft_model_nopad), on_meta=False)
    before = AutoModelForCausalLM.from_pretrained(sft_model_nopad)
    old_rows = before.get_input_embeddings().weight.shape[0]
    fit_embeddings(model, tokenizer)
    for current, previous in [
        (model.get_input_embeddings().weight, before.get_input_embeddings().weight),
        (model.get_output_embeddings().weight, before.get_output_embeddings().weight),
    ]:
        assert current.shape[0] == len(tokenizer) == old_rows + 1
        assert torch.equal(current[:old_rows], previous)
        assert torch.allclose(current[old_rows], previous.mean(dim=0), atol=1e-7)
    assert model.config.pad_token_id == tokenizer.pad_token_id
