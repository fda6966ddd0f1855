"""Alpaca-format training data: loading, prompt formatting, tokenisation with masked prompts, packing.

The prompt is formatted by `alpaca_bench.prompt_format.alpaca_prompt`, the very template `hf:`
generation uses with `--template alpaca`, and it is tokenised on its own exactly as generation
tokenises it; the response is tokenised separately and followed by EOS. So the tokens the model
learns to continue are the tokens it will be asked to continue, and the prompt/response boundary
is exact (no BPE merge across it), which is what lets the prompt be masked token for token.

Torch-free: everything here is lists of ints, so it loads and validates before any process starts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from alpaca_bench.errors import InputError
from alpaca_bench.files import read_text_strict
from alpaca_bench.prompt_format import alpaca_prompt

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100
DATA_SUFFIXES = (".json", ".jsonl")


class AlpacaExample(BaseModel):
    """One demonstration, as in Alpaca's `alpaca_data.json`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    instruction: str
    input: str = ""
    output: str

    @field_validator("input", mode="before")
    @classmethod
    def _null_input(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("instruction", "output")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    def prompt(self) -> str:
        return alpaca_prompt(self.instruction, self.input)


def _rows(path: Path) -> Iterator[tuple[int | None, str, Any]]:
    """(line, prefix, value) per record: the line number in .jsonl, 'row N: ' in a .json list."""
    text = read_text_strict(path)
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield number, "", json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"invalid JSON: {exc.msg}", path, number) from None
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno}: {exc.msg}", path) from None
    if not isinstance(value, list):
        raise InputError(f"expected a JSON list of examples, got {type(value).__name__}", path)
    for index, item in enumerate(value):
        yield None, f"row {index + 1}: ", item


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "record"
    return f"{field}: {str(err['msg']).removeprefix('Value error, ')}"


def load_examples(paths: Sequence[str | Path]) -> list[AlpacaExample]:
    """All examples of all files, in file order; any bad record stops with its file and place."""
    if not paths:
        raise InputError("no training data given (--data FILE)")
    examples: list[AlpacaExample] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.suffix.lower() not in DATA_SUFFIXES:
            raise InputError(f"unsupported data file type {path.suffix!r} (use .json or .jsonl)", path)
        before = len(examples)
        for line, prefix, value in _rows(path):
            if not isinstance(value, dict):
                raise InputError(f"{prefix}expected an object, got {type(value).__name__}", path, line)
            try:
                examples.append(AlpacaExample.model_validate(value))
            except ValidationError as exc:
                raise InputError(f"{prefix}{_problem(exc)}", path, line) from None
        if len(examples) == before:
            raise InputError("no examples", path)
    return examples


def data_fingerprint(paths: Sequence[str | Path]) -> str:
    """Content hash of the training files; a resumed run must see the same data."""
    digest = hashlib.sha256()
    for raw in paths:
        digest.update(Path(raw).expanduser().read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Sample:
    """A training row: token ids, labels (-100 where no loss), and the lengths of the examples in it.

    `segments` has one entry for a plain example and several for a packed row; positions restart
    at each segment so attention never crosses from one example into another.
    """

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    segments: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def supervised_tokens(self) -> int:
        """Tokens the loss is taken on (a label predicts the next token, so the first never counts)."""
        return sum(1 for label in self.labels[1:] if label != IGNORE_INDEX)


def tokenize_examples(examples: Sequence[AlpacaExample], tokenizer: Any, max_length: int) -> list[Sample]:
    """Prompt tokens labelled -100, response tokens and EOS labelled with themselves.

    Rows longer than `max_length` are cut from the end; a row left with no response token is
    dropped (it would train nothing) and counted in the log.
    """
    if tokenizer.eos_token_id is None:
        raise InputError("the tokenizer has no EOS token; the model could not learn to stop")
    prompts = tokenizer([e.prompt() for e in examples], add_special_tokens=True)["input_ids"]
    responses = tokenizer([e.output for e in examples], add_special_tokens=False)["input_ids"]
    samples: list[Sample] = []
    for prompt_ids, response_ids in zip(prompts, responses, strict=True):
        ids = [*prompt_ids, *response_ids, tokenizer.eos_token_id][:max_length]
        labels = [IGNORE_INDEX] * len(prompt_ids) + ids[len(prompt_ids) :]
        labels = labels[:max_length]
        if len(labels) <= len(prompt_ids):
            continue
        samples.append(Sample(tuple(ids), tuple(labels), (len(ids),)))
    if dropped := len(examples) - len(samples):
        logger.warning(
            "dropped %d of %d examples whose prompt alone fills max_length=%d",
            dropped,
            len(examples),
            max_length,
        )
    if not samples:
        raise InputError(f"no example fits max_length={max_length} with room for a response")
    return samples


def pack_samples(samples: Sequence[Sample], max_length: int, seed: int) -> list[Sample]:
    """Greedily fill rows of up to `max_length` tokens with whole examples, in a seeded order.

    Examples are never split, so each keeps its full prompt and its masking; fewer, fuller rows
    mean far less padding on data like Alpaca's, where most examples are short.
    """
    order = np.random.default_rng([seed, 0xA1]).permutation(len(samples))
    rows: list[Sample] = []
    ids: list[int] = []
    labels: list[int] = []
    segments: list[int] = []
    for index in order:
        sample = samples[int(index)]
        if ids and len(ids) + len(sample) > max_length:
            rows.append(Sample(tuple(ids), tuple(labels), tuple(segments)))
            ids, labels, segments = [], [], []
        ids.extend(sample.input_ids)
        labels.extend(sample.labels)
        segments.append(len(sample))
    if ids:
        rows.append(Sample(tuple(ids), tuple(labels), tuple(segments)))
    return rows
