"""Test doubles that speak real protocols, for alpaca-bench's tests and for users' own CI."""

from .openai_server import Fault, FaultPlan, Reply, ScriptedOpenAIServer

__all__ = ["Fault", "FaultPlan", "Reply", "ScriptedOpenAIServer"]
