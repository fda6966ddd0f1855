"""Tolerant parsing of task lists: everything well-formed is recovered, the rest is reported."""

import json

from alpaca_bench.datagen import Task, get_format, parse_json, parse_numbered
from alpaca_bench.datagen._prompting import build_prompt

NUMBERED = """Sure, here are new tasks.

4. Instruction: Give three tips for staying healthy.
4. Input:
<noinput>
4. Output:
1. Eat well.
2. Sleep enough.
###
**5. Instruction:** Classify the sentiment of the review.
**5. Input:** I love this phone
**5. Output:** Positive
###
Task 6
Instruction: This one has no output field
Input: something
###
98. Input: an input with no instruction
98. Output: should not leak into task 5
###
7) Instruction: Explain the rule.
7) Input: N/A
7) Output: Output: the first line
Input: a line that belongs to the output
###
8. Instruction: A task cut off by the token limit
8. Input:"""


def test_numbered_blocks_recover_tasks_and_report_problems():
    result = parse_numbered(NUMBERED, truncated=True)
    assert result.tasks == [
        Task(
            instruction="Give three tips for staying healthy.",
            input="",
            output="1. Eat well.\n2. Sleep enough.",
        ),
        Task(
            instruction="Classify the sentiment of the review.", input="I love this phone", output="Positive"
        ),
        Task(
            instruction="Explain the rule.",
            input="",
            output="Output: the first line\nInput: a line that belongs to the output",
        ),
    ]
    assert [(p.reason, p.detail) for p in result.problems] == [
        ("malformed", "no 'Output:' field"),
        ("malformed", "no 'Instruction:' field"),
        ("truncated", "last task cut off by the token limit"),
    ]
    assert "no instruction" in result.problems[1].raw


def test_numbered_without_truncation_keeps_the_last_block():
    text = "1. Instruction: Name a color.\n1. Input:\n\n1. Output:\nBlue"
    assert parse_numbered(text, truncated=False).tasks == [Task(instruction="Name a color.", output="Blue")]
    assert parse_numbered(text, truncated=True).tasks == []


def test_repeated_field_is_malformed():
    text = "1. Instruction: A\n1. Input: x\n1. Input: y\n1. Output: z"
    result = parse_numbered(text)
    assert result.tasks == [] and result.problems[0].detail == "'Input:' appears twice in one task"


def test_no_tasks_at_all():
    result = parse_numbered("I'm sorry, I can't do that.")
    assert result.tasks == [] and result.problems == []


def _items(n):
    return [{"instruction": f"Task number {i} here", "input": "", "output": f"answer {i}"} for i in range(n)]


def test_json_clean_array():
    result = parse_json(json.dumps(_items(3)))
    assert [t.output for t in result.tasks] == ["answer 0", "answer 1", "answer 2"] and result.problems == []


def test_json_in_a_code_fence_with_chatter_and_trailing_garbage():
    text = "Here you go:\n```json\n" + json.dumps(_items(2), indent=2) + "\n```\nHope this helps! [1]"
    assert len(parse_json(text).tasks) == 2
    assert len(parse_json(json.dumps(_items(2)) + " and some trailing words }").tasks) == 2


def test_json_wrapped_in_an_object():
    assert len(parse_json(json.dumps({"tasks": _items(2)})).tasks) == 2
    assert len(parse_json(json.dumps(_items(1)[0])).tasks) == 1


def test_json_partial_last_item_is_truncated():
    text = json.dumps(_items(3))[:-25]
    result = parse_json(text)
    assert len(result.tasks) == 2
    assert [p.reason for p in result.problems] == ["truncated"]


def test_json_broken_item_costs_only_itself():
    good = [json.dumps(i) for i in _items(3)]
    text = (
        "["
        + ", ".join([good[0], '{"instruction": "bad", "input": oops}', good[1], '"a string"', good[2]])
        + "]"
    )
    result = parse_json(text)
    assert [t.output for t in result.tasks] == ["answer 0", "answer 1", "answer 2"]
    assert [p.reason for p in result.problems] == ["malformed", "malformed"]


def test_json_items_with_wrong_fields():
    items = [
        {"Instruction": "Upper-case keys work", "Input": "<noinput>", "Response": 42},
        {"input": "no instruction", "output": "x"},
        {"instruction": "no output"},
        {"instruction": "input not text", "input": ["a"], "output": "x"},
    ]
    result = parse_json(json.dumps(items))
    assert result.tasks == [Task(instruction="Upper-case keys work", input="", output="42")]
    assert len(result.problems) == 3 and {p.reason for p in result.problems} == {"malformed"}


def test_each_format_parses_its_own_rendering_of_examples():
    examples = [
        Task(instruction="Give three tips.", input="", output="Eat.\nSleep."),
        Task(instruction="Fix the grammar.", input="He go home", output="He goes home."),
    ]
    for name in ("numbered", "json"):
        task_format = get_format(name)
        assert task_format.parse(task_format.render_examples(examples), truncated=False).tasks == examples
        prompt = build_prompt(task_format, examples, 20)
        assert "20 new tasks" in prompt and "Fix the grammar." in prompt
