"""LLM pairwise judges over any chat backend (`openai:`, `hf:` with logprobs, `vllm:`).

Each pair is asked once (the call cache serves repeats). An unparseable answer is asked again
with a fresh, uncached call the moment it arrives (not after the rest of the batch), up to
`parse_retries`; what still cannot be read is returned as `unscored` with every raw answer kept
— never turned into a tie or dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
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

from ._base import JudgeOptions, JudgePlan, JudgeResult, PairTask
from ._templates import JudgeTemplate, load_template

logger = logging.getLogger(__name__)

LOGPROBS_TOP_K = 10


class LLMJudge:
    def __init__(self, spec: str, options: JudgeOptions, cache: CallCache | None = None):
        self.spec = spec
        self.options = options
        self.template: JudgeTemplate = load_template(options.template or "pairwise")
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

    def check(self, eval_set: EvalSet) -> None:
        if self.template.needs_reference:
            from ._reference import require_references

            require_references(eval_set, f"judge template {self.template.name!r}")

    def request(self, task: PairTask, attempt: int) -> ChatRequest:
        values = {
            "instruction": task.prompt.instruction,
            "input": task.prompt.input,
            "output_a": task.output_a,
            "output_b": task.output_b,
            "reference": task.prompt.reference or "",
        }
        parser = self.template.parser
        logprobs = LOGPROBS_TOP_K if parser.type == "logprobs" else None
        score_tokens = (parser.a_token, parser.b_token) if parser.type == "logprobs" else ()
        return ChatRequest(
            key=task.key,
            messages=self.template.render(values),
            max_tokens=self.template.decoding.max_tokens,
            temperature=self.template.decoding.temperature,
            logprobs=logprobs,
            score_tokens=score_tokens,
            use_cache=attempt == 0,
            priority=attempt,  # a parse retry goes out ahead of first asks still waiting
        )

    async def judge(self, tasks: Sequence[PairTask]) -> AsyncIterator[JudgeResult]:
        """Stream every first ask at once; each parse retry joins as its own stream, so retries
        share the backend's slots with first asks instead of waiting for a round to drain."""
        by_key = {task.key: task for task in tasks}
        history: dict[str, list[Completion]] = {key: [] for key in by_key}
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

        if by_key:
            start([self.request(task, 0) for task in by_key.values()])
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
                final = attempts > self.options.parse_retries
                result = self._result(key, history[key], final=final)
                if result is not None:
                    if not result.raw.get("cached"):
                        self.counts.used += 1
                    yield result
                elif self.budget is not None and self.budget.exhausted:
                    logger.warning("spend cap $%.4f hit; %s left for a re-run", self.budget.limit_usd, key)
                else:
                    start([self.request(by_key[key], attempts)])
                    open_streams += 1
        finally:
            for stream in streams:
                stream.cancel()
            await asyncio.gather(*streams, return_exceptions=True)
        unanswered = [k for k, h in history.items() if not h]
        if unanswered and self.options.batch is not None and not self.options.batch.wait:
            logger.warning(
                "%d of %d pairs are in batches not finished yet: re-run the same command to collect "
                "them (nothing is paid twice)",
                len(unanswered),
                len(history),
            )
        elif unanswered:
            shown = ", ".join(unanswered[:3]) + (", …" if len(unanswered) > 3 else "")
            logger.warning("no answer for %d pairs (%s); a re-run asks again", len(unanswered), shown)

    async def _settle(self, completion: Completion) -> None:
        if not completion.cached:
            self.counts.cost_usd += self.price.cost(completion.usage)
        if self.budget is not None:
            await self.budget.settle(
                completion.key, 0.0 if completion.cached else self.price.cost(completion.usage)
            )

    def _result(self, key: str, attempts: list[Completion], final: bool) -> JudgeResult | None:
        if not attempts:
            return None
        last = attempts[-1]
        parsed = self.template.parse(last.text, last.top_logprobs)
        if parsed is None and not final:
            return None
        paid = [c for c in attempts if not c.cached]
        usage = sum((c.usage for c in paid), Usage())
        raw: dict[str, Any] = {
            "text": last.text,
            "cached": last.cached,
            "latency_s": round(last.latency_s, 4),
        }
        if last.top_logprobs:
            raw["top_logprobs"] = last.top_logprobs
        if len(attempts) > 1:
            raw["earlier_attempts"] = [c.text for c in attempts[:-1]]
        verdict, p_b = parsed if parsed is not None else ("unscored", None)
        return JudgeResult(
            key=key,
            verdict=verdict,  # type: ignore[arg-type]
            p_b=p_b,
            raw=raw,
            usage=usage,
            cost_usd=self.price.cost(usage),
            calls=len(paid),
        )

    def plan(self, tasks: Sequence[PairTask]) -> JudgePlan:
        """First asks only (a parse retry cannot be foreseen), each rendered exactly as `judge`
        would send it and looked up in the call cache; priced at the sync and the batch price."""
        from alpaca_bench.planning import tokens_of  # the one token estimate (planning imports judges)

        calls = cached = prompt_tokens = completion_tokens = 0
        for task in tasks:
            request = self.request(task, 0)
            if self.backend.cacheable and self.cached.cache.get(self.cached.key_for(request)) is not None:
                cached += 1
                continue
            calls += 1
            prompt_tokens += tokens_of(request.messages)
            completion_tokens += request.max_tokens
        usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        return JudgePlan(
            calls=calls,
            cached=cached,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=self._price(self.spec, self.options.price).cost(usage),
            batch_cost_usd=self._price(self.spec, self.options.price, batch=True).cost(usage),
        )

    async def aclose(self) -> None:
        await self.backend.aclose()
