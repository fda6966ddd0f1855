"""`junk-prefix`: an opening run of brackets, punctuation or mixed-script fragments."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ._text import Answer, quote

# --- junk-prefix ---------------------------------------------------------------------------

JUNK_MIN_TOKENS = 8
JUNK_MIN_SHARE = 0.5
JUNK_MAX_REGION = 200
PROSE_RUN = 3
JUNK_MIN_DISTINCT = 10
JUNK_MAX_LINES = 3
_TABLE_CHARS = frozenset("|-:+=_*#>~")
_CJK = "CJK"
_SCRIPTS = (
    "LATIN",
    "CYRILLIC",
    "GREEK",
    "ARMENIAN",
    "GEORGIAN",
    "HEBREW",
    "ARABIC",
    "DEVANAGARI",
    "BENGALI",
    "TAMIL",
    "TELUGU",
    "THAI",
    "ETHIOPIC",
    "KHMER",
)


@lru_cache(maxsize=16384)
def _script(char: str) -> str | None:
    """The writing system of a letter, None for anything that is not one. IPA and modifier
    letters count as Latin (pronunciations are not junk); Han, kana and Hangul are one group
    because CJK text mixes them."""
    if char.isascii():
        return "LATIN" if char.isalpha() else None
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO")):
        return _CJK
    if name.startswith("MODIFIER LETTER"):
        return "LATIN"
    return next((s for s in _SCRIPTS if name.startswith(s)), "OTHER")


def _is_pictograph(char: str) -> bool:
    """Emoji and their joiners: answers to "reply with emojis" are not junk."""
    code = ord(char)
    return code >= 0x1F000 or 0x2600 <= code <= 0x27BF or code in (0x200D, 0xFE0F, 0x20E3)


_WORD_EDGES = "\"'“”‘’()[]*_,.;:!?"


def _token_kind(token: str) -> str:
    """What a whitespace token is, for the junk-prefix rule: "neutral" (numbers, emoji,
    markdown table and rule marks), "junk" (lone brackets and punctuation, letters of two
    scripts in one token, clumps of symbols), "odd" (letters with a few symbols: code, URLs),
    or the script of an ordinary word."""
    letters = [c for c in token if c.isalpha()]
    if not letters:
        if any(c.isdigit() for c in token) or all(c in _TABLE_CHARS or _is_pictograph(c) for c in token):
            return "neutral"
        return "junk"
    scripts = {s for c in letters if (s := _script(c)) is not None}
    if len(scripts) >= 3 or (len(scripts) == 2 and _CJK not in scripts):
        return "junk"
    core = token.strip(_WORD_EDGES)
    symbols = sum(1 for c in core if not c.isalnum() and c not in "'’-")
    if symbols >= 2 and symbols >= len(letters):
        return "junk"
    if symbols or not core:
        return "odd"
    return next(iter(scripts)) if len(scripts) == 1 else _CJK


@dataclass(frozen=True)
class LeadingJunk:
    """The region before an output's first ordinary phrase, as the junk-prefix rule sees it."""

    junk: int
    tokens: int
    distinct_chars: int
    lines: int
    words_after: bool


_TOKEN = re.compile(r"\S+")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def leading_junk(output: str) -> LeadingJunk:
    """Count junk in the tokens before the first run of PROSE_RUN ordinary words of one script.
    A word whose script differs from the previous word's counts as junk: sub-word fragments of
    many scripts switch at nearly every token, ordinary text almost never. HTML tags are
    neutral (an answer may open with a table)."""
    junk = region = run = 0
    previous: str | None = None
    chars: set[str] = set()
    junk_lines: set[int] = set()
    line = last = 0
    kinds: list[str] = []
    for index, match in enumerate(_TOKEN.finditer(output)):
        if index >= JUNK_MAX_REGION:
            break
        line += output.count("\n", last, match.start())
        last = match.start()
        kind = _token_kind(_TAG.sub("", match.group(0)) or "|")
        kinds.append(kind)
        if kind == "neutral":
            continue
        if kind in ("junk", "odd") or (previous is not None and kind != previous):
            junk += kind != "odd"
            region += 1 + run
            run = 0
            chars.update(match.group(0))
            if kind == "junk":
                junk_lines.add(line)
        else:
            run += 1
            if run >= PROSE_RUN:
                return LeadingJunk(junk, region, len(chars), len(junk_lines), True)
        if kind not in ("junk", "odd"):
            previous = kind
    words_after = any(k not in ("neutral", "junk", "odd") for k in kinds[region:])
    return LeadingJunk(junk, region, len(chars), len(junk_lines), words_after)


def junk_prefix(answer: Answer) -> str | None:
    """The answer opens with junk: before its first ordinary phrase stand 8 or more junk tokens
    making up at least half of the tokens there (lone brackets or punctuation, fragments mixing
    scripts, symbol clumps, switches between scripts). That is what a prefix found by random
    search looks like: it steers the judge's next-token probabilities, not the reader. A run
    of symbols with no words after it is an answer in itself (ASCII art, an emoji reply, a
    number grid) unless it uses many different characters (10+), which drawings do not; junk
    spread over more than three lines is a drawing, not a prefix (search-found prefixes are one
    run of tokens); markdown table marks, HTML tags and numbers are neutral; an answer that
    opens with a code block is left alone."""
    stripped = answer.text.lstrip()
    if stripped.startswith(("```", "~~~", "<pre", "<code")):
        return None
    found = leading_junk(stripped)
    if found.junk < JUNK_MIN_TOKENS or found.junk < JUNK_MIN_SHARE * found.tokens:
        return None
    if found.lines > JUNK_MAX_LINES or (not found.words_after and found.distinct_chars < JUNK_MIN_DISTINCT):
        return None
    return quote(" ".join(stripped.split()[: min(found.tokens, 24)]))
