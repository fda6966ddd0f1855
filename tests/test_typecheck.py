"""The strict type check resolves the mapped packages (judges/, datagen/, sft/, leaderboard/) to
their real modules, so a name imported across them is checked, never `Any`; and it runs on the
whole project in CI."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "tools" / "typecheck.py"

pytestmark = pytest.mark.slow


def _typecheck(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DRIVER), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=900
    )


def test_whole_project_is_strict_clean_and_cross_package_names_are_real(tmp_path: Path) -> None:
    probe = tmp_path / "cross_package_probe.py"
    probe.write_text(
        textwrap.dedent(
            """
            from alpaca_bench.comparison import CompareSettings
            from alpaca_bench.datagen import load_seed_tasks
            from alpaca_bench.judges import Judge, load_judge
            from alpaca_bench.leaderboard import AppSettings
            from alpaca_bench.sft import SFTConfig

            reveal_type(Judge)
            reveal_type(load_judge)
            reveal_type(load_seed_tasks)
            reveal_type(AppSettings)
            reveal_type(SFTConfig)
            reveal_type(CompareSettings)
            """
        )
    )
    result = _typecheck(probe)
    lines = result.stdout.splitlines()
    project_errors = [line for line in lines if ": error:" in line and "cross_package_probe" not in line]
    assert project_errors == [], "\n".join(project_errors)
    revealed = [line.split("Revealed type is ", 1)[1] for line in lines if "Revealed type is" in line]
    assert len(revealed) == 6, result.stdout
    for kind in revealed:
        assert "Any" not in kind, f"a cross-package name resolved to Any: {kind}"
    assert "alpaca_bench.judges." in revealed[0]
    assert "alpaca_bench.datagen" in revealed[2]
    assert "alpaca_bench.leaderboard." in revealed[3]
    assert "alpaca_bench.sft" in revealed[4]


def test_an_unmapped_first_party_import_fails_instead_of_becoming_any(tmp_path: Path) -> None:
    """A tiny project with the same layout: `plug/` installs as `pkg.plug`. The driver must see
    through the mapping (a wrong call across it is an error); without the mapping the import is an
    error, not a silent `Any`."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "use.py").write_text("from pkg.plug import count\n\nx: str = count()\n")
    (tmp_path / "plug").mkdir()
    (tmp_path / "plug" / "__init__.py").write_text("def count() -> int:\n    return 1\n")
    mypy_config = (ROOT / "pyproject.toml").read_text().split("[tool.mypy]", 1)[1]
    project = '[tool.setuptools]\npackage-dir = {{ "pkg" = "pkg", "pkg.plug" = "plug" }}\n\n[tool.mypy]{}'
    (tmp_path / "pyproject.toml").write_text(project.format(mypy_config))

    mapped = _typecheck("--root", tmp_path, cwd=tmp_path)
    assert mapped.returncode == 1, mapped.stdout
    assert 'Incompatible types in assignment (expression has type "int"' in mapped.stdout

    (tmp_path / "pyproject.toml").write_text(project.replace(', "pkg.plug" = "plug"', "").format(mypy_config))
    unmapped = _typecheck("--root", tmp_path, cwd=tmp_path)
    assert unmapped.returncode == 1, unmapped.stdout
    assert 'Cannot find implementation or library stub for module named "pkg.plug"' in unmapped.stdout
