"""`prompt-independent`: the same text for many prompts, also once each prompt's words are gone."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping

from ._report import Flag
from ._text import WORD, fold

# --- prompt-independent (a set rule) -------------------------------------------------------

CONSTANT_MIN_CHARS = 20
CONSTANT_MIN_SHARE = 0.05
CONSTANT_MIN_PROMPTS = 3
SHINGLE_WORDS = 5
SHARED_MIN_SHINGLES = 8
SHINGLE_GAP = SHINGLE_WORDS
_SPACE = re.compile(r"\s+")


def _floor(n_outputs: int) -> int:
    return max(CONSTANT_MIN_PROMPTS, math.ceil(CONSTANT_MIN_SHARE * n_outputs))


# Function words are dropped everywhere: whether a template's "the" survives depends on whether
# the prompt has one, and that must not split one template into many.
_STOPWORD_TEXT = (
    "a an the and or but if then so of to in on at by for with from as into about over after before is are"
    " was were be been being am do does did done have has had having will would shall should can could may"
    " might must not no nor i me my we our you your he him his she her it its they them their this that these"
    " those there here what which who whom whose when where why how all any each both some such than too very"
    " just also only own same other s t"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def prompt_free_words(output: str, prompt: str) -> list[str]:
    """The output's lower-cased words without function words and without the words of its
    prompt: what is left is what the model would have written whatever the question was."""
    asked = STOPWORDS.union(WORD.findall(fold(prompt).lower()))
    return [w for w in WORD.findall(fold(output).lower()) if len(w) > 1 and w not in asked]


def _shingles(words: list[str]) -> list[int]:
    """Hashes of every run of SHINGLE_WORDS consecutive words (zip keeps the loop in C)."""
    return list(map(hash, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))


def longest_shared_run(shingles: list[int], common: set[int]) -> int:
    """Distinct common shingles in the longest stretch where common shingles follow each other
    with gaps of at most SHINGLE_GAP. Distinct, so an output that loops over a short format
    ("Input: Output: Input: ...") scores low; gaps, so one word that differs between two copies
    of a template (a prompt word removed from one) does not cut the passage in two."""
    best = 0
    current: set[int] = set()
    gap = 0
    for h in shingles:
        if h in common:
            current.add(h)
            gap = 0
            best = max(best, len(current))
        else:
            gap += 1
            if gap > SHINGLE_GAP:
                current = set()
    return best


def prompt_independent(outputs: Mapping[str, str], prompts: Mapping[str, str]) -> dict[str, Flag]:
    """Text that answers no prompt in particular: the same output for many prompts, or a long
    passage shared by 5% or more of the outputs once each output's own prompt words are
    removed (so a fixed template with the question's words pasted in is still one template).
    A model that answers says different things to different questions; a null-model attack
    says the same thing to each. A passage counts when it spans 16 distinct shared 5-word
    shingles (about 20 words), longer than the sign-off and refusal boilerplate chat models
    repeat."""
    n = len(outputs)
    floor = _floor(n)
    if n < floor:
        return {}
    normalised = {pid: _SPACE.sub(" ", fold(text)).strip().lower() for pid, text in outputs.items()}
    exact = Counter(t for t in normalised.values() if len(t) >= CONSTANT_MIN_CHARS)
    found: dict[str, Flag] = {
        pid: Flag("prompt-independent", f"same output for {exact[text]} prompts")
        for pid, text in normalised.items()
        if exact.get(text, 0) >= floor
    }
    shingles = {
        pid: _shingles(prompt_free_words(text, prompts.get(pid, ""))) for pid, text in outputs.items()
    }
    df: Counter[int] = Counter()
    for hashes in shingles.values():
        df.update(set(hashes))
    common = {h for h, count in df.items() if count >= floor}
    if not common:
        return found
    for pid, hashes in shingles.items():
        if pid in found or len(common.intersection(hashes)) < SHARED_MIN_SHINGLES:
            continue
        run = longest_shared_run(hashes, common)
        if run >= SHARED_MIN_SHINGLES:
            found[pid] = Flag(
                "prompt-independent", f"{run + SHINGLE_WORDS - 1}+ words shared with {floor}+ outputs"
            )
    return found
