"""Exact, fast ROUGE-L near-duplicate filtering.

The rule is Alpaca's: an instruction is kept when its ROUGE-L F1 against every reference (seed)
and every instruction kept before it is at most the threshold. Decisions are identical to the
rouge-score package (lowercase alphanumeric tokens, no stemming, the same floating-point F1), but
computed orders of magnitude faster:

- each distinct token becomes one character of a private alphabet, so an instruction is a short
  string and its LCS with another is rapidfuzz's bit-parallel C LCS over those strings;
- decisions compare integers: for token counts (la, lb), `need` is the smallest LCS whose F1
  exceeds the threshold, found with rouge-score's own F1 arithmetic, so "LCS ≥ need" is exactly
  "F1 > threshold" (F1 grows with the LCS by 2 / (la + lb) per step, far more than any rounding);
- the length bound: LCS ≤ min(la, lb), so a pair with need > min(la, lb) can never exceed the
  threshold and need not be scored. The index is kept sorted by token count, and queries of
  similar length (a band) are scored together against the contiguous range of lengths that can
  reach any of them (a third of all pairs are skipped on the benchmark input);
- queries are scored a block at a time against the whole index with `rapidfuzz.process.cdist`,
  which runs on several cores (native threads with the GIL released: the index is shared, not
  copied to worker processes);
- the greedy decisions inside a block are then resolved sequentially in input order, with the
  block's own pairwise LCS, so the result is exactly that of the one-at-a-time loop.

A token-overlap bound (the multiset intersection bounds the LCS) is not used: measured on
instruction-length text, computing it for a block (a sparse product) took 80% of the time the
bit-parallel LCS of the same block takes, so it cannot pay for itself.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz.distance import LCSseq
from rapidfuzz.process import cdist

from alpaca_bench.errors import InputError
from alpaca_bench.rouge import tokenize

# Below this many pairs, one thread is faster than starting several.
PARALLEL_MIN_PAIRS = 200_000
_SURROGATES = 0x800  # code points 0xD800-0xDFFF cannot appear in a str
_MAX_TOKENS = 0x110000 - _SURROGATES


def check_threshold(value: float | str) -> float:
    """A similarity threshold in [0, 1], from a number or an option string."""
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise InputError(f"bad similarity threshold {value!r}: expected a number in [0, 1]") from None
    if not 0.0 <= threshold <= 1.0 or math.isnan(threshold):
        raise InputError(f"bad similarity threshold {value!r}: expected a number in [0, 1]")
    return threshold


@dataclass(frozen=True)
class Decision:
    """Whether an instruction was kept; for a rejected one, its highest ROUGE-L and with what."""

    kept: bool
    score: float | None = None
    similar_to: str | None = None


def _f1(
    lcs: NDArray[np.integer[Any]], target_len: NDArray[np.int64] | int, prediction_len: NDArray[np.int64]
) -> NDArray[np.float64]:
    """rouge-score's F-measure elementwise, with its exact operation order (IEEE float64 as in Python)."""
    hits = lcs.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = hits / prediction_len
        recall = hits / target_len
        score = 2 * precision * recall / (precision + recall)
    valid = (prediction_len > 0) & (target_len > 0) & (precision + recall > 0)
    return np.where(valid, score, 0.0)


def lcs_needed(la: NDArray[np.int64] | int, lb: NDArray[np.int64], threshold: float) -> NDArray[np.int64]:
    """The smallest LCS whose F1 exceeds `threshold`, per pair of token counts; min(la, lb) + 1
    where no LCS can. Found near 2k / (la + lb) = threshold, then settled with the exact F1."""
    la, lb = np.broadcast_arrays(np.asarray(la, dtype=np.int64), lb)
    shorter = np.minimum(la, lb)
    need = np.clip(np.floor(threshold * (la + lb) / 2).astype(np.int64), 0, shorter)
    for _ in range(3):  # at most one step is ever needed; the assertion below proves it
        need = np.where(_f1(need, la, lb) > threshold, need, need + 1)
        below = np.maximum(need - 1, 0)
        need = np.where((need > 0) & (_f1(below, la, lb) > threshold), below, need)
    need = np.minimum(need, shorter + 1)
    reachable = need <= shorter
    exceeds = _f1(np.minimum(need, shorter), la, lb) > threshold
    below_ok = _f1(np.maximum(need - 1, 0), la, lb) <= threshold
    assert np.all(exceeds[reachable]) and np.all(below_ok | (need == 0)), "LCS thresholds must be exact"
    result: NDArray[np.int64] = need
    return result


class RougeIndex:
    """Instructions that new ones are compared with: references (seeds) plus everything kept."""

    def __init__(self, threshold: float = 0.7, workers: int | None = None):
        self.threshold = check_threshold(threshold)
        self.workers = workers or len(os.sched_getaffinity(0))
        self.texts: list[str] = []
        self._chars: dict[str, str] = {}
        self._codes: list[str] = []
        self._sorted: tuple[list[str], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def encode(self, text: str) -> str:
        """The instruction's tokens as a string with one character per distinct token."""
        chars = self._chars
        try:
            return "".join([chars[token] for token in tokenize(text)])
        except KeyError:
            for token in tokenize(text):
                if token not in chars:
                    chars[token] = _char(len(chars))
            return "".join([chars[token] for token in tokenize(text)])

    def add(self, texts: Iterable[str]) -> None:
        """Index instructions unconditionally (seeds, or tasks kept by an earlier run)."""
        for text in texts:
            self._insert(text, self.encode(text))

    def _insert(self, text: str, code: str) -> None:
        self.texts.append(text)
        self._codes.append(code)
        self._sorted = None

    def _by_length(self) -> tuple[list[str], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Codes, token counts, text ids and rank of the token count among the distinct counts,
        for the whole index sorted by token count."""
        if self._sorted is None:
            lengths = np.fromiter(map(len, self._codes), dtype=np.int64, count=len(self._codes))
            order = np.argsort(lengths, kind="stable")
            ranks = np.unique(lengths[order], return_inverse=True)[1]
            self._sorted = ([self._codes[i] for i in order.tolist()], lengths[order], order, ranks)
        return self._sorted

    def _workers(self, pairs: int) -> int:
        return self.workers if pairs >= PARALLEL_MIN_PAIRS else 1

    def _lcs(self, queries: Sequence[str], choices: Sequence[str]) -> NDArray[np.int32]:
        workers = self._workers(len(queries) * len(choices))
        lcs: NDArray[np.int32] = cdist(
            queries, choices, scorer=LCSseq.similarity, dtype=np.int32, workers=workers
        )
        return lcs

    def best_matches(
        self, codes: Sequence[str]
    ) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.int64]]:
        """Per query: whether anything in the index beats the threshold, and if so the highest
        ROUGE-L and the id of the text it was reached with (0.0 and -1 otherwise)."""
        exceeded = np.zeros(len(codes), dtype=bool)
        best = np.zeros(len(codes))
        where = np.full(len(codes), -1, dtype=np.int64)
        if not self._codes:
            return exceeded, best, where
        choices, lengths, ids, ranks = self._by_length()
        distinct = np.unique(lengths)
        query_lengths = np.fromiter(map(len, codes), dtype=np.int64, count=len(codes))
        for band in _bands(np.unique(query_lengths)):
            need = lcs_needed(band[:, None], distinct[None, :], self.threshold)
            reachable = np.flatnonzero((need <= np.minimum(band[:, None], distinct[None, :])).any(axis=0))
            if not len(reachable):
                continue
            low = int(np.searchsorted(lengths, distinct[reachable[0]], side="left"))
            high = int(np.searchsorted(lengths, distinct[reachable[-1]], side="right"))
            rows = np.flatnonzero((query_lengths >= band[0]) & (query_lengths <= band[-1]))
            lcs = self._lcs([codes[r] for r in rows.tolist()], choices[low:high])
            row_need = need[np.searchsorted(band, query_lengths[rows])]
            hit = (lcs >= row_need[:, ranks[low:high]]).any(axis=1)
            if not hit.any():
                continue
            scores = _f1(lcs[hit], query_lengths[rows[hit]][:, None], lengths[None, low:high])
            columns = scores.argmax(axis=1)
            exceeded[rows[hit]] = True
            best[rows[hit]] = scores[np.arange(len(columns)), columns]
            where[rows[hit]] = ids[low + columns]
        return exceeded, best, where

    def screen(self, texts: Sequence[str]) -> list[Decision]:
        """Greedy, in order: keep each text whose highest ROUGE-L against the index and against
        the texts kept before it here is ≤ the threshold. Kept texts join the index."""
        codes = [self.encode(t) for t in texts]
        exceeded, best, where = self.best_matches(codes)
        lengths = np.fromiter(map(len, codes), dtype=np.int64, count=len(codes))
        among = self._lcs(codes, codes)
        distinct, ranks = np.unique(lengths, return_inverse=True)
        need = lcs_needed(distinct[:, None], distinct[None, :], self.threshold)
        over = among >= need[ranks[:, None], ranks[None, :]]
        kept_here = np.zeros(len(codes), dtype=bool)
        first_id = len(self.texts)
        decisions: list[Decision] = []
        for i, code in enumerate(codes):
            local = over[i] & kept_here
            if not exceeded[i] and not local.any():
                decisions.append(Decision(True))
                kept_here[i] = True
                self._insert(texts[i], code)
                continue
            score, match = float(best[i]), int(where[i])
            if local.any():
                columns = np.flatnonzero(local)
                scores = _f1(among[i, columns], len(code), lengths[columns])
                j = int(scores.argmax())
                if scores[j] > score:
                    score = float(scores[j])
                    match = first_id + int(np.count_nonzero(kept_here[: columns[j]]))
            decisions.append(Decision(False, score, self.texts[match]))
        return decisions


def _bands(values: NDArray[np.int64], ratio: float = 1.25) -> list[NDArray[np.int64]]:
    """Sorted query lengths grouped into bands (longest ≤ ratio × shortest + 2), so each band is
    scored in one large call against the union of its length ranges. Pairs outside a query's
    own range cost a little work but cannot change a decision: their `need` is unreachable."""
    bands: list[NDArray[np.int64]] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] > values[start] * ratio + 2:
            bands.append(values[start:i])
            start = i
    return bands


def _char(code: int) -> str:
    if code >= _MAX_TOKENS:
        raise InputError("more than a million distinct words: too many to deduplicate")
    return chr(code if code < 0xD800 else code + _SURROGATES)


def deduplicate(
    texts: Sequence[str],
    threshold: float = 0.7,
    references: Iterable[str] = (),
    workers: int | None = None,
    block_size: int = 512,
    on_block: Callable[[int], None] | None = None,
) -> list[Decision]:
    """Greedy ROUGE-L dedup of `texts` in order, against `references` (e.g. seed instructions)
    and every text kept before; one Decision per text."""
    index = RougeIndex(threshold, workers)
    index.add(references)
    decisions: list[Decision] = []
    for start in range(0, len(texts), block_size):
        block = texts[start : start + block_size]
        decisions.extend(index.screen(block))
        if on_block is not None:
            on_block(len(block))
    return decisions
