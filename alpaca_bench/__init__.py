"""alpaca-bench: is model B better than model A, by how much, and how sure are we?

The public API. Heavy dependencies (torch, transformers, openai, streamlit) are imported only
by the backends and components that need them.
"""

from .errors import AlpacaBenchError, GateFailed, InputError, ServiceError
from .evalsets import EvalSet, available_eval_sets, load_eval_set, register_eval_set
from .generation import GenerationRun, generate
from .models import (
    BackendOptions,
    ChatRequest,
    Completion,
    ModelBackend,
    load_backend,
    register_backend,
)
from .prompt_format import alpaca_prompt, user_message
from .records import (
    ComparisonSummary,
    Generation,
    GenerationConfig,
    Interval,
    JudgeInfo,
    Judgment,
    Prompt,
    Usage,
)
from .store import ResultsRoot, RunFolder, open_run

__all__ = [
    "AlpacaBenchError",
    "BackendOptions",
    "ChatRequest",
    "ComparisonSummary",
    "Completion",
    "EvalSet",
    "GateFailed",
    "Generation",
    "GenerationConfig",
    "GenerationRun",
    "InputError",
    "Interval",
    "JudgeInfo",
    "Judgment",
    "ModelBackend",
    "Prompt",
    "ResultsRoot",
    "RunFolder",
    "ServiceError",
    "Usage",
    "alpaca_prompt",
    "available_eval_sets",
    "generate",
    "load_backend",
    "load_eval_set",
    "open_run",
    "register_backend",
    "register_eval_set",
    "user_message",
]
