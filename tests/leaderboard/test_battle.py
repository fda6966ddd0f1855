"""Battles in the library: config checks, streamed answers stored once, votes as human judgments
that the Bradley–Terry ratings pick up."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from alpaca_bench.errors import InputError, ServiceError
from alpaca_bench.files import JsonlLog
from alpaca_bench.judges.human import Arena, BattleConfig, BattleModel, load_battle_config
from alpaca_bench.leaderboard import ResultsIndex
from alpaca_bench.models import BackendOptions
from alpaca_bench.records import Generation, Judgment, Prompt
from alpaca_bench.store import pair_hash

BAD = Path(__file__).parents[1] / "data" / "bad"
CONFIG = BattleConfig(
    models=[
        BattleModel(name="alpha", spec="mock:alpha?words=8"),
        BattleModel(name="beta", spec="mock:beta?words=16"),
    ]
)


@pytest.fixture
def arena(tmp_path):
    arena = Arena(CONFIG, tmp_path / "results")
    yield arena
    arena.close()


def _answered(arena: Arena, text: str, shown: tuple[str, str] | None = None):
    battle = arena.start(text, np.random.default_rng(0))
    if shown is not None:
        battle = dataclasses.replace(battle, shown=shown)
    updates = list(arena.answer(battle))
    return battle, updates


def _votes(results: Path) -> list[Judgment]:
    return JsonlLog(results / "battle" / "alpha__vs__beta" / "human" / "judgments.jsonl").read(Judgment)


def test_answers_stream_and_are_stored_once(arena, tmp_path):
    battle, updates = _answered(arena, "Name three colours.")
    assert set(battle.shown) == {"alpha", "beta"} and battle.answered
    for side in (0, 1):
        mine = [u for u in updates if u.side == side]
        assert len(mine) > 2  # word by word
        assert [u.text for u in mine] == sorted((u.text for u in mine), key=len)  # growing text
        assert mine[-1].done and mine[-1].text == battle.outputs[battle.shown[side]].output
    prompts = JsonlLog(arena.prompts_path).read(Prompt)
    assert [p.instruction for p in prompts] == ["Name three colours."]
    again, updates = _answered(arena, "Name three colours.")
    assert again.prompt.id == battle.prompt.id
    assert [u.done for u in updates] == [True, True]  # replayed, not generated again
    assert {n: g.output for n, g in again.outputs.items()} == {n: g.output for n, g in battle.outputs.items()}
    for name in ("alpha", "beta"):
        stored = JsonlLog(tmp_path / "results" / "battle" / "models" / name / "generations.jsonl").read(
            Generation
        )
        assert len(stored) == 1
    assert len(JsonlLog(arena.prompts_path).read(Prompt)) == 1


@pytest.mark.parametrize(
    "shown, vote, preference, verdict, first_shown",
    [
        (("alpha", "beta"), "A", 0.0, "A>B", "baseline"),  # alpha (baseline, names sorted) shown as A, wins
        (("alpha", "beta"), "B", 1.0, "B>A", "baseline"),
        (("beta", "alpha"), "A", 1.0, "A>B", "candidate"),  # beta (candidate) shown as A, wins
        (("beta", "alpha"), "B", 0.0, "B>A", "candidate"),
        (("beta", "alpha"), "tie", 0.5, "tie", "candidate"),
        (("alpha", "beta"), "both-bad", 0.5, "tie", "baseline"),
    ],
)
def test_a_vote_is_a_human_judgment(arena, tmp_path, shown, vote, preference, verdict, first_shown):
    battle, _ = _answered(arena, "Write a haiku about rain.", shown)
    result = arena.vote(battle, vote, "  carol ")
    assert result.recorded
    (stored,) = _votes(tmp_path / "results")
    assert stored == result.judgment
    assert (stored.baseline, stored.candidate) == ("alpha", "beta")
    assert stored.judge.name == "human" and stored.rater == "carol"
    assert (stored.preference, stored.verdict, stored.first_shown) == (preference, verdict, first_shown)
    assert stored.flagged == (vote == "both-bad")
    assert stored.pair_hash == pair_hash(battle.outputs["alpha"].output, battle.outputs["beta"].output)
    assert (result.run_dir / "summary.json").is_file()


def test_votes_feed_the_ratings(arena, tmp_path):
    prompts = [f"Question number {i}?" for i in range(6)]
    for i, text in enumerate(prompts):
        battle, _ = _answered(arena, text, ("beta", "alpha") if i % 2 else ("alpha", "beta"))
        winner = "A" if battle.shown[0] == "beta" else "B"  # people always prefer beta
        assert arena.vote(battle, winner, "dave").recorded
    assert not arena.vote(battle, "A", "dave").recorded  # the same rater on the same pair: first vote counts
    assert arena.vote(battle, "tie", "erin").recorded
    index = ResultsIndex.load(tmp_path / "results")
    (comparison,) = index.select("battle", "human")
    assert comparison.from_disk  # the summary written after the last vote is current
    assert comparison.summary.n == 6 and comparison.summary.n_judgments == 7
    ratings = {r["model"]: r for r in index.ratings("battle", "human")}
    assert ratings["beta"]["rating"] > ratings["alpha"]["rating"]
    assert ratings["beta"]["judgments"] == 7


def test_votes_need_answers_and_a_rater(arena):
    battle = arena.start("Hello?", np.random.default_rng(1))
    with pytest.raises(InputError, match="both models must answer"):
        arena.vote(battle, "A", "fred")
    list(arena.answer(battle))
    with pytest.raises(InputError, match="rater id"):
        arena.vote(battle, "A", "   ")
    with pytest.raises(InputError, match="unknown vote"):
        arena.vote(battle, "C", "fred")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="type a prompt"):
        arena.start("  ", np.random.default_rng(1))


def test_a_failing_model_is_a_service_error(tmp_path):
    config = BattleConfig(
        models=[
            BattleModel(name="alpha", spec="mock:alpha"),
            BattleModel(name="down", spec="openai:m@http://127.0.0.1:9/v1"),  # nothing listens on port 9
        ]
    )
    arena = Arena(config, tmp_path / "results", BackendOptions(max_retries=1, timeout_s=2))
    try:
        battle = arena.start("Anyone there?", np.random.default_rng(0))
        with pytest.raises(ServiceError, match="down"):
            list(arena.answer(battle))
        assert not battle.answered
    finally:
        arena.close()


def test_config_accepts_a_bare_list(tmp_path):
    path = tmp_path / "battle.yaml"
    path.write_text(
        "- {name: a, spec: 'mock:a'}\n- {name: b, spec: 'openai:gpt-4o-mini'}\n", encoding="utf-8"
    )
    config = load_battle_config(path)
    assert [m.name for m in config.models] == ["a", "b"]
    assert config.generation.temperature == 0.0


def test_bad_configs_name_the_file(cli, tmp_path):
    cases = sorted(BAD.glob("battle_*"))
    assert len(cases) >= 8
    for path in cases:
        result = cli("leaderboard", "--battle-config", path, "--results", tmp_path / "results")
        assert result.code == 2, (path.name, result.err)
        message = result.err.strip()
        assert "\n" not in message and message.startswith("alpaca-bench: error: ")
        assert path.name in message
        assert "Traceback" not in result.err
    assert not (tmp_path / "results").exists()
