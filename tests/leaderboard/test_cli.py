"""`alpaca-bench leaderboard`: input checks before the server starts, and how it is started."""

from __future__ import annotations

import sys
from pathlib import Path

from alpaca_bench.leaderboard import app_path, app_settings, streamlit_command


def _one_line_error(result, named: str) -> None:
    assert result.code == 2, result.err
    message = result.err.strip()
    assert "\n" not in message and message.startswith("alpaca-bench: error: ") and named in message
    assert "Traceback" not in result.err


def test_missing_results_folder(cli, tmp_path):
    _one_line_error(cli("leaderboard", "--results", tmp_path / "nope"), "nope")


def test_results_path_is_a_file(cli, tmp_path):
    path = tmp_path / "results.json"
    path.write_text("{}")
    _one_line_error(cli("leaderboard", "--results", path), "results.json")


def test_missing_battle_config(cli, tmp_path):
    _one_line_error(
        cli("leaderboard", "--results", tmp_path, "--battle-config", tmp_path / "b.yaml"), "b.yaml"
    )


def test_bad_port_is_a_usage_error(cli, tmp_path):
    result = cli("leaderboard", "--results", tmp_path, "--port", "70000")
    assert result.code == 2 and "port" in result.err


def test_server_command_is_headless_streamlit_on_the_app(tmp_path):
    command = streamlit_command(tmp_path, "0.0.0.0", 9000, tmp_path / "b.yaml")
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(app_path())]
    options = dict(zip(command[5:-5:2], command[6:-5:2], strict=True))
    assert options["--server.headless"] == "true"
    assert (options["--server.address"], options["--server.port"]) == ("0.0.0.0", "9000")
    assert command[-5:] == ["--", "--results", str(tmp_path), "--battle-config", str(tmp_path / "b.yaml")]
    assert app_path().is_file()


def test_app_settings_from_arguments_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(tmp_path / "env"))
    monkeypatch.delenv("ALPACA_BENCH_BATTLE_CONFIG", raising=False)
    assert app_settings([]).results == tmp_path / "env"
    assert app_settings([]).battle_config is None
    given = app_settings(["--results", "r", "--battle-config", "b.yaml", "--other"])
    assert (given.results, given.battle_config) == (Path("r"), Path("b.yaml"))
    monkeypatch.delenv("ALPACA_BENCH_RESULTS")
    assert app_settings(["-q"]).results == Path("results")
