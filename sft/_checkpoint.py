"""Periodic (resumable) checkpoints and the final Hugging Face model folder.

Periodic checkpoints use torch.distributed.checkpoint (DCP): every rank writes its own shards
of the model and optimizer in parallel, nothing is gathered onto one rank, and on load DCP
re-shards to whatever the current ranks hold, so a run saved on 2 processes resumes on 1 or 4.
Alongside go, per rank, the scheduler state and RNG states (`rank{r}.pt`), and from rank 0 the
trainer state (step, epoch, data fingerprint) as JSON. A checkpoint is written into
`step_N.partial/` and renamed only once every rank has finished, so a killed save is never
mistaken for a complete one.

The final model is different on purpose: rank 0 gathers the full state dict onto the CPU and
writes an ordinary `from_pretrained` folder (safetensors in the training dtype, LoRA merged,
plus the tokenizer), the thing `alpaca-bench generate hf:DIR` and `compare` load.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from alpaca_bench.files import atomic_write_json

from ._config import SFTConfig
from ._distributed import DistEnv, barrier
from ._model import apply_lora, base_model

logger = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
TRAINER_STATE = "trainer_state.json"
PARTIAL = ".partial"


def checkpoint_dir(output_dir: Path, step: int) -> Path:
    return output_dir / CHECKPOINTS / f"step_{step:06d}"


def complete_checkpoints(output_dir: Path) -> list[Path]:
    """Finished checkpoints, oldest first."""
    root = output_dir / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith("step_") and not p.suffix]
    return sorted((p for p in found if (p / TRAINER_STATE).is_file()), key=lambda p: p.name)


def latest_checkpoint(output_dir: Path) -> Path | None:
    done = complete_checkpoints(output_dir)
    return done[-1] if done else None


def _rng_state(env: DistEnv) -> dict[str, torch.Tensor]:
    state = {"cpu": torch.get_rng_state()}
    if env.device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(env.device)
    return state


def _set_rng_state(state: dict[str, torch.Tensor], env: DistEnv) -> None:
    torch.set_rng_state(state["cpu"])
    if env.device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], env.device)


@contextlib.contextmanager
def _single_process_quiet() -> Iterator[None]:
    """DCP warns that it runs without a process group; for one process that is the intent."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.distributed is disabled")
        yield


def save_checkpoint(
    output_dir: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    trainer_state: dict[str, Any],
    env: DistEnv,
    keep: int,
) -> Path:
    """Collective: every rank must call it at the same step."""
    from torch.distributed.checkpoint.state_dict import get_state_dict
    from torch.distributed.checkpoint.state_dict_saver import save

    final = checkpoint_dir(output_dir, int(trainer_state["step"]))
    partial = final.with_name(final.name + PARTIAL)
    if env.is_main:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
    barrier(env)
    model_state, optim_state = get_state_dict(model, optimizer)
    with _single_process_quiet():
        save(
            {"model": model_state, "optim": optim_state}, checkpoint_id=str(partial), no_dist=not env.sharded
        )
    torch.save({"scheduler": scheduler.state_dict(), "rng": _rng_state(env)}, partial / f"rank{env.rank}.pt")
    barrier(env)
    if env.is_main:
        atomic_write_json(partial / TRAINER_STATE, {**trainer_state, "world_size": env.world_size})
        shutil.rmtree(final, ignore_errors=True)
        os.replace(partial, final)
        for old in complete_checkpoints(output_dir)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
        logger.info("saved checkpoint %s", final)
    barrier(env)
    return final


def load_checkpoint(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    env: DistEnv,
) -> dict[str, Any]:
    """Restore model, optimizer, scheduler and (same world size) RNG; returns the trainer state."""
    from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
    from torch.distributed.checkpoint.state_dict_loader import load

    model_state, optim_state = get_state_dict(model, optimizer)
    with _single_process_quiet():  # loads in place into the (sharded) tensors of both dicts
        load({"model": model_state, "optim": optim_state}, checkpoint_id=str(path), no_dist=not env.sharded)
    set_state_dict(model, optimizer, model_state_dict=model_state, optim_state_dict=optim_state)
    trainer_state: dict[str, Any] = json.loads((path / TRAINER_STATE).read_text(encoding="utf-8"))
    own = path / f"rank{env.rank}.pt"
    if own.is_file():
        saved = torch.load(own, weights_only=True)
        scheduler.load_state_dict(saved["scheduler"])
        if trainer_state.get("world_size") == env.world_size:
            _set_rng_state(saved["rng"], env)
    else:
        scheduler.last_epoch = int(trainer_state["step"])
    if trainer_state.get("world_size") != env.world_size:
        logger.warning(
            "resuming a %s-process checkpoint on %d processes: weights and optimizer are re-sharded; "
            "RNG streams (dropout) restart",
            trainer_state.get("world_size"),
            env.world_size,
        )
    return trainer_state


def full_state_dict(model: torch.nn.Module, env: DistEnv) -> dict[str, Any]:
    """The unsharded state dict on rank 0's CPU (empty on other ranks). Collective."""
    if not env.sharded:
        return {k: v.detach().cpu() for k, v in model.state_dict().items()}
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(model, options=options)


def export_model(
    model: torch.nn.Module, tokenizer: Any, config: SFTConfig, output_dir: Path, env: DistEnv
) -> None:
    """Write the trained model as a Hugging Face folder in `output_dir`. Collective."""
    state = full_state_dict(model, env)
    if env.is_main:
        _write_hf_folder(state, base_model(model).config, tokenizer, config, output_dir)
    barrier(env)


def _write_hf_folder(
    state: dict[str, Any], hf_config: Any, tokenizer: Any, config: SFTConfig, output_dir: Path
) -> None:
    """Load the gathered tensors into a storage-free skeleton (no copy), merge LoRA, cast, save.

    Files are written to a scratch folder and moved in, config.json last, so a killed export
    never leaves a folder that looks loadable but holds half a model.
    """
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    quiet: Any = hf_logging.disable_progress_bar
    quiet()
    auto: Any = AutoModelForCausalLM  # transformers' factory methods are untyped
    with torch.device("meta"):
        skeleton = auto.from_config(hf_config, dtype=torch.float32)
    if config.lora.enabled:
        skeleton = apply_lora(skeleton, config.lora)
    skeleton.load_state_dict(state, assign=True, strict=True)
    if config.lora.enabled:
        skeleton = skeleton.merge_and_unload()
    skeleton.tie_weights()
    # training turns the KV cache off; an export that kept it off would make every generation
    # step recompute the whole sequence (measured ~70x slower on the Gemma-3 base)
    skeleton.config.use_cache = True
    skeleton.generation_config.use_cache = True
    skeleton.to(torch.bfloat16 if config.dtype == "bf16" else torch.float32)
    scratch = output_dir / ".export.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    skeleton.save_pretrained(scratch, safe_serialization=True)
    tokenizer.save_pretrained(scratch)
    names = sorted(p.name for p in scratch.iterdir())
    for name in [n for n in names if n != "config.json"] + ["config.json"]:
        os.replace(scratch / name, output_dir / name)
    scratch.rmdir()
    logger.info("wrote the trained model to %s", output_dir)
