"""Generate a model's outputs on an eval set into the results store, resumably."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .cache import CallCache
from .errors import InputError
from .evalsets import EvalSet, as_eval_set
from .models._base import BackendOptions, ChatRequest, Completion, ModelBackend, load_backend
from .models._cached import CachedBackend
from .progress import progress_bar
from .records import Generation, GenerationConfig, Prompt, Usage, stable_hash
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


def build_request(prompt: Prompt, config: GenerationConfig, history: Sequence[str] = ()) -> ChatRequest:
    """The request for the next turn of `prompt`, after the model's own `history` of answers:
    turn k sees every earlier user message and the model's answer to it."""
    turn = len(history)
    users = prompt.user_turns()
    messages: list[dict[str, str]] = []
    for user, answer in zip(users, history, strict=False):
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    messages.append({"role": "user", "content": users[turn]})
    return ChatRequest(
        key=prompt.id if turn == 0 else f"{prompt.id}#{turn + 1}",
        messages=messages,
        max_tokens=config.max_new_tokens,
        temperature=config.temperature,
        top_p=config.top_p,
        seed=config.seed,
        # a later turn has no single instruction: template-aware backends format the messages
        instruction=prompt.instruction if turn == 0 else None,
        input=prompt.input if turn == 0 else "",
        prompt_id=prompt.id,
        template=config.template,
        turn=turn,
    )


def _generation(
    prompt: Prompt,
    answers: list[Completion],
    backend: ModelBackend,
    config: GenerationConfig,
    config_hash: str,
) -> Generation:
    """The record of a prompt whose every turn is answered."""
    reasons = [c.finish_reason for c in answers]
    return Generation(
        prompt_id=prompt.id,
        model=backend.name,
        output=answers[0].text,
        follow_up_outputs=[c.text for c in answers[1:]],
        generation_config=config.model_dump(),
        config_hash=config_hash,
        usage=sum((c.usage for c in answers), Usage()),
        latency_s=sum(c.latency_s for c in answers),
        cached=all(c.cached for c in answers),
        finish_reason="length" if "length" in reasons else reasons[-1],
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
    """Fill in whatever outputs are missing; each is on disk the moment it exists.

    Turns go in rounds: every prompt's first turn, then the second turn of those with one, each
    conditioned on the answers before it. A prompt's record is written once its last turn is
    answered; a run killed in between asks again only what the call cache did not keep."""
    prompts: Sequence[Prompt] = backend.prepare(eval_set.prompts)
    if config.template == "alpaca" and any(p.follow_ups for p in prompts):
        raise InputError(
            f"--template alpaca formats one instruction, and eval set {eval_set.name!r} has multi-turn "
            "prompts; use --template chat (or raw, or auto with a model that has a chat template)"
        )
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
    answered: dict[str, list[Completion]] = {p.id: [] for p in todo}
    title = f"generating {backend.name}"
    with progress_bar(title, sum(p.n_turns for p in todo), show_progress) as bar, bar.live():
        waiting = todo
        while waiting:
            requests = {}
            for p in waiting:
                request = build_request(p, config, [c.text for c in answered[p.id]])
                requests[request.key] = (p, request)
            arrived = 0
            async for completion in wrapped.stream([r for _, r in requests.values()]):
                arrived += 1
                prompt = requests[completion.key][0]
                answered[prompt.id].append(completion)
                if len(answered[prompt.id]) == prompt.n_turns:
                    generation = _generation(prompt, answered[prompt.id], backend, config, config_hash)
                    store.append(generation)
                    done[prompt.id] = generation
                tokens = 0 if completion.cached else completion.usage.completion_tokens
                bar.finish(completion.key, tokens=tokens)
            if not arrived:
                break  # the backend answered nothing this round: what is missing stays missing
            waiting = [p for p in waiting if len(answered[p.id]) < p.n_turns]
    ordered = [done[p.id] for p in prompts if p.id in done]
    logger.info("%s: %d outputs (%d model calls)", backend.name, len(ordered), wrapped.counts.answers)
    return GenerationRun(
        backend.name, ordered, wrapped.counts.answers, len(prompts) - len(todo), store.log.path, config_hash
    )


async def generate_into(
    root: ResultsRoot,
    backend: ModelBackend,
    eval_set: EvalSet,
    config: GenerationConfig,
    cache: CallCache,
    spec: str = "",
    show_progress: bool = True,
) -> GenerationRun:
    """`generate_async` into the model's own folder under `root`; the backend is closed after."""
    store = GenerationStore(root.model_dir(eval_set.name, backend.name))
    try:
        return await generate_async(backend, eval_set, store, config, cache, spec, show_progress)
    finally:
        await backend.aclose()


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
    dataset = as_eval_set(eval_set, limit)
    backend = load_backend(model, options)
    run = generate_into(
        ResultsRoot(Path(output_dir)),
        backend,
        dataset,
        config or GenerationConfig(),
        cache or CallCache(),
        model,
        show_progress,
    )
    return asyncio.run(run)
