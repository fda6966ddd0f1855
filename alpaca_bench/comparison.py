"""`compare`: generate what is missing, judge blind pairs, summarise with honest statistics.

The orchestrator is the only component that knows which model wrote which output. It decides
the order each pair is shown in (from the seed, per prompt, so adding prompts never reshuffles
old ones), hands the judge anonymous pairs, and maps positional verdicts back to the
candidate. Every judgment is appended to the run folder the moment it exists; a re-run skips
what is on disk and the call cache answers calls that finished but were not yet written.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from .cache import CallCache, NullCache
from .errors import InputError
from .evalsets import EvalSet, as_eval_set
from .generation import GenerationRun, generate_into
from .health import stop_if_unfinished
from .judges import DEFAULT_JUDGE, Judge, JudgeResult, PairTask, load_judge
from .models._base import ModelBackend, load_backend
from .progress import progress_bar
from .records import (
    ComparisonSummary,
    Generation,
    JudgeIdentity,
    Judgment,
    Position,
    Prompt,
    SequentialStop,
    stable_hash,
)
from .settings import CompareSettings, StopRule
from .store import (
    ResultsRoot,
    RunFolder,
    RunJudge,
    RunManifest,
    RunSide,
    open_run,
    pair_hash,
)
from .summary import summarize_run

logger = logging.getLogger(__name__)

Decision = Literal["above", "below", "narrow"]

__all__ = ["DEFAULT_JUDGE", "CompareResult", "CompareSettings", "Comparison", "compare", "rejudge"]


@dataclass
class CompareResult:
    summary: ComparisonSummary
    run_dir: Path


def first_shown(seed: int, prompt_id: str) -> Position:
    """A seeded coin per prompt: stable when prompts are added or removed."""
    digest = hashlib.sha256(f"{seed}\x00{prompt_id}".encode()).digest()
    return "candidate" if digest[0] & 1 else "baseline"


def orders(settings: CompareSettings, prompt_id: str) -> list[Position]:
    return ["baseline", "candidate"] if settings.both_orders else [first_shown(settings.seed, prompt_id)]


def _backend(spec: str, settings: CompareSettings, name: str | None) -> ModelBackend:
    return load_backend(spec, replace(settings.backend, name=name))


class Comparison:
    """Judging two sets of outputs on one eval set; all validation happens before any call."""

    def __init__(self, settings: CompareSettings, eval_set: EvalSet | None = None):
        self.settings = settings
        self.eval_set = as_eval_set(eval_set or settings.eval_set, settings.limit)
        judging = settings.judge_options
        if not settings.use_cache:  # the run's switch turns off every call cache it uses
            judging = replace(judging, use_cache=False)
        self.judge: Judge = load_judge(settings.judge, judging)
        self.judge.check(self.eval_set)
        self.cache: CallCache = CallCache() if settings.use_cache else NullCache()
        self.root = ResultsRoot(Path(settings.output_dir))
        self.names = ("", "")
        self.stopped: SequentialStop | None = None

    async def generate(self, backend: ModelBackend, spec: str) -> GenerationRun:
        settings = self.settings
        return await generate_into(
            self.root, backend, self.eval_set, settings.generation, self.cache, spec, settings.show_progress
        )

    async def judge_runs(
        self, baseline: GenerationRun, candidate: GenerationRun, specs: tuple[str, str], started: float
    ) -> CompareResult:
        self.names = (baseline.model, candidate.model)
        try:
            run = self._open_run(baseline, candidate, specs)
            record_to = getattr(self.judge, "record_to", None)  # judges that keep state per run (batches)
            if record_to is not None:
                record_to(run.path)
            await self._judge(run, self._tasks(run, baseline, candidate))
        finally:
            await self.judge.aclose()
        summary = summarize_run(
            run,
            eval_set=self.eval_set,
            n_boot=self.settings.n_boot,
            seed=self.settings.seed,
            exclude_flagged=self.settings.exclude_flagged,
            wall_s=time.perf_counter() - started,
        )
        counts = self.judge.counts.model_copy()
        summary = summary.model_copy(
            update={"judge_calls": counts.sent, "calls": counts, "sequential": self.stopped}
        )
        run.write_summary(summary.model_dump(mode="json"))
        self._check_health(summary, run)
        return CompareResult(summary, run.path)

    def _open_run(
        self, baseline: GenerationRun, candidate: GenerationRun, specs: tuple[str, str]
    ) -> RunFolder:
        run = RunFolder(
            self.root.run_dir(self.eval_set.name, baseline.model, candidate.model, self.judge.name)
        )
        manifest = RunManifest(
            eval_set=self.eval_set.name,
            baseline=RunSide(name=baseline.model, spec=specs[0], config_hash=baseline.config_hash),
            candidate=RunSide(name=candidate.model, spec=specs[1], config_hash=candidate.config_hash),
            judge=RunJudge(
                name=self.judge.name,
                spec=self.settings.judge,
                template=self.settings.judge_options.template,
                config_hash=stable_hash(self.judge.identity()),
            ),
            seed=self.settings.seed,
            both_orders=self.settings.both_orders,
            eval_set_source=self.eval_set.source,
            n_prompts=len(self.eval_set),
            limit=self.settings.limit,
        )
        run.write_manifest(manifest)
        return run

    def _tasks(self, run: RunFolder, baseline: GenerationRun, candidate: GenerationRun) -> list[PairTask]:
        """Pairs still to judge; identical outputs are recorded as ties without a call."""
        sides = (baseline.by_prompt(), candidate.by_prompt())
        tasks, ties = self.pending(run, sides)
        for prompt, first, pair in ties:
            result = JudgeResult(key="", verdict="tie", p_b=0.5, raw={"identical_outputs": True})
            run.add_judgment(self._judgment(prompt, first, pair, result))
        return tasks

    def orders(self, prompt_id: str) -> list[Position]:
        return orders(self.settings, prompt_id)

    def pending(
        self, run: RunFolder, sides: tuple[dict[str, Generation], dict[str, Generation]]
    ) -> tuple[list[PairTask], list[tuple[Prompt, Position, str]]]:
        """The blind pairs of these outputs still to judge (every prompt with both outputs, in
        every order the run asks, not judged in `run` yet), and the identical pairs, which are
        ties without a call."""
        done = {
            (j.prompt_id, j.first_shown, j.pair_hash)
            for j in run.current_judgments(self.judge.name, sides=sides)
        }
        tasks: list[PairTask] = []
        ties: list[tuple[Prompt, Position, str]] = []
        for prompt in self.eval_set:
            if prompt.id not in sides[0] or prompt.id not in sides[1]:
                continue
            gen_b, gen_c = sides[0][prompt.id], sides[1][prompt.id]
            pair = pair_hash(gen_b.content, gen_c.content)
            for first in self.orders(prompt.id):
                if (prompt.id, first, pair) in done:
                    continue
                if gen_b.content == gen_c.content:
                    ties.append((prompt, first, pair))
                    continue
                a, b = (gen_b, gen_c) if first == "baseline" else (gen_c, gen_b)
                tasks.append(PairTask.of(f"{prompt.id}|{first}|{pair}", prompt, a.answers, b.answers, first))
        return tasks, ties

    def _judgment(self, prompt: Prompt, first: Position, pair: str, result: JudgeResult) -> Judgment:
        return Judgment.from_positional(
            first_shown=first,
            p_b=result.p_b,
            prompt_id=prompt.id,
            baseline=self.names[0],
            candidate=self.names[1],
            judge=JudgeIdentity(name=self.judge.name, config_hash=stable_hash(self.judge.identity())),
            verdict=result.verdict,
            raw=result.raw,
            usage=result.usage,
            cost_usd=result.cost_usd,
            calls=result.calls,
            pair_hash=pair,
        )

    async def _judge(self, run: RunFolder, tasks: list[PairTask]) -> None:
        rule = self.settings.stop
        watch = _Sequence(rule, self, run, tasks) if rule is not None else None
        if watch is not None:
            tasks = watch.ordered(tasks)
        by_key = {task.key: task for task in tasks}
        bar_title = f"judging with {self.judge.name}"
        with progress_bar(bar_title, len(tasks), self.settings.show_progress) as bar, bar.live():
            if watch is not None and watch.decided():
                tasks = []  # decided by the judgments already on disk: no call at all
            results = self.judge.judge(tasks)
            try:
                async for result in results:
                    task = by_key[result.key]
                    pair = result.key.rsplit("|", 1)[1]
                    judgment = self._judgment(task.prompt, task.first_shown, pair, result)
                    run.add_judgment(judgment)
                    bar.advance()
                    if watch is not None and watch.add(judgment):
                        break  # closing the stream cancels what is in flight; nothing new starts
            finally:
                close = getattr(results, "aclose", None)  # an async generator: stop it now
                if close is not None:
                    await close()
        if watch is not None:
            self.stopped = watch.report()

    def _check_health(self, summary: ComparisonSummary, run: RunFolder) -> None:
        stop_if_unfinished(
            self.judge.budget,
            summary.unscored,
            summary.n_judgments,
            self.settings.max_unscored_frac,
            records="judgments",
            asker="judge",
            folder=run.path,
            log=run.judgments.path,
        )


class _Sequence:
    """The confidence sequence a run with a `StopRule` watches while it judges.

    Prompts enter in the seeded order of `stats.seeded_order` (judgments already on disk first,
    then new ones as they arrive; both are independent of the verdicts, which is all the sequence
    needs), each once all its orders are judged, as the mean of its scored preferences."""

    def __init__(self, rule: StopRule, comparison: Comparison, run: RunFolder, tasks: list[PairTask]):
        from .stats import ConfidenceSequence

        self.rule = rule
        self.comparison = comparison
        self.sequence = ConfidenceSequence(alpha=rule.alpha, points=(rule.threshold,))
        self.expected = len(orders(comparison.settings, ""))
        self.pending: dict[str, list[float | None]] = defaultdict(list)
        self.entered: set[str] = set()
        self.decision: Decision | None = None
        self.available = {t.prompt.id for t in tasks}
        done = run.current_judgments(comparison.judge.name)
        by_prompt: dict[str, list[Judgment]] = defaultdict(list)
        for j in done:
            by_prompt[j.prompt_id].append(j)
        self.available |= set(by_prompt)
        for pid in self._order(sorted(by_prompt)):
            for j in by_prompt[pid]:
                if self.add(j):
                    break

    def _order(self, ids: list[str]) -> list[str]:
        from .stats import seeded_order

        return [ids[i] for i in seeded_order(ids, self.comparison.settings.seed)]

    def ordered(self, tasks: list[PairTask]) -> list[PairTask]:
        rank = {pid: i for i, pid in enumerate(self._order(sorted({t.prompt.id for t in tasks})))}
        return sorted(tasks, key=lambda t: (rank[t.prompt.id], t.first_shown))

    def decided(self) -> bool:
        return self.decision is not None

    def add(self, judgment: Judgment) -> bool:
        """Count one judgment; True once the rule is met (judging should stop)."""
        if self.decided() or judgment.prompt_id in self.entered:
            return self.decided()
        seen = self.pending[judgment.prompt_id]
        seen.append(judgment.preference)
        if len(seen) < self.expected:
            return False
        self.entered.add(judgment.prompt_id)
        scored = [p for p in seen if p is not None]
        if not scored:
            return False  # unscored: no observation (it is reported as unscored)
        self.sequence.update(sum(scored) / len(scored))
        if self.rule.width is not None:
            if self.sequence.width < self.rule.width:
                self.decision = "narrow"
        else:
            found = self.sequence.decide(self.rule.threshold)
            self.decision = "below" if found == "fail" else "above" if found == "pass" else None
        return self.decided()

    def report(self) -> SequentialStop:
        counts = self.comparison.judge.counts
        per_call = counts.cost_usd / counts.sent if counts.sent else None
        full = per_call * len(self.available) * self.expected if per_call is not None else None
        return SequentialStop(
            threshold=self.rule.threshold,
            width=self.rule.width,
            alpha=self.rule.alpha,
            n_judged=self.sequence.n,
            n_available=len(self.available),
            low=self.sequence.low,
            high=self.sequence.high,
            decision=self.decision,
            full_run_cost_usd=full,
        )


def compare(baseline: str, candidate: str, settings: CompareSettings | None = None) -> CompareResult:
    """Generate whatever outputs are missing, then judge; see CompareSettings for the options."""
    settings = settings or CompareSettings()
    comparison = Comparison(settings)
    models = (
        _backend(baseline, settings, settings.baseline_name),
        _backend(candidate, settings, settings.candidate_name),
    )
    if models[0].name == models[1].name:
        raise InputError(
            f"both models are named {models[0].name!r}; tell them apart with --baseline-name/--candidate-name"
        )

    async def run() -> CompareResult:
        started = time.perf_counter()
        runs = [
            await comparison.generate(m, spec) for m, spec in zip(models, (baseline, candidate), strict=True)
        ]
        return await comparison.judge_runs(runs[0], runs[1], (baseline, candidate), started)

    return asyncio.run(run())


def rejudge(run_dir: Path, settings: CompareSettings) -> CompareResult:
    """Judge an existing run's outputs again with another judge, into that judge's run folder."""
    source = open_run(run_dir)
    manifest = source.manifest()
    settings = replace(settings, output_dir=source.path.parents[2])
    comparison = Comparison(settings, eval_set=manifest.load_eval_set())
    sides = []
    for side in (manifest.baseline, manifest.candidate):
        outputs = source.outputs(side)
        if not outputs:
            raise InputError(f"no stored outputs for {side.name!r} (config {side.config_hash})", source.path)
        ordered = [outputs[p.id] for p in comparison.eval_set if p.id in outputs]
        store_path = comparison.root.model_dir(comparison.eval_set.name, side.name) / "generations.jsonl"
        sides.append(GenerationRun(side.name, ordered, 0, len(ordered), store_path, side.config_hash))
    specs = (manifest.baseline.spec, manifest.candidate.spec)
    return asyncio.run(comparison.judge_runs(sides[0], sides[1], specs, time.perf_counter()))
