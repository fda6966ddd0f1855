"""Test doubles that speak real protocols, for alpaca-bench's tests and for users' own CI."""

from ._attacks import VARIANTS, Variant, variant
from ._batch_server import BatchOpenAIServer, LineFault, LineFaultPlan, ScriptedBatch
from ._openai_server import HANG_KINDS, Fault, FaultPlan, Reply, ScriptedOpenAIServer
from ._synthetic import build_synthetic_results, synthetic_model_names

__all__ = [
    "HANG_KINDS",
    "VARIANTS",
    "BatchOpenAIServer",
    "Fault",
    "FaultPlan",
    "LineFault",
    "LineFaultPlan",
    "Reply",
    "ScriptedBatch",
    "ScriptedOpenAIServer",
    "Variant",
    "build_synthetic_results",
    "synthetic_model_names",
    "variant",
]
