"""`openai:MODEL[@URL]`: the OpenAI API or any OpenAI-compatible server (vLLM, Ollama, TGI…).

The SDK's own retries are off: we retry here so that backoff honours Retry-After, attempts are
bounded and logged, and authentication failures stop the run at once.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, ServiceError
from ..records import CallCounts, Prompt, Usage
from ..redact import redact, register_secret
from ._base import BackendOptions, ChatRequest, Completion
from ._retry import BackoffPolicy, Retry, parse_retry_after, with_backoff
from ._tail import NotAdmitted, TailCaller, TailPolicy

logger = logging.getLogger(__name__)

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}
PLACEHOLDER_KEY = "not-needed"


def parse_openai_spec(rest: str) -> tuple[str, str | None]:
    """`MODEL` or `MODEL@URL` (split at the last @, so model names may contain @)."""
    model, sep, url = rest.rpartition("@")
    if not sep:
        model, url = rest, ""
    if not model:
        raise InputError(f"bad spec 'openai:{rest}': expected openai:MODEL or openai:MODEL@URL")
    if url and not url.startswith(("http://", "https://")):
        raise InputError(f"bad base URL {url!r} in 'openai:{rest}': expected http(s)://…")
    return model, url or None


class TransientResponseError(Exception):
    """A 200 response we cannot use (no choices, malformed body): worth another try."""


class OpenAIBackend:
    cacheable = True

    def __init__(self, rest: str, options: BackendOptions):
        self.model, self.base_url = parse_openai_spec(rest)
        self.options = options
        self.name = options.name or self.model
        self.policy = BackoffPolicy(
            max_attempts=options.max_retries,
            base_s=options.backoff_base_s,
            cap_s=options.backoff_cap_s,
        )
        self.counts = CallCounts()
        self.caller = TailCaller(
            options.concurrency,
            options.timeout_s,
            self.policy,
            self._classify,
            self._give_up,
            self.counts,
            TailPolicy(hedge=options.hedge),
        )
        self._client: Any = None
        self._api_key = os.environ.get(options.api_key_env)
        if not self._api_key and self.base_url is None:
            raise InputError(f"openai:{self.model} needs an API key: set {options.api_key_env}")
        register_secret(self._api_key)

    def identity(self) -> dict[str, Any]:
        return {
            "scheme": "openai",
            "model": self.model,
            "base_url": self.base_url or "api.openai.com",
        }

    def prepare(self, prompts: Sequence[Prompt]) -> Sequence[Prompt]:
        return prompts

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise InputError("openai: models need the openai package: pip install openai") from None
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or PLACEHOLDER_KEY,
                base_url=self.base_url,
                max_retries=0,
                timeout=self.options.timeout_s,
            )
        return self._client

    async def stream(self, requests: Sequence[ChatRequest]) -> AsyncIterator[Completion]:
        """Every request as its own call through the shared `TailCaller` (at most `concurrency`
        in flight across all streams of this backend, hedged and deadline-bounded); answers are
        yielded as they arrive. Once admission says no, calls not yet sent are dropped."""
        if not requests:
            return
        import openai

        self._get_client()
        done: asyncio.Queue[Completion | BaseException | None] = asyncio.Queue()
        refused = False

        async def one(request: ChatRequest) -> None:
            nonlocal refused
            try:
                if refused:
                    return
                send = functools.partial(self._call, request)
                admit = functools.partial(self._admitted, request)
                await done.put(await self.caller.call(send, admit, request.priority))
            except NotAdmitted:
                refused = True
            except openai.OpenAIError as exc:
                await done.put(self.fatal(exc))
            except Exception as exc:
                await done.put(exc)
            finally:
                await done.put(None)

        tasks = [asyncio.create_task(one(r)) for r in requests]
        finished = 0
        try:
            while finished < len(tasks):
                item = await done.get()
                if item is None:
                    finished += 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _admitted(self, request: ChatRequest) -> bool:
        admission = self.options.admission
        if admission is None:
            return True
        chars = sum(len(m["content"]) for m in request.messages)
        return await admission.admit(request.key, chars, request.max_tokens)

    def _request_kwargs(self, request: ChatRequest) -> dict[str, Any]:
        """The chat-completions arguments for a request (shared by plain and streamed calls)."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.logprobs:
            kwargs["logprobs"] = True
            kwargs["top_logprobs"] = request.logprobs
        return kwargs

    async def _call(self, request: ChatRequest) -> Completion:
        kwargs = self._request_kwargs(request)
        started = time.perf_counter()
        response = await self._client.chat.completions.create(**kwargs)
        latency = time.perf_counter() - started
        if not getattr(response, "choices", None):
            raise TransientResponseError("response has no choices")
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        return Completion(
            key=request.key,
            text=(choice.message.content or "") if choice.message else "",
            usage=Usage(
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            ),
            latency_s=latency,
            top_logprobs=_first_token_logprobs(choice),
            finish_reason=getattr(choice, "finish_reason", None),
        )

    async def stream_text(self, request: ChatRequest) -> AsyncIterator[str]:
        """The answer piece by piece as the server sends it (`stream=True`). Opening the stream
        is retried like any call; a failure after the first piece is not, since the pieces
        already went out."""
        import openai

        self._get_client()
        kwargs = {**self._request_kwargs(request), "stream": True}
        if not await self._admitted(request):
            raise ServiceError(f"{self.name}: the spending limit stops further calls")
        try:
            response = await with_backoff(
                functools.partial(self._client.chat.completions.create, **kwargs),
                self._classify,
                self.policy,
                self._give_up,
            )
            try:
                async for chunk in response:
                    choices = getattr(chunk, "choices", None) or []
                    delta = getattr(choices[0], "delta", None) if choices else None
                    piece = getattr(delta, "content", None) if delta is not None else None
                    if piece:
                        yield piece
            finally:
                await response.close()
        except openai.OpenAIError as exc:
            raise self.fatal(exc) from None

    def _classify(self, exc: BaseException) -> Retry | None:
        import openai

        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return None
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code not in RETRY_STATUS:
                return None
            headers = dict(exc.response.headers) if exc.response is not None else None
            return Retry(f"HTTP {exc.status_code}", parse_retry_after(headers))
        if isinstance(exc, openai.APITimeoutError):
            return Retry("timeout")
        if isinstance(exc, openai.APIConnectionError):
            return Retry("connection error")
        if isinstance(exc, (openai.APIResponseValidationError, json.JSONDecodeError, ValidationError)):
            return Retry("malformed response")
        if isinstance(exc, TransientResponseError):
            return Retry(str(exc))
        if isinstance(exc, TimeoutError):  # an attempt abandoned at its deadline (alpaca_bench.models._tail)
            return Retry("deadline")
        return None

    def _give_up(self, exc: BaseException, attempts: int) -> BaseException:
        return ServiceError(
            f"{self.name} at {self.base_url or 'api.openai.com'} failed after {attempts} attempts: "
            + redact(_describe(exc))
            + "; progress is saved, re-run the same command to resume"
        )

    def fatal(self, exc: BaseException) -> ServiceError:
        """A non-transient service error as a one-line, key-free message."""
        return ServiceError(f"{self.name} at {self.base_url or 'api.openai.com'}: {redact(_describe(exc))}")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def _describe(exc: BaseException) -> str:
    import openai

    if isinstance(exc, openai.AuthenticationError):
        return "authentication failed (HTTP 401): check the API key"
    if isinstance(exc, openai.PermissionDeniedError):
        return "permission denied (HTTP 403)"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {str(exc.message)[:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _first_token_logprobs(choice: Any) -> dict[str, float] | None:
    logprobs = getattr(choice, "logprobs", None)
    content = getattr(logprobs, "content", None) if logprobs is not None else None
    if not content:
        return None
    first = content[0]
    tops = getattr(first, "top_logprobs", None) or []
    out = {t.token: float(t.logprob) for t in tops}
    out.setdefault(first.token, float(first.logprob))
    return out
