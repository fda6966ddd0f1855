"""Start the app as a headless Streamlit server (what `alpaca-bench leaderboard` runs)."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from alpaca_bench.errors import InputError
from alpaca_bench.judges.human import load_battle_config

from ._settings import BATTLE_ENV, RESULTS_ENV

logger = logging.getLogger(__name__)

INSTALL_HINT = "the leaderboard needs streamlit and pandas: pip install 'alpaca-bench[leaderboard]'"


def app_path() -> Path:
    return Path(__file__).with_name("app.py")


def streamlit_command(results: Path, host: str, port: int, battle_config: Path | None = None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path()),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--",
        "--results",
        str(results),
    ]
    if battle_config is not None:
        command += ["--battle-config", str(battle_config)]
    return command


def serve(
    results: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8501,
    battle_config: str | Path | None = None,
) -> int:
    """Check the inputs, then run the server until it stops (Ctrl-C stops it cleanly)."""
    folder = Path(results).expanduser().resolve()
    config = Path(battle_config).expanduser().resolve() if battle_config is not None else None
    if config is not None:
        load_battle_config(config)
    if folder.exists() and not folder.is_dir():
        raise InputError("not a folder (expected a results folder)", folder)
    if not folder.exists() and config is None:
        raise InputError(
            "results folder not found (run alpaca-bench compare first, or pass --results)", folder
        )
    if importlib.util.find_spec("streamlit") is None:
        raise InputError(INSTALL_HINT)
    env = {**os.environ, RESULTS_ENV: str(folder)}
    if config is not None:
        env[BATTLE_ENV] = str(config)
    process = subprocess.Popen(streamlit_command(folder, host, port, config), env=env)
    return _wait(process)


def _wait(process: subprocess.Popen[bytes]) -> int:
    """Wait for the server; a stop request to this process (Ctrl-C, SIGTERM) stops it too."""

    def forward(signum: int, _frame: object) -> None:
        process.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
