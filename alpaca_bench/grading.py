"""`grade`: MT-Bench's single-answer grading. Each reply (each turn of a conversation) is scored
on its own, 1–10, by an LLM grader; the model's result is the mean score with a bootstrap
interval over prompts, per turn and per category.

Grades are appended to `<results>/<eval-set>/grades/<model>/<grader>/grades.jsonl` the moment
they exist, keyed by the exact conversation graded, so a killed run resumes and a changed
answer is graded again. A grade that cannot be read is stored as unscored (score None): it is
counted and listed, never averaged in as any score.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .cache import CallCache, NullCache
from .errors import InputError
from .evalsets import EvalSet, as_eval_set
from .generation import GenerationRun, generate_into
from .health import stop_if_unfinished
from .judges import Grader, GradeResult, GradeTask, load_grader
from .models._base import load_backend
from .progress import progress_bar
from .provenance import package_versions
from .records import Generation, Grade, GradeSummary, JudgeIdentity, MeanScore, Prompt, stable_hash
from .settings import GradeSettings
from .store import GradeFolder, GradeManifest, ResultsRoot, RunJudge, RunSide, answer_hash

logger = logging.getLogger(__name__)

__all__ = ["GradeOutcome", "GradeSettings", "grade", "summarize_grades"]


@dataclass
class GradeOutcome:
    summary: GradeSummary
    folder: Path


def grade_tasks(
    prompts: Sequence[Prompt], outputs: dict[str, Generation], done: set[tuple[str, int, str]]
) -> list[GradeTask]:
    """Every reply still to grade: each turn of each prompt with an answer, not graded yet."""
    tasks = []
    for prompt in prompts:
        generation = outputs.get(prompt.id)
        if generation is None:
            continue
        for turn in range(1, min(prompt.n_turns, len(generation.answers)) + 1):
            digest = answer_hash(generation, turn)
            if (prompt.id, turn, digest) in done:
                continue
            answers = tuple(generation.answers[:turn])
            tasks.append(GradeTask(f"{prompt.id}#{turn}#{digest}", prompt, answers, turn))
    return tasks


def _mean_score(
    per_prompt: dict[str, list[float]], unscored: int, n_boot: int, level: float, seed: int
) -> MeanScore:
    """The mean of every scored grade, with its interval over prompts (a prompt's grades, all its
    turns, are drawn together)."""
    from .stats import cluster_mean

    clusters = [per_prompt[pid] for pid in sorted(per_prompt) if per_prompt[pid]]
    if not clusters:
        return MeanScore(mean=None, n=0, unscored=unscored)
    mean, low, high = cluster_mean(clusters, np.random.default_rng(seed), n_boot, level)
    return MeanScore(mean=mean, low=low, high=high, n=sum(map(len, clusters)), unscored=unscored)


def summarize_grades(
    grades: Sequence[Grade],
    eval_set: EvalSet,
    *,
    model: str,
    judge: str,
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
    score_range: tuple[float, float] = (1.0, 10.0),
) -> GradeSummary:
    """Mean scores overall, per turn and per category (pure; seeded)."""
    if not 0.0 < level < 1.0:
        raise InputError(f"the confidence level must be between 0 and 1, got {level}")
    prompts = {p.id: p for p in eval_set}
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    unscored: dict[str, int] = defaultdict(int)
    for g in grades:
        prompt = prompts.get(g.prompt_id)
        if prompt is None:
            continue
        keys = ("overall", f"turn:{g.turn}", f"category:{prompt.category or '(none)'}")
        for key in keys:
            if g.score is None:
                unscored[key] += 1
                groups[key].setdefault(g.prompt_id, [])
            else:
                groups[key][g.prompt_id].append(g.score)

    def figure(key: str) -> MeanScore:
        return _mean_score(dict(groups.get(key, {})), unscored.get(key, 0), n_boot, level, seed)

    turns = sorted({int(k.split(":")[1]) for k in groups if k.startswith("turn:")})
    categories = sorted(k.split(":", 1)[1] for k in groups if k.startswith("category:"))
    counted = [g for g in grades if g.prompt_id in prompts]
    return GradeSummary(
        model=model,
        eval_set=eval_set.name,
        judge=judge,
        n_prompts=len({g.prompt_id for g in counted}),
        n_grades=len(counted),
        overall=figure("overall"),
        level=level,
        n_boot=n_boot,
        per_turn={str(t): figure(f"turn:{t}") for t in turns},
        per_category={c: figure(f"category:{c}") for c in categories},
        score_range=score_range,
        unscored_grades=sorted(f"{g.prompt_id}#{g.turn}" for g in counted if g.score is None),
        cost_usd=sum(g.cost_usd for g in counted),
        seed=seed,
        versions=package_versions(),
    )


class Grading:
    """Grading one model's answers on one eval set; all validation happens before any call."""

    def __init__(self, settings: GradeSettings, eval_set: EvalSet | None = None):
        self.settings = settings
        self.eval_set = as_eval_set(eval_set or settings.eval_set, settings.limit)
        options = settings.judge_options
        if not settings.use_cache:
            options = replace(options, use_cache=False)
        self.grader: Grader = load_grader(settings.judge, options)
        self.grader.check(self.eval_set)
        self.cache: CallCache = CallCache() if settings.use_cache else NullCache()
        self.root = ResultsRoot(Path(settings.output_dir))

    async def run(self, spec: str) -> GradeOutcome:
        started = time.perf_counter()
        settings = self.settings
        backend = load_backend(spec, replace(settings.backend, name=settings.model_name))
        generated = await generate_into(
            self.root, backend, self.eval_set, settings.generation, self.cache, spec, settings.show_progress
        )
        try:
            folder = self._open(generated, spec)
            record_to = getattr(self.grader, "record_to", None)  # graders that keep state (batches)
            if record_to is not None:
                record_to(folder.path)
            await self._grade(folder, generated)
        finally:
            await self.grader.aclose()
        return self._finish(folder, generated, time.perf_counter() - started)

    def _open(self, generated: GenerationRun, spec: str) -> GradeFolder:
        folder = GradeFolder(self.root.grade_dir(self.eval_set.name, generated.model, self.grader.name))
        folder.write_manifest(
            GradeManifest(
                eval_set=self.eval_set.name,
                model=RunSide(name=generated.model, spec=spec, config_hash=generated.config_hash),
                judge=RunJudge(
                    name=self.grader.name,
                    spec=self.settings.judge,
                    template=self.settings.judge_options.template,
                    config_hash=stable_hash(self.grader.identity()),
                ),
                seed=self.settings.seed,
                eval_set_source=self.eval_set.source,
                n_prompts=len(self.eval_set),
                limit=self.settings.limit,
            )
        )
        return folder

    async def _grade(self, folder: GradeFolder, generated: GenerationRun) -> None:
        outputs = generated.by_prompt()
        done = {
            (g.prompt_id, g.turn, g.answer_hash) for g in folder.current_grades(self.grader.name, outputs)
        }
        tasks = grade_tasks(self.eval_set.prompts, outputs, done)
        by_key = {t.key: t for t in tasks}
        identity = JudgeIdentity(name=self.grader.name, config_hash=stable_hash(self.grader.identity()))
        title = f"grading with {self.grader.name}"
        with progress_bar(title, len(tasks), self.settings.show_progress) as bar, bar.live():
            async for result in self.grader.grade(tasks):
                folder.add_grade(self._record(by_key[result.key], result, generated.model, identity))
                bar.advance()

    @staticmethod
    def _record(task: GradeTask, result: GradeResult, model: str, identity: JudgeIdentity) -> Grade:
        return Grade(
            prompt_id=task.prompt.id,
            model=model,
            turn=task.turn,
            judge=identity,
            score=result.score,
            raw=result.raw,
            usage=result.usage,
            cost_usd=result.cost_usd,
            calls=result.calls,
            answer_hash=task.key.rsplit("#", 1)[1],
        )

    def _finish(self, folder: GradeFolder, generated: GenerationRun, wall_s: float) -> GradeOutcome:
        grades = folder.current_grades(self.grader.name, generated.by_prompt())
        summary = summarize_grades(
            grades,
            self.eval_set,
            model=generated.model,
            judge=self.grader.name,
            n_boot=self.settings.n_boot,
            level=self.settings.level,
            seed=self.settings.seed,
            score_range=self.grader.score_range,
        )
        counts = self.grader.counts.model_copy()
        summary = summary.model_copy(update={"judge_calls": counts.sent, "calls": counts, "wall_s": wall_s})
        folder.write_summary(summary)
        self._check_health(summary, folder)
        return GradeOutcome(summary, folder.path)

    def _check_health(self, summary: GradeSummary, folder: GradeFolder) -> None:
        stop_if_unfinished(
            self.grader.budget,
            len(summary.unscored_grades),
            summary.n_grades,
            self.settings.max_unscored_frac,
            records="grades",
            asker="grader",
            folder=folder.path,
            log=folder.grades.path,
        )


def grade(model: str, settings: GradeSettings | None = None) -> GradeOutcome:
    """Generate whatever answers are missing, then grade every turn; see GradeSettings."""
    grading = Grading(settings or GradeSettings())
    return asyncio.run(grading.run(model))
