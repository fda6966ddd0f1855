"""`hf:PATH_OR_REPO`: local transformers generation.

Prompts are sorted by token length and generated in batches with left padding, which is what
makes CPU and GPU generation several times faster than one prompt at a time (see
benchmarks/generation_throughput.py). torch and transformers are imported on first use only.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..progress import Bar, live_bar, status
from ..prompt_format import alpaca_prompt
from ..records import Prompt, Usage
from ._base import BackendOptions, ChatRequest, Completion
from ._gguf import check_supported, content_hash, find_gguf, read_header, resolve_hf_path

logger = logging.getLogger(__name__)

HF_HINT = "hf: models need torch and transformers: pip install 'alpaca-bench[hf]'"
_SAMPLE_BYTES = 1 << 20


class FinishedOutputs:
    """A stopping criterion that never stops anything: at each decoding step it reports the
    batch rows that have just produced end-of-sequence to the progress bar, with their length."""

    def __init__(self, keys: list[str], eos_token_id: int | None, bar: Bar):
        self.keys, self.eos, self.bar = keys, eos_token_id, bar
        self.steps = 0
        self.done: set[int] = set()

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        self.steps += 1
        if self.eos is not None:
            last = input_ids[:, -1].tolist()
            for row, token in enumerate(last):
                if token == self.eos and row not in self.done:
                    self.done.add(row)
                    self.bar.finish(self.keys[row], tokens=self.steps)
        return input_ids.new_zeros(input_ids.shape[0], dtype=bool)


def import_torch_transformers() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise InputError(HF_HINT) from None
    return torch, transformers


def fingerprint(path: str) -> str:
    """Identify a local checkpoint by content, cheaply: small files whole, weights sampled."""
    folder = Path(path)
    if not folder.is_dir():
        return f"repo:{path}"
    digest = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if not file.is_file():
            continue
        digest.update(file.name.encode())
        size = file.stat().st_size
        digest.update(str(size).encode())
        with file.open("rb") as handle:
            if size <= 2 * _SAMPLE_BYTES:
                digest.update(handle.read())
            else:
                digest.update(handle.read(_SAMPLE_BYTES))
                handle.seek(size - _SAMPLE_BYTES)
                digest.update(handle.read(_SAMPLE_BYTES))
    return digest.hexdigest()[:24]


def render_prompt(request: ChatRequest, tokenizer: Any, template: str) -> str:
    """The text a causal LM continues, per `--template`."""
    chosen = (
        template
        if template != "auto"
        else ("chat" if getattr(tokenizer, "chat_template", None) else "alpaca")
    )
    if chosen == "chat":
        if not getattr(tokenizer, "chat_template", None):
            raise InputError("--template chat: this tokenizer has no chat template (use alpaca or raw)")
        rendered: str = tokenizer.apply_chat_template(
            request.messages, add_generation_prompt=True, tokenize=False
        )
        return rendered
    if chosen == "alpaca":
        if any(m["role"] == "assistant" for m in request.messages):
            raise InputError(
                "a later turn of a multi-turn prompt needs a chat template, and this model has none "
                "(or --template alpaca was asked for); use --template chat or --template raw"
            )
        if request.instruction is not None:
            return alpaca_prompt(request.instruction, request.input)
        user = "\n\n".join(m["content"] for m in request.messages if m["role"] != "assistant")
        return alpaca_prompt(user)
    return "\n\n".join(m["content"] for m in request.messages)


def pick_device(torch: Any, device: str) -> str:
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    return "cpu"


def pick_dtype(torch: Any, dtype: str, device: str) -> Any:
    if dtype != "auto":
        try:
            return getattr(torch, dtype)
        except AttributeError:
            raise InputError(f"unknown dtype {dtype!r} (use auto, float32, bfloat16, float16)") from None
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


class HFBackend:
    cacheable = True

    def __init__(self, rest: str, options: BackendOptions):
        if not rest:
            raise InputError("bad spec 'hf:': expected hf:PATH_OR_REPO")
        self.path = rest
        self.options = options
        # one model.generate at a time: a judge's parse retries arrive as concurrent streams
        self._generating = threading.Lock()
        base = Path(rest.rstrip("/")).name
        if base.lower().endswith(".gguf"):
            base = base[: -len(".gguf")]
        self.name = options.name or base or rest
        local = Path(rest).expanduser()
        looks_local = rest.startswith((".", "/", "~")) or rest.lower().endswith(".gguf")
        if looks_local and not local.exists():
            raise InputError("does not exist", local)
        # A GGUF is checked now (header only, milliseconds) but converted at load(): a corrupt
        # file exits 2 before any work, and validation of a long command stays fast.
        self.gguf = find_gguf(local) if local.exists() else None
        if self.gguf is not None:
            check_supported(read_header(self.gguf), self.gguf)
        elif local.exists() and not (local / "config.json").is_file():
            inside = (
                sorted(p.name for p in local.iterdir() if (p / "config.json").is_file())
                if local.is_dir()
                else []
            )
            where = f"; model folders inside it: {', '.join(inside[:5])}" if inside else ""
            raise InputError(f"not a transformers model folder (no config.json){where}", local)
        self._fingerprint: str | None = None
        self.model: Any = None
        self.tokenizer: Any = None
        self.device = "cpu"

    def identity(self) -> dict[str, Any]:
        if self._fingerprint is None:
            # A GGUF is identified by its bytes, not by the folder it is converted into, so
            # the cache key survives re-conversion (e.g. a newer transformers) and renames.
            self._fingerprint = (
                f"gguf:{content_hash(self.gguf)}"
                if self.gguf is not None
                else fingerprint(str(Path(self.path).expanduser()))
            )
        # a local path's name is part of a folder's identity; a GGUF's bytes are its whole identity
        model = "gguf" if self.gguf is not None else self.path
        return {"scheme": "hf", "model": model, "fingerprint": self._fingerprint}

    def prepare(self, prompts: Sequence[Prompt]) -> Sequence[Prompt]:
        return prompts

    def load(self) -> None:
        if self.model is not None:
            return
        torch, transformers = import_torch_transformers()
        self.device = pick_device(torch, self.options.device)
        dtype = pick_dtype(torch, self.options.dtype, self.device)
        path = str(Path(self.path).expanduser()) if Path(self.path).expanduser().exists() else self.path
        if self.gguf is not None:
            path = resolve_hf_path(str(self.gguf))
        try:
            with status(f"loading {self.name} on {self.device}"):
                tokenizer = transformers.AutoTokenizer.from_pretrained(path)
                model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        except OSError as exc:
            local = (
                ""
                if Path(self.path).expanduser().exists()
                else "no local folder of that name; the hub says: "
            )
            reason = str(exc).splitlines()[0][:200]
            raise InputError(f"cannot load model {self.path!r}: {local}{reason}") from None
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.tokenizer = tokenizer
        self.model = model.to(self.device).eval()

    async def stream(self, requests: Sequence[ChatRequest]) -> AsyncIterator[Completion]:
        if not requests:
            return
        await asyncio.to_thread(self.load)
        for batch in self.batches(requests):
            for completion in await asyncio.to_thread(self.generate_batch, batch):
                yield completion

    async def stream_text(self, request: ChatRequest) -> AsyncIterator[str]:
        """Text as it is generated, one request at a time: `generate` runs in a worker thread and
        feeds transformers' TextIteratorStreamer, which is read here without blocking the loop."""
        await asyncio.to_thread(self.load)
        torch, transformers = import_torch_transformers()
        prompt = render_prompt(request, self.tokenizer, request.template)
        encoded = self.tokenizer([prompt], return_tensors="pt", add_special_tokens=True).to(self.device)
        streamer = transformers.TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True
        )
        kwargs: dict[str, Any] = {
            "max_new_tokens": request.max_tokens,
            "do_sample": request.temperature > 0,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.tokenizer.eos_token_id,
            "use_cache": True,  # whatever the checkpoint's generation_config says (training saves False)
            "streamer": streamer,
        }
        if request.temperature > 0:
            kwargs.update(temperature=request.temperature, top_p=request.top_p, top_k=0)
            torch.manual_seed(request.seed or 0)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        failures: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**encoded, **kwargs)
            except BaseException as exc:  # handed to the reader below, which re-raises it
                failures.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, name=f"stream-{self.name}", daemon=True)
        worker.start()
        pieces = iter(streamer)
        while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
            if piece:
                yield piece
        await asyncio.to_thread(worker.join)
        if failures:
            raise failures[0]

    def batches(self, requests: Sequence[ChatRequest]) -> list[list[tuple[ChatRequest, str]]]:
        """Group prompts of similar token length, longest first, under a padded-token budget.

        Sorting keeps padding small; the budget (batch rows x longest prompt) stops a few very
        long prompts from padding a whole batch to their length, and bounds memory.
        """
        rendered = [(r, render_prompt(r, self.tokenizer, r.template)) for r in requests]
        lengths = [len(ids) for ids in self.tokenizer([text for _, text in rendered])["input_ids"]]
        order = sorted(range(len(rendered)), key=lambda i: -lengths[i])
        size, budget = max(1, self.options.batch_size), max(1, self.options.max_batch_tokens)
        batches: list[list[tuple[ChatRequest, str]]] = []
        current: list[int] = []
        for index in order:
            longest = lengths[current[0]] if current else lengths[index]
            if current and (len(current) >= size or (len(current) + 1) * longest > budget):
                batches.append([rendered[i] for i in current])
                current = []
            current.append(index)
        if current:
            batches.append([rendered[i] for i in current])
        return batches

    def generate_batch(self, batch: list[tuple[ChatRequest, str]]) -> list[Completion]:
        torch, _ = import_torch_transformers()
        first = batch[0][0]
        encoded = self.tokenizer(
            [text for _, text in batch], return_tensors="pt", padding=True, add_special_tokens=True
        ).to(self.device)
        sampling = first.temperature > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": max(r.max_tokens for r, _ in batch),
            "do_sample": sampling,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.tokenizer.eos_token_id,
            "use_cache": True,  # whatever the checkpoint's generation_config says (training saves False)
            "return_dict_in_generate": True,
            "output_scores": any(r.logprobs or r.score_tokens for r, _ in batch),
        }
        bar = live_bar()
        if bar is not None and bar.shown:  # the bar moves as each output ends, not with the batch
            keys = [request.key for request, _ in batch]
            kwargs["stopping_criteria"] = [FinishedOutputs(keys, self.tokenizer.eos_token_id, bar)]
        if sampling:
            kwargs.update(temperature=first.temperature, top_p=first.top_p, top_k=0)
            torch.manual_seed(first.seed or 0)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        with self._generating, torch.inference_mode():
            started = time.perf_counter()
            out = self.model.generate(**encoded, **kwargs)
        latency = (time.perf_counter() - started) / len(batch)
        prompt_len = encoded["input_ids"].shape[1]
        completions = []
        for row, (request, _) in enumerate(batch):
            new_tokens = out.sequences[row, prompt_len : prompt_len + request.max_tokens]
            completions.append(
                Completion(
                    key=request.key,
                    text=self.tokenizer.decode(new_tokens, skip_special_tokens=True),
                    usage=Usage(
                        prompt_tokens=int(encoded["attention_mask"][row].sum()),
                        completion_tokens=int((new_tokens != self.tokenizer.pad_token_id).sum()),
                    ),
                    latency_s=latency,
                    top_logprobs=self._top_logprobs(out, row, request)
                    if request.logprobs or request.score_tokens
                    else None,
                    finish_reason="stop" if (new_tokens == self.tokenizer.eos_token_id).any() else "length",
                )
            )
        return completions

    def _top_logprobs(self, out: Any, row: int, request: ChatRequest) -> dict[str, float]:
        """First-token logprobs: the top-k, plus the exact values of any requested tokens."""
        torch, _ = import_torch_transformers()
        logprobs = torch.log_softmax(out.scores[0][row].float(), dim=-1)
        tops: dict[str, float] = {}
        if request.logprobs:
            values, ids = logprobs.topk(request.logprobs)
            for value, token_id in zip(values.tolist(), ids.tolist(), strict=True):
                tops.setdefault(self.tokenizer.decode([token_id]), value)
        for token_id in self._score_ids(request.score_tokens):
            tops.setdefault(self.tokenizer.decode([token_id]), float(logprobs[token_id]))
        return tops

    def _score_ids(self, texts: Sequence[str]) -> set[int]:
        """First token of each text, with and without a leading space (how a verdict may start)."""
        ids = set()
        for text in texts:
            for variant in (text, " " + text):
                encoded = self.tokenizer.encode(variant, add_special_tokens=False)
                if encoded:
                    ids.add(encoded[0])
        return ids

    async def aclose(self) -> None:
        self.model = None
