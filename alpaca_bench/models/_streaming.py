"""Token streaming, for interactive use (the leaderboard's battle page).

Streaming is an optional capability next to `ModelBackend`, not part of it: batch generation
and judging never need it, and a backend that cannot stream (precomputed outputs, a cached
wrapper) still answers through `stream_text`, in one piece.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from ._base import ChatRequest, ModelBackend


@runtime_checkable
class StreamingBackend(Protocol):
    """A backend that can hand out the text of one request as it is produced."""

    def stream_text(self, request: ChatRequest) -> AsyncIterator[str]:
        """Yield successive pieces of the answer; their concatenation is the whole answer."""
        ...


def can_stream(backend: object) -> bool:
    return isinstance(backend, StreamingBackend)


async def stream_text(backend: ModelBackend, request: ChatRequest) -> AsyncIterator[str]:
    """The answer to one request piece by piece when the backend streams, else in one piece."""
    if isinstance(backend, StreamingBackend):
        async for piece in backend.stream_text(request):
            yield piece
        return
    async for completion in backend.stream([request]):
        yield completion.text
