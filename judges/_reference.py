"""Reference-based judges: no model calls, just similarity of each output to the reference.

`rouge` scores each output by ROUGE-L F1 against the prompt's reference (rouge-score semantics,
no stemming); `embedding` by cosine similarity of sentence embeddings from a local
sentence-transformers model. Scores within `tie_margin` of each other are a tie (defaults:
0.01 ROUGE-L F1, 0.005 cosine), so near-identical outputs do not produce coin-flip wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from alpaca_bench.errors import InputError
from alpaca_bench.evalsets import EvalSet
from alpaca_bench.pricing import CostBudget
from alpaca_bench.records import CallCounts
from alpaca_bench.rouge import rouge_l

from ._base import JudgeOptions, JudgePlan, JudgeResult, PairTask

ROUGE_TIE_MARGIN = 0.01
EMBEDDING_TIE_MARGIN = 0.005


def require_references(eval_set: EvalSet, what: str) -> None:
    missing = [p.id for p in eval_set if not p.reference]
    if missing:
        raise InputError(
            f"{what} needs reference answers, but {len(missing)} of {len(eval_set)} prompts in eval set "
            f"{eval_set.name!r} have none (first: {missing[0]})",
            eval_set.source or None,
        )


def require_single_turn(eval_set: EvalSet, what: str) -> None:
    """Reference similarity reads one answer against one reference: a conversation has neither."""
    multi = next((p for p in eval_set if p.follow_ups), None)
    if multi is not None:
        raise InputError(
            f"{what} compares one answer with a reference, and eval set {eval_set.name!r} has multi-turn "
            f"prompts (first: {multi.id}); use an LLM judge with --judge-template pairwise-conversation"
        )


def decide(score_a: float, score_b: float, margin: float) -> tuple[str, float]:
    if abs(score_a - score_b) <= margin:
        return "tie", 0.5
    return ("B>A", 1.0) if score_b > score_a else ("A>B", 0.0)


class RougeJudge:
    def __init__(self, spec: str, options: JudgeOptions):
        self.counts = CallCounts()
        self.budget: CostBudget | None = None  # nothing to pay for
        if spec.strip() != "rouge":
            raise InputError(f"bad judge {spec!r}: the ROUGE judge is just 'rouge'")
        self.margin = ROUGE_TIE_MARGIN if options.tie_margin is None else options.tie_margin
        self.name = "rouge"

    def identity(self) -> dict[str, Any]:
        return {"judge": "rouge-l-f1", "tie_margin": self.margin}

    def check(self, eval_set: EvalSet) -> None:
        require_single_turn(eval_set, "the rouge judge")
        require_references(eval_set, "the rouge judge")

    def plan(self, tasks: Sequence[PairTask]) -> JudgePlan:
        return JudgePlan()  # computed here: no service is called

    async def judge(self, tasks: Sequence[PairTask]) -> AsyncIterator[JudgeResult]:
        for task in tasks:
            reference = task.prompt.reference or ""
            score_a, score_b = rouge_l(reference, task.output_a), rouge_l(reference, task.output_b)
            verdict, p_b = decide(score_a, score_b, self.margin)
            yield JudgeResult(task.key, verdict, p_b, raw={"score_a": score_a, "score_b": score_b})  # type: ignore[arg-type]

    async def aclose(self) -> None:
        return None


class EmbeddingJudge:
    def __init__(self, spec: str, options: JudgeOptions):
        self.counts = CallCounts()
        self.budget: CostBudget | None = None  # nothing to pay for
        _, _, path = spec.partition(":")
        if not path:
            raise InputError(
                f"bad judge {spec!r}: expected embedding:PATH (a local sentence-transformers model)"
            )
        self.path = Path(path).expanduser()
        if not self.path.is_dir():
            raise InputError("embedding judge model folder not found", self.path)
        self.margin = EMBEDDING_TIE_MARGIN if options.tie_margin is None else options.tie_margin
        self.device = None if options.backend.device == "auto" else options.backend.device
        self.batch_size = options.backend.batch_size
        self.name = f"embedding-{self.path.name}"
        self._model: Any = None

    def identity(self) -> dict[str, Any]:
        from alpaca_bench.models._hf import fingerprint

        return {"judge": "embedding-cosine", "model": fingerprint(str(self.path)), "tie_margin": self.margin}

    def check(self, eval_set: EvalSet) -> None:
        require_single_turn(eval_set, "the embedding judge")
        require_references(eval_set, "the embedding judge")

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise InputError(
                    "the embedding judge needs sentence-transformers: pip install 'alpaca-bench[embedding]'"
                ) from None
            self._model = SentenceTransformer(str(self.path), device=self.device)
        return self._model

    def _scores(self, tasks: Sequence[PairTask]) -> list[tuple[float, float]]:
        model = self._load()
        texts = (
            [t.prompt.reference or "" for t in tasks]
            + [t.output_a for t in tasks]
            + [t.output_b for t in tasks]
        )
        vectors = model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        n = len(tasks)
        ref, a, b = vectors[:n], vectors[n : 2 * n], vectors[2 * n :]
        return [(float(ref[i] @ a[i]), float(ref[i] @ b[i])) for i in range(n)]

    def plan(self, tasks: Sequence[PairTask]) -> JudgePlan:
        return JudgePlan()  # computed here: no service is called

    async def judge(self, tasks: Sequence[PairTask]) -> AsyncIterator[JudgeResult]:
        if not tasks:
            return
        scores = await asyncio.to_thread(self._scores, tasks)
        for task, (score_a, score_b) in zip(tasks, scores, strict=True):
            verdict, p_b = decide(score_a, score_b, self.margin)
            yield JudgeResult(task.key, verdict, p_b, raw={"score_a": score_a, "score_b": score_b})  # type: ignore[arg-type]

    async def aclose(self) -> None:
        self._model = None
