"""Exponential backoff with jitter that honours a server's Retry-After."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Retry:
    """A transient failure; `after` is the server's requested wait, if it gave one."""

    reason: str
    after: float | None = None


@dataclass(frozen=True)
class BackoffPolicy:
    max_attempts: int = 8
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0

    def delay(self, attempt: int, retry: Retry, rng: random.Random) -> float:
        if retry.after is not None:
            return min(max(retry.after, 0.0), self.max_retry_after_s)
        ceiling = min(self.cap_s, self.base_s * (2**attempt))
        return rng.uniform(ceiling / 2, ceiling)


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


async def with_backoff(
    call: Callable[[], Awaitable[T]],
    classify: Callable[[BaseException], Retry | None],
    policy: BackoffPolicy,
    on_give_up: Callable[[BaseException, int], BaseException],
    rng: random.Random | None = None,
) -> T:
    """Run `call` until it succeeds, `classify` says an error is not transient, or attempts run out."""
    rng = rng or random.Random()
    attempt = 0
    while True:
        try:
            return await call()
        except Exception as exc:
            retry = classify(exc)
            attempt += 1
            if retry is None:
                raise
            if attempt >= policy.max_attempts:
                raise on_give_up(exc, attempt) from None
            wait = policy.delay(attempt - 1, retry, rng)
            logger.info("transient failure (%s); retry %d in %.2fs", retry.reason, attempt, wait)
            await asyncio.sleep(wait)
