"""A registry of named factories that imports each one only when it is first used.

Model backends and judges are chosen by the scheme of a spec string (`hf:`, `openai:`, `rouge`),
and some of them need torch or transformers: registering them as "module:attribute" strings
keeps `import alpaca_bench` light while plugins can still register real callables.
"""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar

F = TypeVar("F")


class LazyRegistry(Generic[F]):
    def __init__(self, entries: dict[str, str | F]):
        self._entries: dict[str, str | F] = dict(entries)

    def register(self, name: str, factory: F | str) -> None:
        """Add or replace `name`: a factory, or a 'module:attribute' path to one."""
        self._entries[name] = factory

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str) -> F:
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            loaded: F = getattr(importlib.import_module(module), attribute)
            self._entries[name] = loaded
            return loaded
        return entry
