"""LLM pairwise judges and single-answer graders over any chat backend (`openai:`, `hf:` with
logprobs, `vllm:`).

Each pair is asked once (the call cache serves repeats). An unparseable answer is asked again
with a fresh, uncached call the moment it arrives (not after the rest of the batch), up to
`parse_retries`; what still cannot be read is returned as `unscored` with every raw answer kept
— never turned into a tie or dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from alpaca_bench.cache import CallCache, NullCache
from alpaca_bench.errors import InputError
from alpaca_bench.evalsets import EvalSet
from alpaca_bench.models._base import ChatRequest, Completion, ModelBackend, load_backend
from alpaca_bench.models._cached import CachedBackend
from alpaca_bench.models._openai_batch import BATCH_PRICE_FACTOR, OpenAIBatchBackend
from alpaca_bench.pricing import FREE, CostBudget, Price, price_for
from alpaca_bench.records import Usage

from ._base import (
    DEFAULT_GRADE_TEMPLATE,
    GradeResult,
    GradeTask,
    JudgeOptions,
    JudgePlan,
    JudgeResult,
    PairTask,
)
from ._templates import JudgeTemplate, LogprobsParser, ScoreParser, load_template

logger = logging.getLogger(__name__)

LOGPROBS_TOP_K = 10


class _Asking:
    """What an LLM judge and an LLM grader share: the backend (or the Batch API), the call
    cache, prices and the spend cap, and the loop that asks every task and asks again what
    could not be read. Subclasses say how a task becomes a request (`request`) and whether an
    answer can be read (`readable`)."""

    default_template = "pairwise"
    noun = "pairs"  # what a task is, in log lines

    def __init__(self, spec: str, options: JudgeOptions, cache: CallCache | None = None):
        self.spec = spec
        self.options = options
        self.template: JudgeTemplate = load_template(options.template or self.default_template)
        scheme, _, rest = spec.partition(":")
        if options.batch is not None and scheme != "openai":
            raise InputError(f"--batch needs an openai: judge (the Batch API); got {spec!r}")
        self.price = self._price(spec, options.price, batch=options.batch is not None)
        self.budget = (
            CostBudget(options.max_cost_usd, self.price) if options.max_cost_usd is not None else None
        )
        backend_options = replace(options.backend, admission=self.budget)
        self.backend: ModelBackend = (
            OpenAIBatchBackend(rest, backend_options, options.batch)
            if options.batch is not None
            else load_backend(spec, backend_options)
        )
        self.name = f"{self.backend.name}-{self.template.name}"
        cache = cache if cache is not None else (CallCache() if options.use_cache else NullCache())
        self.cached = CachedBackend(self.backend, cache, kind="judge")
        self.counts = self.cached.counts

    @staticmethod
    def _price(spec: str, override: Price | None, batch: bool = False) -> Price:
        """The price of one call: the table's (half of it through the Batch API) unless given."""
        scheme, _, rest = spec.partition(":")
        if scheme != "openai":
            return override or FREE
        if override is not None:
            return override
        model, _, url = rest.rpartition("@")
        if not model:
            model, url = rest, ""
        price = price_for(model, url or None)
        if batch:
            return Price(price.input_per_m * BATCH_PRICE_FACTOR, price.output_per_m * BATCH_PRICE_FACTOR)
        return price

    def record_to(self, folder: Path) -> None:
        """Record Batch API batches in `folder`/batches.jsonl (the run folder), so that a re-run
        there polls them instead of paying for their lines again; a no-op for ordinary calls."""
        if isinstance(self.backend, OpenAIBatchBackend):
            self.backend.record_to(folder / "batches.jsonl")

    def identity(self) -> dict[str, Any]:
        return {
            "judge": self.backend.identity(),
            "template": self.template.content_hash(),
            "parse_retries": self.options.parse_retries,
        }

    def _request(self, key: str, values: dict[str, Any], attempt: int) -> ChatRequest:
        parser = self.template.parser
        logprobs = LOGPROBS_TOP_K if parser.type == "logprobs" else None
        score_tokens = (parser.a_token, parser.b_token) if isinstance(parser, LogprobsParser) else ()
        return ChatRequest(
            key=key,
            messages=self.template.render(values),
            max_tokens=self.template.decoding.max_tokens,
            temperature=self.template.decoding.temperature,
            logprobs=logprobs,
            score_tokens=score_tokens,
            use_cache=attempt == 0,
            priority=attempt,  # a parse retry goes out ahead of first asks still waiting
        )

    def request(self, task: Any, attempt: int) -> ChatRequest:
        raise NotImplementedError

    def readable(self, completion: Completion) -> bool:
        raise NotImplementedError

    async def _ask(self, tasks: Mapping[str, Any]) -> AsyncIterator[list[Completion]]:
        """Every answer of each task, once the last one can be read or the retries are spent.

        Every first ask streams at once; each parse retry joins as its own stream, so retries
        share the backend's slots with first asks instead of waiting for a round to drain."""
        history: dict[str, list[Completion]] = {key: [] for key in tasks}
        arrived: asyncio.Queue[Completion | BaseException | None] = asyncio.Queue()
        streams: set[asyncio.Task[None]] = set()

        async def pump(requests: list[ChatRequest]) -> None:
            try:
                async for completion in self.cached.stream(requests):
                    await arrived.put(completion)
            except BaseException as exc:  # handed to the consumer below, which re-raises it
                await arrived.put(exc)
            finally:
                await arrived.put(None)

        def start(requests: list[ChatRequest]) -> None:
            streams.add(asyncio.create_task(pump(requests)))

        if tasks:
            start([self.request(task, 0) for task in tasks.values()])
        open_streams = len(streams)
        try:
            while open_streams:
                item = await arrived.get()
                if item is None:
                    open_streams -= 1
                    continue
                if isinstance(item, BaseException):
                    raise item
                key = item.key
                history[key].append(item)
                await self._settle(item)
                attempts = len(history[key])
                if self.readable(item) or attempts > self.options.parse_retries:
                    if not item.cached:
                        self.counts.used += 1
                    yield history[key]
                elif self.budget is not None and self.budget.exhausted:
                    logger.warning("spend cap $%.4f hit; %s left for a re-run", self.budget.limit_usd, key)
                else:
                    start([self.request(tasks[key], attempts)])
                    open_streams += 1
        finally:
            for stream in streams:
                stream.cancel()
            await asyncio.gather(*streams, return_exceptions=True)
        unanswered = [k for k, h in history.items() if not h]
        if unanswered and self.options.batch is not None and not self.options.batch.wait:
            logger.warning(
                "%d of %d %s are in batches not finished yet: re-run the same command to collect "
                "them (nothing is paid twice)",
                len(unanswered),
                len(history),
                self.noun,
            )
        elif unanswered:
            shown = ", ".join(unanswered[:3]) + (", …" if len(unanswered) > 3 else "")
            logger.warning("no answer for %d %s (%s); a re-run asks again", len(unanswered), self.noun, shown)

    async def _settle(self, completion: Completion) -> None:
        if not completion.cached:
            self.counts.cost_usd += self.price.cost(completion.usage)
        if self.budget is not None:
            await self.budget.settle(
                completion.key, 0.0 if completion.cached else self.price.cost(completion.usage)
            )

    def _paid(self, attempts: list[Completion]) -> tuple[dict[str, Any], Usage, int]:
        """The raw record of a task's answers, the usage of those that were paid for, and how many."""
        last = attempts[-1]
        paid = [c for c in attempts if not c.cached]
        raw: dict[str, Any] = {
            "text": last.text,
            "cached": last.cached,
            "latency_s": round(last.latency_s, 4),
        }
        if last.top_logprobs:
            raw["top_logprobs"] = last.top_logprobs
        if len(attempts) > 1:
            raw["earlier_attempts"] = [c.text for c in attempts[:-1]]
        return raw, sum((c.usage for c in paid), Usage()), len(paid)

    def plan(self, tasks: Sequence[Any]) -> JudgePlan:
        """First asks only (a parse retry cannot be foreseen), each rendered exactly as `judge`
        would send it and looked up in the call cache; priced at the sync and the batch price."""
        from alpaca_bench.planning import count_requests  # (planning imports judges)

        calls, cached, usage = count_requests((self.request(task, 0) for task in tasks), self.cached)
        return JudgePlan(
            calls=calls,
            cached=cached,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=self._price(self.spec, self.options.price).cost(usage),
            batch_cost_usd=self._price(self.spec, self.options.price, batch=True).cost(usage),
        )

    async def aclose(self) -> None:
        await self.backend.aclose()


class LLMJudge(_Asking):
    """A pairwise judge: which of two blind replies (or conversations) is better."""

    def __init__(self, spec: str, options: JudgeOptions, cache: CallCache | None = None):
        super().__init__(spec, options, cache)
        if self.template.kind != "pairwise":
            raise InputError(
                f"judge template {self.template.name!r} grades one answer: use it with alpaca-bench grade"
            )

    def check(self, eval_set: EvalSet) -> None:
        multi = next((p for p in eval_set if p.follow_ups), None)
        if multi is not None and not self.template.conversational:
            raise InputError(
                f"eval set {eval_set.name!r} has multi-turn prompts (first: {multi.id}), and judge template "
                f"{self.template.name!r} shows one answer; use pairwise-conversation (whole conversations) "
                "or pairwise-last-turn (the last reply)"
            )
        if self.template.needs_reference:
            from ._reference import require_references

            require_references(eval_set, f"judge template {self.template.name!r}")

    def request(self, task: PairTask, attempt: int) -> ChatRequest:
        answers_a, answers_b = task.conversation()
        values = {
            "instruction": task.prompt.instruction,
            "input": task.prompt.input,
            "output_a": task.output_a,
            "output_b": task.output_b,
            "reference": task.prompt.reference or "",
            "turns": task.prompt.user_turns(),
            "answers_a": list(answers_a),
            "answers_b": list(answers_b),
            "references": task.prompt.references(),
        }
        return self._request(task.key, values, attempt)

    def readable(self, completion: Completion) -> bool:
        return self.template.parse(completion.text, completion.top_logprobs) is not None

    async def judge(self, tasks: Sequence[PairTask]) -> AsyncIterator[JudgeResult]:
        async for attempts in self._ask({task.key: task for task in tasks}):
            yield self._result(attempts)

    def _result(self, attempts: list[Completion]) -> JudgeResult:
        last = attempts[-1]
        parsed = self.template.parse(last.text, last.top_logprobs)
        raw, usage, calls = self._paid(attempts)
        verdict, p_b = parsed if parsed is not None else ("unscored", None)
        return JudgeResult(
            key=last.key,
            verdict=verdict,  # type: ignore[arg-type]
            p_b=p_b,
            raw=raw,
            usage=usage,
            cost_usd=self.price.cost(usage),
            calls=calls,
        )


class LLMGrader(_Asking):
    """A single-answer grader: a score for one reply, in the context of the turns before it."""

    default_template = DEFAULT_GRADE_TEMPLATE
    noun = "replies"

    def __init__(self, spec: str, options: JudgeOptions, cache: CallCache | None = None):
        super().__init__(spec, options, cache)
        if not isinstance(self.template.parser, ScoreParser):
            raise InputError(
                f"judge template {self.template.name!r} compares two answers: grade needs a grade template "
                f"such as {DEFAULT_GRADE_TEMPLATE}"
            )
        self.score_range = (self.template.parser.min, self.template.parser.max)

    def check(self, eval_set: EvalSet) -> None:
        return None  # a grade template shows a reference where a prompt has one

    def request(self, task: GradeTask, attempt: int) -> ChatRequest:
        turns = task.prompt.user_turns()[: task.turn]
        references = task.prompt.references()[: task.turn]
        values = {
            "instruction": task.prompt.instruction,
            "input": task.prompt.input,
            "answer": task.answers[-1],
            "reference": references[-1],
            "turns": turns,
            "answers": list(task.answers),
            "references": references,
            "turn": str(task.turn),
        }
        return self._request(task.key, values, attempt)

    def readable(self, completion: Completion) -> bool:
        return self.template.score(completion.text) is not None

    async def grade(self, tasks: Sequence[GradeTask]) -> AsyncIterator[GradeResult]:
        async for attempts in self._ask({task.key: task for task in tasks}):
            raw, usage, calls = self._paid(attempts)
            yield GradeResult(
                key=attempts[-1].key,
                score=self.template.score(attempts[-1].text),
                raw=raw,
                usage=usage,
                cost_usd=self.price.cost(usage),
                calls=calls,
            )
