"""A registry of named factories that imports each one only when it is first used.

Model backends and judges are chosen by the scheme of a spec string (`hf:`, `openai:`, `rouge`),
and some of them need torch or transformers: registering them as "module:attribute" strings
keeps `import alpaca_bench` light. Other packages add schemes without touching this one, through
entry points (group `alpaca_bench.backends` or `alpaca_bench.judges`, name = the scheme, value =
"module:factory"): they are listed on first lookup and imported only when their scheme is used.
"""

from __future__ import annotations

import difflib
import importlib
import logging
from collections.abc import Callable
from importlib import metadata
from typing import Generic, TypeVar

from .errors import InputError

logger = logging.getLogger(__name__)

F = TypeVar("F")


class LazyRegistry(Generic[F]):
    def __init__(
        self, entries: dict[str, str | F], group: str | None = None, spelled: dict[str, str] | None = None
    ):
        """`spelled` says how users write a built-in name in a spec (`openai:MODEL[@URL]`), for
        error messages; other names show as they are."""
        self._entries: dict[str, str | F | metadata.EntryPoint] = dict(entries)
        self._group = group
        self._discovered = group is None
        self._spelled = dict(spelled or {})

    def register(self, name: str, factory: F | str) -> None:
        """Add or replace `name`: a factory, or a 'module:attribute' path to one."""
        self._discover()
        self._entries[name] = factory

    def _discover(self) -> None:
        """Add the installed plugins' entry points (names only; nothing is imported here).
        A plugin cannot take over a built-in or registered scheme: that one wins, with a warning."""
        if self._discovered:
            return
        self._discovered = True
        for point in metadata.entry_points(group=self._group or ""):
            if point.name in self._entries:
                logger.warning(
                    "plugin %s (%s) ignored: %r is already a scheme", point.value, _origin(point), point.name
                )
                continue
            self._entries[point.name] = point

    def names(self) -> list[str]:
        self._discover()
        return sorted(self._entries)

    def unknown(self, what: str, name: str, spec: str | None = None) -> InputError:
        """The error for a `name` not registered (from `spec`, as the user wrote it): the closest
        name first, then every choice, each as users write it."""
        spell = self._spelled
        choices = [spell.get(n, n) for n in self.names()]
        close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.6)
        hint = f"did you mean {spell.get(close[0], close[0])!r}? " if close else ""
        return InputError(f"unknown {what} {spec or name!r}; {hint}use one of {', '.join(choices)}")

    def __contains__(self, name: object) -> bool:
        self._discover()
        return name in self._entries

    def get(self, name: str) -> F:
        self._discover()
        entry = self._entries[name]
        if isinstance(entry, metadata.EntryPoint):
            try:
                loaded: F = entry.load()
            except Exception as exc:
                raise InputError(
                    f"plugin {name!r} ({entry.value}, from {_origin(entry)}) failed to load: "
                    f"{type(exc).__name__}: {str(exc)[:200]}"
                ) from None
            self._entries[name] = loaded
            return loaded
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            found: F = getattr(importlib.import_module(module), attribute)
            self._entries[name] = found
            return found
        return entry


def _origin(point: metadata.EntryPoint) -> str:
    dist = point.dist
    return f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"


def lazy_attributes(package: str, names: dict[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` that imports `package.<names[name]>` the first time `name` is read.

    Curated `__init__` modules use it for exports whose modules are heavy (statistics, Textual,
    model backends), so that importing the package, and starting the CLI, stays fast. They also
    import those names under `TYPE_CHECKING`, so the type checker sees the real types."""

    def __getattr__(name: str) -> object:
        if name in names:
            return getattr(importlib.import_module(f".{names[name]}", package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
