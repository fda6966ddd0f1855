"""Third-party packages add backends and judges through entry points, with no change here.

Each test installs a tiny distribution the way pip leaves one on disk (a module plus a
`.dist-info` folder with METADATA and entry_points.txt) in a temporary folder on PYTHONPATH, so
`importlib.metadata` discovers it as real package metadata, and runs the real console script.
"""

import json
from pathlib import Path

from conftest import run_process

ECHO_PLUGIN = '''
from alpaca_bench.models import MockBackend


def factory(rest, options):
    """`echoplug:NAME`: a backend that answers each prompt with its own text."""
    return MockBackend(f"{rest}?echo=1", options)
'''

ENTRY_POINTS = """
[alpaca_bench.backends]
echoplug = echoplug:factory

[alpaca_bench.judges]
rougeplug = rougeplug:make
"""

JUDGE_PLUGIN = """
from alpaca_bench.judges._reference import RougeJudge


def make(spec, options):
    return RougeJudge("rouge", options)
"""


def install(site: Path, dist: str, modules: dict[str, str], entry_points: str) -> None:
    for name, source in modules.items():
        (site / f"{name}.py").write_text(source, encoding="utf-8")
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def test_a_plugin_backend_and_judge_work_end_to_end(tmp_path, data_dir):
    site = tmp_path / "site"
    site.mkdir()
    install(
        site,
        "echoplug",
        {"echoplug": ECHO_PLUGIN, "rougeplug": JUDGE_PLUGIN},
        ENTRY_POINTS,
    )
    env = {"PYTHONPATH": str(site)}
    out = tmp_path / "results"
    made = run_process("generate", "echoplug:x", "--eval-set", "demo", "--output-dir", out, "--json", env=env)
    assert made.returncode == 0, made.stderr
    lines = (out / "demo" / "models" / "x" / "generations.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(r["output"] for r in records)
    judged = run_process(
        "compare", "echoplug:x", "mock:y", "--judge", "rougeplug", "--eval-set", "demo",
        "--output-dir", out, "--json", "--no-progress", env=env,
    )  # fmt: skip
    assert judged.returncode == 0, judged.stderr
    assert json.loads(judged.stdout)["judge"] == "rouge"
    listed = run_process("generate", "nosuch:x", "--eval-set", "demo", "--output-dir", out, env=env)
    assert listed.returncode == 2 and "echoplug" in listed.stderr  # plugins are listed among the schemes


def test_a_plugin_that_fails_to_import_is_one_clear_line(tmp_path, data_dir):
    site = tmp_path / "site"
    site.mkdir()
    install(site, "brokenplug", {"brokenplug": "raise RuntimeError('half-installed')\n"},
            "[alpaca_bench.backends]\nbroken = brokenplug:factory\n")  # fmt: skip
    result = run_process(
        "generate",
        "broken:x",
        "--eval-set",
        "demo",
        "--output-dir",
        tmp_path / "r",
        env={"PYTHONPATH": str(site)},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "plugin 'broken'" in lines[0] and "brokenplug 0.1" in lines[0] and "half-installed" in lines[0]
