"""Judges: who decides which of two blind outputs is better.

LLM pairwise judges (`openai:`, `hf:`, `vllm:`) read YAML templates; reference judges (`rouge`,
`embedding:PATH`) need no model calls; human raters use `alpaca-bench rate`.
"""

from ._base import (
    DEFAULT_GRADE_TEMPLATE,
    DEFAULT_JUDGE,
    VERDICT_P_B,
    Grader,
    GradeResult,
    GradeTask,
    Judge,
    JudgeOptions,
    JudgePlan,
    JudgeResult,
    PairTask,
    judge_schemes,
    load_grader,
    load_judge,
    register_grader,
    register_judge,
)
from ._templates import JudgeTemplate, builtin_templates, load_template

__all__ = [
    "DEFAULT_GRADE_TEMPLATE",
    "DEFAULT_JUDGE",
    "VERDICT_P_B",
    "GradeResult",
    "GradeTask",
    "Grader",
    "Judge",
    "JudgeOptions",
    "JudgePlan",
    "JudgeResult",
    "JudgeTemplate",
    "PairTask",
    "builtin_templates",
    "judge_schemes",
    "load_grader",
    "load_judge",
    "load_template",
    "register_grader",
    "register_judge",
]
