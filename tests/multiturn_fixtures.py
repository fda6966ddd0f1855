"""Shared by the multi-turn UI tests (no tests here): a results folder holding a comparison of two
models on a small multi-turn eval set, written with the library's own records and store, and
the same prompts as a named eval set for the rater (which loads prompts by the run's eval set).

Model names are the rating tests' (easy to spot should one reach the rating screen); every
answer text names its prompt and turn, so a test can check that each turn shows in order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alpaca_bench.evalsets import EvalSet
from alpaca_bench.evalsets import _base as evalset_registry
from alpaca_bench.files import JsonlLog
from alpaca_bench.records import FollowUp, Generation, JudgeIdentity, Judgment, Prompt
from alpaca_bench.store import (
    GenerationStore,
    ResultsRoot,
    RunFolder,
    RunJudge,
    RunManifest,
    RunSide,
    pair_hash,
)
from alpaca_bench.summary import summarize_run

BASELINE, CANDIDATE = "zebra-7b", "okapi-13b"  # as tests/judges/test_rate_fixtures.py names them
EVAL = "mt-mini"
# a second-turn answer that is markup: it must stay text everywhere it is shown
TURN_TWO_PAYLOAD = '<img src=x onerror="window.__pwned = 1">[bold]Pluie[/bold] simple.'
JUDGE = "scripted"
TRIP, HAIKU, SAME, SINGLE = "conv-trip", "conv-haiku", "conv-same", "single-prime"

PROMPTS = [
    Prompt(
        id=TRIP,
        instruction="Plan a three-day trip to Lisbon.",
        input="Budget: modest, no car.",
        category="planning",
        reference="Day one: Alfama and the castle.",
        follow_ups=[
            FollowUp(
                message="Shorten it to two days with one museum.", reference="Two days, the tile museum."
            )
        ],
    ),
    Prompt(
        id=HAIKU,
        instruction="Write a haiku about rain.",
        category="writing",
        follow_ups=[FollowUp(message="Now translate your haiku into French.")],
    ),
    Prompt(
        id=SAME,
        instruction="Say hello.",
        category="writing",
        follow_ups=[FollowUp(message="Say goodbye.")],
    ),
    Prompt(id=SINGLE, instruction="Name a prime number above ten.", category="math", reference="11"),
]

# the answers of each model to every turn (the haiku's first answers are alike: only turn 2
# differs, and the pair is still there to rate; the "same" conversations are alike throughout)
ANSWERS: dict[str, dict[str, list[str]]] = {
    BASELINE: {
        TRIP: ["Plain plan, turn one: walk the old town.", "Plain plan, turn two: one day each."],
        HAIKU: ["Rain taps the window / a grey morning hums softly / puddles hold the sky", TURN_TWO_PAYLOAD],
        SAME: ["Hello!", "Goodbye!"],
        SINGLE: ["Thirteen."],
    },
    CANDIDATE: {
        TRIP: [
            "Fuller plan, turn one: Alfama, Belém and a tram ride.",
            "Fuller plan, turn two: day one Alfama, day two the tile museum.",
        ],
        HAIKU: [
            "Rain taps the window / a grey morning hums softly / puddles hold the sky",
            "La pluie frappe la vitre, traduction soignée.",
        ],
        SAME: ["Hello!", "Goodbye!"],
        SINGLE: ["Eleven is the smallest."],
    },
}
CONFIG = {BASELINE: "cfg-zebra", CANDIDATE: "cfg-okapi"}


def eval_set() -> EvalSet:
    return EvalSet(EVAL, list(PROMPTS), source="multiturn_fixtures")


@contextmanager
def registered_eval_set() -> Iterator[None]:
    """The multi-turn set as `--eval-set mt-mini` while the block runs (the rater loads the
    run's prompts by its eval set's name, as for a built-in set)."""
    before = evalset_registry.named_sets()
    evalset_registry.register_eval_set(EVAL, "multi-turn test set", eval_set)
    try:
        yield
    finally:
        evalset_registry._REGISTRY.clear()
        evalset_registry._REGISTRY.update(before)


def generation(model: str, prompt_id: str, answers: list[str] | None = None) -> Generation:
    given = answers if answers is not None else ANSWERS[model][prompt_id]
    return Generation(
        prompt_id=prompt_id,
        model=model,
        output=given[0],
        follow_up_outputs=given[1:],
        config_hash=CONFIG[model],
    )


def build_results(root: Path, *, judged: bool = True) -> Path:
    """The comparison's run folder under `root`: prompts carried in `<root>/mt-mini/prompts.jsonl`
    (what the explorer reads), both models' generations, a manifest, and (when `judged`) one
    verdict per prompt, each hashed over the conversations' content, with its summary."""
    results = ResultsRoot(root)
    prompts = JsonlLog(results.eval_dir(EVAL) / "prompts.jsonl")
    for prompt in PROMPTS:
        prompts.append(prompt)
    for model in (BASELINE, CANDIDATE):
        store = GenerationStore(results.model_dir(EVAL, model))
        for prompt in PROMPTS:
            store.append(generation(model, prompt.id))
    run = RunFolder(results.run_dir(EVAL, BASELINE, CANDIDATE, JUDGE))
    run.write_manifest(
        RunManifest(
            eval_set=EVAL,
            baseline=RunSide(name=BASELINE, config_hash=CONFIG[BASELINE]),
            candidate=RunSide(name=CANDIDATE, config_hash=CONFIG[CANDIDATE]),
            judge=RunJudge(name=JUDGE),
            n_prompts=len(PROMPTS),
        )
    )
    if judged:
        for k, prompt in enumerate(PROMPTS):
            b, c = generation(BASELINE, prompt.id), generation(CANDIDATE, prompt.id)
            run.add_judgment(
                Judgment.from_positional(
                    first_shown="baseline",
                    p_b=1.0 if k % 2 == 0 else 0.0,
                    prompt_id=prompt.id,
                    baseline=BASELINE,
                    candidate=CANDIDATE,
                    judge=JudgeIdentity(name=JUDGE),
                    verdict="B>A" if k % 2 == 0 else "A>B",
                    raw=f"verdict on {prompt.id}",
                    pair_hash=pair_hash(b.content, c.content),
                )
            )
        run.write_summary(summarize_run(run, eval_set=eval_set(), n_boot=200).model_dump(mode="json"))
    return run.path
