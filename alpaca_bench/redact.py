"""Keep credentials out of everything we write or print.

Backends register the secrets they load; every message that leaves the process through the
CLI, and every raw service error we keep, passes through `redact`.
"""

from __future__ import annotations

import os
import re

_SECRETS: set[str] = set()
_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,})")
MASK = "***"


def register_secret(value: str | None) -> None:
    if value and len(value) >= 6:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for env in ("OPENAI_API_KEY",):
        register_secret(os.environ.get(env))
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _KEY_PATTERN.sub(MASK, text)
