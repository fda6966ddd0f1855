"""Shared fixtures. Nothing here downloads: real data comes from ../shared/data, models are
built from config, and API tests talk to a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("ALPACA_BENCH_DATA_DIR", str(DEFAULT_DATA))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared public data; its absence is a failure, never a skip."""
    path = Path(os.environ["ALPACA_BENCH_DATA_DIR"])
    if not (path / "self-instruct" / "user_oriented_instructions.jsonl").is_file():
        pytest.fail(f"real test data missing at {path} (set ALPACA_BENCH_DATA_DIR to ../shared/data)")
    return path


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own call cache, no network downloads and no real API key."""
    monkeypatch.setenv("ALPACA_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ALPACA_BENCH_OFFLINE", "1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama with a tokenizer trained on the demo set (no chat template)."""
    from alpaca_bench.evalsets import load_eval_set
    from alpaca_bench.tiny import build_tiny_model

    texts = [f"{p.instruction} {p.input} {p.reference}" for p in load_eval_set("demo")]
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-a", texts * 20, seed=1, vocab_size=400)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `alpaca-bench ARGS` in-process and capture what it prints."""
    from alpaca_bench.cli import main

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def run_process(
    *args: str | Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the real console script in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "alpaca_bench", *[str(a) for a in args]],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture
def scripted_server() -> Iterator[Callable[..., object]]:
    """Start ScriptedOpenAIServer instances that are stopped after the test."""
    from alpaca_bench.testing import ScriptedOpenAIServer

    started: list[ScriptedOpenAIServer] = []

    def start(*args: object, **kwargs: object) -> ScriptedOpenAIServer:
        server = ScriptedOpenAIServer(*args, **kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
