"""One strict mypy run over every package, with the mapped packages under their real names.

`pyproject.toml` maps top-level folders into the package (`judges/` is `alpaca_bench.judges`, and so
on). mypy finds modules by walking folders, so run on the folders it would check `judges/_llm.py`
as a top-level `judges.llm` and see `alpaca_bench.judges` as a missing module — which strict mode
with `ignore_missing_imports` then silently types as `Any`. This driver hands mypy every source
file together with its installed module name, read from the same `package-dir` table setuptools
uses, so an import across the mapped packages resolves to the real module or fails the check.

Usage: python tools/typecheck.py [--root DIR] [EXTRA_FILE.py ...]
Extra files are checked with the project as top-level modules (the tests use one to probe types).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mypy import build
from mypy.main import process_options
from mypy.modulefinder import BuildSource

if sys.version_info >= (3, 11):
    import tomllib
else:  # mypy itself depends on tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Module prefix -> folder, as setuptools installs them (longest prefix first)."""
    table = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    dirs = {name: root / folder for name, folder in table.items()}
    return dict(sorted(dirs.items(), key=lambda item: -len(item[0])))


def sources(root: Path = ROOT) -> list[BuildSource]:
    """Every first-party .py file with the module name it has once installed."""
    found: dict[Path, BuildSource] = {}
    for prefix, folder in package_dirs(root).items():
        for path in sorted(folder.rglob("*.py")):
            if path in found:  # already claimed by a longer (more specific) prefix
                continue
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            module = ".".join([prefix, *parts])
            found[path] = BuildSource(os.path.relpath(path), module, None)
    return list(found.values())


def check(root: Path, extra: list[str]) -> list[str]:
    """mypy's messages for the project at `root` plus `extra` files, with its [tool.mypy] settings."""
    # process_options reads the config; the `-c` program only satisfies its need for a target.
    _, options = process_options(["--config-file", str(root / "pyproject.toml"), "-c", "pass"])
    options.cache_dir = str(root / ".mypy_cache")
    targets = sources(root) + [BuildSource(p, Path(p).stem, None) for p in extra]
    try:
        return build.build(targets, options).errors
    except build.CompileError as exc:
        return exc.messages


def main(argv: list[str]) -> int:
    root = ROOT
    if argv[:1] == ["--root"]:
        root, argv = Path(argv[1]).resolve(), argv[2:]
    messages = check(root, argv)
    for line in messages:
        print(line)
    errors = sum(": error:" in line for line in messages)
    files = len(sources(root)) + len(argv)
    print(
        f"Found {errors} errors in {files} source files"
        if errors
        else f"Success: no issues in {files} source files"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
