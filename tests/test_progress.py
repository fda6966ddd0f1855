"""Progress that moves: a generation bar shows tokens/s from the outputs that finished."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress, TextColumn

from alpaca_bench.progress import Bar


def test_bar_shows_tokens_per_second_of_finished_outputs():
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with Progress(TextColumn("{task.fields[speed]}"), console=console) as progress:
        task = progress.add_task("generating", total=3, speed="")
        bar = Bar(progress, task)
        bar.advance(tokens=0)  # a cached output: no tokens, no speed yet
        assert progress.tasks[0].fields["speed"] == "" and progress.tasks[0].completed == 1
        bar.advance(tokens=120)
        speed = progress.tasks[0].fields["speed"]
        assert speed.endswith(" tokens/s") and float(speed.split()[0].replace(",", "")) > 0
        assert progress.tasks[0].completed == 2
