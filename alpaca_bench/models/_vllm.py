"""`vllm:PATH_OR_REPO`: offline vLLM engine for fast GPU generation (optional extra).

vLLM schedules its own continuous batching, so the whole request list goes to it at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import Prompt, Usage
from ._base import BackendOptions, ChatRequest, Completion
from ._hf import fingerprint, render_prompt

VLLM_HINT = "vllm: models need vLLM and a GPU: pip install 'alpaca-bench[vllm]'"


class VLLMBackend:
    cacheable = True

    def __init__(self, rest: str, options: BackendOptions):
        if not rest:
            raise InputError("bad spec 'vllm:': expected vllm:PATH_OR_REPO")
        try:
            import vllm  # noqa: F401
        except ImportError:
            raise InputError(VLLM_HINT) from None
        self.path = rest
        self.options = options
        self.name = options.name or Path(rest.rstrip("/")).name
        self._engine: Any = None

    def identity(self) -> dict[str, Any]:
        return {"scheme": "vllm", "model": self.path, "fingerprint": fingerprint(self.path)}

    def prepare(self, prompts: Sequence[Prompt]) -> Sequence[Prompt]:
        return prompts

    def _load(self) -> Any:
        if self._engine is None:
            import vllm

            self._engine = vllm.LLM(model=self.path, dtype=self.options.dtype)
        return self._engine

    def _run(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        import vllm

        engine = self._load()
        tokenizer = engine.get_tokenizer()
        texts = [render_prompt(r, tokenizer, r.template) for r in requests]
        params = [
            vllm.SamplingParams(
                max_tokens=r.max_tokens,
                temperature=r.temperature,
                top_p=r.top_p,
                seed=r.seed,
                logprobs=r.logprobs,
            )
            for r in requests
        ]
        outputs = engine.generate(texts, params)
        completions = []
        for request, output in zip(requests, outputs, strict=True):
            choice = output.outputs[0]
            tops = None
            if request.logprobs and choice.logprobs:
                tops = {entry.decoded_token: entry.logprob for entry in choice.logprobs[0].values()}
            completions.append(
                Completion(
                    key=request.key,
                    text=choice.text,
                    usage=Usage(
                        prompt_tokens=len(output.prompt_token_ids),
                        completion_tokens=len(choice.token_ids),
                    ),
                    top_logprobs=tops,
                    finish_reason=choice.finish_reason,
                )
            )
        return completions

    async def stream(self, requests: Sequence[ChatRequest]) -> AsyncIterator[Completion]:
        if not requests:
            return
        for completion in await asyncio.to_thread(self._run, requests):
            yield completion

    async def aclose(self) -> None:
        self._engine = None
