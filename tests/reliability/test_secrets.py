"""A sentinel API key must appear in no file we write (results, manifests, cache, logs) and in
nothing we print, including the message for an authentication failure."""

import subprocess
import sys

from alpaca_bench.testing import Reply

from helpers import longer_wins

SENTINEL = "sk-sentinel-7f3a9c1e5b2d4f6a8c0e"


def respond(body):
    content = body["messages"][-1]["content"]
    if "<response_A" in content:
        return longer_wins(body)
    return Reply(f"{body['model']}: {content[: 10 + len(body['model'])]}")


def cli(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "alpaca_bench", "-vv", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_the_key_is_written_and_printed_nowhere(tmp_path, scripted_server, monkeypatch):
    import os

    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    env = dict(os.environ)
    good = scripted_server(respond, api_key=SENTINEL)
    url = good.base_url
    common = ["--eval-set", "demo", "--output-dir", tmp_path / "results", "--no-progress"]
    runs = [
        cli("generate", f"openai:writer@{url}", *common, env=env),
        cli(
            "compare",
            f"openai:writer@{url}",
            f"openai:other@{url}",
            "--judge",
            f"openai:judge@{url}",
            "--both-orders",
            *common,
            env=env,
        ),
        cli(
            "gate",
            "--baseline",
            f"openai:writer@{url}",
            "--candidate",
            f"openai:other@{url}",
            "--judge",
            f"openai:judge@{url}",
            *common,
            env=env,
        ),
    ]
    assert [r.returncode for r in runs[:2]] == [0, 0], runs[1].stderr
    assert runs[2].returncode in (0, 1)
    assert all(h.get("authorization") == f"Bearer {SENTINEL}" for h in good.headers)  # it was really used

    bad = scripted_server(respond, api_key="sk-a-different-key-000000")
    refused = cli(
        "compare",
        f"openai:writer@{bad.base_url}",
        f"openai:x@{bad.base_url}",
        "--judge",
        f"openai:judge@{bad.base_url}",
        *common,
        env=env,
    )
    assert refused.returncode == 3 and "authentication" in refused.stderr
    runs.append(refused)

    for run in runs:
        assert SENTINEL not in run.stdout + run.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "calls.sqlite" for p in files) and any(p.name == "manifest.json" for p in files)
    for path in files:
        assert SENTINEL.encode() not in path.read_bytes(), f"the key leaked into {path}"
