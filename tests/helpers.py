"""Test helpers: a scripted judge that reads the blind pair out of the real request body."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from alpaca_bench.testing import Reply

# the built-in templates fence each response with tags carrying a per-pair id
PAIR = re.compile(
    r'<response_A( id="[0-9a-f]+"|)>\n(.*?)\n</response_A\1>\n\n'
    r"<response_B\1>\n(.*)\n</response_B\1>",
    re.DOTALL,
)
CONFIDENT = 0.9


def predictions(data_dir: Path, name: str) -> Path:
    """A real self-instruct predictions file from the shared data."""
    return data_dir / "self-instruct" / "predictions" / f"{name}_predictions.jsonl"


def judgments(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The judgment records of the run a `compare --json` summary points at."""
    lines = (Path(summary["output_dir"]) / "judgments.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def blind_pair(body: dict[str, Any]) -> tuple[str, str]:
    """The two outputs exactly as the judge saw them (A first)."""
    content = body["messages"][-1]["content"]
    match = PAIR.search(content)
    assert match is not None, "judge prompt does not hold a pair"
    return match.group(2), match.group(3)


def longer_wins(body: dict[str, Any]) -> Reply:
    """Prefers the longer output with probability 0.9 (logprobs), ties at equal length."""
    a, b = blind_pair(body)
    p_b = 0.5 if len(a) == len(b) else (CONFIDENT if len(b) > len(a) else 1 - CONFIDENT)
    return Reply("B" if p_b > 0.5 else "A", top_logprobs={"A": math.log(1 - p_b), "B": math.log(p_b)})


def expected_longer_wins(baseline: list[str], candidate: list[str]) -> float:
    """The win rate `longer_wins` must produce, computed without alpaca-bench."""
    prefs = []
    for b, c in zip(baseline, candidate, strict=True):
        prefs.append(0.5 if len(b) == len(c) else (CONFIDENT if len(c) > len(b) else 1 - CONFIDENT))
    return sum(prefs) / len(prefs)


def cot(verdict_for: Callable[[str, str], str]) -> Callable[[dict[str, Any]], Reply]:
    """A reasoning judge: some text, then a 'Verdict:' line."""

    def respond(body: dict[str, Any]) -> Reply:
        a, b = blind_pair(body)
        return Reply(f"Both answers were considered carefully.\nVerdict: {verdict_for(a, b)}")

    return respond


class _Tables(HTMLParser):
    """The text of every cell of every <table> in an HTML fragment, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data + " ")


def html_tables(body: str) -> list[dict[str, dict[str, str]]]:
    """Each <table> of the leaderboard's HTML as {row key: {heading: cell text}}; the key is the
    first word of the "Model" cell when there is one (the leaderboard), else of the first cell."""
    parser = _Tables()
    parser.feed(body)
    found = []
    for table in parser.tables:
        head, *rows = table
        key = head.index("Model") if "Model" in head else 0
        found.append({row[key].split(" ")[0]: dict(zip(head, row, strict=True)) for row in rows})
    return found
