"""Shared by the rating tests (no tests here): a real comparison run on the demo set whose model
names are easy to spot if they ever reach the screen, and the text a terminal would show."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from alpaca_bench.comparison import CompareSettings, compare
from alpaca_bench.evalsets import load_eval_set

BASELINE, CANDIDATE = "zebra-7b", "okapi-13b"
NEVER_ON_SCREEN = ("zebra", "okapi", "7b", "13b", "baseline", "candidate")

MARKUP = "[bold]not bold[/bold] [/] [red]x[/red] [link=http://e.x]y[/link] [@click=app.quit]q[/]"
NON_ASCII = "Café, naïve — 日本語のテキスト ✓ 🎉"
CONTROL = "\x1b[2J\x1b[31mred"
LONG = "\n".join(f"step {k}: keep going" for k in range(60))
SPECIAL = {"demo-01": f"{MARKUP}\n{NON_ASCII}\n{CONTROL}", "demo-02": LONG}
IDENTICAL = "demo-03"


def outputs(prompt_id: str, index: int) -> tuple[str, str]:
    """(baseline, candidate) output of one demo prompt."""
    if prompt_id == IDENTICAL:
        return "Same answer.", "Same answer."
    baseline = f"Short reply {index}."
    return baseline, SPECIAL.get(prompt_id, f"A fuller reply {index}, with a few more words than the other.")


def make_run(tmp_path: Path) -> Path:
    """A rouge-judged comparison of two file models on the 20 demo prompts (19 differ)."""
    eval_set = load_eval_set("demo")
    files = []
    for side, name in enumerate((BASELINE, CANDIDATE)):
        rows = [
            {"id": p.id, "output": outputs(p.id, i)[side], "generator": name} for i, p in enumerate(eval_set)
        ]
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        files.append(str(path))
    settings = CompareSettings(
        eval_set=eval_set, judge="rouge", output_dir=tmp_path / "results", show_progress=False
    )
    return compare(files[0], files[1], settings).run_dir


def screen_text(app: Any) -> str:
    """What the terminal shows now, as text (the screen stack included, as a terminal draws it)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, force_terminal=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def human_records(run_dir: Path) -> list[dict[str, Any]]:
    """The human ratings on disk, parsed line by line (blank lines are taken-back ratings)."""
    lines = (run_dir / "judgments.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return [r for r in records if r["judge"]["name"] == "human"]
