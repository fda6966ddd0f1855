"""Synthetic near-duplicates: edited copies of real instructions that land on both sides of a
similarity threshold.

Used to check that a dedup implementation makes the same decisions as the reference where it is
hardest (pairs scoring close to the threshold) and to benchmark it at scale. Edits are the ones
paraphrasing models make: dropped, swapped, inserted and replaced words, and changes of case and
punctuation (which ROUGE-L tokenization must ignore).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

FILLER_WORDS = ("very", "the", "new", "some", "given", "short", "simple", "following", "please", "then")


def _edit(words: list[str], rng: random.Random, vocabulary: Sequence[str]) -> None:
    kind = rng.randrange(6)
    if kind == 0 and len(words) > 1:
        del words[rng.randrange(len(words))]
    elif kind == 1 and len(words) > 1:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif kind == 2:
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLER_WORDS))
    elif kind == 3 and words:
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
    elif kind == 4 and words:
        i = rng.randrange(len(words))
        words[i] = words[i].upper() if rng.random() < 0.5 else words[i].capitalize()
    elif words:
        i = rng.randrange(len(words))
        words[i] = words[i] + rng.choice(",;:!?")


def perturb(text: str, edits: int, rng: random.Random, vocabulary: Sequence[str] = FILLER_WORDS) -> str:
    """`text` with `edits` random word-level edits."""
    words = text.split()
    for _ in range(edits):
        _edit(words, rng, vocabulary)
    return " ".join(words)


def near_duplicates(
    texts: Sequence[str], count: int, seed: int = 0, max_edits: int = 6, shuffle: bool = True
) -> list[str]:
    """`texts` plus `count` perturbed copies of them (1 to `max_edits` edits each), shuffled.

    Light edits make copies that must be rejected; heavier ones drift below the threshold, so
    many pairs sit near it.
    """
    rng = random.Random(seed)
    vocabulary = sorted({w for t in texts for w in t.split() if w.isalpha()}) or list(FILLER_WORDS)
    variants = [perturb(rng.choice(texts), rng.randint(1, max_edits), rng, vocabulary) for _ in range(count)]
    out = [*texts, *variants]
    if shuffle:
        rng.shuffle(out)
    return out
