"""The generation loop: prompt, parse, filter, deduplicate, append — resumably and seeded.

Requests go out in rounds of up to `--concurrency`. Request i's prompt depends only on the seed,
i and the tasks kept before its round, and answers are processed in request order whatever order
they arrive in, so a run is reproducible. Each answer's kept tasks, rejections and accounting
are appended to disk before the next answer is looked at; a restarted run reads them back,
rebuilds the dedup index from seeds + kept tasks, and continues at the next request number.

Files, for `--output tasks.jsonl`:
- `tasks.jsonl`            kept tasks, Alpaca fields only (instruction, input, output)
- `tasks.rejected.jsonl`   every dropped candidate with its reason (and surplus tasks beyond --num)
- `tasks.requests.jsonl`   one line per answered request: tokens, cost, counts
- `tasks.manifest.json`    the settings of the latest session
- `tasks.report.json`      the final report
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alpaca_bench.cache import CallCache
from alpaca_bench.errors import InputError, ServiceError
from alpaca_bench.files import JsonlLog, atomic_write_json
from alpaca_bench.models import (
    BackendOptions,
    CachedBackend,
    ChatRequest,
    Completion,
    load_backend,
    split_spec,
)
from alpaca_bench.planning import CallPlan, count_requests
from alpaca_bench.pricing import FREE, CostBudget, Price, price_for
from alpaca_bench.progress import Bar, progress_bar
from alpaca_bench.records import Usage

from ._config import DatagenConfig
from ._dedup import RougeIndex, check_threshold
from ._filters import TaskFilter, default_filters, first_rejection
from ._formats import TaskFormat, get_format
from ._prompting import build_prompt
from ._records import Rejection, RequestRecord, Task
from ._report import DatagenReport, build_report
from ._seeds import load_seed_tasks

logger = logging.getLogger(__name__)

# Before any answer arrives, assume half the requested tasks survive (Alpaca kept about 40%).
PRIOR_YIELD = 0.5


@dataclass(frozen=True)
class RunFiles:
    """The output file and its sidecars (see the module doc)."""

    output: Path

    @classmethod
    def of(cls, output: Path) -> RunFiles:
        if output.suffix.lower() != ".jsonl":
            raise InputError("--output must be a .jsonl file (appended to as tasks are kept)", output)
        if output.is_dir():
            raise InputError("is a directory, expected a .jsonl file", output)
        return cls(output)

    def _sidecar(self, suffix: str) -> Path:
        return self.output.with_name(self.output.stem + suffix)

    @property
    def rejected(self) -> Path:
        return self._sidecar(".rejected.jsonl")

    @property
    def requests(self) -> Path:
        return self._sidecar(".requests.jsonl")

    @property
    def manifest(self) -> Path:
        return self._sidecar(".manifest.json")

    @property
    def report(self) -> Path:
        return self._sidecar(".report.json")


@dataclass
class DatagenResult:
    files: RunFiles
    report: DatagenReport
    complete: bool
    stopped_by: str  # "done" or "max_cost"
    new_requests: int
    model_calls: int


@dataclass
class _State:
    """Everything a session knows; rebuilt from disk when a run resumes."""

    config: DatagenConfig
    task_format: TaskFormat
    seeds: list[Task]
    kept: list[Task]
    index: RougeIndex
    files: RunFiles
    price: Price
    next_request: int
    requests_done: int
    kept_by_requests: int
    spent_before: float
    budget: CostBudget | None
    filters: list[TaskFilter] = field(default_factory=default_filters)
    rejected_now: Counter[str] = field(default_factory=Counter)
    new_requests: int = 0
    fruitless: int = 0

    @property
    def remaining(self) -> int:
        return self.config.num - len(self.kept)


def generate_tasks(
    config: DatagenConfig,
    options: BackendOptions | None = None,
    cache: CallCache | None = None,
    show_progress: bool = True,
) -> DatagenResult:
    """Generate until `config.output` holds `config.num` tasks (or the cost cap is reached)."""
    options = options or BackendOptions()
    state = _load_state(config)
    if split_spec(config.model)[0] == "file":
        raise InputError(f"datagen needs a model that writes text; {config.model!r} only replays outputs")
    backend = load_backend(config.model, options)
    state.price = _price(backend.identity(), config.price)
    state.budget = _budget(config, state)
    options.admission = state.budget
    _write_manifest(state, backend.identity())
    wrapped = CachedBackend(backend, cache or CallCache(), kind="datagen")

    async def run() -> str:
        try:
            return await _generate(state, wrapped, max(1, options.concurrency), show_progress)
        finally:
            await wrapped.aclose()

    stopped_by = asyncio.run(run()) if state.remaining > 0 else "done"
    report = write_report(state.files, config.num)
    return DatagenResult(
        state.files,
        report,
        complete=report.kept >= config.num,
        stopped_by=stopped_by,
        new_requests=state.new_requests,
        model_calls=wrapped.counts.answers,
    )


def plan_tasks(
    config: DatagenConfig, options: BackendOptions | None = None, cache: CallCache | None = None
) -> CallPlan:
    """The requests `generate_tasks` would send to reach `config.num` (`--dry-run`), after the
    call cache, at the yield this run has had so far (`PRIOR_YIELD` of each request's tasks before
    three requests). An estimate by nature: how many tasks survive the filters is only known
    once they are written. Reads the run's files; writes nothing."""
    state = _load_state(config)
    if split_spec(config.model)[0] == "file":
        raise InputError(f"datagen needs a model that writes text; {config.model!r} only replays outputs")
    backend = load_backend(config.model, options or BackendOptions())
    price = _price(backend.identity(), config.price)
    wrapped = CachedBackend(backend, cache or CallCache(), kind="datagen")
    per_request = config.tasks_per_request * PRIOR_YIELD
    if state.requests_done >= 3:
        per_request = max(state.kept_by_requests / state.requests_done, 0.5)
    needed = math.ceil(state.remaining / per_request) if state.remaining > 0 else 0
    requests = (_request(state, number) for number in range(state.next_request, state.next_request + needed))
    calls, cached, usage = count_requests(requests, wrapped)  # exact while examples come from the seeds
    return CallPlan(
        stage=f"datagen ({backend.name}, {state.remaining} tasks to go at {per_request:.1f} per request)",
        calls=calls,
        cached=cached,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost_usd=price.cost(usage),
        batch_cost_usd=None,
        estimated=True,
        free=price == FREE,
    )


def _load_state(config: DatagenConfig) -> _State:
    threshold = check_threshold(config.similarity_threshold)
    task_format = get_format(config.format)
    files = RunFiles.of(Path(config.output))
    seeds = load_seed_tasks(config.seed_tasks)
    config.check(len(seeds))
    kept = JsonlLog(files.output).read(Task)
    requests = JsonlLog(files.requests).read(RequestRecord)
    index = RougeIndex(threshold)
    index.add(t.instruction for t in seeds)
    index.add(t.instruction for t in kept)
    if kept:
        logger.info("%s: resuming with %d tasks already kept", files.output, len(kept))
    return _State(
        config=config,
        task_format=task_format,
        seeds=seeds,
        kept=kept,
        index=index,
        files=files,
        price=FREE,
        next_request=max((r.request for r in requests), default=-1) + 1,
        requests_done=len(requests),
        kept_by_requests=sum(r.kept for r in requests),
        spent_before=sum(r.cost_usd for r in requests),
        budget=None,
    )


def _price(identity: dict[str, Any], override: Price | None) -> Price:
    if override is not None or identity.get("scheme") != "openai":
        return override or FREE
    base_url = identity.get("base_url")
    return price_for(str(identity.get("model")), None if base_url == "api.openai.com" else base_url)


def _budget(config: DatagenConfig, state: _State) -> CostBudget | None:
    if config.max_cost is None:
        return None
    if state.price == FREE:
        logger.warning("--max-cost has no effect: %s is priced at 0 (pass --price IN,OUT)", config.model)
    return CostBudget(limit_usd=config.max_cost, price=state.price, spent_usd=state.spent_before)


def _write_manifest(state: _State, identity: dict[str, Any]) -> None:
    """Record this session's settings; warn when they differ from those of the run being resumed."""
    fields = {k: v for k, v in asdict(state.config).items() if k != "generation"}
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in fields.items()}
    decoding = state.config.generation.model_dump()
    decoding["max_tokens"] = decoding.pop("max_new_tokens")  # the manifest's keys, as they have always been
    config.update(decoding)
    config["similarity_threshold"] = state.index.threshold
    manifest = {
        "config": config,
        "model": identity,
        "seed_tasks_sha256": hashlib.sha256(Path(state.config.seed_tasks).read_bytes()).hexdigest(),
        "price_usd_per_million": [state.price.input_per_m, state.price.output_per_m],
        "resumed_with": len(state.kept),
    }
    if state.kept and state.files.manifest.exists():
        _warn_if_changed(state.files, manifest)
    atomic_write_json(state.files.manifest, manifest)


def _warn_if_changed(files: RunFiles, manifest: dict[str, Any]) -> None:
    try:
        before = json.loads(files.manifest.read_text())
    except (OSError, ValueError):
        return
    settings = {
        "model": (before.get("model"), manifest["model"]),
        "seed tasks": (before.get("seed_tasks_sha256"), manifest["seed_tasks_sha256"]),
        **{
            f"--{key.replace('_', '-')}": (before.get("config", {}).get(key), manifest["config"][key])
            for key in ("similarity_threshold", "format", "examples_per_prompt", "seed")
        },
    }
    changed = [name for name, (old, new) in settings.items() if old != new]
    if changed:
        logger.warning(
            "%s: resuming with a different %s than the run that wrote it; its tasks are kept as they are",
            files.output,
            ", ".join(changed),
        )


async def _generate(state: _State, backend: CachedBackend, concurrency: int, show_progress: bool) -> str:
    with progress_bar("datagen", state.config.num, show_progress) as bar:
        bar.advance(len(state.kept))
        while state.remaining > 0:
            size = _round_size(state, concurrency)
            first = state.next_request
            requests = [_request(state, i) for i in range(first, first + size)]
            answered = await _run_round(state, backend, requests, bar)
            if state.budget is not None and state.budget.exhausted and answered < size:
                logger.info("stopped at --max-cost $%g with %d tasks", state.config.max_cost, len(state.kept))
                return "max_cost"
            if answered == 0:
                raise ServiceError(f"{state.config.model} answered none of {size} requests")
    return "done"


def _round_size(state: _State, concurrency: int) -> int:
    """Enough requests to finish at the yield seen so far, at most `concurrency`."""
    per_request = state.config.tasks_per_request * PRIOR_YIELD
    if state.requests_done >= 3:
        per_request = state.kept_by_requests / state.requests_done
    needed = math.ceil(state.remaining / max(per_request, 0.5))
    return max(1, min(concurrency, needed))


def _request(state: _State, number: int) -> ChatRequest:
    config = state.config
    decoding = config.generation
    rng = np.random.default_rng([decoding.seed, number])
    machine = min(config.machine_examples, len(state.kept))
    examples = [
        state.seeds[i]
        for i in rng.choice(len(state.seeds), config.examples_per_prompt - machine, replace=False)
    ]
    if machine:
        examples += [state.kept[i] for i in rng.choice(len(state.kept), machine, replace=False)]
        examples = [examples[i] for i in rng.permutation(len(examples))]
    prompt = build_prompt(state.task_format, examples, config.tasks_per_request)
    return ChatRequest(
        key=str(number),
        messages=[{"role": "user", "content": prompt}],
        max_tokens=decoding.max_new_tokens,
        temperature=decoding.temperature,
        top_p=decoding.top_p,
        seed=(decoding.seed * 1_000_003 + number) % 2**31,
        template=decoding.template,
    )


async def _run_round(state: _State, backend: CachedBackend, requests: Sequence[ChatRequest], bar: Bar) -> int:
    """Send a round; process answers strictly in request order. Returns how many were processed.

    Once `--num` is reached the calls still in flight are cancelled; answers already received are
    recorded too (their tasks as surplus), so the cost log misses nothing that was paid for."""
    waiting: dict[int, Completion] = {}
    first = next_number = int(requests[0].key)
    stream = backend.stream(requests)
    try:
        async for completion in stream:
            waiting[int(completion.key)] = completion
            while next_number in waiting and state.remaining > 0:
                await _settled(state, waiting.pop(next_number), bar)
                next_number += 1
            if state.remaining <= 0:
                break
    finally:
        await _close(stream)
    for number in sorted(waiting):
        await _settled(state, waiting.pop(number), bar)
    return next_number - first


async def _close(stream: AsyncIterator[Completion]) -> None:
    """Stop an answer stream now (cancelling calls in flight), not when it is garbage collected."""
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()


async def _settled(state: _State, completion: Completion, bar: Bar) -> None:
    """Process an answer, then release its reservation in the cost budget at its real cost."""
    cost = _process(state, completion, bar)
    if state.budget is not None:
        await state.budget.settle(completion.key, cost)


def _process(state: _State, completion: Completion, bar: Bar) -> float:
    """Parse, filter, deduplicate and record one answer; returns what it cost."""
    number = int(completion.key)
    parsed = state.task_format.parse(completion.text, truncated=completion.finish_reason == "length")
    rejections = [
        Rejection(reason=p.reason, detail=p.detail, request=number, raw=p.raw) for p in parsed.problems
    ]
    passing: list[Task] = []
    for task in parsed.tasks:
        verdict = first_rejection(task, state.filters)
        if verdict is None:
            passing.append(task)
        else:
            rejections.append(
                Rejection(reason=verdict[0], detail=verdict[1], request=number, **task.model_dump())
            )
    kept: list[Task] = []
    for task, decision in zip(passing, state.index.screen([t.instruction for t in passing]), strict=True):
        if not decision.kept:
            rejections.append(
                Rejection(
                    reason="near_duplicate",
                    detail=f"ROUGE-L {decision.score:.3f} > {state.index.threshold:g}",
                    request=number,
                    score=decision.score,
                    similar_to=decision.similar_to,
                    **task.model_dump(),
                )
            )
        elif len(kept) < state.remaining:
            kept.append(task)
        else:
            rejections.append(
                Rejection(reason="surplus", detail="beyond --num", request=number, **task.model_dump())
            )
    cost = _record(state, completion, kept, rejections, candidates=len(parsed.tasks) + len(parsed.problems))
    bar.advance(len(kept))
    bar.describe(_describe(state))
    return cost


def _record(
    state: _State, completion: Completion, kept: list[Task], rejections: list[Rejection], candidates: int
) -> float:
    """Append in the order that makes a crash at any point safe: tasks, rejections, then the request
    record (a request without its record is simply asked again on resume)."""
    number = int(completion.key)
    cost = 0.0 if completion.cached else state.price.cost(completion.usage)
    JsonlLog(state.files.output).append(kept)
    JsonlLog(state.files.rejected).append(rejections)
    surplus = sum(r.reason == "surplus" for r in rejections)
    JsonlLog(state.files.requests).append(
        RequestRecord(
            request=number,
            model=state.config.model,
            usage=completion.usage if not completion.cached else Usage(),
            cost_usd=cost,
            cached=completion.cached,
            finish_reason=completion.finish_reason,
            candidates=candidates,
            kept=len(kept),
            rejected=len(rejections) - surplus,
            surplus=surplus,
            latency_s=completion.latency_s,
        )
    )
    state.kept.extend(kept)
    state.kept_by_requests += len(kept)
    state.requests_done += 1
    state.new_requests += 1
    state.next_request = number + 1
    state.rejected_now.update(r.reason for r in rejections if r.reason != "surplus")
    state.fruitless = 0 if kept else state.fruitless + 1
    if state.fruitless >= state.config.patience and state.remaining > 0:
        raise ServiceError(
            f"{state.config.model} gave no new usable task in {state.fruitless} requests in a row; "
            f"see {state.files.rejected} for why (progress is saved)"
        )
    return cost


def _describe(state: _State) -> str:
    top = ", ".join(f"{reason} {n}" for reason, n in state.rejected_now.most_common(4))
    return f"datagen (rejected: {top})" if top else "datagen"


def write_report(files: RunFiles, target: int) -> DatagenReport:
    """Build the report from what is on disk (all sessions) and write it next to the output."""
    report = build_report(
        str(files.output),
        target,
        JsonlLog(files.output).read(Task),
        JsonlLog(files.rejected).read(Rejection),
        JsonlLog(files.requests).read(RequestRecord),
    )
    atomic_write_json(files.report, report.model_dump(mode="json"))
    return report
