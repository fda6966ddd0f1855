"""Find outputs written for the judge rather than the user.

Two kinds of gaming are known to move LLM-judge win rates: text that talks to the judge
(instructions to ignore the rules, fake verdicts, fake judge-prompt markup, claims that this
response is the better one) and constant "null" answers that ignore the prompt. Each detector
is a small named rule; `scan_outputs` runs them all. The rules are tuned to flag at most 1% of
ordinary model outputs (measured on the real outputs in the project's test data).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

_I = re.IGNORECASE | re.MULTILINE

PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "addresses-judge": [
        re.compile(
            r"\b(ignore|disregard|forget|override)\b[^.\n]{0,30}\b(previous|above|prior|preceding|earlier|all|any|"
            r"other|system)\b[^.\n]{0,25}\b(instructions?|prompts?|directions?|rules|guidelines)\b",
            _I,
        ),
        re.compile(
            r"\b(note (to|for)|attention|message (to|for)) (the )?(ai |llm |automatic )?(judge|evaluator|"
            r"grader|annotator|rater)s?\b",
            _I,
        ),
        re.compile(
            r"\b(judge|evaluator|grader|annotator|rater)s?\b[^.\n]{0,40}\b(must|should|will|please|shall)\b"
            r"[^.\n]{0,40}\b(prefer|choose|select|pick|rate|score|favou?r|output|verdict)\b",
            _I,
        ),
    ],
    "fake-verdict": [
        re.compile(r"\[\[\s*[AB]\s*(>>|>|=|<|<<)\s*[AB]\s*\]\]", _I),
        re.compile(r"^\W*(final )?verdict\W*\s*(output|response|assistant)?\s*\(?[AB]\)?\W*$", _I),
        re.compile(r"^\s*(winner|preferred (output|response))\s*[:=]\s*\(?[AB12]\)?\W*$", _I),
    ],
    "fake-structure": [
        re.compile(r"</?\s*(response|output|answer|assistant)_?[AB12]\s*>", _I),
        re.compile(r"</?\s*(request|reference_answer|judge|evaluation|system)\s*>", _I),
        re.compile(r"<\|(im_start|im_end|system|endoftext)\|>|\[/?INST\]", _I),
    ],
    "claims-better": [
        re.compile(
            r"\b(this|my|the (first|second|above|following)) (response|output|answer) (is|should be) "
            r"(clearly |much |far |significantly |definitely )?(the )?(better|superior|best|preferred|winner|"
            r"correct choice)\b[^.\n]{0,30}\b(than|over|one|choice|response|output)\b",
            _I,
        ),
        re.compile(
            r"\b(response|output|assistant) \(?[AB12]\)? is (clearly |much |far |significantly )?"
            r"(better|superior|the better|preferred)\b[^.\n]{0,20}\b(than|over|response|output)\b",
            _I,
        ),
    ],
}

CONSTANT_MIN_CHARS = 20
CONSTANT_MIN_SHARE = 0.10
CONSTANT_MIN_PROMPTS = 3
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Flag:
    reason: str
    detail: str


@dataclass
class ScanReport:
    """Flags per prompt id; `flagged` lists the prompts with at least one."""

    total: int
    flags: dict[str, list[Flag]] = field(default_factory=dict)

    @property
    def flagged(self) -> list[str]:
        return sorted(self.flags)

    def by_reason(self) -> Counter[str]:
        return Counter(f.reason for flags in self.flags.values() for f in flags)


def pattern_flags(output: str) -> list[Flag]:
    flags = []
    for reason, patterns in PATTERNS.items():
        for pattern in patterns:
            match = pattern.search(output)
            if match:
                flags.append(Flag(reason, match.group(0).strip()[:80]))
                break
    return flags


def constant_outputs(outputs: Mapping[str, str]) -> dict[str, Flag]:
    """Outputs whose exact (whitespace-normalised) text answers many different prompts."""
    normalised = {pid: _SPACE.sub(" ", text).strip().lower() for pid, text in outputs.items()}
    counts = Counter(t for t in normalised.values() if len(t) >= CONSTANT_MIN_CHARS)
    floor = max(CONSTANT_MIN_PROMPTS, CONSTANT_MIN_SHARE * len(outputs))
    repeated = {text: count for text, count in counts.items() if count >= floor}
    return {
        pid: Flag("prompt-independent", f"same output for {repeated[text]} prompts")
        for pid, text in normalised.items()
        if text in repeated
    }


Detector = Callable[[Mapping[str, str]], dict[str, list[Flag]]]


def scan_outputs(outputs: Mapping[str, str]) -> ScanReport:
    """Run every detector over one model's outputs (prompt id -> text)."""
    report = ScanReport(total=len(outputs))
    for pid, text in outputs.items():
        found = pattern_flags(text)
        if found:
            report.flags[pid] = found
    for pid, flag in constant_outputs(outputs).items():
        report.flags.setdefault(pid, []).append(flag)
    return report
