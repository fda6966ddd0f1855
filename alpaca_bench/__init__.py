"""alpaca-bench: is model B better than model A, by how much, and how sure are we?

The public API. Heavy dependencies (torch, transformers, openai, streamlit) are imported only
by the backends and components that need them.
"""

from typing import TYPE_CHECKING

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
    JudgeIdentity,
    Judgment,
    Prompt,
    Usage,
)
from .registry import lazy_attributes
from .store import ResultsRoot, RunFolder, open_run

if TYPE_CHECKING:  # what the lazy names are, for the type checker
    from .comparison import CompareResult, compare, rejudge
    from .gate import gate_compare, gate_run
    from .settings import CompareSettings, GateSettings
    from .summary import summarize_run

# The comparison machinery pulls in scipy; it loads on first use so `import alpaca_bench` stays light.
_LAZY = {
    "CompareResult": "comparison",
    "CompareSettings": "settings",
    "compare": "comparison",
    "rejudge": "comparison",
    "GateSettings": "settings",
    "gate_compare": "gate",
    "gate_run": "gate",
    "summarize_run": "summary",
}

__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "AlpacaBenchError",
    "BackendOptions",
    "ChatRequest",
    "CompareResult",
    "CompareSettings",
    "ComparisonSummary",
    "Completion",
    "EvalSet",
    "GateFailed",
    "GateSettings",
    "Generation",
    "GenerationConfig",
    "GenerationRun",
    "InputError",
    "Interval",
    "JudgeIdentity",
    "Judgment",
    "ModelBackend",
    "Prompt",
    "ResultsRoot",
    "RunFolder",
    "ServiceError",
    "Usage",
    "alpaca_prompt",
    "available_eval_sets",
    "compare",
    "gate_compare",
    "gate_run",
    "generate",
    "load_backend",
    "load_eval_set",
    "open_run",
    "register_backend",
    "register_eval_set",
    "rejudge",
    "summarize_run",
    "user_message",
]
