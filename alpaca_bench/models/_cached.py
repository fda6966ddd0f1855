"""A caching wrapper for any backend: answered calls are never paid for twice.

It is also where a run's call accounting starts: hits and answers are counted here, and a
backend that sends requests itself (retries, hedges: `openai:`) shares its `counts` so the
same `CallCounts` holds what went out; for the others one answer is one request sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from ..cache import CallCache, cache_key
from ..records import CallCounts, Prompt
from ._base import ChatRequest, Completion, ModelBackend


class CachedBackend:
    """Serves hits from the call cache and forwards misses; each miss is stored on arrival."""

    def __init__(self, inner: ModelBackend, cache: CallCache, kind: str = "model"):
        self.inner = inner
        self.cache = cache
        self.kind = kind
        self.name = inner.name
        self.cacheable = inner.cacheable
        inner_counts = getattr(inner, "counts", None)
        self._counts_sends = not isinstance(inner_counts, CallCounts)
        self.counts: CallCounts = inner_counts if isinstance(inner_counts, CallCounts) else CallCounts()

    def _answered(self) -> None:
        self.counts.answers += 1
        if self._counts_sends:
            self.counts.sent += 1

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def prepare(self, prompts: Sequence[Prompt]) -> Sequence[Prompt]:
        return self.inner.prepare(prompts)

    def key_for(self, request: ChatRequest) -> str:
        return cache_key(self.kind, {"model": self.inner.identity(), "request": request.cache_payload()})

    async def stream(self, requests: Sequence[ChatRequest]) -> AsyncIterator[Completion]:
        if not self.inner.cacheable:
            async for completion in self.inner.stream(requests):
                self._answered()
                yield completion
            return
        keys: dict[str, str] = {}
        misses = []
        for request in requests:
            key = self.key_for(request)
            hit = self.cache.get(key) if request.use_cache else None
            if hit is not None:
                self.counts.cache_hits += 1
                yield Completion.from_cache(request.key, hit)
            else:
                keys[request.key] = key
                misses.append(request)
        async for completion in self.inner.stream(misses):
            self._answered()
            self.cache.put(keys[completion.key], self.kind, completion.to_cache())
            yield completion

    async def aclose(self) -> None:
        await self.inner.aclose()
