"""The results store.

    <root>/<eval-set>/models/<model>/generations.jsonl     shared by every run on that eval set
    <root>/<eval-set>/<baseline>__vs__<candidate>/<judge>/ manifest.json, judgments.jsonl, summary.json
    <root>/<eval-set>/grades/<model>/<judge>/               manifest.json, grades.jsonl, summary.json

Generations live once per model so that comparing A with B and then A with C reuses A's
outputs even when the call cache is elsewhere (a CI runner that caches only results/).
Records are keyed by content hashes, never deleted: a changed model or judge simply starts
a new set of records beside the old ones.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import AlpacaBenchError, InputError
from .evalsets import EvalSet, load_eval_set
from .files import JsonlLog, atomic_write_json, first_error, read_text_strict
from .provenance import git_revision, package_versions
from .records import Generation, Grade, GradeSummary, Judgment, stable_hash, utcnow

_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]+")
MAX_NAME = 100
VS = "__vs__"
GRADES = "grades"
M = TypeVar("M", bound=BaseModel)


logger = logging.getLogger(__name__)


def sanitize_name(name: str) -> str:
    """A single safe path component: no separators, no leading dots, never empty."""
    cleaned = _UNSAFE.sub("_", name).strip("._-")
    cleaned = re.sub(r"_+", "_", cleaned)
    if len(cleaned) > MAX_NAME:
        cleaned = cleaned[:MAX_NAME]
    return cleaned or "unnamed"


@dataclass(frozen=True)
class ResultsRoot:
    path: Path

    def _inside(self, path: Path) -> Path:
        root = self.path.resolve()
        if not path.resolve().is_relative_to(root):
            raise InputError(f"refusing to write outside the results folder {root}", path)
        return path

    def eval_dir(self, eval_set: str) -> Path:
        return self._inside(self.path / sanitize_name(eval_set))

    def model_dir(self, eval_set: str, model: str) -> Path:
        return self._inside(self.eval_dir(eval_set) / "models" / sanitize_name(model))

    def run_dir(self, eval_set: str, baseline: str, candidate: str, judge: str) -> Path:
        pair = f"{sanitize_name(baseline)}{VS}{sanitize_name(candidate)}"
        return self._inside(self.eval_dir(eval_set) / pair / sanitize_name(judge))

    def grade_dir(self, eval_set: str, model: str, judge: str) -> Path:
        return self._inside(self.eval_dir(eval_set) / GRADES / sanitize_name(model) / sanitize_name(judge))

    def grade_dirs(self) -> list[Path]:
        """Every grading folder under this root (those with a manifest)."""
        if not self.path.is_dir():
            return []
        return sorted(p.parent for p in self.path.glob(f"*/{GRADES}/*/*/manifest.json"))

    def run_dirs(self) -> list[Path]:
        """Every comparison folder under this root (those with a manifest)."""
        if not self.path.is_dir():
            return []
        return sorted(p.parent for p in self.path.glob(f"*/*{VS}*/*/manifest.json"))


class GenerationStore:
    """One model's outputs on one eval set, possibly under several configs."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.log = JsonlLog(folder / "generations.jsonl")

    def load(self, config_hash: str) -> dict[str, Generation]:
        found: dict[str, Generation] = {}
        for gen in self.log.read(Generation):
            if gen.config_hash == config_hash:
                found.setdefault(gen.prompt_id, gen)
        return found

    def append(self, generation: Generation) -> None:
        self.log.append(generation)

    def write_manifest(self, info: dict[str, Any]) -> None:
        atomic_write_json(self.folder / "manifest.json", {**provenance(), **info, "kind": "generations"})


def provenance() -> dict[str, Any]:
    return {
        "versions": package_versions(),
        "git_revision": git_revision(),
        "updated_at": utcnow().isoformat(),
    }


def pair_hash(baseline_output: str, candidate_output: str) -> str:
    """Identifies the exact pair judged; a changed output means a new judgment."""
    return stable_hash([baseline_output, candidate_output])


def judgment_key(value: dict[str, Any]) -> tuple[Any, ...]:
    """Uniqueness of a judgment within a run: judge, rater, prompt, position and the exact outputs."""
    judge = value.get("judge") or {}
    return (
        judge.get("name"),
        value.get("rater"),
        value["prompt_id"],
        value["first_shown"],
        value.get("pair_hash"),
    )


class RunSide(BaseModel):
    """One compared model: its results name, the spec it came from, which outputs it used."""

    model_config = ConfigDict(extra="allow")

    name: str
    spec: str = ""
    config_hash: str


class RunJudge(BaseModel):
    """The judge a run was made with, as its manifest records it: the spec it was loaded from,
    its template and the hash of its identity (see `records.JudgeIdentity`)."""

    model_config = ConfigDict(extra="allow")

    name: str
    spec: str = ""
    template: str | None = None
    config_hash: str = ""


class _Manifest(BaseModel):
    """What every results folder's manifest records: the eval set (and where it was loaded
    from), the judge, the seed and how many prompts; enough to find the outputs and re-run."""

    model_config = ConfigDict(extra="allow")

    eval_set: str
    judge: RunJudge
    seed: int = 0
    eval_set_source: str = ""
    n_prompts: int = 0
    limit: int | None = None

    def load_eval_set(self) -> EvalSet:
        """The eval set the run was made on: by its name, else by the source it was loaded from
        (a built-in that is offline now, a file that moved). Raises the last one's error."""
        failure: AlpacaBenchError = InputError("the run manifest names no eval set")
        for spec in (self.eval_set, self.eval_set_source):
            if not spec:
                continue
            try:
                return load_eval_set(spec)
            except AlpacaBenchError as exc:
                failure = exc
        raise failure


class RunManifest(_Manifest):
    """What a comparison run folder holds: the two sides, the judge, how pairs were shown."""

    kind: str = "comparison"
    baseline: RunSide
    candidate: RunSide
    both_orders: bool = False


class _Folder:
    """A results folder with a typed manifest of `kind` and a summary: the one read and write
    path of both files' places and of the manifest."""

    kind = ""
    label = ""  # how messages name the manifest

    def __init__(self, path: Path):
        self.path = path

    @property
    def eval_dir(self) -> Path:
        """`<root>/<eval-set>/` of this folder."""
        raise NotImplementedError

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    @property
    def summary_path(self) -> Path:
        return self.path / "summary.json"

    def read_manifest(self) -> dict[str, Any]:
        try:
            value = json.loads(read_text_strict(self.manifest_path))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON at line {exc.lineno}: {exc.msg}", self.manifest_path) from None
        if not isinstance(value, dict) or value.get("kind") != self.kind:
            raise InputError(f"not an alpaca-bench {self.label} manifest", self.manifest_path)
        return value

    def _typed(self, model: type[M]) -> M:
        try:
            return model.model_validate(self.read_manifest())
        except ValidationError as exc:
            raise InputError(
                f"invalid {self.label} manifest: {first_error(exc)}", self.manifest_path
            ) from None

    def _write(self, manifest: _Manifest) -> None:
        """The one write path of a manifest (with the provenance of the code that wrote it)."""
        atomic_write_json(self.manifest_path, {**provenance(), **manifest.model_dump(), "kind": self.kind})

    def generations(self, side: RunSide) -> dict[str, Generation]:
        """The generations `side` names, by prompt id."""
        return GenerationStore(self.eval_dir / "models" / sanitize_name(side.name)).load(side.config_hash)


class RunFolder(_Folder):
    """A comparison run: manifest, append-only judgments, summary."""

    kind = "comparison"
    label = "run"

    def __init__(self, path: Path):
        super().__init__(path)
        self.judgments = JsonlLog(path / "judgments.jsonl")

    @property
    def eval_dir(self) -> Path:
        return self.path.parent.parent

    def manifest(self) -> RunManifest:
        return self._typed(RunManifest)

    def outputs(self, side: RunSide) -> dict[str, Generation]:
        """The generations a side of this run was judged on, by prompt id."""
        return self.generations(side)

    def write_manifest(self, manifest: RunManifest) -> None:
        self._write(manifest)

    def load_judgments(self) -> list[Judgment]:
        """Every judgment on disk, also of outputs since changed; see `current_judgments`."""
        return self.judgments.read(Judgment)

    def sides(self) -> tuple[dict[str, Generation], dict[str, Generation]]:
        """The baseline's and the candidate's outputs this run holds now, by prompt id."""
        manifest = self.manifest()
        return self.outputs(manifest.baseline), self.outputs(manifest.candidate)

    def current_judgments(
        self,
        judge: str | None = None,
        rater: str | None = None,
        *,
        stored: Sequence[Judgment] | None = None,
        sides: tuple[dict[str, Generation], dict[str, Generation]] | None = None,
    ) -> list[Judgment]:
        """The judgments that count: those of the exact outputs the run holds now, by `judge`
        (None: every judge) and `rater` (None: every rater; only people have one).

        The one answer to "what has been judged" for compare, rate, battle, summaries and the
        leaderboard. A caller that already holds the stored judgments or the outputs (the
        leaderboard's cached index) passes them instead of having them read again."""
        baseline, candidate = sides if sides is not None else self.sides()
        pairs = {
            pid: pair_hash(baseline[pid].content, candidate[pid].content)
            for pid in baseline.keys() & candidate.keys()
        }
        return [
            j
            for j in (stored if stored is not None else self.load_judgments())
            if (judge is None or j.judge.name == judge)
            and (rater is None or j.rater == rater)
            and pairs.get(j.prompt_id) == j.pair_hash
        ]

    def add_judgment(self, judgment: Judgment) -> bool:
        return self.judgments.append_unique(judgment, judgment_key)

    def write_summary(self, summary: dict[str, Any]) -> None:
        """Write summary.json. When the run now covers a different prompt set than the summary
        on disk (another --limit or eval-set version), that one is kept as summary.<k>.json and
        the change is said: an earlier result is never silently replaced by a different one."""
        before = self._summary_on_disk()
        if before is not None and before.get("n_prompts") != summary.get("n_prompts"):
            kept = self._next_history_path()
            self.summary_path.replace(kept)
            logger.warning(
                "%s: the run now covers %s prompts (was %s); the earlier summary is kept as %s",
                self.path,
                summary.get("n_prompts"),
                before.get("n_prompts"),
                kept.name,
            )
        atomic_write_json(self.summary_path, summary)

    def _summary_on_disk(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def _next_history_path(self) -> Path:
        k = 1
        while (self.path / f"summary.{k}.json").exists():
            k += 1
        return self.path / f"summary.{k}.json"


def answer_hash(generation: Generation, turn: int) -> str:
    """Identifies the conversation a grade of `turn` (1-based) read: every answer up to it."""
    return stable_hash(generation.answers[:turn])


class GradeManifest(_Manifest):
    """What a grading folder holds: whose answers, graded by which judge, on which eval set."""

    kind: str = "grades"
    model: RunSide


class GradeFolder(_Folder):
    """One model's grades by one judge: manifest, append-only grades, summary."""

    kind = "grades"
    label = "grades"

    def __init__(self, path: Path):
        super().__init__(path)
        self.grades = JsonlLog(path / "grades.jsonl")

    @property
    def eval_dir(self) -> Path:
        return self.path.parent.parent.parent  # <eval-set>/grades/<model>/<grader>

    def write_manifest(self, manifest: GradeManifest) -> None:
        self._write(manifest)

    def manifest(self) -> GradeManifest:
        return self._typed(GradeManifest)

    def outputs(self) -> dict[str, Generation]:
        """The generations these grades are of, by prompt id."""
        return self.generations(self.manifest().model)

    def add_grade(self, grade: Grade) -> bool:
        return self.grades.append_unique(grade, _grade_key)

    def current_grades(
        self, judge: str | None = None, outputs: dict[str, Generation] | None = None
    ) -> list[Grade]:
        """The grades that count: of the exact answers the model has now, by `judge` (None: any)."""
        outputs = outputs if outputs is not None else self.outputs()
        return [
            g
            for g in self.grades.read(Grade)
            if (judge is None or g.judge.name == judge)
            and g.prompt_id in outputs
            and g.turn <= len(outputs[g.prompt_id].answers)
            and answer_hash(outputs[g.prompt_id], g.turn) == g.answer_hash
        ]

    def write_summary(self, summary: GradeSummary) -> None:
        atomic_write_json(self.summary_path, summary.model_dump(mode="json"))

    def summary(self) -> GradeSummary:
        """The summary on disk (the one read path of it)."""
        try:
            return GradeSummary.model_validate_json(read_text_strict(self.summary_path))
        except ValidationError as exc:
            raise InputError(f"invalid grades summary: {first_error(exc)}", self.summary_path) from None


def _grade_key(value: dict[str, Any]) -> tuple[Any, ...]:
    judge = value.get("judge") or {}
    return (judge.get("name"), value["prompt_id"], value.get("turn", 1), value.get("answer_hash"))


def open_run(path: str | Path) -> RunFolder:
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise InputError("run folder not found", folder)
    run = RunFolder(folder)
    run.read_manifest()
    return run
