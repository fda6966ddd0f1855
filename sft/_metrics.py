"""Training metrics: `metrics.jsonl` (one line per logged step, fsynced), TensorBoard when installed.

Only rank 0 writes. On resume the file is cut back to the checkpoint's step first, so a step is
never logged twice and the file reads like one uninterrupted run.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from alpaca_bench.files import JsonlLog, atomic_write_text

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    def __init__(self, output_dir: Path, enabled: bool, tensorboard: bool):
        self.enabled = enabled
        self.log = JsonlLog(output_dir / METRICS_FILE)
        self._writer: Any = (
            _tensorboard_writer(output_dir / "tensorboard") if enabled and tensorboard else None
        )

    def truncate_after(self, step: int) -> None:
        """Drop records of steps after `step` (written before a crash, redone after resume)."""
        if not self.enabled or not self.log.path.exists():
            return
        kept = [r for r in self.log.read_dicts() if int(r.get("step", 0)) <= step]
        atomic_write_text(self.log.path, "".join(json.dumps(r) + "\n" for r in kept))

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self.log.append(record)
        if self._writer is not None:
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)):
                    self._writer.add_scalar(f"train/{key}", value, record["step"])

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _tensorboard_writer(folder: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        logger.debug("tensorboard is not installed; metrics go to metrics.jsonl only")
        return None
    return SummaryWriter(log_dir=str(folder))


def read_metrics(output_dir: Path) -> list[dict[str, Any]]:
    """The logged steps of a run, in order."""
    return JsonlLog(Path(output_dir) / METRICS_FILE).read_dicts()
