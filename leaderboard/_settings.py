"""Where the app finds its results folder and battle config: script arguments after `--`
(`streamlit run app.py -- --results DIR`), else environment variables (what tests set), read
each time the script runs."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alpaca_bench.paths import DEFAULT_RESULTS

RESULTS_ENV = "ALPACA_BENCH_RESULTS"
BATTLE_ENV = "ALPACA_BENCH_BATTLE_CONFIG"


@dataclass(frozen=True)
class AppSettings:
    results: Path
    battle_config: Path | None = None


def app_settings(argv: Sequence[str]) -> AppSettings:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--results", type=Path)
    parser.add_argument("--battle-config", type=Path)
    known, _ = parser.parse_known_args(list(argv))
    results = known.results or _env_path(RESULTS_ENV) or DEFAULT_RESULTS
    battle = known.battle_config or _env_path(BATTLE_ENV)
    return AppSettings(results.expanduser(), battle.expanduser() if battle else None)


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None
