"""The recipe: one rank's view of an Alpaca fine-tuning run.

setup: data → tokenizer/model → shard → optimizer/schedule → (resume). train: for each optimizer
step, run this rank's micro-batches (gradient accumulation up to the global batch), clip, step,
log, checkpoint. cleanup: export the Hugging Face folder. The same code runs as 1 process or as
each of N torchrun processes; only `DistEnv` differs.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from alpaca_bench.files import atomic_write_json
from alpaca_bench.progress import progress_bar

from ._checkpoint import export_model, latest_checkpoint, load_checkpoint, save_checkpoint
from ._collate import collate
from ._config import SFTConfig
from ._data import Sample, data_fingerprint, load_examples, pack_samples, tokenize_examples
from ._distributed import (
    DistEnv,
    broadcast_buffers,
    gather_objects,
    setup,
    shard_model,
    shard_report,
    sum_across,
    teardown,
)
from ._loss import keep_mask, keeps_selected_logits, kept_loss_sum, token_loss_sum
from ._metrics import MetricsLog
from ._model import base_model, count_parameters, decoder_layers, load_model, load_tokenizer, prepare_model
from ._order import DataOrder, micro_batches
from ._result import RESULT_FILE, SFTResult
from ._schedules import SCHEDULES, warmup_steps_for

logger = logging.getLogger(__name__)

DISTRIBUTED_REPORT = "distributed.json"


@dataclass
class StepState:
    """Handed to `on_step` hooks after every optimizer step, on every rank."""

    step: int
    metrics: dict[str, float]
    model: torch.nn.Module
    env: DistEnv


StepHook = Callable[[StepState], None]


class SFTRecipe:
    def __init__(self, config: SFTConfig, env: DistEnv):
        self.config = config
        self.env = env
        self.output_dir = Path(config.output_dir)
        self.start_step = 0

    # ---- setup -------------------------------------------------------------------------------

    def setup(self, resume: bool) -> None:
        torch.manual_seed(self.config.seed)
        if self.config.dtype == "bf16" and self.env.device.type == "cpu" and self.env.is_main:
            _warn_if_bf16_is_emulated()
        self.tokenizer = load_tokenizer(self.config.model)
        self.examples = load_examples(self.config.data)
        self.samples = self._samples()
        self.model = self._model()
        self.keep_logits = keeps_selected_logits(base_model(self.model))
        self.parameters, self.trainable = count_parameters(self.model)
        self.order = DataOrder(len(self.samples), self.config.global_batch_size, self.config.seed)
        self.total_steps = self.order.total_steps(self.config.epochs, self.config.max_steps)
        self.optimizer = self._optimizer()
        self.scheduler = self._scheduler()
        torch.manual_seed(self.config.seed + self.env.rank)  # dropout streams differ per rank
        checkpoint = latest_checkpoint(self.output_dir) if resume else None
        if resume and checkpoint is None:
            logger.warning("--resume: no checkpoint in %s yet; starting from step 0", self.output_dir)
        if checkpoint is not None:
            state = load_checkpoint(checkpoint, self.model, self.optimizer, self.scheduler, self.env)
            self.start_step = int(state["step"])
            logger.info("resumed from %s (step %d)", checkpoint, self.start_step)
        self.metrics = MetricsLog(
            self.output_dir, enabled=self.env.is_main, tensorboard=self.config.tensorboard
        )
        self.metrics.truncate_after(self.start_step)
        self._report()

    def _samples(self) -> list[Sample]:
        samples = tokenize_examples(self.examples, self.tokenizer, self.config.max_length)
        if self.config.packing:
            packed = pack_samples(samples, self.config.max_length, self.config.seed)
            logger.info(
                "packed %d examples into %d rows of up to %d tokens",
                len(samples),
                len(packed),
                self.config.max_length,
            )
            return packed
        return samples

    def _model(self) -> torch.nn.Module:
        """Rank 0 loads the weights; with N processes the others get their shards from it."""
        env = self.env
        model = load_model(self.config.model, on_meta=env.sharded and not env.is_main)
        model = prepare_model(model, self.tokenizer, self.config)
        if not env.sharded:
            moved: torch.nn.Module = model.to(env.device)
            return moved
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

        full_state = model.state_dict() if env.is_main else {}
        shard_model(model, decoder_layers(model), env, bf16=self.config.dtype == "bf16")
        if not env.is_main:
            model.to_empty(device=env.device)
        options = StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)
        set_model_state_dict(model, full_state, options=options)
        broadcast_buffers(model, env)
        sharded: torch.nn.Module = model
        return sharded

    def _optimizer(self) -> torch.optim.Optimizer:
        """AdamW, fused (one kernel over all parameters) on CPU and CUDA.

        The default multi-tensor AdamW makes several full-size temporaries per step; on a CPU
        that is most of a step for a model this size (3-5 s against 0.4 s fused for Gemma-3-270m
        on 2 cores). Fused gives the same update up to rounding.
        """
        config = self.config
        params = [p for p in self.model.parameters() if p.requires_grad]
        fused = self.env.device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in params)
        return torch.optim.AdamW(
            params,
            lr=config.lr,
            betas=config.betas,
            eps=config.eps,
            weight_decay=config.weight_decay,
            fused=fused or None,
        )

    def _scheduler(self) -> torch.optim.lr_scheduler.LambdaLR:
        schedule = SCHEDULES[self.config.lr_scheduler]
        total = self.total_steps
        warmup = warmup_steps_for(total, self.config.warmup_ratio)
        return torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda step: schedule(step, total, warmup))

    def _report(self) -> None:
        reports = gather_objects(self.env, shard_report(self.model, self.env))
        if not self.env.is_main:
            return
        if self.env.sharded:
            atomic_write_json(
                self.output_dir / DISTRIBUTED_REPORT,
                {"world_size": self.env.world_size, "device": self.env.device.type, "ranks": reports},
            )
        accumulation = len(
            micro_batches(self.order.step_samples(0), 0, self.env.world_size, self.config.micro_batch_size)
        )
        logger.info(
            "%d examples → %d rows; %d steps (%d per epoch), %d micro-batches per step per rank on %d "
            "process(es); %d parameters (%d trainable); rank 0 holds %d of %d parameter elements",
            len(self.examples),
            len(self.samples),
            self.total_steps,
            self.order.steps_per_epoch,
            accumulation,
            self.env.world_size,
            self.parameters,
            self.trainable,
            reports[0]["local_elements"],
            reports[0]["full_elements"],
        )

    # ---- training ----------------------------------------------------------------------------

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.config.dtype == "bf16":
            return torch.autocast(device_type=self.env.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _micro_batches(self, step: int) -> tuple[list[dict[str, torch.Tensor]], int, int]:
        """This rank's collated micro-batches for `step`, its labelled tokens and its real tokens."""
        plan = micro_batches(
            self.order.step_samples(step), self.env.rank, self.env.world_size, self.config.micro_batch_size
        )
        rows = [[self.samples[i] for i in indices] for indices in plan]
        pad = int(self.tokenizer.pad_token_id)
        batches = [collate(r, pad, packed=self.config.packing) for r in rows]
        targets = sum(sample.supervised_tokens for r in rows for sample in r)
        tokens = sum(len(sample) for r in rows for sample in r)
        return batches, targets, tokens

    def train_step(self, step: int) -> dict[str, float]:
        started = time.perf_counter()
        batches, targets, tokens = self._micro_batches(step)
        global_targets, global_tokens = sum_across(self.env, targets, tokens)
        # FSDP averages gradients over ranks; scaling by world size turns that into a sum, so the
        # gradient is the mean over every labelled token of the global batch.
        scale = self.env.world_size / global_targets
        loss_sum = torch.zeros((), device=self.env.device)
        lr = float(self.scheduler.get_last_lr()[0])
        self.model.train()
        for batch in batches:
            batch = {k: v.to(self.env.device, non_blocking=True) for k, v in batch.items()}
            labels = batch.pop("labels")
            loss = self._loss_sum(batch, labels)
            torch.autograd.backward(loss * scale)
            loss_sum += loss.detach()
        grad_norm = self._clip()
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        (total_loss,) = sum_across(self.env, float(loss_sum))
        elapsed = time.perf_counter() - started
        return {
            "step": step + 1,
            "epoch": round(self.order.epoch_of(step + 1), 6),
            "loss": total_loss / global_targets,
            "lr": lr,
            "grad_norm": grad_norm,
            "tokens_per_s": global_tokens / elapsed,
            "tokens": int(global_tokens),
            "supervised_tokens": int(global_targets),
            "step_time_s": elapsed,
        }

    def _loss_sum(self, batch: dict[str, torch.Tensor], labels: torch.Tensor) -> torch.Tensor:
        """The summed loss of one micro-batch; logits only where there are labels, if the model can."""
        if not self.keep_logits:
            with self._autocast():
                logits = self.model(**batch, use_cache=False).logits
            return token_loss_sum(logits, labels)
        mask = keep_mask(labels)
        with self._autocast():
            logits = self.model(**batch, use_cache=False, logits_to_keep=mask).logits
        return kept_loss_sum(logits, labels, mask)

    def _clip(self) -> float:
        """Clip to max_grad_norm (or just measure); the norm is of the full, unsharded gradient."""
        params = [p for p in self.model.parameters() if p.grad is not None]
        limit = self.config.max_grad_norm or float("inf")
        norm = torch.nn.utils.clip_grad_norm_(params, limit)
        full = getattr(norm, "full_tensor", None)
        return float(full() if callable(full) else norm)

    def train(self, show_progress: bool = True, on_step: StepHook | None = None) -> SFTResult:
        started = time.perf_counter()
        last: dict[str, float] = {}
        tokens = 0
        with progress_bar("sft", self.total_steps, enabled=show_progress and self.env.is_main) as bar:
            bar.advance(self.start_step)
            for step in range(self.start_step, self.total_steps):
                last = self.train_step(step)
                tokens += int(last["tokens"])
                if (step + 1) % self.config.log_every_steps == 0 or step + 1 == self.total_steps:
                    self.metrics.write(last)
                bar.describe(f"sft loss {last['loss']:.4f}")
                bar.advance()
                if on_step is not None:
                    on_step(StepState(step + 1, last, self.model, self.env))
                self._maybe_checkpoint(step + 1)
        self.metrics.close()
        export_model(self.model, self.tokenizer, self.config, self.output_dir, self.env)
        return self._result(last, tokens, time.perf_counter() - started)

    def _maybe_checkpoint(self, done: int) -> None:
        every = self.config.save_every_steps
        if not every or done % every:
            return
        state = {
            "step": done,
            "epoch": self.order.epoch_of(done),
            "samples_seen": min(done * self.config.global_batch_size, self.config.epochs * len(self.samples)),
            "data_fingerprint": data_fingerprint(self.config.data),
        }
        save_checkpoint(
            self.output_dir,
            self.model,
            self.optimizer,
            self.scheduler,
            state,
            self.env,
            self.config.keep_checkpoints,
        )

    def _result(self, last: dict[str, float], tokens: int, wall_s: float) -> SFTResult:
        result = SFTResult(
            output_dir=str(self.output_dir),
            steps=self.total_steps,
            resumed_from_step=self.start_step,
            epochs=self.order.epoch_of(self.total_steps),
            examples=len(self.examples),
            rows=len(self.samples),
            final_loss=last.get("loss"),
            train_tokens=tokens,
            wall_s=wall_s,
            world_size=self.env.world_size,
            parameters=self.parameters,
            trainable_parameters=self.trainable,
        )
        if self.env.is_main:
            atomic_write_json(self.output_dir / RESULT_FILE, result.model_dump())
        return result


def _warn_if_bf16_is_emulated() -> None:
    """bf16 on an x86 CPU without AVX512-BF16 or AMX is emulated: its matrix products ran 3-80x
    slower than fp32 on such a CPU (2-core AMD EPYC, torch 2.13), so say so before a long run."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return
    cpu: Any = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if any(callable(check) and check() for check in checks) or not any(callable(c) for c in checks):
        return
    logger.warning(
        "dtype=bf16 on a CPU without native bf16 (no AVX512-BF16 or AMX): bf16 matrix products "
        "are emulated and training is many times slower than with dtype=fp32"
    )


@contextlib.contextmanager
def _distributed(preference: str) -> Iterator[DistEnv]:
    env = setup(preference)
    try:
        yield env
    finally:
        teardown(env)


def train(
    config: SFTConfig,
    *,
    resume: bool = False,
    show_progress: bool = True,
    on_step: StepHook | None = None,
) -> SFTResult:
    """Run the recipe as this process (alone, or as one rank under torchrun)."""
    with _distributed(config.device) as env:
        recipe = SFTRecipe(config, env)
        recipe.setup(resume)
        return recipe.train(show_progress=show_progress, on_step=on_step)
