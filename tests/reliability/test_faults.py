"""Generation and judging through a server that misbehaves on at least 30% of requests:
429 with Retry-After, 500, stalls past the timeout, connection resets, truncated JSON bodies,
and verdicts that never parse. Nothing may be lost or duplicated."""

import json
from pathlib import Path

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.testing import FaultPlan, Reply

from helpers import longer_wins

LIMIT = 60
DOOMED = 4  # prompts whose judge answers never parse


def test_generation_and_judging_survive_a_hostile_server(cli, tmp_path, data_dir, scripted_server):
    prompts = load_eval_set("self-instruct").prompts[:LIMIT]
    doomed = [p.instruction for p in prompts[:DOOMED]]

    def respond(body):
        content = body["messages"][-1]["content"]
        if "<response_A" not in content:  # a generation request
            words = content.split()
            size = 3 + len(content) % 17 if body["model"] == "gen-a" else 2 + len(content) % 23
            return Reply(f"{body['model']} says: " + " ".join(words[:size]))
        if any(instruction in content for instruction in doomed):
            return Reply("Both have merits; I will not choose.")
        return longer_wins(body)

    faults = FaultPlan(rate=0.35, kinds=("429", "500", "timeout", "reset", "truncated"), stall_s=1.2, seed=7)
    server = scripted_server(respond, faults=faults)
    url = server.base_url
    result = cli(
        "compare",
        f"openai:gen-a@{url}",
        f"openai:gen-b@{url}",
        "--judge",
        f"openai:judge@{url}",
        "--limit",
        LIMIT,
        "--output-dir",
        tmp_path / "results",
        "--json",
        "--no-progress",
        "--timeout",
        "0.6",
        "--max-retries",
        "20",
        "--backoff-base",
        "0.01",
        "--backoff-cap",
        "0.2",
        "--concurrency",
        "8",
        "--max-unscored-frac",
        "0.1",
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert server.faulted >= 0.3 * len(server.bodies)
    results = tmp_path / "results" / "self-instruct"
    for model in ("gen-a", "gen-b"):
        lines = (results / "models" / model / "generations.jsonl").read_text().splitlines()
        ids = [json.loads(line)["prompt_id"] for line in lines]
        assert sorted(ids) == sorted(p.id for p in prompts), f"{model}: lost or duplicated generations"
    records = [json.loads(x) for x in Path(summary["output_dir"], "judgments.jsonl").read_text().splitlines()]
    assert sorted(r["prompt_id"] for r in records) == sorted(p.id for p in prompts)
    assert summary["unscored"] == DOOMED
    assert summary["n"] == LIMIT - DOOMED
