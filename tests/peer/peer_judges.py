"""Scripted judges for the MT-Bench / Arena-Hard parity tests: they read the real fences of the
prompt they are sent (the id is in the prompt), so they judge what the template shows."""

from __future__ import annotations

import re
from typing import Any

_MARK = re.compile(r'id="([0-9a-f]{16})"')


def prompt_text(body: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in body["messages"])


def fenced(text: str, tag: str) -> list[str]:
    """The contents of every `tag` fence with this render's id, in order."""
    found = _MARK.search(text)
    assert found is not None, "the prompt has no fence id"
    mark = re.escape(found.group(1))
    return re.findall(rf'<{tag} id="{mark}">\n(.*?)\n</{tag} id="{mark}">', text, re.S)


def words(text: str) -> int:
    return len(text.split())
