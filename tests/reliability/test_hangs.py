"""Judging through a server that hangs with the socket open, at default settings.

A third of the faults keep the connection open and send nothing more (before the headers,
after them, mid-body), as overloaded servers and load balancers do; the rest are 429/503 with
Retry-After, 500, resets, truncated bodies and slow trickled bodies. The client must route
around the hangs (hedges, deadlines from the observed latency) instead of waiting out the
two-minute `--timeout`, and keep exactly one judgment per (prompt, order).
"""

import json
import threading
import time
from pathlib import Path

from alpaca_bench.testing import HANG_KINDS, FaultPlan

from helpers import blind_pair, judgments, longer_wins, predictions

LATENCY_S = 0.2
KINDS = ("429", "503", "500", "reset", "truncated", "trickle", *HANG_KINDS)  # a third are hangs


def compare(cli, out: Path, server, data_dir: Path, *extra: str) -> tuple[dict, float]:
    started = time.perf_counter()
    result = cli(
        "compare",
        predictions(data_dir, "davinci"),
        predictions(data_dir, "text-davinci-003"),
        "--judge",
        f"openai:judge@{server.base_url}",
        "--output-dir",
        out,
        "--json",
        "--no-progress",
        *extra,
    )
    elapsed = time.perf_counter() - started
    assert result.code == 0, result.err
    return json.loads(result.out), elapsed


def test_hangs_cost_little_and_nothing_is_lost_or_invented(cli, tmp_path, data_dir, scripted_server):
    clean = scripted_server(longer_wins, latency_s=LATENCY_S)
    baseline, clean_s = compare(cli, tmp_path / "clean", clean, data_dir, "--both-orders")
    plan = FaultPlan(rate=0.3, kinds=KINDS, seed=3, stall_s=3.0)
    faulty = scripted_server(longer_wins, faults=plan, latency_s=LATENCY_S)
    summary, faulty_s = compare(cli, tmp_path / "faulty", faulty, data_dir, "--both-orders")

    hangs = sum(faulty.fault_counts[k] for k in HANG_KINDS)
    assert faulty.faulted >= 0.25 * len(faulty.bodies) and hangs >= 0.25 * faulty.faulted
    got, expected = judgments(summary), judgments(baseline)
    keys = [(r["prompt_id"], r["first_shown"]) for r in got]
    assert len(keys) == len(set(keys)) == 504, "a (prompt, order) was lost or judged twice"
    # nothing invented: every verdict is the one the scripted judge gives that pair
    assert {(r["prompt_id"], r["first_shown"]): r["preference"] for r in got} == {
        (r["prompt_id"], r["first_shown"]): r["preference"] for r in expected
    }
    assert summary["win_rate"] == baseline["win_rate"] and summary["unscored"] == 0
    calls = summary["calls"]
    asked = sum(1 for r in got if not r["raw"].get("identical_outputs"))  # identical pairs need no call
    assert calls["answers"] == calls["used"] == asked
    assert calls["sent"] >= len(faulty.bodies) > calls["answers"]
    assert calls["hedges"] + calls["abandoned"] >= 0.5 * hangs  # hangs were routed around, not waited out
    assert faulty_s < 3 * clean_s, f"{faulty_s:.1f} s with faults vs {clean_s:.1f} s without"


def test_a_late_first_attempt_is_hedged_and_recorded_once(cli, tmp_path, data_dir, scripted_server):
    """The 20th pair's first attempt answers after 2.5 s (the server's latency by then is known
    to be ~50 ms): a hedge answers first, the late answer is dropped, and both sends count."""
    lock = threading.Lock()
    seen: list[str] = []
    late_done = threading.Event()

    def respond(body):
        pair = "\x00".join(blind_pair(body))
        with lock:
            first_time = pair not in seen
            if first_time:
                seen.append(pair)
            late = first_time and len(seen) == 20
        if late:
            time.sleep(2.5)
            late_done.set()
        return longer_wins(body)

    server = scripted_server(respond, latency_s=0.05)
    summary, _ = compare(cli, tmp_path / "r", server, data_dir, "--limit", "40")
    assert late_done.wait(5), "the late attempt never ran"
    got = judgments(summary)
    assert len(got) == len({r["prompt_id"] for r in got}) == 40
    late_pair = seen[19]
    asked = ["\x00".join(blind_pair(body)) for body in server.bodies]
    assert asked.count(late_pair) == 2, "the late pair went out twice: its first attempt and one hedge"
    calls = summary["calls"]
    answered = sum(1 for r in got if not r["raw"].get("identical_outputs"))
    assert calls["answers"] == calls["used"] == answered  # the late answer was not counted again
    assert calls["hedges"] >= 1 and calls["sent"] == answered + calls["hedges"] + calls["retries"]
    rerun, _ = compare(cli, tmp_path / "r", server, data_dir, "--limit", "40")
    assert rerun["calls"]["sent"] == 0 and rerun["judge_calls"] == 0
