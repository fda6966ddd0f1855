"""`file:PATH` (or a bare .json/.jsonl path): outputs someone already generated.

Reads AlpacaEval `model_outputs.json`, self-instruct predictions, alpaca-bench generation
logs, FastChat model-answer files (`question_id`, `choices[0].turns`: one answer per turn of a
multi-turn prompt) and Arena-Hard answer files (`uid`, `messages`). Rows are matched to eval
prompts by id, else by whitespace-normalised instruction (+ input, which also covers
AlpacaEval's `instruction + "\\n\\n" + input` join), so files made by other tools line up
without conversion.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import read_json_rows
from ..peer_formats import row_answers, row_model
from ..records import Prompt, Usage
from ._base import BackendOptions, ChatRequest, Completion

_SPACE = re.compile(r"\s+")
OUTPUT_FIELDS = ("output", "response", "completion")


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def prompt_keys(instruction: str, input: str) -> list[str]:
    keys = [normalize(f"{instruction} {input}")]
    if not input.strip():
        keys.append(normalize(instruction))
    return keys


class FileBackend:
    cacheable = False

    def __init__(self, rest: str, options: BackendOptions):
        self.path = Path(rest).expanduser()
        self.options = options
        self.rows = read_json_rows(self.path, list_keys=("outputs", "data", "generations"))
        # every turn's answer, by prompt id and by normalised instruction (with the row number)
        self.by_id: dict[str, list[str]] = {}
        self.by_text: dict[str, tuple[list[str], int]] = {}
        names = self._index()
        self.name = options.name or self._default_name(names)
        self.answers: dict[str, list[str]] = {}  # of the prompts `prepare` matched: every turn's

    @property
    def outputs(self) -> dict[str, str]:
        """The matched prompts' answers to their first (or only) turn."""
        return {pid: answers[0] for pid, answers in self.answers.items()}

    def _default_name(self, names: set[str]) -> str:
        if len(names) == 1:
            return next(iter(names))
        stem = self.path.stem
        return stem.removesuffix("_predictions").removesuffix("-predictions") or stem

    def _index(self) -> set[str]:
        names: set[str] = set()
        for number, row in enumerate(self.rows, start=1):
            try:
                peer = row_answers(row)
            except ValueError as exc:
                raise InputError(f"row {number}: {exc}", self.path) from None
            name = row_model(row)
            if name is not None:
                names.add(name)
            if peer is not None:  # a FastChat or Arena-Hard answer row: matched by id
                self._add_id(peer[0], peer[1], number)
                continue
            output = next((row[f] for f in OUTPUT_FIELDS if f in row), None)
            if output is None:
                raise InputError(
                    f"row {number}: no output field (expected one of {', '.join(OUTPUT_FIELDS)})",
                    self.path,
                )
            if not isinstance(output, str):
                raise InputError(f"row {number}: output is {type(output).__name__}, expected text", self.path)
            self._index_row(row, [output, *_follow_ups(row, number, self.path)], number)
        return names

    def _add_id(self, row_id: str, answers: list[str], number: int) -> None:
        if row_id in self.by_id:
            raise InputError(f"row {number}: duplicate id {row_id!r}", self.path)
        self.by_id[row_id] = answers

    def _index_row(self, row: dict[str, Any], output: list[str], number: int) -> None:
        row_id = row.get("prompt_id", row.get("id"))
        if row_id is not None:
            row_id = str(row_id)
            self._add_id(row_id, output, number)
        instruction = row.get("instruction")
        if instruction is None:
            if row_id is None:
                raise InputError(f"row {number}: needs an id or an instruction to match prompts", self.path)
            return
        if not isinstance(instruction, str):
            raise InputError(
                f"row {number}: instruction is {type(instruction).__name__}, expected text",
                self.path,
            )
        input_text = row.get("input") or ""
        for key in prompt_keys(instruction, str(input_text)):
            previous = self.by_text.get(key)
            if previous is not None and previous[0] != output:
                raise InputError(
                    f"rows {previous[1]} and {number} have the same instruction but different outputs",
                    self.path,
                )
            self.by_text.setdefault(key, (output, number))

    def identity(self) -> dict[str, Any]:
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:24]
        return {"scheme": "file", "sha256": digest}

    def lookup(self, prompt: Prompt) -> list[str] | None:
        """Every turn's answer to `prompt` in this file (one for a single-turn file), or None."""
        if prompt.id in self.by_id:
            return self.by_id[prompt.id]
        for key in prompt_keys(prompt.instruction, prompt.input):
            if key in self.by_text:
                return self.by_text[key][0]
        return None

    def prepare(self, prompts: Sequence[Prompt]) -> list[Prompt]:
        found = {p.id: out for p in prompts if (out := self.lookup(p)) is not None}
        short = [p for p in prompts if p.id in found and len(found[p.id]) < p.n_turns]
        if short and not self.options.allow_missing:
            first = short[0]
            raise InputError(
                f"{len(short)} prompts have fewer answers than turns (first: {first.id!r}, "
                f"{len(found[first.id])} answer(s) for {first.n_turns} turns)",
                self.path,
            )
        for prompt in short:
            del found[prompt.id]
        missing = [p.id for p in prompts if p.id not in found]
        if missing and not self.options.allow_missing:
            shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
            raise InputError(
                f"{len(missing)} of {len(prompts)} prompts have no output in this file (first: {shown}); "
                "pass --allow-missing to evaluate only the matched ones",
                self.path,
            )
        self.answers = found
        return [p for p in prompts if p.id in found]

    async def stream(self, requests: Sequence[ChatRequest]) -> AsyncIterator[Completion]:
        for request in requests:
            if request.prompt_id not in self.answers:
                raise InputError(f"no output for prompt {request.prompt_id!r}", self.path)
            text = self.answers[request.prompt_id][request.turn]
            # written elsewhere: how the output ended (stop or token limit) is unknown
            yield Completion(key=request.key, text=text, usage=Usage(), finish_reason=None)

    async def aclose(self) -> None:
        return None


def _follow_ups(row: dict[str, Any], number: int, path: Path) -> list[str]:
    """An alpaca-bench generation row's answers to later turns (none in other tools' files)."""
    later = row.get("follow_up_outputs") or []
    if not isinstance(later, list) or not all(isinstance(t, str) for t in later):
        raise InputError(f"row {number}: follow_up_outputs must be a list of texts", path)
    return list(later)
