"""Test doubles that speak real protocols, for alpaca-bench's tests and for users' own CI."""

from ._attacks import VARIANTS, Variant, variant
from ._openai_server import HANG_KINDS, Fault, FaultPlan, Reply, ScriptedOpenAIServer
from ._synthetic import build_synthetic_results, synthetic_model_names

__all__ = [
    "HANG_KINDS",
    "VARIANTS",
    "Fault",
    "FaultPlan",
    "Reply",
    "ScriptedOpenAIServer",
    "Variant",
    "build_synthetic_results",
    "synthetic_model_names",
    "variant",
]
