"""What calls cost, and a budget that stops a run before it spends more than allowed.

Prices are USD per million tokens (input, output) for common judge models at the time of
writing; they change, so `--judge-price IN,OUT` overrides them. A server at a custom base URL
(vLLM, Ollama, …) costs nothing unless a price is given.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from .errors import InputError
from .records import Usage

logger = logging.getLogger(__name__)

# model name prefix -> (input, output) USD per 1M tokens; longest matching prefix wins
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4-1106-preview": (10.00, 30.00),
    "gpt-4": (30.00, 60.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o1-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "o1": (15.00, 60.00),
    "o3": (2.00, 8.00),
}


@dataclass(frozen=True)
class Price:
    input_per_m: float
    output_per_m: float

    def cost(self, usage: Usage) -> float:
        return (usage.prompt_tokens * self.input_per_m + usage.completion_tokens * self.output_per_m) / 1e6


FREE = Price(0.0, 0.0)


def parse_price(text: str) -> Price:
    """`IN,OUT` in USD per million tokens."""
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 2 or min(values) < 0:
        raise InputError(f"bad price {text!r}: expected IN,OUT in USD per million tokens, e.g. 2.5,10")
    return Price(values[0], values[1])


def price_for(model: str, base_url: str | None, override: Price | None = None) -> Price:
    if override is not None:
        return override
    if base_url is not None:
        return FREE
    matches = [prefix for prefix in PRICES if model.startswith(prefix)]
    if not matches:
        logger.warning("no price known for %s; its cost counts as 0 unless a price IN,OUT is given", model)
        return FREE
    return Price(*PRICES[max(matches, key=len)])


@dataclass
class CostBudget:
    """Admits a call only if, with every call in flight at its worst case, spend stays under the cap.

    The worst case of a call is its prompt (about 4 characters a token) plus `max_tokens` of
    output; it is settled to the real cost when the call returns. A call that does not fit waits
    for calls in flight to settle; the budget is exhausted only when it would not fit even with
    nothing in flight.
    """

    limit_usd: float
    price: Price
    spent_usd: float = 0.0
    exhausted: bool = False
    _in_flight: dict[str, float] = field(default_factory=dict)
    _changed: asyncio.Condition | None = None

    def estimate(self, prompt_chars: int, max_tokens: int) -> float:
        return self.price.cost(Usage(prompt_tokens=prompt_chars // 4 + 1, completion_tokens=max_tokens))

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def admit(self, key: str, prompt_chars: int, max_tokens: int) -> bool:
        worst = self.estimate(prompt_chars, max_tokens)
        async with self._condition():
            while True:
                if self.exhausted or self.spent_usd + worst > self.limit_usd:
                    self.exhausted = True
                    return False
                if self.spent_usd + sum(self._in_flight.values()) + worst <= self.limit_usd:
                    self._in_flight[key] = worst
                    return True
                await self._condition().wait()

    async def settle(self, key: str, cost_usd: float) -> None:
        async with self._condition():
            self._in_flight.pop(key, None)
            self.spent_usd += cost_usd
            self._condition().notify_all()
