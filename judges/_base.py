"""The judge protocol: one async interface for LLM, local-model and reference-based judges.

A judge sees only a blind pair — the prompt and two outputs in a given order — and answers in
positional terms (A is the output shown first). Turning that into "did the candidate win" is the
orchestrator's job, which is also the only place that knows the model names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from alpaca_bench.evalsets import EvalSet
from alpaca_bench.models._base import BackendOptions
from alpaca_bench.models._openai_batch import BatchOptions
from alpaca_bench.pricing import CostBudget
from alpaca_bench.records import CallCounts, Position, Prompt, Usage, Verdict
from alpaca_bench.registry import LazyRegistry

DEFAULT_JUDGE = "openai:gpt-4o-mini"

# P(output B is better) for each verdict; strength ('>>') is kept in the verdict, not the number.
VERDICT_P_B: dict[str, float] = {"A>>B": 0.0, "A>B": 0.0, "tie": 0.5, "B>A": 1.0, "B>>A": 1.0}
VERDICTS = tuple(VERDICT_P_B)


def verdict_from_p_b(p_b: float) -> Verdict:
    if p_b > 0.5:
        return "B>A"
    if p_b < 0.5:
        return "A>B"
    return "tie"


@dataclass(frozen=True)
class PairTask:
    """One blind comparison. `first_shown` says which model wrote output A (never shown to the judge).

    For a multi-turn prompt `answers_a`/`answers_b` hold every turn's reply and `output_a`/
    `output_b` the last ones; for a single-turn prompt the answers are empty."""

    key: str
    prompt: Prompt
    output_a: str
    output_b: str
    first_shown: Position
    answers_a: tuple[str, ...] = ()
    answers_b: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, key: str, prompt: Prompt, a: Sequence[str], b: Sequence[str], first_shown: Position
    ) -> PairTask:
        """The task for two replies per turn (one each for a single-turn prompt)."""
        many = len(a) > 1 or len(b) > 1
        return cls(key, prompt, a[-1], b[-1], first_shown, tuple(a) if many else (), tuple(b) if many else ())

    def conversation(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Every turn's reply of A and of B."""
        return self.answers_a or (self.output_a,), self.answers_b or (self.output_b,)


@dataclass(frozen=True)
class GradeTask:
    """One reply to grade: the reply to turn `turn` (from 1) of `prompt`, after `answers[:-1]`."""

    key: str
    prompt: Prompt
    answers: tuple[str, ...]
    turn: int = 1


@dataclass
class GradeResult:
    key: str
    score: float | None  # None: the grader's answer could not be read (unscored)
    raw: dict[str, Any] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    calls: int = 0


@dataclass
class JudgeResult:
    key: str
    verdict: Verdict
    p_b: float | None
    raw: dict[str, Any] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    calls: int = 0


@dataclass(frozen=True)
class JudgePlan:
    """The calls judging some tasks would make, counted without making any (`--dry-run`).

    Tokens are estimates: prompts at about 4 characters a token, answers at the template's
    `max_tokens` (an upper bound). `batch_cost_usd` is what the same calls cost through the
    Batch API."""

    calls: int = 0  # would go out: not answered by the call cache
    cached: int = 0  # answered by the call cache
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    batch_cost_usd: float = 0.0


@runtime_checkable
class Judge(Protocol):
    """`counts` is what this judge asked of a service in this process (zero for judges that
    call nothing); the comparison reports it as the run's call accounting. `budget` is the
    `--max-cost` cap it spends against, if any, so a run can say it stopped at the cap."""

    name: str
    counts: CallCounts
    budget: CostBudget | None

    def identity(self) -> dict[str, Any]:
        """Everything that determines this judge's answers; hashed into the run's judge id."""
        ...

    def check(self, eval_set: EvalSet) -> None:
        """Raise InputError before any call if this judge cannot judge this eval set."""
        ...

    def judge(self, tasks: Sequence[PairTask]) -> AsyncIterator[JudgeResult]:
        """Yield one result per task as each is decided (fewer if a spend cap stops the run)."""
        ...

    def plan(self, tasks: Sequence[PairTask]) -> JudgePlan:
        """The calls `judge(tasks)` would make now, after the call cache, without making them."""
        ...

    async def aclose(self) -> None: ...


@dataclass
class JudgeOptions:
    """Settings a judge may use; each judge ignores what does not apply to it.

    `backend` is the judge's own model-backend settings (device, dtype, batch sizes, timeouts,
    key variable), handed to its backend whole rather than copied field by field, so that no
    setting can be lost on the way. `batch` sends an `openai:` judge's calls through the Batch
    API (half price, answers within a day); None makes ordinary calls.
    """

    template: str | None = None
    parse_retries: int = 2
    price: Any = None
    max_cost_usd: float | None = None
    tie_margin: float | None = None
    use_cache: bool = True
    backend: BackendOptions = field(default_factory=BackendOptions)
    batch: BatchOptions | None = None


@runtime_checkable
class Grader(Protocol):
    """Scores one reply at a time (`alpaca-bench grade`); the counterpart of `Judge` for
    single-answer grading, with the same accounting. `score_range` is (lowest, highest) score."""

    name: str
    counts: CallCounts
    budget: CostBudget | None
    score_range: tuple[float, float]

    def identity(self) -> dict[str, Any]: ...

    def check(self, eval_set: EvalSet) -> None: ...

    def grade(self, tasks: Sequence[GradeTask]) -> AsyncIterator[GradeResult]:
        """Yield one result per task as each is graded (fewer if a spend cap stops the run)."""
        ...

    def plan(self, tasks: Sequence[GradeTask]) -> JudgePlan:
        """The calls `grade(tasks)` would make now, after the call cache, without making them."""
        ...

    async def aclose(self) -> None: ...


JudgeFactory = Callable[[str, JudgeOptions], Judge]
GraderFactory = Callable[[str, JudgeOptions], Grader]
DEFAULT_GRADE_TEMPLATE = "single-10"

_REGISTRY: LazyRegistry[JudgeFactory] = LazyRegistry(
    {
        "openai": "alpaca_bench.judges._llm:LLMJudge",
        "hf": "alpaca_bench.judges._llm:LLMJudge",
        "vllm": "alpaca_bench.judges._llm:LLMJudge",
        "rouge": "alpaca_bench.judges._reference:RougeJudge",
        "embedding": "alpaca_bench.judges._reference:EmbeddingJudge",
    },
    group="alpaca_bench.judges",
    spelled={
        "openai": "openai:MODEL[@URL]",
        "hf": "hf:PATH",
        "vllm": "vllm:PATH",
        "rouge": "rouge",
        "embedding": "embedding:PATH",
    },
)


_GRADERS: LazyRegistry[GraderFactory] = LazyRegistry(
    {
        "openai": "alpaca_bench.judges._llm:LLMGrader",
        "hf": "alpaca_bench.judges._llm:LLMGrader",
        "vllm": "alpaca_bench.judges._llm:LLMGrader",
    },
    group="alpaca_bench.graders",
    spelled={"openai": "openai:MODEL[@URL]", "hf": "hf:PATH", "vllm": "vllm:PATH"},
)


def register_grader(scheme: str, factory: GraderFactory | str) -> None:
    _GRADERS.register(scheme, factory)


def load_grader(spec: str, options: JudgeOptions | None = None) -> Grader:
    """`openai:MODEL[@URL]`, `hf:PATH`, `vllm:PATH` with a grade template (default single-10)."""
    scheme = spec.partition(":")[0].strip()
    if scheme not in _GRADERS:
        raise _GRADERS.unknown("grader", scheme, spec)
    return _GRADERS.get(scheme)(spec, options or JudgeOptions())


def register_judge(scheme: str, factory: JudgeFactory | str) -> None:
    _REGISTRY.register(scheme, factory)


def judge_schemes() -> list[str]:
    return _REGISTRY.names()


def load_judge(spec: str, options: JudgeOptions | None = None) -> Judge:
    """`openai:MODEL[@URL]`, `hf:PATH`, `vllm:PATH`, `rouge`, `embedding:PATH`."""
    scheme = spec.partition(":")[0].strip()
    if scheme not in _REGISTRY:
        raise _REGISTRY.unknown("judge", scheme, spec)
    return _REGISTRY.get(scheme)(spec, options or JudgeOptions())
