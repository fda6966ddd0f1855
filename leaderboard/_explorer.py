"""Prompt-level view of one comparison: what the leaderboard's Explorer page lists.

For each prompt: the instruction, both outputs, every verdict of the comparison's judge with its
raw answer, people's ratings of the same pair, and the gaming flags `scan_outputs` raises. A
multi-turn prompt also carries its conversation turn by turn (`ExplorerRow.turns`: each user
message with its reference and both models' answers), since a verdict on a conversation is about
every turn, not the first answer alone. The
instruction text comes from `<root>/<eval-set>/prompts.jsonl` when the results folder carries
its prompts (battles do), else from the eval set the run names; outputs and verdicts are there
either way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from alpaca_bench.errors import AlpacaBenchError
from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.files import JsonlLog
from alpaca_bench.records import HUMAN, Generation, Judgment, Prompt
from alpaca_bench.scan import scan_outputs
from alpaca_bench.stats import per_prompt_preferences
from alpaca_bench.store import RunFolder

from ._index import (
    LoadedComparison,
    ResultsIndex,
    comparisons_of_pair,
    read_records,
)

logger = logging.getLogger(__name__)

Outcome = Literal["candidate wins", "baseline wins", "tie", "unscored", "not judged"]
OUTCOMES: tuple[Outcome, ...] = ("candidate wins", "baseline wins", "tie", "unscored", "not judged")
NO_CATEGORY = "(none)"


@dataclass(frozen=True)
class ShownVerdict:
    """One judgment as shown: positional verdict, candidate-centric preference, raw answer."""

    first_shown: str
    verdict: str
    preference: float | None
    raw: str
    rater: str | None = None
    both_bad: bool = False


@dataclass(frozen=True)
class ExplorerTurn:
    """One turn of a conversation: the user's message, its reference answer ("" where none), and
    each model's answer (None where that model has no answer to this turn)."""

    user: str
    reference: str
    baseline: str | None
    candidate: str | None


@dataclass(frozen=True)
class ExplorerRow:
    prompt_id: str
    category: str
    instruction: str
    input: str
    reference: str
    baseline_output: str
    candidate_output: str
    outcome: Outcome
    preference: float | None
    verdicts: list[ShownVerdict] = field(default_factory=list)
    human: list[ShownVerdict] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    turns: list[ExplorerTurn] = field(default_factory=list)  # every turn, the first included

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def is_conversation(self) -> bool:
        """More than one turn: shown turn by turn (a single-turn prompt is shown as it always was)."""
        return len(self.turns) > 1


def explorer_rows(index: ResultsIndex, comparison: LoadedComparison) -> list[ExplorerRow]:
    """Every prompt with outputs from both models, in eval-set order; memoised per comparison."""
    built: list[ExplorerRow] = index.memo(("explorer", comparison.key), lambda _key: _rows(index, comparison))
    return built


def default_comparison(index: ResultsIndex) -> LoadedComparison:
    """What the Explorer opens on: the comparison with the most scored prompts (a judge's run
    over the whole eval set, not three people's ratings), an LLM or metric judge before people
    on a tie, then the one with most judgments (both orders), then by key."""
    return min(
        index.comparisons,
        key=lambda c: (-c.summary.n, c.judge == HUMAN, -len(c.judgments), c.key),
    )


def filter_rows(
    rows: Sequence[ExplorerRow],
    *,
    categories: Collection[str] = (),
    outcomes: Collection[str] = (),
    flagged: bool | None = None,
    search: str = "",
) -> list[ExplorerRow]:
    """Rows matching every given filter; empty collections and None mean "any"."""
    needle = search.strip().casefold()
    return [
        row
        for row in rows
        if (not categories or row.category in categories)
        and (not outcomes or row.outcome in outcomes)
        and (flagged is None or row.flagged == flagged)
        and (not needle or needle in _haystack(row))
    ]


def _haystack(row: ExplorerRow) -> str:
    later = [text or "" for t in row.turns[1:] for text in (t.user, t.baseline, t.candidate)]
    return "\n".join(
        (row.prompt_id, row.instruction, row.input, row.baseline_output, row.candidate_output, *later)
    ).casefold()


def prompts_of(index: ResultsIndex, comparison: LoadedComparison) -> dict[str, Prompt]:
    """The eval set's prompts by id (empty when neither the results nor the library have it)."""
    found: dict[str, Prompt] = index.memo(
        ("prompts", comparison.eval_set), lambda _name: _load_prompts(index, comparison)
    )
    return found


def _load_prompts(index: ResultsIndex, comparison: LoadedComparison) -> dict[str, Prompt]:
    carried = index.root / comparison.eval_set / "prompts.jsonl"
    if carried.is_file():
        return {p.id: p for p in read_records(JsonlLog(carried), Prompt)}
    manifest = RunFolder(comparison.path).manifest()
    for spec in (manifest.eval_set, manifest.eval_set_source):
        if not spec:
            continue
        try:
            return {p.id: p for p in load_eval_set(spec)}
        except AlpacaBenchError as exc:
            logger.info("eval set %r not loadable: %s", spec, exc)
    logger.warning("prompts of eval set %r not found; the explorer shows ids only", comparison.eval_set)
    return {}


def _rows(index: ResultsIndex, comparison: LoadedComparison) -> list[ExplorerRow]:
    prompts = prompts_of(index, comparison)
    outputs_b, outputs_c = comparison.baseline_outputs, comparison.candidate_outputs
    ids = [pid for pid in prompts if pid in outputs_b and pid in outputs_c]
    ids += sorted((outputs_b.keys() & outputs_c.keys()) - set(ids))
    mean_ids, means = per_prompt_preferences(comparison.judgments)
    mean = dict(zip(mean_ids, means.tolist(), strict=True))
    verdicts = _by_prompt(comparison.judgments, flip=False)
    human = _human_ratings(index, comparison)
    flags = _flags(index, comparison)
    rows = []
    for pid in ids:
        prompt = prompts.get(pid)
        rows.append(
            ExplorerRow(
                prompt_id=pid,
                category=(prompt.category if prompt else None) or NO_CATEGORY,
                instruction=prompt.instruction if prompt else "",
                input=prompt.input if prompt else "",
                reference=(prompt.reference or "") if prompt else "",
                baseline_output=outputs_b[pid].output,
                candidate_output=outputs_c[pid].output,
                outcome=_outcome(mean.get(pid), bool(verdicts.get(pid))),
                preference=mean.get(pid),
                verdicts=verdicts.get(pid, []),
                human=human.get(pid, []),
                flags=flags.get(pid, []),
                turns=_turns(prompt, outputs_b[pid], outputs_c[pid]),
            )
        )
    return rows


def _turns(prompt: Prompt | None, baseline: Generation, candidate: Generation) -> list[ExplorerTurn]:
    """Every turn, as many as the prompt or either model has: a model that answered fewer turns
    (or a prompt whose text is not available) leaves those places empty rather than hiding them."""
    users = prompt.user_turns() if prompt else [""]
    references = prompt.references() if prompt else [""]
    a, b = baseline.answers, candidate.answers
    return [
        ExplorerTurn(
            user=users[k] if k < len(users) else "",
            reference=references[k] if k < len(references) else "",
            baseline=a[k] if k < len(a) else None,
            candidate=b[k] if k < len(b) else None,
        )
        for k in range(max(len(users), len(a), len(b)))
    ]


def _outcome(preference: float | None, judged: bool) -> Outcome:
    if preference is None:
        return "unscored" if judged else "not judged"
    if preference > 0.5:
        return "candidate wins"
    return "baseline wins" if preference < 0.5 else "tie"


def _human_ratings(index: ResultsIndex, comparison: LoadedComparison) -> dict[str, list[ShownVerdict]]:
    """People's ratings of the same two models (stored either way round), candidate-centric."""
    if comparison.judge == HUMAN:
        return {}
    found: dict[str, list[ShownVerdict]] = {}
    for other in comparisons_of_pair(index, comparison):
        if other.judge == HUMAN:
            flip = other.candidate != comparison.candidate
            for pid, items in _by_prompt(other.judgments, flip).items():
                found.setdefault(pid, []).extend(items)
    return found


def _by_prompt(judgments: Sequence[Judgment], flip: bool) -> dict[str, list[ShownVerdict]]:
    found: dict[str, list[ShownVerdict]] = {}
    for j in judgments:
        preference = j.preference if j.preference is None or not flip else 1.0 - j.preference
        first = j.first_shown if not flip else ("candidate" if j.first_shown == "baseline" else "baseline")
        found.setdefault(j.prompt_id, []).append(
            ShownVerdict(first, _readable(j.verdict), preference, _raw_text(j.raw), j.rater, j.flagged)
        )
    return found


def _readable(verdict: str) -> str:
    """A stored verdict as a person reads it ("both_bad" is "both bad")."""
    return verdict.replace("_", " ")


def _raw_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, indent=2, ensure_ascii=False, default=str)


def _flags(index: ResultsIndex, comparison: LoadedComparison) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for side, outputs in (
        ("baseline", comparison.baseline_outputs),
        ("candidate", comparison.candidate_outputs),
    ):
        for pid, flags in _scanned(index, outputs).items():
            found.setdefault(pid, []).extend(f"{side}: {flag}" for flag in flags)
    return found


def _scanned(index: ResultsIndex, outputs: dict[str, Generation]) -> dict[str, list[str]]:
    """`scan_outputs` of one model's outputs, once per index: the loader shares a model's
    outputs between its comparisons, so a baseline is not rescanned for every candidate."""

    def scan(_key: int) -> dict[str, list[str]]:
        report = scan_outputs({pid: g.text for pid, g in outputs.items()})
        return {pid: [f"{f.reason} ({f.detail})" for f in flags] for pid, flags in report.flags.items()}

    found: dict[str, list[str]] = index.memo(("scan", id(outputs)), scan)
    return found
