"""Starting a run: validate everything cheap first, then train in-process (1) or under torchrun (N).

All input checks (recipe, data files, model folder, output folder) happen here, in the parent,
before any process starts, so bad input is one line and exit 2 rather than N tracebacks. The
resolved config is written to `<output-dir>/sft_run.json`; torchrun's workers read it from there
(`python -m alpaca_bench.sft --run-file …`), with the parent's environment and import path.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from alpaca_bench.errors import InputError, ServiceError
from alpaca_bench.files import atomic_write_json

from ._config import SFTConfig
from ._data import data_fingerprint, load_examples
from ._result import RESULT_FILE, SFTResult

logger = logging.getLogger(__name__)

RUN_FILE = "sft_run.json"


def _check_model(spec: str) -> None:
    """A model folder, a hub repo id, or a GGUF file (whose header is checked here, in
    milliseconds; it is converted once into a cached folder when the model is loaded)."""
    if not spec:
        raise InputError("no model given (--model PATH_OR_REPO)")
    local = Path(spec).expanduser()
    looks_local = spec.startswith((".", "/", "~")) or local.exists() or spec.lower().endswith(".gguf")
    if not looks_local:
        return
    if not local.exists():
        raise InputError("model not found", local)
    from alpaca_bench.models._gguf import check_supported, find_gguf, read_header

    gguf = find_gguf(local)
    if gguf is not None:
        check_supported(read_header(gguf), gguf)
    elif not (local / "config.json").is_file():
        raise InputError("not a transformers model folder or GGUF file (no config.json)", local)


def _manifest(config: SFTConfig) -> dict[str, Any]:
    return {"config": config.model_dump(mode="json"), "data_fingerprint": data_fingerprint(config.data)}


def _check_output(config: SFTConfig, resume: bool) -> Path:
    """Refuse to overwrite an unrelated folder or silently restart a run; check a resume matches."""
    if not config.output_dir:
        raise InputError("no output folder given (--output-dir DIR)")
    out = Path(config.output_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError("output path exists and is not a folder", out)
    run_file = out / RUN_FILE
    if not run_file.is_file():
        if out.is_dir() and any(out.iterdir()):
            raise InputError("output folder is not empty and holds no sft run; choose another", out)
        return out
    if not resume:
        raise InputError(
            "already holds a training run; pass --resume to continue it, or use another folder", out
        )
    try:
        saved = SFTConfig.model_validate(_read_json(run_file)["config"])
    except (KeyError, ValueError) as exc:
        raise InputError(f"unreadable run file ({type(exc).__name__})", run_file) from None
    changed = [k for k in config.math_differences(saved) if k != "data"]
    if changed:
        raise InputError(
            f"--resume with different settings than the run was started with: {', '.join(changed)}", out
        )
    if _read_json(run_file).get("data_fingerprint") != data_fingerprint(config.data):
        raise InputError("--resume with different training data than the run was started with", out)
    return out


def _read_json(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _absolute(config: SFTConfig) -> SFTConfig:
    """Local paths made absolute, so workers and later resumes see the same run from any folder."""
    model = Path(config.model).expanduser()
    return config.model_copy(
        update={
            "model": str(model.resolve()) if model.exists() else config.model,
            "data": [str(Path(p).expanduser().resolve()) for p in config.data],
            "output_dir": str(Path(config.output_dir).expanduser().resolve()) if config.output_dir else "",
        }
    )


def prepare_run(config: SFTConfig, resume: bool) -> Path:
    """Validate inputs and write the run file; returns its path."""
    _check_model(config.model)
    load_examples(config.data)
    config = _absolute(config)
    out = _check_output(config, resume)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / RUN_FILE, _manifest(config))
    return out / RUN_FILE


def config_from_run_file(path: Path) -> SFTConfig:
    return SFTConfig.model_validate(_read_json(path)["config"])


def run_sft(
    config: SFTConfig, *, nproc: int = 1, resume: bool = False, show_progress: bool = True
) -> SFTResult:
    """Fine-tune per `config` on `nproc` processes; the trained model lands in `config.output_dir`."""
    if nproc < 1:
        raise InputError(f"--nproc must be at least 1, got {nproc}")
    run_file = prepare_run(config, resume)
    if nproc == 1:
        from ._train import train

        return train(config_from_run_file(run_file), resume=resume, show_progress=show_progress)
    _torchrun(run_file, nproc, resume, show_progress)
    return SFTResult.model_validate_json((run_file.parent / RESULT_FILE).read_text(encoding="utf-8"))


def _child_env(nproc: int) -> dict[str, str]:
    """The parent's environment, plus its import path, so every worker imports the same code.

    CPU threads are split between the workers unless OMP_NUM_THREADS says otherwise.
    """
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    paths = [p for p in sys.path if p and Path(p).is_dir()]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def torchrun_command(run_file: Path, nproc: int, resume: bool, show_progress: bool) -> list[str]:
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
        "-m", "alpaca_bench.sft", "--run-file", str(run_file),
        "--log-level", logging.getLevelName(logging.getLogger().getEffectiveLevel()),
    ]  # fmt: skip
    if resume:
        command.append("--resume")
    if not show_progress:
        command.append("--no-progress")
    return command


def _torchrun(run_file: Path, nproc: int, resume: bool, show_progress: bool) -> None:
    command = torchrun_command(run_file, nproc, resume, show_progress)
    logger.info("launching: %s", " ".join(command))
    done = subprocess.run(command, env=_child_env(nproc), check=False)
    if done.returncode != 0:
        raise ServiceError(
            f"training processes exited with code {done.returncode} (their log is above); "
            "re-run the same command with --resume to continue from the last checkpoint"
        )
