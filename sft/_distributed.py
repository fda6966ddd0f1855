"""Process group setup and FSDP2 sharding.

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; with those present this joins the group (NCCL on
CUDA, gloo on CPU), otherwise it is a single process with no group at all. With more than one
process every decoder layer is wrapped by `fully_shard`, then the root: each layer's parameters
are all-gathered just before it runs and freed after, which is what fits a 7B model and its
optimizer state across GPUs that could not hold one copy each.
"""

from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from alpaca_bench.errors import InputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistEnv:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def sharded(self) -> bool:
        return self.world_size > 1


def pick_device(preference: str, local_rank: int) -> torch.device:
    if preference == "cuda" or (preference == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise InputError("device=cuda but no CUDA device is available (use device=cpu)")
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def setup(preference: str) -> DistEnv:
    """Join the process group torchrun describes, or run alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(preference, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=datetime.timedelta(minutes=30))
        logger.info("rank %d of %d joined the %s group on %s", rank, world_size, backend, device)
    return DistEnv(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def teardown(env: DistEnv) -> None:
    if env.sharded and dist.is_initialized():
        dist.destroy_process_group()


def barrier(env: DistEnv) -> None:
    if env.sharded:
        dist.barrier()


def sum_across(env: DistEnv, *values: float) -> list[float]:
    """Element-wise sums over all ranks (one collective for all the values)."""
    if not env.sharded:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=env.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return [float(v) for v in tensor.tolist()]


def gather_objects(env: DistEnv, value: Any) -> list[Any]:
    if not env.sharded:
        return [value]
    out: list[Any] = [None] * env.world_size
    dist.all_gather_object(out, value)
    return out


def shard_model(model: torch.nn.Module, layers: list[torch.nn.Module], env: DistEnv, bf16: bool) -> None:
    """FSDP2: `fully_shard` on each decoder layer, then on the root for what is left.

    In bf16 the gathered parameters and the computation are bf16 while the shards the optimizer
    updates stay fp32, and gradients are reduced in fp32 so summing across ranks loses nothing.
    """
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    mesh = init_device_mesh(env.device.type, (env.world_size,))
    policy = (
        MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
        if bf16
        else MixedPrecisionPolicy()
    )
    for layer in layers:
        fully_shard(layer, mesh=mesh, mp_policy=policy)
    fully_shard(model, mesh=mesh, mp_policy=policy)


def broadcast_buffers(model: torch.nn.Module, env: DistEnv) -> None:
    """Copy rank 0's buffers (e.g. rotary frequencies, not part of any state dict) to every rank."""
    if not env.sharded:
        return
    for buffer in model.buffers():
        dist.broadcast(buffer.data, src=0)


def shard_report(model: torch.nn.Module, env: DistEnv) -> dict[str, int]:
    """What this rank holds: local vs full parameter elements, and how many tensors are split."""
    from torch.distributed.tensor import DTensor

    local = full = split = 0
    params = list(model.parameters())
    for param in params:
        full += param.numel()
        if isinstance(param, DTensor):
            shard = param.to_local().numel()
            local += shard
            split += int(shard < param.numel())
        else:
            local += param.numel()
    return {
        "rank": env.rank,
        "parameters": len(params),
        "split_parameters": split,
        "local_elements": local,
        "full_elements": full,
    }
