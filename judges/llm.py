"""LLM pairwise judges over any chat backend (`openai:`, `hf:` with logprobs, `vllm:`).

Each pair is asked once (the call cache serves repeats). Unparseable answers are asked again in
further rounds with fresh, uncached calls, up to `parse_retries`; what still cannot be read is
returned as `unscored` with every raw answer kept — never turned into a tie or dropped.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from alpaca_bench.cache import CallCache, NullCache
from alpaca_bench.evalsets import EvalSet
from alpaca_bench.models.base import ChatRequest, Completion, load_backend
from alpaca_bench.models.cached import CachedBackend
from alpaca_bench.pricing import FREE, CostBudget, Price, price_for
from alpaca_bench.records import Usage

from .base import JudgeOptions, JudgeResult, PairTask
from .templates import JudgeTemplate, load_template

logger = logging.getLogger(__name__)

LOGPROBS_TOP_K = 10


class LLMJudge:
    def __init__(self, spec: str, options: JudgeOptions, cache: CallCache | None = None):
        self.spec = spec
        self.options = options
        self.template: JudgeTemplate = load_template(options.template or "pairwise")
        self.price = self._price(spec, options.price)
        self.budget = (
            CostBudget(options.max_cost_usd, self.price) if options.max_cost_usd is not None else None
        )
        self.backend = load_backend(spec, replace(options.backend, admission=self.budget))
        self.name = f"{self.backend.name}-{self.template.name}"
        cache = cache if cache is not None else (CallCache() if options.use_cache else NullCache())
        self.cached = CachedBackend(self.backend, cache, kind="judge")
        self.calls = 0

    @staticmethod
    def _price(spec: str, override: Price | None) -> Price:
        scheme, _, rest = spec.partition(":")
        if scheme != "openai":
            return override or FREE
        model, _, url = rest.rpartition("@")
        if not model:
            model, url = rest, ""
        return price_for(model, url or None, override)

    def identity(self) -> dict[str, Any]:
        return {
            "judge": self.backend.identity(),
            "template": self.template.content_hash(),
            "parse_retries": self.options.parse_retries,
        }

    def check(self, eval_set: EvalSet) -> None:
        if self.template.needs_reference:
            from .reference import require_references

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
        )

    async def judge(self, tasks: Sequence[PairTask]) -> AsyncIterator[JudgeResult]:
        pending = {task.key: task for task in tasks}
        history: dict[str, list[Completion]] = {key: [] for key in pending}
        for attempt in range(self.options.parse_retries + 1):
            if not pending:
                return
            answered: set[str] = set()
            requests = [self.request(task, attempt) for task in pending.values()]
            async for completion in self.cached.stream(requests):
                answered.add(completion.key)
                history[completion.key].append(completion)
                await self._settle(completion)
                result = self._result(completion.key, history[completion.key], final=False)
                if result is not None:
                    del pending[completion.key]
                    yield result
            if self.budget is not None and self.budget.exhausted:
                logger.warning("judge spend cap of $%.4f reached; stopping", self.budget.limit_usd)
                return
            for key in [k for k in pending if k not in answered]:
                logger.warning("no answer for %s", key)
        for key in list(pending):
            result = self._result(key, history[key], final=True)
            if result is not None:
                yield result

    async def _settle(self, completion: Completion) -> None:
        if not completion.cached:
            self.calls += 1
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

    async def aclose(self) -> None:
        await self.backend.aclose()
