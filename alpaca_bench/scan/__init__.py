"""Find outputs written for the judge rather than the user.

Published attacks on LLM judges (the AlpacaEval "null model" of Zheng et al. 2024 is the best
known) do not answer the prompt; they talk to the judge. They imitate the judge prompt's own
layout (a fake instruction, a fake "outputs" section, fake model identifiers, a fake verdict
block), tell the evaluator what to decide, write the verdict in the judge's own syntax, open
with a junk prefix found by random search, and say the same thing whatever the prompt. Each of
those traits is one small named rule below, so a rephrased, translated, re-ordered or
prompt-personalised variant still trips at least one of them, where matching one published
string would not.

Rules come in two kinds. A text rule reads one output and the prompt it answers (when known,
so that words the user asked for are not held against the answer). A set rule reads all the
outputs of one model at once: text that ignores the prompt is only visible across prompts.
`scan_outputs` runs every rule. The thresholds keep false positives at or under 1% of the
outputs of each of the 31 real outputs files in the project's test data (23 AlpacaEval models,
8 self-instruct models); `tests/scan` measures that and the attack-variant recall.
"""

from ._report import Flag, ScanReport
from ._run import SET_RULES, TEXT_RULES, scan_outputs, text_flags

__all__ = ["SET_RULES", "TEXT_RULES", "Flag", "ScanReport", "scan_outputs", "text_flags"]
