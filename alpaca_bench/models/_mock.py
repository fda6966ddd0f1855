"""`mock:NAME[?key=value&…]`: a scriptable backend for tests and dry runs, no model needed.

Outputs are a deterministic function of the model name and the prompt, so two mock models
disagree the way two real ones do and every run is reproducible. Options: `words=N` (output
length), `latency=SECONDS`, `text=…` (a fixed answer), `echo=1` (repeat the prompt; in a
later turn of a conversation, every message so far).
Python callers can pass any `respond(request) -> str`.

A token is a space-separated word: an answer longer than the request's `max_tokens` is cut
there and finishes with "length", as a real model's would; others finish with "stop".
"""

from __future__ import annotations

import asyncio
import hashlib
import urllib.parse
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from ..errors import InputError
from ..records import Prompt, Usage
from ._base import BackendOptions, ChatRequest, Completion

_WORDS = [
    "the",
    "answer",
    "is",
    "clear",
    "because",
    "each",
    "step",
    "follows",
    "from",
    "the",
    "task",
    "and",
    "the",
    "details",
    "given",
    "here",
    "so",
    "we",
    "list",
    "them",
    "briefly",
    "then",
    "explain",
    "why",
    "this",
    "choice",
    "works",
    "well",
    "in",
    "practice",
    "for",
    "most",
    "readers",
]
_OPTIONS = {"words", "latency", "text", "echo"}


class MockBackend:
    cacheable = False

    def __init__(
        self,
        rest: str = "",
        options: BackendOptions | None = None,
        respond: Callable[[ChatRequest], str] | None = None,
    ):
        options = options or BackendOptions()
        label, _, query = rest.partition("?")
        self.label = label or "mock"
        self.name = options.name or self.label
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        unknown = set(params) - _OPTIONS
        if unknown:
            raise InputError(
                f"unknown mock option(s) {sorted(unknown)} in 'mock:{rest}' (use {sorted(_OPTIONS)})"
            )
        try:
            self.words = int(params.get("words", 24))
            self.latency = float(params.get("latency", 0.0))
        except ValueError:
            raise InputError(f"bad number in 'mock:{rest}'") from None
        self.fixed = params.get("text")
        self.echo = params.get("echo") == "1"
        self.respond = respond or self._default_respond
        self.calls = 0
        self.seen: list[ChatRequest] = []

    def identity(self) -> dict[str, Any]:
        return {
            "scheme": "mock",
            "model": self.label,
            "words": self.words,
            "text": self.fixed,
            "echo": self.echo,
        }

    def prepare(self, prompts: Sequence[Prompt]) -> Sequence[Prompt]:
        return prompts

    def _default_respond(self, request: ChatRequest) -> str:
        """A later turn depends on the whole conversation before it (its own earlier answers
        too), as a real model's does; `echo` repeats that conversation, so a test can see it."""
        said = [m["content"] for m in request.messages if m["role"] != "system"]
        if self.fixed is not None:
            return self.fixed
        if self.echo:
            return "\n\n".join(said)
        seed = int(hashlib.sha256("\x00".join([self.label, *said]).encode()).hexdigest(), 16)
        count = max(1, self.words + seed % 7 - 3)
        return " ".join(_WORDS[(seed >> (i % 200)) % len(_WORDS)] for i in range(count)).capitalize() + "."

    def answer(self, request: ChatRequest) -> tuple[str, str]:
        """The answer to `request` and why it ended: cut at `max_tokens` words is "length"."""
        words = self.respond(request).split(" ")
        if len(words) > request.max_tokens:
            return " ".join(words[: request.max_tokens]), "length"
        return " ".join(words), "stop"

    async def stream(self, requests: Sequence[ChatRequest]) -> AsyncIterator[Completion]:
        for request in requests:
            if self.latency:
                await asyncio.sleep(self.latency)
            self.calls += 1
            self.seen.append(request)
            text, finish_reason = self.answer(request)
            yield Completion(
                key=request.key,
                text=text,
                usage=Usage(
                    prompt_tokens=sum(len(m["content"].split()) for m in request.messages),
                    completion_tokens=len(text.split()),
                ),
                latency_s=self.latency,
                finish_reason=finish_reason,
            )

    async def stream_text(self, request: ChatRequest) -> AsyncIterator[str]:
        """The same answer as `stream`, word by word, with `latency` spread over the words."""
        self.calls += 1
        self.seen.append(request)
        words = self.answer(request)[0].split(" ")
        for index, word in enumerate(words):
            if self.latency:
                await asyncio.sleep(self.latency / len(words))
            yield word if index == 0 else " " + word

    async def aclose(self) -> None:
        return None
