"""The records every component exchanges.

Each record carries `schema_version` so files written by one release are read by the next.
Preference convention: candidate-centric fraction in [0, 1], tie = 0.5; AlpacaEval's [1, 2]
encoding is converted only at its import/export boundary.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .prompt_format import user_message

SCHEMA_VERSION = 1

Verdict = Literal["A>>B", "A>B", "tie", "B>A", "B>>A", "unscored"]
Position = Literal["baseline", "candidate"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def stable_hash(payload: Any, length: int = 16) -> str:
    """Hash of a JSON-serialisable value, independent of dict order."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]


class Record(BaseModel):
    """Base of all records: strict fields, versioned, JSON round-trip."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> Any:
        return cls.model_validate_json(text)


class FollowUp(BaseModel):
    """A later user turn of a multi-turn prompt (MT-Bench's second question), with the reference
    answer for that turn where the eval set has one."""

    model_config = ConfigDict(extra="forbid")

    message: str
    reference: str | None = None


class Prompt(Record):
    """One eval prompt. A multi-turn prompt keeps its first user turn in `instruction` (and
    `input`), so everything that reads single-turn prompts reads its first turn unchanged, and the
    later turns in `follow_ups`; a model answers turn k having seen its own earlier answers."""

    id: str
    instruction: str
    input: str = ""
    reference: str | None = None
    category: str | None = None
    follow_ups: list[FollowUp] = Field(default_factory=list)

    @property
    def n_turns(self) -> int:
        return 1 + len(self.follow_ups)

    def user_turns(self) -> list[str]:
        """Every user message, in order (the first joined with its input as chat models see it)."""
        return [user_message(self.instruction, self.input), *(f.message for f in self.follow_ups)]

    def references(self) -> list[str]:
        """The reference answer of every turn, "" where there is none."""
        return [self.reference or "", *(f.reference or "" for f in self.follow_ups)]

    @field_validator("id")
    @classmethod
    def _non_empty_id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("id must not be empty")
        return value


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class CallCounts(BaseModel):
    """What one invocation asked of a service, counted where it happened.

    `sent` is every request that went out: first attempts, retries after a failure or a missed
    deadline, and hedges (a second copy of a slow call). `answers` are the completions that came
    back and were kept (one per logical call, however many copies were sent); `used` are the
    answers that became judgments (the rest were unparseable and asked again); `cache_hits` were
    served without a call. `cost_usd` prices every answer received. An identical re-run sends 0.
    """

    model_config = ConfigDict(extra="forbid")

    sent: int = 0
    retries: int = 0
    hedges: int = 0
    abandoned: int = 0
    answers: int = 0
    used: int = 0
    cache_hits: int = 0
    cost_usd: float = 0.0


class GenerationConfig(BaseModel):
    """Decoding settings; its hash identifies which generations belong together."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(default=512, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    template: Literal["auto", "alpaca", "chat", "raw"] = "auto"
    seed: int = 0


def joined_answers(answers: list[str]) -> str:
    """A conversation's answers as one text (a single answer is itself)."""
    return "\n\n".join(answers)


class Generation(Record):
    """A model's answer to one prompt: `output` answers the first (or only) user turn and
    `follow_up_outputs` the prompt's follow-ups, in order. `usage` and `latency_s` are summed over
    the turns; `finish_reason` is "length" if any turn was cut at the token limit."""

    prompt_id: str
    model: str
    output: str
    follow_up_outputs: list[str] = Field(default_factory=list)
    generation_config: dict[str, Any] = Field(default_factory=dict)
    config_hash: str = ""
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    cached: bool = False
    # "stop" (the model ended its answer), "length" (cut at max_new_tokens), or None: unknown
    # (outputs read from a file, records written before this field existed)
    finish_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def answers(self) -> list[str]:
        """The answer to every turn, in order."""
        return [self.output, *self.follow_up_outputs]

    @property
    def content(self) -> str:
        """The text that identifies what was judged: the answer, or (for a conversation) every
        turn's answer, so that a changed second turn is judged again."""
        if not self.follow_up_outputs:
            return self.output
        return json.dumps(self.answers, ensure_ascii=False)

    @property
    def text(self) -> str:
        """Every turn's answer as one text: what output scans and style features read."""
        return joined_answers(self.answers)

    @property
    def length(self) -> int:
        """Characters over every turn's answer (what length statistics count)."""
        return sum(len(a) for a in self.answers)


class JudgeIdentity(BaseModel):
    """Who gave a judgment, as recorded on it: the judge's name and the hash of its settings
    (model, template, decoding). A judge's *spec* is the string that loads it (`openai:gpt-4o`);
    its *settings* are `JudgeOptions`."""

    model_config = ConfigDict(extra="forbid")

    name: str
    config_hash: str = ""


HUMAN = "human"  # the judge name of every rating by a person (rate, battle); the rater is `rater`


class Judgment(Record):
    """One verdict on one pair, from the candidate's side: `preference` is the probability that
    the candidate's output is the better one, whichever position it was shown in."""

    prompt_id: str
    baseline: str
    candidate: str
    judge: JudgeIdentity
    first_shown: Position
    verdict: Verdict
    preference: float | None = Field(default=None, ge=0.0, le=1.0)
    raw: Any = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    rater: str | None = None
    flagged: bool = False
    calls: int = 0
    pair_hash: str = ""
    created_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def from_positional(cls, *, first_shown: Position, p_b: float | None, **fields: Any) -> Judgment:
        """The record of a verdict given on positions A and B (what a judge or a person sees):
        `p_b` is the probability that B, the output shown second, is better. The one place a
        positional verdict is turned to the candidate's side."""
        preference = None if p_b is None else (p_b if first_shown == "baseline" else 1.0 - p_b)
        return cls(first_shown=first_shown, preference=preference, **fields)


class Interval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: float
    method: str
    low: float
    high: float


class SequentialStop(BaseModel):
    """How a run that stopped when decided ended: its confidence sequence at the stop, how many
    prompts it took, and what judging them all would have cost."""

    model_config = ConfigDict(extra="forbid")

    threshold: float
    width: float | None = None
    alpha: float
    n_judged: int  # prompts whose verdicts entered the sequence
    n_available: int  # prompts the full run would judge
    low: float
    high: float
    decision: Literal["above", "below", "narrow"] | None = None  # None: every prompt, undecided
    full_run_cost_usd: float | None = None  # estimated from this run's cost per call

    @property
    def stopped_early(self) -> bool:
        return self.decision is not None and self.n_judged < self.n_available


class ComparisonSummary(Record):
    baseline: str
    candidate: str
    eval_set: str
    judge: str
    n: int
    wins: int
    losses: int
    ties: int
    unscored: int
    win_rate: float | None
    discrete_win_rate: float | None = None
    n_prompts: int = 0
    n_judgments: int = 0
    ci: Interval | None = None
    ci_percentile: Interval | None = None
    n_boot: int = 0
    standard_error: float | None = None
    p_value: float | None = None
    min_detectable_effect: float | None = None
    length_controlled_win_rate: float | None = None
    position_consistency: float | None = None
    avg_length_baseline: float | None = None
    avg_length_candidate: float | None = None
    # outputs of the judged prompts that stopped at the token limit (finish_reason "length"),
    # out of those whose finish reason is known (file outputs have none)
    truncated_baseline: int = 0
    truncated_candidate: int = 0
    finish_known_baseline: int = 0
    finish_known_candidate: int = 0
    max_new_tokens: int | None = None
    flagged_baseline: int = 0
    flagged_candidate: int = 0
    flagged_prompts: list[str] = Field(default_factory=list)
    excluded_flagged: bool = False
    unscored_prompts: list[str] = Field(default_factory=list)
    per_category: dict[str, dict[str, float]] = Field(default_factory=dict)
    # judge calls sent by the invocation that wrote this summary (0 for an identical re-run), its
    # full accounting, and the paid calls behind every stored judgment of the run folder
    judge_calls: int = 0
    calls: CallCounts = Field(default_factory=CallCounts)
    judge_calls_total: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0
    seed: int = 0
    versions: dict[str, str] = Field(default_factory=dict)
    # what a reader must know before trusting the win rate (alpaca_bench.health)
    warnings: list[str] = Field(default_factory=list)
    # set when the run stopped judging once decided (compare --stop-when-decided, gate --sequential)
    sequential: SequentialStop | None = None


class Grade(Record):
    """One score on one answer: `model`'s answer to turn `turn` (1-based) of a prompt, graded
    on its own (MT-Bench's single-answer grading). `score` is None when the grader's answer could
    not be read: unscored, kept with its raw text, never counted as any score."""

    prompt_id: str
    model: str
    turn: int = Field(default=1, ge=1)
    judge: JudgeIdentity
    score: float | None = None
    raw: Any = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    calls: int = 0
    answer_hash: str = ""  # hash of the conversation graded, up to and including this turn
    created_at: datetime = Field(default_factory=utcnow)


class MeanScore(BaseModel):
    """A mean grade with its bootstrap interval over prompts."""

    model_config = ConfigDict(extra="forbid")

    mean: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0  # scored grades
    unscored: int = 0


class GradeSummary(Record):
    """What `grade` reports for one model: the mean score over every scored grade, per turn and
    per category, each with a bootstrap interval over prompts (the grades of a prompt's turns
    are resampled together)."""

    model: str
    eval_set: str
    judge: str
    n_prompts: int
    n_grades: int
    overall: MeanScore
    level: float = 0.95
    n_boot: int = 0
    per_turn: dict[str, MeanScore] = Field(default_factory=dict)
    per_category: dict[str, MeanScore] = Field(default_factory=dict)
    score_range: tuple[float, float] = (1.0, 10.0)
    unscored_grades: list[str] = Field(default_factory=list)  # "prompt_id#turn"
    judge_calls: int = 0
    calls: CallCounts = Field(default_factory=CallCounts)
    cost_usd: float = 0.0
    wall_s: float = 0.0
    seed: int = 0
    versions: dict[str, str] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
