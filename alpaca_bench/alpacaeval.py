"""AlpacaEval import and export, so results move both ways.

AlpacaEval stores one row per judged instruction with the baseline as `output_1` and the model
as `output_2`, and `preference` in [1, 2]: 1 = the baseline is better, 2 = the model is better,
1.5 (or 0 in older files) = a tie, fractional values for its logprob-weighted judges, and
NaN/None where the judge's answer could not be parsed (AlpacaEval drops those rows). alpaca-bench
keeps the candidate-centric fraction in [0, 1] (tie 0.5), so `p = preference - 1` (0 → 0.5),
and unparsed rows become `unscored` judgments rather than vanishing.

AlpacaEval already undoes its random presentation order before writing a row, so which output
the judge saw first is not recorded; imported judgments say `first_shown="baseline"` and keep the
original preference in `raw`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .files import atomic_write_json, read_json_rows
from .records import JudgeIdentity, Judgment, Prompt, Verdict, stable_hash

REQUIRED = ("instruction", "output_1", "output_2", "generator_1", "generator_2", "preference")
DEFAULT_JUDGE = "alpaca-eval"

LengthKey = tuple[str, str, str]  # (baseline, candidate, prompt_id)


@dataclass(frozen=True)
class ImportedAnnotations:
    """Judgments read from an annotations file, with what statistics need beyond them."""

    judgments: list[Judgment]
    lengths: dict[LengthKey, tuple[int, int]] = field(default_factory=dict)  # (baseline, candidate) chars
    instructions: dict[str, str] = field(default_factory=dict)  # prompt id → instruction


def is_annotation_row(row: Mapping[str, Any]) -> bool:
    return all(key in row for key in REQUIRED)


def candidate_preference(value: Any) -> float | None:
    """AlpacaEval's [1, 2] preference as alpaca-bench's candidate-centric [0, 1]; None if unparsed.

    Raises ValueError for anything that is neither a number in [1, 2], 0, nor missing.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"preference must be a number, got {value!r}")
    number = float(value)
    if math.isnan(number):
        return None
    if number == 0.0:
        return 0.5
    if not 1.0 <= number <= 2.0:
        raise ValueError(f"preference {value!r} is outside [1, 2] (and not 0 for a tie)")
    return number - 1.0


def alpaca_eval_preference(preference: float | None) -> float | None:
    """alpaca-bench's candidate-centric preference in AlpacaEval's encoding (tie = 1.5)."""
    return None if preference is None else 1.0 + preference


def prompt_id_for(instruction: str) -> str:
    """A stable id for an AlpacaEval instruction, the same in every annotations file."""
    return "ae-" + stable_hash(instruction, length=12)


def annotations_to_judgments(
    rows: Sequence[Mapping[str, Any]],
    source: str | Path,
    prompt_ids: Mapping[str, str] | None = None,
    judge: str | None = None,
) -> ImportedAnnotations:
    """Convert annotation rows; `prompt_ids` maps instruction text to alpaca-bench prompt ids
    (default: a hash of the instruction). `judge` overrides the rows' `annotator`."""
    imported = ImportedAnnotations(judgments=[])
    for index, row in enumerate(rows):
        missing = [key for key in REQUIRED if key not in row]
        if missing:
            raise InputError(
                f"row {index + 1}: missing field {missing[0]!r} (not AlpacaEval annotations?)", source
            )
        for key in ("instruction", "output_1", "output_2", "generator_1", "generator_2"):
            if not isinstance(row[key], str):
                raise InputError(f"row {index + 1}: {key!r} must be a string", source)
        try:
            preference = candidate_preference(row["preference"])
        except ValueError as exc:
            raise InputError(f"row {index + 1}: {exc}", source) from None
        instruction = row["instruction"]
        prompt_id = (prompt_ids or {}).get(instruction) or prompt_id_for(instruction)
        baseline, candidate = row["generator_1"], row["generator_2"]
        imported.judgments.append(
            Judgment(
                prompt_id=prompt_id,
                baseline=baseline,
                candidate=candidate,
                judge=JudgeIdentity(name=judge or str(row.get("annotator") or DEFAULT_JUDGE)),
                first_shown="baseline",
                verdict=verdict_of(preference),
                preference=preference,
                raw=_raw_fields(row),
                cost_usd=_number(row.get("price_per_example")),
            )
        )
        imported.lengths[(baseline, candidate, prompt_id)] = (len(row["output_1"]), len(row["output_2"]))
        imported.instructions[prompt_id] = instruction
    return imported


def read_annotations(
    path: Path, prompt_ids: Mapping[str, str] | None = None, judge: str | None = None
) -> ImportedAnnotations:
    """Read an AlpacaEval `annotations.json` (or any .json/.jsonl file of such rows)."""
    rows = read_json_rows(path)
    return annotations_to_judgments(rows, path, prompt_ids, judge)


def verdict_of(preference: float | None) -> Verdict:
    """Verdict for a judgment whose baseline was shown first (A = baseline, B = candidate)."""
    if preference is None:
        return "unscored"
    if preference == 0.5:
        return "tie"
    return "B>A" if preference > 0.5 else "A>B"


def judgments_to_annotations(
    judgments: Iterable[Judgment],
    prompts: Mapping[str, Prompt],
    baseline_outputs: Mapping[str, str],
    candidate_outputs: Mapping[str, str],
) -> list[dict[str, Any]]:
    """AlpacaEval annotation rows for alpaca-bench judgments, one per judgment (unscored ones
    keep `preference: null`, as AlpacaEval writes them). Outputs are looked up by prompt id."""
    rows = []
    for judgment in judgments:
        pid = judgment.prompt_id
        needed: tuple[tuple[str, Mapping[str, Any]], ...] = (
            ("prompt", prompts),
            ("baseline output", baseline_outputs),
            ("candidate output", candidate_outputs),
        )
        for name, table in needed:
            if pid not in table:
                raise ValueError(f"no {name} for prompt {pid!r}")
        prompt = prompts[pid]
        rows.append(
            {
                "instruction": alpaca_eval_instruction(prompt),
                "output_1": baseline_outputs[pid],
                "generator_1": judgment.baseline,
                "output_2": candidate_outputs[pid],
                "generator_2": judgment.candidate,
                "dataset": prompt.category,
                "annotator": judgment.judge.name,
                "preference": alpaca_eval_preference(judgment.preference),
                "price_per_example": judgment.cost_usd,
            }
        )
    return rows


def write_annotations(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    atomic_write_json(path, list(rows))


def alpaca_eval_instruction(prompt: Prompt) -> str:
    """AlpacaEval has no separate input: it joins it to the instruction with a blank line."""
    return f"{prompt.instruction}\n\n{prompt.input}" if prompt.input else prompt.instruction


def _raw_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    kept = {"preference": row["preference"]}
    if "raw_completion" in row:
        kept["raw_completion"] = row["raw_completion"]
    return kept


def _number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return max(0.0, float(value))
    return 0.0
