"""A scripted 'teacher model' for datagen tests: answers task-generation prompts in the format
the prompt asks for, with clean tasks mixed with everything the pipeline must reject —
malformed items, one violation per filter, planted near-duplicates (of a seed task, of an
earlier task in the same answer, of a task from an earlier answer) and a cut-off last item."""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alpaca_bench.testing import Reply

VERBS = [
    "Describe",
    "Explain",
    "List",
    "Suggest",
    "Compare",
    "Summarize",
    "Rewrite",
    "Classify",
    "Name",
    "Outline",
]
_NOT_TEXT = re.compile(
    r"imag|pictur|photo|video|audio|podcast|file|attach|map|draw|sketch|plot|graph|chart|"
    r"diagram|screenshot|click|program|sound"
)


def vocabulary(texts: list[str]) -> list[str]:
    words = {w.lower() for t in texts for w in re.findall(r"[A-Za-z]+", t)}
    return sorted(w for w in words if 4 <= len(w) <= 10 and not _NOT_TEXT.search(w))


def violations(rng: random.Random, words: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(the reason it must be rejected for, the task) — one per built-in filter."""

    def phrase(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    return [
        (
            "too_short",
            {"instruction": f"Define {rng.choice(words)} briefly.", "input": "", "output": phrase(6)},
        ),
        ("too_long", {"instruction": "Describe " + phrase(160), "input": "", "output": phrase(6)}),
        (
            "needs_non_text",
            {"instruction": f"Describe the image of {phrase(5)}", "input": "", "output": phrase(6)},
        ),
        (
            "leading_punctuation",
            {"instruction": f"(Optional) explain {phrase(6)}", "input": "", "output": phrase(6)},
        ),
        ("non_ascii_start", {"instruction": f"Écrivez {phrase(6)}", "input": "", "output": phrase(6)}),
        (
            "non_english",
            {
                "instruction": "A Περιγράψτε τη διαδικασία παραγωγής καφέ σήμερα",
                "input": "",
                "output": phrase(6),
            },
        ),
        ("empty_output", {"instruction": f"Summarize {phrase(7)}", "input": "", "output": ""}),
        (
            "input_equals_output",
            {"instruction": f"Repeat {phrase(7)}", "input": (same := phrase(5)), "output": same},
        ),
        (
            "write_program",
            {"instruction": f"Write a program that {phrase(7)}", "input": "", "output": phrase(6)},
        ),
    ]


@dataclass
class TaskWriter:
    """Callable responder for ScriptedOpenAIServer; records what it planted."""

    seeds: list[str]
    words: list[str]
    clean_per_answer: int = 4
    prompt_tokens: int = 1000
    completion_tokens: int = 500
    deterministic: bool = False  # answers depend on the prompt only (no memory of earlier calls)
    calls: int = 0
    clean: list[str] = field(default_factory=list)
    planted: dict[str, str] = field(default_factory=dict)  # near-duplicate -> its original
    violated: dict[str, str] = field(default_factory=dict)  # instruction -> reason
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, body: dict) -> Reply:
        prompt = body["messages"][-1]["content"]
        with self._lock:
            self.calls += 1
            rng = random.Random(prompt if self.deterministic else f"{prompt}\x00{self.calls}")
            tasks, broken = self._tasks(rng)
        wants_json = "JSON array" in prompt
        text = self._json(tasks, broken, rng) if wants_json else self._numbered(tasks, broken, rng)
        return Reply(text, prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens)

    def _instruction(self, rng: random.Random) -> str:
        return f"{rng.choice(VERBS)} " + " ".join(rng.choice(self.words) for _ in range(rng.randint(8, 12)))

    def _task(self, rng: random.Random, instruction: str) -> dict[str, str]:
        given = (
            " ".join(rng.choice(self.words) for _ in range(rng.randint(4, 10))) if rng.random() < 0.5 else ""
        )
        answer = " ".join(rng.choice(self.words) for _ in range(rng.randint(8, 25)))
        return {"instruction": instruction, "input": given, "output": answer.capitalize() + "."}

    def _tasks(self, rng: random.Random) -> tuple[list[dict[str, str]], str]:
        tasks = []
        fresh = [self._instruction(rng) for _ in range(self.clean_per_answer)]
        for instruction in fresh:
            tasks.append(self._task(rng, instruction))
        # near-duplicates: a swapped pair of words in an earlier task of this answer, one word
        # changed in a seed, one word changed in a task from an earlier answer
        words = fresh[0].split()
        words[3], words[4] = words[4], words[3]
        copies = {" ".join(words): fresh[0]}
        seed = rng.choice([s for s in self.seeds if len(s.split()) >= 9])
        seed_words = seed.split()
        seed_words[-2] = "particular"
        copies[" ".join(seed_words)] = seed
        if self.clean and not self.deterministic:
            earlier = rng.choice(self.clean)
            earlier_words = earlier.split()
            earlier_words[2] = "remarkable"
            copies[" ".join(earlier_words)] = earlier
        self.clean.extend(fresh)
        for copy, original in copies.items():
            self.planted[copy] = original
            tasks.append(self._task(rng, copy))
        which = rng.randrange(9) if self.deterministic else (self.calls - 1) % 9
        reason, bad = violations(rng, self.words)[which]
        self.violated[bad["instruction"]] = reason
        tasks.insert(rng.randrange(len(tasks)), bad)
        return tasks, rng.choice(["no_output", "no_instruction"])

    def _numbered(self, tasks: list[dict[str, str]], broken: str, rng: random.Random) -> str:
        blocks = ["Here are some new tasks.\n"]
        for number, task in enumerate(tasks, start=4):
            bold = "**" if rng.random() < 0.2 else ""
            blocks.append(
                f"{bold}{number}. Instruction:{bold} {task['instruction']}\n{number}. Input:\n"
                f"{task['input'] or '<noinput>'}\n{number}. Output:\n{task['output']}\n###"
            )
        position = rng.randrange(1, len(blocks))
        if broken == "no_output":
            blocks.insert(
                position, "99. Instruction: Tell a story about ships and storms\n99. Input:\n<noinput>\n###"
            )
        else:
            blocks.insert(position, "Task 98\n98. Input: something\n98. Output: no instruction above\n###")
        return "\n".join(blocks)

    def _json(self, tasks: list[dict[str, str]], broken: str, rng: random.Random) -> str:
        items = [json.dumps(t) for t in tasks]
        bad = (
            '{"instruction": "Tell a story", "input": oops}'
            if broken == "no_output"
            else '{"input": "x", "output": "y"}'
        )
        items.insert(rng.randrange(len(items)), bad)
        body = "[\n  " + ",\n  ".join(items)
        style = rng.randrange(3) if self.deterministic else self.calls % 3
        if style == 0:  # cut off by the token limit inside the last item
            return "Sure:\n" + body + ',\n  {"instruction": "Describe the water cycle in four short st'
        if style == 1:
            return "```json\n" + body + "\n]\n```\nLet me know if you need more!"
        return body + "\n] trailing words"


# ---------------------------------------- fixtures: use with `pytest_plugins = ["datagen_fakes"]`


@pytest.fixture(scope="session")
def seed_tasks_file(data_dir: Path) -> Path:
    return data_dir / "self-instruct" / "seed_tasks.jsonl"


@pytest.fixture(scope="session")
def seed_instructions(seed_tasks_file: Path) -> list[str]:
    return [json.loads(line)["instruction"] for line in seed_tasks_file.read_text().splitlines()]


@pytest.fixture(scope="session")
def teacher_words(data_dir: Path) -> list[str]:
    lines = (data_dir / "self-instruct" / "user_oriented_instructions.jsonl").read_text().splitlines()
    return vocabulary([json.loads(line)["instruction"] for line in lines])


@pytest.fixture
def teacher(scripted_server, seed_instructions, teacher_words):
    """Start a scripted teacher: returns (server, writer)."""
    from alpaca_bench.datagen import Task, failing_filters

    usable = [s for s in seed_instructions if not failing_filters(Task(instruction=s, output="x"))]

    def start(latency_s: float = 0.0, **kwargs):
        writer = TaskWriter(usable, teacher_words, **kwargs)
        return scripted_server(writer, latency_s=latency_s), writer

    return start
