"""MT-Bench (80 two-turn questions, GPT-4 references for math, reasoning and coding) and the
Arena-Hard-Auto prompt sets (v0.1: 500, v2.0: 750), as built-in eval sets.

Prompt ids are the sets' own (`question_id`, `uid`), so FastChat and Arena-Hard answer files
line up as `file:` models by id with no conversion. MT-Bench's references are attached turn by
turn, to the prompts that have them only, which is what makes grading reference-guided for
exactly those categories. (Some questions also carry an inline `reference` list; FastChat's
judging reads the GPT-4 reference file, and so does this set. A user's own question file in this
format loads through `_local`, which reads `turns` and such a `reference` list.)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..files import read_json_rows
from ..peer_formats import row_answers
from ..records import FollowUp, Prompt
from ._base import EvalSet, register_eval_set
from ._download import RemoteFile, locate
from ._fetch import DATA_FILES

MT_BENCH_QUESTIONS = "mt-bench/question.jsonl"
MT_BENCH_REFERENCES = "mt-bench/reference_answer/gpt-4.jsonl"
ARENA_HARD = {
    "arena-hard-v0.1": "arena-hard/v0.1/question.jsonl",
    "arena-hard-v2.0": "arena-hard/v2.0/question.jsonl",
}


def _remote(relative_path: str, eval_set: str) -> RemoteFile:
    """The data file at `relative_path`, named after the eval set that needs it (for messages)."""
    remote = next(remote for remote in DATA_FILES if remote.relative_path == relative_path)
    return replace(remote, name=eval_set)


def _references(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for number, row in enumerate(read_json_rows(path), start=1):
        try:
            parsed = row_answers(row)
        except ValueError as exc:
            raise InputError(f"row {number}: {exc}", path) from None
        if parsed is None:
            raise InputError(f"row {number}: not a FastChat answer row (question_id, choices)", path)
        found[parsed[0]] = parsed[1]
    return found


def load_mt_bench() -> EvalSet:
    path = locate(_remote(MT_BENCH_QUESTIONS, "mt-bench"))
    references = _references(locate(_remote(MT_BENCH_REFERENCES, "mt-bench")))
    prompts = []
    for number, row in enumerate(read_json_rows(path), start=1):
        turns = row.get("turns")
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
            raise InputError(f"row {number}: 'turns' must be a non-empty list of texts", path)
        pid = str(row["question_id"])
        refs = references.get(pid, [])
        ref_of = [refs[i] if i < len(refs) else None for i in range(len(turns))]
        prompts.append(
            Prompt(
                id=pid,
                instruction=turns[0],
                reference=ref_of[0],
                category=row.get("category"),
                follow_ups=[
                    FollowUp(message=t, reference=r) for t, r in zip(turns[1:], ref_of[1:], strict=True)
                ],
            )
        )
    return EvalSet("mt-bench", prompts, source=str(path), description="MT-Bench: 80 two-turn questions")


def _arena_loader(name: str, relative_path: str) -> EvalSet:
    path = locate(_remote(relative_path, name))
    prompts = []
    for number, row in enumerate(read_json_rows(path), start=1):
        if not isinstance(row.get("prompt"), str) or not row.get("uid"):
            raise InputError(f"row {number}: expected 'uid' and 'prompt'", path)
        category = row.get("subcategory") or row.get("category")  # v0.1: one category; v2.0: four
        prompts.append(Prompt(id=str(row["uid"]), instruction=row["prompt"], category=category))
    return EvalSet(name, prompts, source=str(path))


def load_arena_hard_v01() -> EvalSet:
    return _arena_loader("arena-hard-v0.1", ARENA_HARD["arena-hard-v0.1"])


def load_arena_hard_v20() -> EvalSet:
    return _arena_loader("arena-hard-v2.0", ARENA_HARD["arena-hard-v2.0"])


def register_peer_sets() -> None:
    register_eval_set(
        "mt-bench", "MT-Bench: 80 two-turn questions in 8 categories (references for 3)", load_mt_bench
    )
    register_eval_set(
        "arena-hard-v0.1", "Arena-Hard-Auto v0.1: 500 hard prompts (baseline gpt-4-0314)", load_arena_hard_v01
    )
    register_eval_set("arena-hard-v2.0", "Arena-Hard-Auto v2.0: 750 hard prompts", load_arena_hard_v20)
