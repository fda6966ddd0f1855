"""What produced a result: package versions and the git revision of the working directory."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata


def package_versions() -> dict[str, str]:
    """Versions of alpaca-bench and of the numerical packages already loaded (never imports more)."""
    versions = {"alpaca-bench": _version("alpaca-bench"), "python": platform.python_version()}
    for module, dist in (
        ("numpy", "numpy"),
        ("pydantic", "pydantic"),
        ("torch", "torch"),
        ("transformers", "transformers"),
        ("openai", "openai"),
    ):
        if module in sys.modules:
            versions[dist] = _version(dist)
    return versions


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def git_revision() -> str | None:
    """HEAD of the repository the user runs in (what they are evaluating), if any."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
