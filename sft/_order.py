"""Which samples each process trains on at each optimizer step.

The order is a pure function of (seed, epoch) and the step number, independent of the number of
processes: a global batch is the same set of samples on 1 or N processes (only how it is split
across them differs), so runs on different world sizes see the same data and a resumed run needs
nothing but the step it stopped at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DataOrder:
    num_samples: int
    global_batch_size: int
    seed: int

    @property
    def steps_per_epoch(self) -> int:
        """The last step of an epoch takes the remainder (smaller), as Alpaca's trainer did."""
        return math.ceil(self.num_samples / self.global_batch_size)

    def total_steps(self, epochs: int, max_steps: int | None) -> int:
        full = epochs * self.steps_per_epoch
        return min(full, max_steps) if max_steps else full

    def epoch_permutation(self, epoch: int) -> list[int]:
        return [int(i) for i in np.random.default_rng([self.seed, epoch]).permutation(self.num_samples)]

    def step_samples(self, step: int) -> list[int]:
        """Sample indices of optimizer step `step` (0-based, counted across epochs)."""
        epoch, within = divmod(step, self.steps_per_epoch)
        start = within * self.global_batch_size
        return self.epoch_permutation(epoch)[start : start + self.global_batch_size]

    def epoch_of(self, step: int) -> float:
        """Fractional epochs completed after `step` steps."""
        return step / self.steps_per_epoch


def micro_batches(samples: list[int], rank: int, world_size: int, micro_batch_size: int) -> list[list[int]]:
    """This rank's share of a step, cut into micro-batches.

    Every rank gets the same number of micro-batches (some possibly empty), because FSDP's
    collectives need each rank to run the same number of forward and backward passes.
    """
    accumulation = max(1, math.ceil(len(samples) / (world_size * micro_batch_size)))
    share = samples[rank::world_size]
    return [share[i * micro_batch_size : (i + 1) * micro_batch_size] for i in range(accumulation)]
