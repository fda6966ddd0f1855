"""Arena-style battles: a typed prompt, two anonymous models, one human vote.

Battles live in the results store like any comparison, under the eval set `battle`:

    <root>/battle/prompts.jsonl                      every prompt typed so far (Prompt records)
    <root>/battle/models/<name>/generations.jsonl    each model's answers (Generation records)
    <root>/battle/<a>__vs__<b>/human/                a run folder per pair (names sorted), whose
                                                      judgments.jsonl holds the votes

A vote is a `Judgment` by judge `human` with the voter's rater id, the position each model was
shown in (`first_shown`: which one was "A"), a positional verdict and the candidate-centric
preference; "both bad" is a tie with `flagged=True`. So the leaderboard's Bradley–Terry ratings,
agreement tables and explorer read votes exactly as they read any other judgment.

A model answers a prompt once: typing the same prompt again replays its stored answer, so every
vote is about the outputs the run holds (votes on since-replaced outputs would not count). A
changed spec or decoding setting is a new model version with new outputs, as everywhere else.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alpaca_bench.errors import InputError
from alpaca_bench.evalsets import EvalSet
from alpaca_bench.files import JsonlLog, first_error, read_text_strict
from alpaca_bench.generation import build_request, generation_hash
from alpaca_bench.models._base import BackendOptions, ModelBackend, load_backend, split_spec
from alpaca_bench.models._streaming import stream_text
from alpaca_bench.records import (
    HUMAN,
    Generation,
    GenerationConfig,
    JudgeIdentity,
    Judgment,
    Position,
    Prompt,
    stable_hash,
)
from alpaca_bench.store import (
    GenerationStore,
    ResultsRoot,
    RunFolder,
    RunJudge,
    RunManifest,
    RunSide,
    pair_hash,
    sanitize_name,
)
from alpaca_bench.summary import summarize_run

logger = logging.getLogger(__name__)

EVAL_SET = "battle"
Vote = Literal["A", "B", "tie", "both-bad"]
VOTES: tuple[Vote, ...] = ("A", "B", "tie", "both-bad")
SUMMARY_BOOT = 2_000
MAX_RATER = 100

EXAMPLE_CONFIG = """\
# battle.yaml: the models that may be drawn for a battle (any model spec)
models:
  - name: alpaca-7b
    spec: hf:./checkpoints/alpaca-7b
  - name: gpt-4o-mini
    spec: openai:gpt-4o-mini
  - name: local-llama
    spec: openai:llama3@http://127.0.0.1:8000/v1
max_new_tokens: 512      # optional decoding settings, shared by all models
temperature: 0.0
"""


class BattleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    spec: str = Field(min_length=1)

    @field_validator("spec")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        try:
            split_spec(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return value


class BattleConfig(BaseModel):
    """The battle YAML: at least two named models and the decoding settings they share."""

    model_config = ConfigDict(extra="forbid")

    models: list[BattleModel] = Field(min_length=2)
    generation: GenerationConfig = Field(default_factory=GenerationConfig)

    @model_validator(mode="before")
    @classmethod
    def _decoding_at_top_level(cls, data: Any) -> Any:
        """The file keeps decoding settings beside `models`; they are one GenerationConfig here."""
        if not isinstance(data, dict) or "generation" in data:
            return data
        decoding = {k: v for k, v in data.items() if k in GenerationConfig.model_fields}
        rest = {k: v for k, v in data.items() if k not in decoding}
        return {**rest, "generation": decoding}

    @model_validator(mode="after")
    def _distinct_names(self) -> BattleConfig:
        seen: dict[str, str] = {}
        for model in self.models:
            folder = sanitize_name(model.name)
            if folder in seen:
                if seen[folder] == model.name:
                    raise ValueError(f"two models are named {model.name!r}")
                raise ValueError(f"models {seen[folder]!r} and {model.name!r} would share a results folder")
            seen[folder] = model.name
        return self

    def spec(self, name: str) -> str:
        return next(m.spec for m in self.models if m.name == name)


def load_battle_config(path: str | Path) -> BattleConfig:
    """Read and check a battle YAML; any problem is an InputError naming the file (exit 2)."""
    source = Path(path).expanduser()
    text = read_text_strict(source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"invalid YAML ({getattr(exc, 'problem', None) or exc})", source, line) from None
    if isinstance(data, list):
        data = {"models": data}
    if not isinstance(data, dict):
        raise InputError(
            "a battle config must be a mapping with a 'models' list (or the list itself)", source
        )
    keys = ["models", *GenerationConfig.model_fields]
    unknown = sorted(set(map(str, data)) - set(keys))
    if unknown:
        known = ", ".join(keys)
        raise InputError(f"unknown key {unknown[0]!r} in battle config (known: {known})", source)
    try:
        return BattleConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"invalid battle config: {first_error(exc)}", source) from None


@dataclass
class Battle:
    """One prompt put to two models; `shown[0]` was shown as A. Outputs fill in as they stream."""

    prompt: Prompt
    shown: tuple[str, str]
    outputs: dict[str, Generation] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return all(name in self.outputs for name in self.shown)


@dataclass(frozen=True)
class Update:
    """The text so far of side 0 (A) or 1 (B); `done` once that side has finished."""

    side: int
    text: str
    done: bool = False


@dataclass(frozen=True)
class VoteResult:
    judgment: Judgment
    recorded: bool  # False when this rater had already voted on this exact pair
    run_dir: Path


class Arena:
    """Draws pairs, streams their answers, and records votes in the results store.

    Backends live on one background event loop for the arena's lifetime, so a local model is
    loaded once and API clients keep their connections; callers (a Streamlit script thread)
    consume answers as a plain iterator of `Update`s."""

    def __init__(self, config: BattleConfig, results: str | Path, options: BackendOptions | None = None):
        self.config = config
        self.root = ResultsRoot(Path(results).expanduser())
        self.options = options or BackendOptions()
        self._backends: dict[str, ModelBackend] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.config.models]

    @property
    def prompts_path(self) -> Path:
        return self.root.eval_dir(EVAL_SET) / "prompts.jsonl"

    def start(self, text: str, rng: np.random.Generator, input_text: str = "") -> Battle:
        """Store the prompt and draw two different models in a random order."""
        if not text.strip():
            raise InputError("type a prompt first")
        prompt = Prompt(
            id=f"battle-{stable_hash([text, input_text], 12)}", instruction=text, input=input_text
        )
        JsonlLog(self.prompts_path).append_unique(prompt, lambda value: value["id"])
        first, second = rng.choice(len(self.names), size=2, replace=False)
        return Battle(prompt, (self.names[int(first)], self.names[int(second)]))

    def answer(self, battle: Battle) -> Iterator[Update]:
        """Both answers at once, as they arrive; each is stored when complete."""
        events: queue.Queue[Update | BaseException | None] = queue.Queue()
        future: Future[None] = asyncio.run_coroutine_threadsafe(
            self._answer_both(battle, events), self._ensure_loop()
        )
        while (item := events.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
        future.result()

    def vote(self, battle: Battle, vote: Vote, rater: str) -> VoteResult:
        """Record a vote as a human judgment of the pair (names sorted: baseline, candidate)."""
        rater = rater.strip()
        if not rater or len(rater) > MAX_RATER:
            raise InputError(f"a rater id must be 1 to {MAX_RATER} characters")
        if vote not in VOTES:
            raise InputError(f"unknown vote {vote!r} (use {', '.join(VOTES)})")
        if not battle.answered:
            raise InputError("both models must answer before a vote")
        baseline, candidate = sorted(battle.shown)
        run = self._run_folder(baseline, candidate, battle.outputs)
        judgment = _judgment(battle, vote, rater, baseline, candidate)
        recorded = run.add_judgment(judgment)
        summary = summarize_run(run, eval_set=self.eval_set(), n_boot=SUMMARY_BOOT)
        run.write_summary(summary.model_dump(mode="json"))
        return VoteResult(judgment, recorded, run.path)

    def eval_set(self) -> EvalSet:
        return EvalSet(EVAL_SET, JsonlLog(self.prompts_path).read(Prompt), source=str(self.prompts_path))

    def close(self) -> None:
        """Close every backend and stop the loop; the arena can start again afterwards."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._close_backends(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="battle-loop", daemon=True).start()
                self._loop = loop
            return self._loop

    async def _close_backends(self) -> None:
        backends, self._backends = list(self._backends.values()), {}
        for backend in backends:
            await backend.aclose()

    def _backend(self, name: str) -> ModelBackend:
        if name not in self._backends:
            options = replace(self.options, name=name)
            self._backends[name] = load_backend(self.config.spec(name), options)
        return self._backends[name]

    async def _answer_both(self, battle: Battle, events: queue.Queue[Update | BaseException | None]) -> None:
        try:
            await asyncio.gather(*(self._answer_one(battle, side, events) for side in (0, 1)))
        except BaseException as exc:  # handed to the consuming thread, which re-raises it
            events.put(exc)
        finally:
            events.put(None)

    async def _answer_one(self, battle: Battle, side: int, events: queue.Queue[Any]) -> None:
        name = battle.shown[side]
        backend = self._backend(name)
        config = self.config.generation
        config_hash = generation_hash(backend, config)
        store = GenerationStore(self.root.model_dir(EVAL_SET, name))
        stored = store.load(config_hash).get(battle.prompt.id)
        if stored is None:
            stored = await self._generate(backend, battle.prompt, config, config_hash, side, events)
            store.write_manifest(
                {
                    "model": name,
                    "spec": self.config.spec(name),
                    "config_hash": config_hash,
                    "eval_set": EVAL_SET,
                }
            )
            store.append(stored)
        battle.outputs[name] = stored
        events.put(Update(side, stored.output, done=True))

    async def _generate(
        self,
        backend: ModelBackend,
        prompt: Prompt,
        config: GenerationConfig,
        config_hash: str,
        side: int,
        events: queue.Queue[Any],
    ) -> Generation:
        started = time.perf_counter()
        text = ""
        async for piece in stream_text(backend, build_request(prompt, config)):
            text += piece
            events.put(Update(side, text))
        return Generation(
            prompt_id=prompt.id,
            model=backend.name,
            output=text,
            generation_config=config.model_dump(),
            config_hash=config_hash,
            latency_s=time.perf_counter() - started,
        )

    def _run_folder(self, baseline: str, candidate: str, outputs: dict[str, Generation]) -> RunFolder:
        run = RunFolder(self.root.run_dir(EVAL_SET, baseline, candidate, HUMAN))
        sides = [
            RunSide(name=name, spec=self.config.spec(name), config_hash=outputs[name].config_hash)
            for name in (baseline, candidate)
        ]
        manifest = RunManifest(
            eval_set=EVAL_SET,
            baseline=sides[0],
            candidate=sides[1],
            judge=RunJudge(name=HUMAN, spec="battle"),
            eval_set_source=str(self.prompts_path),
        )
        run.write_manifest(manifest)
        return run


def _judgment(battle: Battle, vote: Vote, rater: str, baseline: str, candidate: str) -> Judgment:
    first_shown: Position = "baseline" if battle.shown[0] == baseline else "candidate"
    return Judgment.from_positional(
        first_shown=first_shown,
        p_b={"A": 0.0, "B": 1.0}.get(vote, 0.5),
        prompt_id=battle.prompt.id,
        baseline=baseline,
        candidate=candidate,
        judge=JudgeIdentity(name=HUMAN),
        verdict={"A": "A>B", "B": "B>A"}.get(vote, "tie"),
        raw={"source": "battle", "vote": vote},
        rater=rater,
        flagged=vote == "both-bad",
        pair_hash=pair_hash(battle.outputs[baseline].content, battle.outputs[candidate].content),
    )
