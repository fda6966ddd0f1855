"""What a scan finds: one flag per rule and output, and the report over a file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Flag:
    """One rule's finding on one output: the rule's reason and a short quote as evidence."""

    reason: str
    detail: str


@dataclass
class ScanReport:
    """Flags per prompt id; `flagged` lists the prompts with at least one.

    `total` counts the outputs scanned; `missing` counts eval-set prompts without an output
    (known only when the prompts are passed in), so a partial file is reported, not refused.
    """

    total: int
    flags: dict[str, list[Flag]] = field(default_factory=dict)
    missing: int = 0

    @property
    def flagged(self) -> list[str]:
        return sorted(self.flags)

    @property
    def share(self) -> float:
        return len(self.flags) / max(1, self.total)

    def by_reason(self) -> Counter[str]:
        return Counter(f.reason for flags in self.flags.values() for f in flags)
