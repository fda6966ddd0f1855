"""The README's alpaca-mini section holds the command that produced its figures, and the figures."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_alpaca_mini_section_has_the_command_and_measured_figures():
    text = README.read_text()
    start = text.index("## The Alpaca experiment in miniature")
    section = text[start : text.index("\n## ", start + 1)]
    assert "python examples/alpaca-mini/run.py --out alpaca-mini" in section
    assert (README.parent / "examples/alpaca-mini/run.py").is_file()
    assert "ALPACA_MINI_FIGURES" not in section
    # a win rate with a CI for each of the three judges, and data, loss and wall-time figures
    rows = re.findall(r"\| [^|]+ \| \**\d+\.\d%\** \| \d+\.\d – \d+\.\d% \|", section)
    assert len(rows) == 3, rows
    for needle in ("tasks kept of", "tokens/s", "loss by step", "Wall time"):
        assert needle in section
