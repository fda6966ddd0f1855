"""`alpaca-bench leaderboard`: input checks before the server starts, and how it is started."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alpaca_bench.leaderboard import app_path, app_settings, streamlit_command

pytest_plugins = ["lb_fixtures"]


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


def test_export_needs_out_and_takes_no_server_flags(cli, lb_results, tmp_path):
    _one_line_error(cli("leaderboard", "export", "--results", lb_results), "--out")
    _one_line_error(
        cli("leaderboard", "export", "--results", lb_results, "--out", tmp_path / "s", "--port", "9"),
        "--port",
    )
    _one_line_error(cli("leaderboard", "--results", lb_results, "--out", tmp_path / "s"), "--out")
    assert not (tmp_path / "s").exists()


def test_export_refuses_a_folder_it_did_not_write(cli, lb_results, tmp_path):
    site = tmp_path / "mine"
    site.mkdir()
    (site / "notes.txt").write_text("keep me")
    _one_line_error(cli("leaderboard", "export", "--results", lb_results, "--out", site), "mine")
    assert (site / "notes.txt").read_text() == "keep me"
    _one_line_error(
        cli("leaderboard", "export", "--results", tmp_path / "nope", "--out", tmp_path / "s"), "nope"
    )


def test_export_writes_the_site_and_replaces_an_earlier_one(cli, lb_results, tmp_path):
    site = tmp_path / "site"
    result = cli("leaderboard", "export", "--results", lb_results, "--out", site)
    assert result.code == 0, result.err
    assert f"open {site / 'index.html'}" in " ".join(result.out.split())
    tables = json.loads((site / "data" / "leaderboard.json").read_text())
    views = {(t["judge"], t["baseline"]) for t in tables}
    assert ("rouge", "a") in views and ("rouge", None) in views  # every baseline, and all models' ratings
    (rouge_a,) = [t for t in tables if (t["judge"], t["baseline"]) == ("rouge", "a")]
    assert {r["model"] for r in rouge_a["rows"]} == {"a", "b", "c", "evil"}
    pages = sorted(p.name for p in site.glob("*.html"))
    assert "index.html" in pages and "explorer-demo--a--evil--rouge.html" in pages
    (site / "explorer-stale.html").write_text("from an older export")
    assert cli("leaderboard", "export", "--results", lb_results, "--out", site).code == 0
    assert sorted(p.name for p in site.glob("*.html")) == pages  # nothing stale survives
    page = (site / "explorer-demo--a--evil--rouge.html").read_text()
    assert "<script>window" not in page and "Content-Security-Policy" in page
    data = (site / "data" / "outputs" / "demo" / "evil.js").read_text()
    assert data.startswith("window.AB_DATA") and "window.__pwned" in data  # as a JSON string, never markup


def test_export_needs_no_streamlit_or_pandas(lb_results, tmp_path):
    """Publishing from CI takes only the core install: the export never imports the app's stack."""
    script = (
        "import sys; sys.modules.update(streamlit=None, pandas=None, altair=None); "
        "from alpaca_bench.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    site = tmp_path / "site"
    argv = ["leaderboard", "export", "--results", str(lb_results), "--out", str(site), "--no-progress"]
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (site / "index.html").is_file() and (site / "assets" / "explorer.js").is_file()
