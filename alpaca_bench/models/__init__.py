"""Model backends behind one async protocol, chosen by the scheme of a spec string."""

from ._base import (
    BackendOptions,
    ChatRequest,
    Completion,
    ModelBackend,
    backend_schemes,
    load_backend,
    register_backend,
    split_spec,
)
from ._cached import CachedBackend
from ._mock import MockBackend
from ._streaming import StreamingBackend, can_stream, stream_text

__all__ = [
    "BackendOptions",
    "CachedBackend",
    "ChatRequest",
    "Completion",
    "MockBackend",
    "ModelBackend",
    "StreamingBackend",
    "backend_schemes",
    "can_stream",
    "load_backend",
    "register_backend",
    "split_spec",
    "stream_text",
]
