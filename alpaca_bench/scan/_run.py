"""The rule registries and running every rule over one model's outputs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from ._judge_talk import addresses_judge, claims_better
from ._junk import junk_prefix
from ._repeats import prompt_independent
from ._report import Flag, ScanReport
from ._structure import imitates_judge_prompt
from ._text import Answer
from ._verdicts import fake_verdict

logger = logging.getLogger(__name__)

TextRule = Callable[[Answer], "str | None"]

TEXT_RULES: dict[str, TextRule] = {
    "addresses-judge": addresses_judge,
    "claims-better": claims_better,
    "fake-verdict": fake_verdict,
    "fake-structure": imitates_judge_prompt,
    "junk-prefix": junk_prefix,
}


SetRule = Callable[[Mapping[str, str], Mapping[str, str]], dict[str, Flag]]

SET_RULES: dict[str, SetRule] = {"prompt-independent": prompt_independent}


# --- running the rules ---------------------------------------------------------------------


def text_flags(output: str, prompt: str = "") -> list[Flag]:
    """Every text rule's finding on one output."""
    answer = Answer.of(output, prompt)
    flags = []
    for reason, rule in TEXT_RULES.items():
        evidence = rule(answer)
        if evidence is not None:
            flags.append(Flag(reason, evidence))
    return flags


def scan_outputs(outputs: Mapping[str, str], prompts: Mapping[str, str] | None = None) -> ScanReport:
    """Run every rule over one model's outputs (prompt id -> text).

    `prompts` (prompt id -> the prompt's instruction and input) is optional. With it, words the
    user asked for are not held against an answer, prompt-personalised templates are seen
    through, and prompts without an output are counted in `missing`."""
    started = time.perf_counter()
    asked = prompts or {}
    report = ScanReport(total=len(outputs), missing=sum(1 for pid in asked if pid not in outputs))
    for pid, text in outputs.items():
        found = text_flags(text, asked.get(pid, ""))
        if found:
            report.flags[pid] = found
    for rule in SET_RULES.values():
        for pid, flag in rule(outputs, asked).items():
            report.flags.setdefault(pid, []).append(flag)
    logger.debug(
        "scanned %d outputs in %.2fs: %d flagged",
        len(outputs),
        time.perf_counter() - started,
        len(report.flags),
    )
    return report
