"""The EvalSet container and the registry of named sets."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..errors import InputError
from ..records import Prompt

logger = logging.getLogger(__name__)


@dataclass
class EvalSet:
    """An ordered list of prompts with a filesystem-safe name."""

    name: str
    prompts: list[Prompt]
    source: str = ""
    description: str = ""
    _by_id: dict[str, Prompt] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        seen: dict[str, Prompt] = {}
        for prompt in self.prompts:
            if prompt.id in seen:
                raise InputError(f"duplicate prompt id {prompt.id!r}", self.source or self.name)
            seen[prompt.id] = prompt
        self._by_id = seen

    def __len__(self) -> int:
        return len(self.prompts)

    def __iter__(self) -> Iterator[Prompt]:
        return iter(self.prompts)

    def get(self, prompt_id: str) -> Prompt | None:
        return self._by_id.get(prompt_id)

    def categories(self) -> Counter[str]:
        return Counter(p.category or "(none)" for p in self.prompts)

    @property
    def has_references(self) -> bool:
        return all(p.reference for p in self.prompts)

    def head(self, limit: int | None) -> EvalSet:
        """The first `limit` prompts; a limit above the set's size is said, not silently ignored."""
        if limit is not None and limit > len(self.prompts):
            logger.warning(
                "--limit %d is more than the %d prompts of %s; using all %d",
                limit,
                len(self.prompts),
                self.name,
                len(self.prompts),
            )
        if limit is None or limit >= len(self.prompts):
            return self
        return EvalSet(self.name, self.prompts[:limit], self.source, self.description)


Loader = Callable[[], EvalSet]


@dataclass(frozen=True)
class NamedSet:
    name: str
    description: str
    load: Loader


_REGISTRY: dict[str, NamedSet] = {}


def register_eval_set(name: str, description: str, load: Loader) -> None:
    """Make `--eval-set NAME` resolve to `load()`; plugins may add their own."""
    _REGISTRY[name] = NamedSet(name, description, load)


def named_sets() -> dict[str, NamedSet]:
    return dict(_REGISTRY)
