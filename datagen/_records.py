"""What datagen writes: kept tasks (Alpaca fields only), rejections and per-request accounting.

Kept tasks carry exactly `instruction`, `input` and `output`, so the output file is an
Alpaca-format training set as it stands. Everything else (why a candidate was dropped, what a
request cost) goes to sidecar logs next to it, never into the training records.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from alpaca_bench.records import Usage, utcnow


class Task(BaseModel):
    """One Alpaca-format example; `input` is empty when the instruction stands alone."""

    model_config = ConfigDict(extra="forbid")

    instruction: str
    input: str = ""
    output: str


class Rejection(BaseModel):
    """A candidate that did not make it, with the reason (a filter name or a pipeline stage)."""

    model_config = ConfigDict(extra="forbid")

    reason: str
    detail: str = ""
    request: int
    instruction: str = ""
    input: str = ""
    output: str = ""
    raw: str = ""
    score: float | None = None
    similar_to: str | None = None


class RequestRecord(BaseModel):
    """One answered generation request; the log of these is what a resumed run continues from."""

    model_config = ConfigDict(extra="forbid")

    request: int
    model: str
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    cached: bool = False
    finish_reason: str | None = None
    candidates: int = 0
    kept: int = 0
    rejected: int = 0
    surplus: int = 0
    latency_s: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)
