"""Battle: type a prompt, two anonymous models answer side by side, vote, then see who they were.

Votes are human judgments in the results store (see `alpaca_bench.battle`), so they move the
Bradley–Terry ratings of the `battle` eval set on the Leaderboard page.
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np
import streamlit as st

from alpaca_bench.errors import AlpacaBenchError
from alpaca_bench.judges.human import EXAMPLE_CONFIG, Arena, Battle, Vote

from ._context import PageContext
from ._data import load_arena
from ._render import escape_markdown

VOTE_LABELS: dict[Vote, str] = {
    "A": "A is better",
    "B": "B is better",
    "tie": "Tie",
    "both-bad": "Both are bad",
}
SIDES = ("A", "B")


def render(ctx: PageContext) -> None:
    st.title("Battle")
    config = ctx.settings.battle_config
    if config is None:
        st.info(
            "Start the leaderboard with `--battle-config FILE` to battle models. A config looks like this:"
        )
        st.code(EXAMPLE_CONFIG, language="yaml")
        return
    arena = load_arena(config, ctx.settings.results)
    state = st.session_state
    if "battle_rater" not in state:
        state["battle_rater"] = f"anon-{secrets.token_hex(4)}"
    st.text_input(
        "Your rater id", key="battle_rater", help="stored with each vote; use the same id every time"
    )
    st.caption(f"Two of {len(arena.names)} models are drawn at random; you see which after you vote.")
    st.text_area("Prompt", key="battle_prompt", height=120)
    asked = st.button("Ask two anonymous models", key="battle_go", type="primary")
    if asked:
        state["battle"] = arena.start(str(state.get("battle_prompt") or ""), np.random.default_rng())
        state["battle_vote"] = None
        state["battle_error"] = None
    battle: Battle | None = state.get("battle")
    if battle is None:
        return
    _answers(arena, battle, stream=asked)
    if not battle.answered:
        st.warning("A model did not answer; ask again.")
        return
    _vote_or_reveal(arena, battle)


def _answers(arena: Arena, battle: Battle, stream: bool) -> None:
    columns = st.columns(2)
    slots = []
    for side, column in zip(SIDES, columns, strict=True):
        column.subheader(f"Model {side}")
        slots.append(column.empty())
    if stream:
        for update in arena.answer(battle):
            slots[update.side].text(update.text)
        return
    for slot, name in zip(slots, battle.shown, strict=True):
        output = battle.outputs.get(name)
        slot.text(output.output if output else "(no answer)")


def _vote_or_reveal(arena: Arena, battle: Battle) -> None:
    state = st.session_state
    if state.get("battle_error"):
        st.error(escape_markdown(str(state["battle_error"])))
    result = state.get("battle_vote")
    if result is None:
        st.caption("Which answer is better?")
        for column, (vote, label) in zip(st.columns(len(VOTE_LABELS)), VOTE_LABELS.items(), strict=True):
            column.button(label, key=f"vote_{vote}", on_click=_vote, args=(arena, battle, vote))
        return
    st.success(
        "Vote recorded. Thank you!"
        if result.recorded
        else "You already voted on this pair; the first vote counts."
    )
    for side, name in zip(SIDES, battle.shown, strict=True):
        st.text(f"Model {side} was {name}")
    st.button("New battle", key="battle_new", on_click=_reset)


def _vote(arena: Arena, battle: Battle, vote: Vote) -> None:
    """Runs before the rerun, so the page that follows already shows the names."""
    state: Any = st.session_state
    try:
        state["battle_vote"] = arena.vote(battle, vote, str(state.get("battle_rater") or ""))
        state["battle_error"] = None
    except AlpacaBenchError as exc:
        state["battle_error"] = str(exc)


def _reset() -> None:
    for key in ("battle", "battle_vote", "battle_error"):
        st.session_state.pop(key, None)
    st.session_state["battle_prompt"] = ""
