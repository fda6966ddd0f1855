"""What a compare (or gate) would call and what it would cost, counted without calling anything.

`--dry-run` answers "what will this cost?" before a single paid call: for each model, the outputs
still to generate (after the results store and the call cache), and for the judge, the pairs
still to judge (after the run folder and the call cache), with estimated tokens and the cost at
the sync price and through the Batch API. Where both outputs of a prompt exist (on disk or in the
cache) the judge's prompt is the exact one a run would send, so the call count is the run's own;
where an output is still to be generated, its judge calls are counted with placeholder outputs of
`max_new_tokens` and the plan says it is an estimate. Nothing is written: no manifest, no cache
entry, no run folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .cache import CallCache, NullCache
from .models._base import ChatRequest, ModelBackend
from .models._cached import CachedBackend
from .models._file import FileBackend
from .pricing import FREE, Price, price_for
from .records import Generation, GenerationConfig, Prompt, Usage
from .settings import CompareSettings, GradeSettings

if TYPE_CHECKING:  # the comparison machinery loads only when a compare is planned
    from .comparison import Comparison
    from .evalsets import EvalSet
    from .judges import JudgePlan
    from .store import ResultsRoot

CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class CallPlan:
    """One stage of a run (a model's outputs, or the judge) as calls, tokens and cost."""

    stage: str
    calls: int
    cached: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    batch_cost_usd: float | None  # None: this stage does not go through the Batch API
    estimated: bool = False  # counted from placeholder outputs: some are not generated yet
    free: bool = False  # a local model or metric, or a server with no price: calls cost nothing

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def plan_compare(baseline: str, candidate: str, settings: CompareSettings) -> list[CallPlan]:
    """The calls `compare(baseline, candidate, settings)` would make now."""
    from .comparison import Comparison, _backend

    comparison = Comparison(settings)
    cache: CallCache = CallCache() if settings.use_cache else NullCache()
    sides = []
    plans = []
    for label, spec, name in (
        ("baseline", baseline, settings.baseline_name),
        ("candidate", candidate, settings.candidate_name),
    ):
        backend = _backend(spec, settings, name)
        stage = f"{label} outputs ({backend.name})"
        known, plan = _outputs_plan(
            comparison.eval_set, comparison.root, settings.generation, backend, cache, stage
        )
        sides.append((backend.name, known))
        plans.append(plan)
    plans.append(_judge_plan(comparison, sides))
    return plans


def _outputs_plan(
    eval_set: EvalSet,
    root: ResultsRoot,
    config: GenerationConfig,
    backend: ModelBackend,
    cache: CallCache,
    stage: str,
) -> tuple[dict[str, Generation], CallPlan]:
    """Outputs already known (stored, or answered by the cache) and the calls for the rest."""
    from .generation import build_request, generation_hash
    from .store import GenerationStore

    store = GenerationStore(root.model_dir(eval_set.name, backend.name))
    config_hash = generation_hash(backend, config)
    known = store.load(config_hash)
    if isinstance(backend, FileBackend):  # outputs read from a file: known now, no call to make
        known = {**_read_file(backend, eval_set, config_hash), **known}
    cached_backend = CachedBackend(backend, cache, kind="generation")  # the key `generate` uses
    price = price_of(backend)
    calls = hits = prompt_tokens = completion_tokens = 0
    for prompt in backend.prepare(eval_set.prompts):
        if prompt.id in known:
            continue
        # turn by turn, as `generate` asks: a turn the cache answers gives the next its history;
        # from the first turn it does not, every later turn is a call too
        history: list[str] = []
        for _ in range(prompt.n_turns):
            request = build_request(prompt, config, history)
            hit = cache.get(cached_backend.key_for(request)) if backend.cacheable else None
            if hit is None:
                break
            history.append(str(hit.get("text", "")))
        hits += len(history)  # requests, as calls are: one per turn
        if len(history) == prompt.n_turns:
            known[prompt.id] = Generation(
                prompt_id=prompt.id,
                model=backend.name,
                output=history[0],
                follow_up_outputs=history[1:],
                config_hash=config_hash,
            )
            continue
        for turn in range(len(history), prompt.n_turns):
            # an unknown earlier answer is estimated at the token limit
            request = build_request(prompt, config, [*history, *[""] * (turn - len(history))])
            calls += 1
            prompt_tokens += tokens_of(request.messages) + (turn - len(history)) * config.max_new_tokens
            completion_tokens += request.max_tokens
    usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    plan = CallPlan(
        stage=stage,
        calls=calls,
        cached=hits,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=(price or FREE).cost(usage),
        batch_cost_usd=None,
        free=price is None or price == FREE,
    )
    return known, plan


def _judge_plan(comparison: Comparison, sides: Sequence[tuple[str, dict[str, Generation]]]) -> CallPlan:
    from .judges import PairTask
    from .store import RunFolder

    (name_b, outputs_b), (name_c, outputs_c) = sides
    judge = comparison.judge
    run = RunFolder(comparison.root.run_dir(comparison.eval_set.name, name_b, name_c, judge.name))
    exact, _ = comparison.pending(run, (outputs_b, outputs_c))
    placeholder = "x" * (comparison.settings.generation.max_new_tokens * CHARS_PER_TOKEN)
    unknown = [
        PairTask.of(f"{p.id}|{first}|?", p, [placeholder] * p.n_turns, [placeholder] * p.n_turns, first)
        for p in _unknown(comparison.eval_set, outputs_b, outputs_c)
        for first in comparison.orders(p.id)
    ]
    return _asked(f"judge ({judge.name})", _sum(judge.plan(exact), judge.plan(unknown)), bool(unknown))


def _asked(stage: str, total: JudgePlan, estimated: bool) -> CallPlan:
    """A judge's or grader's plan as a stage of the run's."""
    return CallPlan(
        stage=stage,
        calls=total.calls,
        cached=total.cached,
        prompt_tokens=total.prompt_tokens,
        completion_tokens=total.completion_tokens,
        cost_usd=total.cost_usd,
        batch_cost_usd=total.batch_cost_usd,
        estimated=estimated,
        free=total.cost_usd == 0.0,
    )


def plan_grade(model: str, settings: GradeSettings) -> list[CallPlan]:
    """The calls `grade(model, settings)` would make now: the answers still to generate, then
    every turn still to grade (exact where the answer is known, estimated where it is not)."""
    from dataclasses import replace

    from .grading import Grading, grade_tasks
    from .judges import GradeTask
    from .models._base import load_backend
    from .store import GradeFolder

    grading = Grading(settings)
    cache: CallCache = CallCache() if settings.use_cache else NullCache()
    backend = load_backend(model, replace(settings.backend, name=settings.model_name))
    stage = f"outputs ({backend.name})"
    known, outputs = _outputs_plan(grading.eval_set, grading.root, settings.generation, backend, cache, stage)
    grader = grading.grader
    folder = GradeFolder(grading.root.grade_dir(grading.eval_set.name, backend.name, grader.name))
    done = {(g.prompt_id, g.turn, g.answer_hash) for g in folder.current_grades(grader.name, known)}
    exact = grade_tasks(grading.eval_set.prompts, known, done)
    placeholder = "x" * (settings.generation.max_new_tokens * CHARS_PER_TOKEN)
    unknown = [
        GradeTask(f"{p.id}#{turn}#?", p, (placeholder,) * turn, turn)
        for p in grading.eval_set
        if p.id not in known
        for turn in range(1, p.n_turns + 1)
    ]
    graded = _asked(f"grader ({grader.name})", _sum(grader.plan(exact), grader.plan(unknown)), bool(unknown))
    return [outputs, graded]


def _unknown(
    prompts: Iterable[Prompt], outputs_b: dict[str, Generation], outputs_c: dict[str, Generation]
) -> list[Prompt]:
    return [p for p in prompts if p.id not in outputs_b or p.id not in outputs_c]


def _sum(a: JudgePlan, b: JudgePlan) -> JudgePlan:
    from .judges import JudgePlan

    return JudgePlan(
        calls=a.calls + b.calls,
        cached=a.cached + b.cached,
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        cost_usd=a.cost_usd + b.cost_usd,
        batch_cost_usd=a.batch_cost_usd + b.batch_cost_usd,
    )


def _read_file(backend: FileBackend, eval_set: EvalSet, config_hash: str) -> dict[str, Generation]:
    """A `file:` model's outputs as `generate` would store them (read, not written)."""
    backend.prepare(eval_set.prompts)
    return {
        pid: Generation(
            prompt_id=pid,
            model=backend.name,
            output=answers[0],
            follow_up_outputs=answers[1:],
            config_hash=config_hash,
        )
        for pid, answers in backend.answers.items()
    }


def price_of(backend: ModelBackend) -> Price | None:
    """What one of this backend's calls costs; None for local models, which cost nothing."""
    from .models._openai_api import OpenAIBackend

    if isinstance(backend, OpenAIBackend):
        return price_for(backend.model, backend.base_url)
    return None


def count_requests(requests: Iterable[ChatRequest], cached: CachedBackend) -> tuple[int, int, Usage]:
    """(calls that would go out, requests the call cache answers, the calls' estimated usage):
    prompts at about 4 characters a token, answers at `max_tokens` (an upper bound)."""
    calls = hits = prompt_tokens = completion_tokens = 0
    for request in requests:
        if cached.cacheable and cached.cache.get(cached.key_for(request)) is not None:
            hits += 1
            continue
        calls += 1
        prompt_tokens += tokens_of(request.messages)
        completion_tokens += request.max_tokens
    return calls, hits, Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def tokens_of(messages: Sequence[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages) // CHARS_PER_TOKEN + 1
