"""The one protocol every model backend implements, and the scheme registry.

A backend turns a batch of chat requests into completions and yields each as soon as it is
done, in any order. That single shape fits batched local generation (a batch finishes at once)
and concurrent API calls (they finish one by one); callers persist each completion as it
arrives, which is what makes every run resumable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import InputError
from ..records import Prompt, Usage
from ..registry import LazyRegistry


@dataclass
class ChatRequest:
    """One call. `instruction`/`input` travel alongside the messages for template-aware
    backends (Alpaca formatting) and `prompt_id` for backends that look outputs up.
    `score_tokens` asks backends that can (local models) for the exact first-token logprobs of
    these strings, not just whatever made the top-k (API servers ignore it)."""

    key: str
    messages: list[dict[str, str]]
    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    logprobs: int | None = None
    score_tokens: tuple[str, ...] = ()
    instruction: str | None = None
    input: str = ""
    prompt_id: str | None = None
    template: str = "auto"
    turn: int = 0  # which user turn of the prompt this answers (0: the first); file backends look it up
    use_cache: bool = True
    # served before waiting first asks when slots are scarce (a parse retry); not part of the
    # answer, so not in the cache key
    priority: int = 0

    def cache_payload(self) -> dict[str, Any]:
        """Everything about the request that can change the answer."""
        return {
            "messages": self.messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "logprobs": self.logprobs,
            "score_tokens": list(self.score_tokens),
            "instruction": self.instruction,
            "input": self.input,
            "template": self.template,
        }


@dataclass
class Completion:
    key: str
    text: str
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    top_logprobs: dict[str, float] | None = None
    finish_reason: str | None = None
    cached: bool = False

    def to_cache(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "usage": self.usage.model_dump(),
            "latency_s": self.latency_s,
            "top_logprobs": self.top_logprobs,
            "finish_reason": self.finish_reason,
        }

    @classmethod
    def from_cache(cls, key: str, value: dict[str, Any]) -> Completion:
        return cls(
            key=key,
            text=value["text"],
            usage=Usage(**value.get("usage", {})),
            latency_s=float(value.get("latency_s", 0.0)),
            top_logprobs=value.get("top_logprobs"),
            finish_reason=value.get("finish_reason"),
            cached=True,
        )


@runtime_checkable
class ModelBackend(Protocol):
    """What `generate`, `compare` and the LLM judges talk to."""

    name: str
    cacheable: bool

    def identity(self) -> dict[str, Any]:
        """What distinguishes this model from others (never secrets); part of cache keys."""
        ...

    def prepare(self, prompts: Sequence[Prompt]) -> Sequence[Prompt]:
        """Check the backend can serve these prompts before any work; return those it will serve.

        File backends check alignment here (missing outputs are an input error unless
        `allow_missing`, then the matched subset comes back)."""
        ...

    def stream(self, requests: Sequence[ChatRequest]) -> AsyncIterator[Completion]:
        """Yield one Completion per request as each finishes."""
        ...

    async def aclose(self) -> None: ...


@dataclass
class BackendOptions:
    """Settings a backend may use; each ignores what does not apply to it."""

    concurrency: int = 16
    timeout_s: float = 120.0
    max_retries: int = 10  # attempts per call; hedges come on top (models.tail)
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    hedge: bool = True  # re-send calls far slower than the server's recent latency (models.tail)
    batch_size: int = 16
    max_batch_tokens: int = 4096
    device: str = "auto"
    dtype: str = "auto"
    allow_missing: bool = False
    name: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    admission: Admission | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Admission(Protocol):
    """Asked before each API call starts; returning False stops further calls (a spend cap)."""

    async def admit(self, key: str, prompt_chars: int, max_tokens: int) -> bool: ...


Factory = Callable[[str, BackendOptions], ModelBackend]

# heavy backends are imported only when a spec names them
_REGISTRY: LazyRegistry[Factory] = LazyRegistry(
    {
        "hf": "alpaca_bench.models._hf:HFBackend",
        "openai": "alpaca_bench.models._openai_api:OpenAIBackend",
        "vllm": "alpaca_bench.models._vllm:VLLMBackend",
        "file": "alpaca_bench.models._file:FileBackend",
        "mock": "alpaca_bench.models._mock:MockBackend",
    },
    group="alpaca_bench.backends",
    spelled={
        "hf": "hf:PATH_OR_REPO",
        "openai": "openai:MODEL[@URL]",
        "vllm": "vllm:PATH",
        "file": "file:PATH",
        "mock": "mock:NAME",
    },
)


def register_backend(scheme: str, factory: Factory | str) -> None:
    """Add a scheme: a factory `(rest, options) -> ModelBackend` or a 'module:attr' path."""
    _REGISTRY.register(scheme, factory)


def backend_schemes() -> list[str]:
    return _REGISTRY.names()


def split_spec(spec: str) -> tuple[str, str]:
    """`scheme:rest`; a bare .json/.jsonl path means `file:`."""
    spec = spec.strip()
    if not spec:
        raise InputError("empty model spec")
    if spec.lower().endswith((".json", ".jsonl")) and ":" not in spec.split("/")[0]:
        return "file", spec
    scheme, sep, rest = spec.partition(":")
    if not sep:
        if Path(spec).exists():
            raise InputError(
                f"model spec {spec!r} is a path: prefix it with hf: (a model folder) or file: (outputs)"
            )
        raise InputError(f"model spec {spec!r} has no scheme; use one of {', '.join(backend_schemes())}")
    if scheme not in _REGISTRY:
        raise _REGISTRY.unknown("model scheme", scheme)
    return scheme, rest


def load_backend(spec: str, options: BackendOptions | None = None) -> ModelBackend:
    """Build (but do not start) the backend a spec names."""
    scheme, rest = split_spec(spec)
    return _REGISTRY.get(scheme)(rest, options or BackendOptions())
