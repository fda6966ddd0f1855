"""The request that asks a model for new tasks.

The wording is this project's own. It shows a few sampled example tasks and states what makes a
task useful for instruction tuning: variety of verbs and kinds, doable by a text-only model,
inputs only when the task needs material, and a genuinely good output. The same rules are
enforced afterwards by the filters, so a model that ignores them only costs rejected candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._formats import TaskFormat
from ._records import Task

GUIDELINES = """\
I am collecting a varied set of tasks for teaching an AI assistant to follow instructions. \
Please invent {count} new tasks.

What makes a good task:
- It differs from the examples and from the other new tasks, in wording and in kind. Mix \
questions, rewriting, classification, extraction, brainstorming, explanation, planning, advice, \
arithmetic, coding, editing and open-ended writing.
- Instructions do not all start with the same verb. One or two sentences, as a direct request \
or a question, in English.
- A model that only reads and writes text can do it: nothing that needs looking at a picture, \
hearing audio, watching a video, opening a file or a link, or acting in the physical world.
- It has an input only when it needs material to work on, such as a passage, a list, a sentence, \
a small table written as text or a code snippet. The input is concrete and realistic, never a \
placeholder. Many tasks need no input at all.
- The output is a correct, complete and helpful answer to the instruction and its input, under \
150 words unless the task truly needs more."""


def build_prompt(task_format: TaskFormat, examples: Sequence[Task], count: int) -> str:
    """The user message for one request: guidelines, layout, numbered examples, then the ask."""
    first_number = len(examples) + 1
    return "\n\n".join(
        [
            GUIDELINES.format(count=count),
            task_format.answer_instructions(first_number, count),
            "Examples:",
            task_format.render_examples(examples),
            task_format.closing(first_number, count),
        ]
    )
