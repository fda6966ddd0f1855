"""Filters (one per rejection reason), seed loading and the report's diversity heuristic."""

import json

import pytest

from alpaca_bench.datagen import (
    FILTERS,
    Rejection,
    RequestRecord,
    Task,
    build_report,
    failing_filters,
    load_seed_tasks,
    verb_and_object,
)
from alpaca_bench.records import Usage

pytest_plugins = ["datagen_fakes"]

CLEAN = Task(
    instruction="Suggest three names for a friendly neighborhood bakery.",
    input="",
    output="Rise, Crumb, Loaf.",
)

REJECTED = {
    "too_short": Task(instruction="Summarize this text.", output="x"),
    "too_long": Task(instruction="Explain " + "very " * 150 + "much.", output="x"),
    "needs_non_text": Task(instruction="Describe the attached photo of a beach at sunset.", output="x"),
    "leading_punctuation": Task(instruction='"Quote" a famous line from a play.', output="x"),
    "non_ascii_start": Task(instruction="¿Cuál es la capital de Francia y por qué?", output="x"),
    "non_english": Task(instruction="Объясните, почему небо голубое днём", output="x"),
    "empty_output": Task(instruction="List three primary colors in art.", output="  "),
    "input_equals_output": Task(
        instruction="Correct the spelling in this sentence.", input="I am here.", output="i am  here."
    ),
    "write_program": Task(instruction="Write a Python program that prints prime numbers.", output="x"),
}


def test_every_reason_has_a_filter_and_a_rejected_example():
    assert set(FILTERS) == set(REJECTED)
    for reason, task in REJECTED.items():
        assert reason in failing_filters(task), reason
        assert FILTERS[reason](task)  # a non-empty detail


def test_clean_tasks_pass_and_text_tasks_are_not_mistaken_for_media():
    assert failing_filters(CLEAN) == []
    for instruction in [
        "Summarize the plot of Hamlet in two sentences.",
        "Translate 'Straße' and 'café' into English words.",
        "Write a short poem about the ocean at night.",
    ]:
        assert failing_filters(Task(instruction=instruction, output="x")) == [], instruction


def test_self_instruct_seed_file(seed_tasks_file):
    tasks = load_seed_tasks(seed_tasks_file)
    assert len(tasks) == 175
    assert tasks[1] == Task(
        instruction="What is the relation between the given pairs?",
        input="Night : Day :: Right : Left",
        output="The relation between the given pairs is that they are opposites.",
    )


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_alpaca_format_seed_files(tmp_path, suffix):
    rows = [
        {"instruction": "Give three tips.", "input": "", "output": "Eat."},
        {"instruction": "Fix the grammar.", "output": "Done.", "input": None},
    ]
    path = tmp_path / f"seeds{suffix}"
    path.write_text(
        json.dumps(rows) if suffix == ".json" else "\n".join(json.dumps(r) for r in rows) + "\n\n"
    )
    assert load_seed_tasks(path) == [
        Task(instruction="Give three tips.", output="Eat."),
        Task(instruction="Fix the grammar.", output="Done."),
    ]


@pytest.mark.parametrize(
    "instruction, expected",
    [
        ("Write a short story about a dragon.", ("write", "story")),
        ("Please give me a list of five fruits", ("give", "list")),
        ("Classify the following sentence as positive or negative.", ("classify", "sentence")),
        ("What is the capital of France?", ("(question)", "what")),
        ("Explain why the sky is blue", ("explain", None)),
        ("Summarize the text.", ("summarize", "text")),
        ("", (None, None)),
    ],
)
def test_leading_verb_and_object(instruction, expected):
    assert verb_and_object(instruction) == expected


def test_report_counts_and_histograms():
    tasks = [
        Task(instruction="Write a short story about a dragon.", input="", output="Once upon a time."),
        Task(instruction="Write a poem about the sea.", input="waves", output="Blue " * 12),
        Task(instruction="List three colors.", input="", output="Red, green, blue."),
    ]
    rejections = [
        Rejection(reason="near_duplicate", request=0),
        Rejection(reason="malformed", request=0),
        Rejection(reason="near_duplicate", request=1),
        Rejection(reason="surplus", request=1),
    ]
    requests = [
        RequestRecord(request=0, model="m", usage=Usage(prompt_tokens=10, completion_tokens=5), cost_usd=0.5),
        RequestRecord(request=1, model="m", cached=True),
    ]
    report = build_report("out.jsonl", 3, tasks, rejections, requests)
    assert (report.kept, report.candidates, report.rejected, report.surplus) == (3, 7, 3, 1)
    assert report.rejected_by_reason == {"near_duplicate": 2, "malformed": 1}
    assert (report.requests, report.cached_requests, report.cost_usd) == (2, 1, 0.5)
    assert (report.prompt_tokens, report.completion_tokens, report.with_input) == (10, 5, 1)
    assert report.top_verbs[0].verb == "write" and report.top_verbs[0].count == 2
    assert dict(report.top_verbs[0].objects) == {"story": 1, "poem": 1}
    histogram = {b.label: b.count for b in report.length_histograms["instruction"]}
    assert histogram["1-4"] == 1 and histogram["5-9"] == 2 and sum(histogram.values()) == 3
    assert {b.label: b.count for b in report.length_histograms["output"]}["10-19"] == 1
