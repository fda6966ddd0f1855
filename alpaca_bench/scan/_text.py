"""Text handling every rule shares: folding, keyword-guarded patterns, the answer being read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

# --- shared text handling ------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
EVIDENCE_CHARS = 80
WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """NFKC-normalise and drop zero-width characters: full-width letters and colons (common in
    Chinese text) become ASCII, and invisible characters cannot split a keyword."""
    text = unicodedata.normalize("NFKC", text)
    if any(chr(code) in text for code in _INVISIBLE):
        text = text.translate(_INVISIBLE)
    return text


def find_all(text: str, hooks: Iterable[str]) -> list[int]:
    """Every position where one of `hooks` starts (str.find runs in C)."""
    found = []
    for hook in hooks:
        at = text.find(hook)
        while at >= 0:
            found.append(at)
            at = text.find(hook, at + 1)
    return found


@dataclass(frozen=True)
class Answer:
    """One output as the text rules see it: folded once, lower-cased once, with its prompt."""

    text: str
    low: str
    prompt: str
    prompt_low: str

    @classmethod
    def of(cls, output: str, prompt: str = "") -> Answer:
        text, asked = fold(output), fold(prompt)
        return cls(text, text.lower(), asked, asked.lower())

    @cached_property
    def judge_talk(self) -> list[tuple[str, int, frozenset[str]]]:
        """Each window of possible judge talk with its score and kinds (shared by two rules)."""
        from ._judge_talk import judge_talk, windows  # the rules' module builds on this one

        return [(original, *judge_talk(low, original)) for low, original in windows(self)]


def quote(text: str) -> str:
    return " ".join(text.split())[:EVIDENCE_CHARS]


@dataclass(frozen=True)
class Guarded:
    """Patterns behind cheap substring tests. Most outputs contain none of the keywords, and
    `in` on lower-cased text is far faster than a regex over a long answer. Case-insensitive
    patterns are lower-cased and run on the lower-cased text, several times faster than
    re.IGNORECASE. Anchored patterns start at one of their keywords and are only tried there.
    Together these keep 805 long answers well under a second."""

    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    on_lower: bool
    anchored: bool

    def search(self, text: str, low: str) -> re.Match[str] | None:
        if not any(k in low for k in self.keywords):
            return None
        target = low if self.on_lower else text
        if self.anchored and len(low) == len(text):
            for at in sorted(find_all(low, self.keywords)):
                for pattern in self.patterns:
                    match = pattern.match(target, at)
                    if match:
                        return match
            return None
        for pattern in self.patterns:
            match = pattern.search(target)
            if match:
                return match
        return None

    def first(self, text: str, low: str) -> str | None:
        match = self.search(text, low)
        return None if match is None else quote(match.group(0))


def _lower_pattern(source: str) -> str:
    """Lower-case a regex's literal letters, never an escape's letter (`\\W` stays `\\W`)."""
    out = []
    escaped = False
    for char in source:
        out.append(char if escaped else char.lower())
        escaped = char == "\\" and not escaped
    return "".join(out)


def guarded(keywords: Iterable[str], *patterns: str, case: bool = False, anchored: bool = False) -> Guarded:
    """`case=True` keeps letter case significant (the verdict letters A and B); `anchored=True`
    says every match starts with one of the keywords."""
    flags = re.MULTILINE
    if case:
        return Guarded(tuple(keywords), tuple(re.compile(p, flags) for p in patterns), False, anchored)
    compiled = tuple(re.compile(_lower_pattern(p), flags) for p in patterns)
    return Guarded(tuple(k.lower() for k in keywords), compiled, True, anchored)
