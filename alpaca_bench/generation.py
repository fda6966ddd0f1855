"""Generate a model's outputs on an eval set into the results store, resumably."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .cache import CallCache
from .evalsets import EvalSet, load_eval_set
from .models._base import BackendOptions, ChatRequest, ModelBackend, load_backend
from .models._cached import CachedBackend
from .progress import progress_bar
from .prompt_format import user_message
from .records import Generation, GenerationConfig, Prompt, stable_hash
from .store import GenerationStore, ResultsRoot

logger = logging.getLogger(__name__)


@dataclass
class GenerationRun:
    """Outputs of one model on the prompts it could serve, in eval-set order."""

    model: str
    generations: list[Generation]
    calls: int
    reused: int
    path: Path
    config_hash: str

    def by_prompt(self) -> dict[str, Generation]:
        return {g.prompt_id: g for g in self.generations}


def generation_hash(backend: ModelBackend, config: GenerationConfig) -> str:
    """Identifies a set of outputs: which model, with which decoding settings."""
    return stable_hash({"model": backend.identity(), "config": config.model_dump()})


def build_request(prompt: Prompt, config: GenerationConfig) -> ChatRequest:
    return ChatRequest(
        key=prompt.id,
        messages=[{"role": "user", "content": user_message(prompt.instruction, prompt.input)}],
        max_tokens=config.max_new_tokens,
        temperature=config.temperature,
        top_p=config.top_p,
        seed=config.seed,
        instruction=prompt.instruction,
        input=prompt.input,
        prompt_id=prompt.id,
        template=config.template,
    )


async def generate_async(
    backend: ModelBackend,
    eval_set: EvalSet,
    store: GenerationStore,
    config: GenerationConfig,
    cache: CallCache,
    spec: str = "",
    show_progress: bool = True,
) -> GenerationRun:
    """Fill in whatever outputs are missing; each is on disk the moment it exists."""
    prompts: Sequence[Prompt] = backend.prepare(eval_set.prompts)
    config_hash = generation_hash(backend, config)
    done = store.load(config_hash)
    todo = [p for p in prompts if p.id not in done]
    store.write_manifest(
        {
            "model": backend.name,
            "spec": spec,
            "identity": backend.identity(),
            "config": config.model_dump(),
            "config_hash": config_hash,
            "eval_set": eval_set.name,
        }
    )
    wrapped = CachedBackend(backend, cache, kind="generation")
    requests = [build_request(p, config) for p in todo]
    with progress_bar(f"generating {backend.name}", len(requests), show_progress) as bar, bar.live():
        async for completion in wrapped.stream(requests):
            generation = Generation(
                prompt_id=completion.key,
                model=backend.name,
                output=completion.text,
                generation_config=config.model_dump(),
                config_hash=config_hash,
                usage=completion.usage,
                latency_s=completion.latency_s,
                cached=completion.cached,
                finish_reason=completion.finish_reason,
            )
            store.append(generation)
            done[generation.prompt_id] = generation
            bar.finish(completion.key, tokens=0 if completion.cached else completion.usage.completion_tokens)
    ordered = [done[p.id] for p in prompts]
    logger.info("%s: %d outputs (%d model calls)", backend.name, len(ordered), wrapped.counts.answers)
    return GenerationRun(
        backend.name, ordered, wrapped.counts.answers, len(prompts) - len(todo), store.log.path, config_hash
    )


def generate(
    model: str,
    eval_set: str | EvalSet = "self-instruct",
    *,
    output_dir: str | Path = "results",
    config: GenerationConfig | None = None,
    options: BackendOptions | None = None,
    limit: int | None = None,
    cache: CallCache | None = None,
    show_progress: bool = True,
) -> GenerationRun:
    """Generate `model`'s outputs on an eval set into `<output_dir>/<eval-set>/models/<model>/`."""
    dataset = eval_set if isinstance(eval_set, EvalSet) else load_eval_set(eval_set)
    dataset = dataset.head(limit)
    backend = load_backend(model, options)
    store = GenerationStore(ResultsRoot(Path(output_dir)).model_dir(dataset.name, backend.name))

    async def run() -> GenerationRun:
        try:
            return await generate_async(
                backend,
                dataset,
                store,
                config or GenerationConfig(),
                cache or CallCache(),
                model,
                show_progress,
            )
        finally:
            await backend.aclose()

    return asyncio.run(run())
