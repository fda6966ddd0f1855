"""The end-of-run report: how many tasks, why the rest were dropped, how varied the kept ones are.

Diversity follows the self-instruct paper's view (leading verb and its direct object) with a
parser-free heuristic, so no language model has to be downloaded:

- the *verb* is the first word of the instruction, after polite fillers ("please", "now");
  a question word or auxiliary ("what", "how", "is", "can", …) makes the task a question, and
  its verb is reported as `(question)` with the question word as the object;
- the *object* is the head of the phrase after the verb: the words up to the first preposition,
  conjunction, wh-word or punctuation mark (at most five), skipping a leading indirect-object
  pronoun ("give *me* a list"), and taking the last of them ("a short *story* about…").

It is right for the common imperative shapes ("Classify the following sentence as…" → classify /
sentence) and merely approximate for the rest, which is enough to spot a run that asks for the
same thing over and over.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from ._records import Rejection, RequestRecord, Task

FILLERS = frozenset({"please", "now", "then", "also", "kindly", "just", "next", "finally"})
QUESTION_WORDS = frozenset(
    {
        "what",
        "how",
        "why",
        "who",
        "whom",
        "whose",
        "which",
        "when",
        "where",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "have",
        "has",
        "am",
    }
)
INDIRECT_PRONOUNS = frozenset({"me", "us", "him", "her", "them", "you"})
PHRASE_ENDS = frozenset(
    {
        "of",
        "for",
        "about",
        "in",
        "on",
        "to",
        "with",
        "from",
        "by",
        "as",
        "into",
        "at",
        "that",
        "which",
        "who",
        "where",
        "when",
        "why",
        "how",
        "what",
        "if",
        "so",
        "and",
        "or",
        "but",
        "than",
        "using",
        "based",
        "without",
        "between",
        "according",
        "whether",
    }
)
MAX_PHRASE = 5
_CLAUSE = re.compile(r"[.,;:!?()\n\"]")
_WORD = re.compile(r"[a-z][a-z'\-]*")

# word-count bins of the length histograms: [0,1), [1,5), [5,10), …, [160, ∞)
LENGTH_EDGES = (0, 1, 5, 10, 20, 40, 80, 160)


def verb_and_object(instruction: str) -> tuple[str | None, str | None]:
    """The (leading verb, object head) of an instruction, by the heuristic in the module doc."""
    clause = _CLAUSE.split(instruction.strip().lower(), maxsplit=1)[0]
    words = _WORD.findall(clause)
    while words and words[0] in FILLERS:
        words = words[1:]
    if not words:
        return None, None
    verb, rest = words[0], words[1:]
    if verb in QUESTION_WORDS:
        return "(question)", verb
    if rest and rest[0] in INDIRECT_PRONOUNS:
        rest = rest[1:]
    phrase: list[str] = []
    for word in rest:
        if word in PHRASE_ENDS or len(phrase) == MAX_PHRASE:
            break
        phrase.append(word)
    return verb, (phrase[-1] if phrase else None)


class VerbCount(BaseModel):
    verb: str
    count: int
    objects: list[tuple[str, int]] = Field(default_factory=list)


class Bin(BaseModel):
    label: str
    count: int


class DatagenReport(BaseModel):
    output: str
    target: int
    kept: int
    candidates: int
    rejected: int
    rejected_by_reason: dict[str, int]
    surplus: int
    requests: int
    cached_requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    with_input: int
    distinct_verbs: int
    top_verbs: list[VerbCount]
    length_histograms: dict[str, list[Bin]]


def diversity(tasks: Sequence[Task], top: int = 20, objects: int = 4) -> tuple[int, list[VerbCount]]:
    """Number of distinct leading verbs, and the `top` most frequent with their top objects."""
    pairs = [verb_and_object(t.instruction) for t in tasks]
    verbs = Counter(v for v, _ in pairs if v is not None)
    by_verb: dict[str, Counter[str]] = {}
    for verb, obj in pairs:
        if verb is not None and obj is not None:
            by_verb.setdefault(verb, Counter())[obj] += 1
    ranked = [
        VerbCount(verb=v, count=n, objects=by_verb.get(v, Counter()).most_common(objects))
        for v, n in verbs.most_common(top)
    ]
    return len(verbs), ranked


def length_histogram(texts: Sequence[str]) -> list[Bin]:
    counts = Counter(_bin_of(len(t.split())) for t in texts)
    return [Bin(label=_label(i), count=counts.get(i, 0)) for i in range(len(LENGTH_EDGES))]


def _bin_of(words: int) -> int:
    return max(i for i, edge in enumerate(LENGTH_EDGES) if words >= edge)


def _label(i: int) -> str:
    low = LENGTH_EDGES[i]
    if i + 1 == len(LENGTH_EDGES):
        return f"{low}+"
    high = LENGTH_EDGES[i + 1] - 1
    return str(low) if low == high else f"{low}-{high}"


def build_report(
    output: str,
    target: int,
    tasks: Sequence[Task],
    rejections: Sequence[Rejection],
    requests: Sequence[RequestRecord],
) -> DatagenReport:
    """The report over everything on disk, so a resumed run reports the whole run."""
    reasons = Counter(r.reason for r in rejections if r.reason != "surplus")
    surplus = sum(r.reason == "surplus" for r in rejections)
    distinct, top_verbs = diversity(tasks)
    return DatagenReport(
        output=output,
        target=target,
        kept=len(tasks),
        candidates=len(tasks) + len(rejections),
        rejected=sum(reasons.values()),
        rejected_by_reason=dict(reasons.most_common()),
        surplus=surplus,
        requests=len(requests),
        cached_requests=sum(r.cached for r in requests),
        prompt_tokens=sum(r.usage.prompt_tokens for r in requests),
        completion_tokens=sum(r.usage.completion_tokens for r in requests),
        cost_usd=sum(r.cost_usd for r in requests),
        with_input=sum(bool(t.input) for t in tasks),
        distinct_verbs=distinct,
        top_verbs=top_verbs,
        length_histograms={
            "instruction": length_histogram([t.instruction for t in tasks]),
            "input": length_histogram([t.input for t in tasks]),
            "output": length_histogram([t.output for t in tasks]),
        },
    )
