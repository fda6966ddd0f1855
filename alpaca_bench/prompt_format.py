"""How an (instruction, input) pair becomes model text.

One place for it, because generation (`hf:` with `--template alpaca`) and SFT must format
prompts identically or a fine-tuned model is evaluated on text it never saw.
"""

from __future__ import annotations

from typing import Literal

TemplateName = Literal["auto", "alpaca", "chat", "raw"]

ALPACA_WITH_INPUT = (
    "You are given a task together with some context for it. "
    "Write a response that carries out the task.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
ALPACA_NO_INPUT = (
    "You are given a task. Write a response that carries out the task.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)


def alpaca_prompt(instruction: str, input: str = "") -> str:
    """The Alpaca-style prompt; the model's answer starts right after it."""
    if input.strip():
        return ALPACA_WITH_INPUT.format(instruction=instruction, input=input)
    return ALPACA_NO_INPUT.format(instruction=instruction)


def user_message(instruction: str, input: str = "") -> str:
    """The single user turn sent to chat models (AlpacaEval's joining convention)."""
    if input.strip():
        return f"{instruction}\n\n{input}"
    return instruction
