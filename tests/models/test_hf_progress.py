"""Progress per finished output for batched local generation: the bar counts an output when it
ends inside a batch, not when the whole batch returns, and never counts one twice."""

from __future__ import annotations

import asyncio

import torch

from alpaca_bench.models import BackendOptions
from alpaca_bench.models._base import ChatRequest
from alpaca_bench.models._hf import FinishedOutputs, HFBackend
from alpaca_bench.progress import Bar, live_bar

EOS = 2


class RecordingBar(Bar):
    """A bar with no display that remembers what it was told, in order."""

    def __init__(self) -> None:
        super().__init__(None, None)
        self.calls: list[tuple[str, int]] = []

    @property
    def shown(self) -> bool:
        return True

    def advance(self, amount: int = 1, tokens: int = 0, **fields: object) -> None:
        self.calls.append(("advance", tokens))


def test_finished_outputs_reports_each_row_once_when_it_ends():
    bar = RecordingBar()
    criterion = FinishedOutputs(["a", "b", "c"], EOS, bar)
    keep_going = criterion(torch.tensor([[9, 5], [9, EOS], [9, 7]]), None)
    assert keep_going.tolist() == [False, False, False]  # it never stops a row itself
    criterion(torch.tensor([[9, 5, EOS], [9, EOS, EOS], [9, 7, 8]]), None)  # b pads with EOS
    assert bar.calls == [("advance", 1), ("advance", 2)]  # b after 1 token, a after 2; c still going
    bar.finish("a", tokens=2)  # the completion of `a` arrives later: not counted again
    assert len(bar.calls) == 2


def test_the_hf_backend_reports_outputs_as_they_end_inside_the_batch(tiny_model_dir):
    backend = HFBackend(str(tiny_model_dir), BackendOptions(device="cpu", batch_size=4))
    backend.load()
    prompts = ["Name a colour.", "Say hi.", "Count to three.", "What is two plus two?"]
    requests = [ChatRequest(key=f"p{i}", messages=[{"role": "user", "content": p}], max_tokens=12)
                for i, p in enumerate(prompts)]  # fmt: skip
    _, text = next(iter(backend.batches(requests)))[0]
    with torch.inference_mode():  # greedy: the first token this row will generate
        encoded = backend.tokenizer([text], return_tensors="pt")
        first_token = int(backend.model(**encoded).logits[0, -1].argmax())
    backend.tokenizer.eos_token_id = first_token  # so that row now ends at the first step

    bar = RecordingBar()

    async def run() -> list:
        with bar.live():
            assert live_bar() is bar
            return [c async for c in backend.stream(requests)]

    completions = asyncio.run(run())
    assert len(completions) == 4
    early = [tokens for _, tokens in bar.calls]
    assert early and early[0] == 1, bar.calls  # reported from inside generate, at the first step
    assert len(bar.calls) <= len(requests)
