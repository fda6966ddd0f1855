"""An unparseable verdict is asked again the moment it arrives, not after a round of first asks.

With rounds, every first ask goes out before any retry, so the tail of each round runs with few
calls in flight. The server's own request log shows the order calls really went out in.
"""

import json
import threading

from alpaca_bench.testing import Reply

from helpers import blind_pair, cot, judgments


def test_a_parse_retry_goes_out_before_the_first_asks_are_done(cli, tmp_path, data_dir, scripted_server):
    decide = cot(lambda a, b: "B" if len(b) > len(a) else "A")
    lock = threading.Lock()
    first: list[str] = []

    def respond(body):
        pair = "\x00".join(blind_pair(body))
        with lock:
            if not first:
                first.append(pair)
            garbled = pair == first[0] and sum("\x00".join(blind_pair(b)) == pair for b in server.bodies) == 1
        return Reply("I cannot decide.") if garbled else decide(body)

    server = scripted_server(respond, latency_s=0.05)
    preds = data_dir / "self-instruct" / "predictions"
    result = cli(
        "compare",
        preds / "davinci_predictions.jsonl",
        preds / "text-davinci-003_predictions.jsonl",
        "--judge",
        f"openai:judge@{server.base_url}",
        "--judge-template",
        "pairwise-cot",
        "--limit",
        "60",
        "--concurrency",
        "4",
        "--output-dir",
        tmp_path,
        "--json",
        "--no-progress",
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    asked = ["\x00".join(blind_pair(body)) for body in server.bodies]
    retry_at = [i for i, pair in enumerate(asked) if pair == first[0]][1]
    first_asks = len(set(asked))
    assert retry_at < first_asks - 10, f"the retry went out as call {retry_at} of {first_asks} first asks"
    records = judgments(summary)
    retried = [r for r in records if r["raw"].get("earlier_attempts")]
    assert len(retried) == 1 and retried[0]["raw"]["earlier_attempts"] == ["I cannot decide."]
    assert summary["unscored"] == 0 and summary["calls"]["answers"] == summary["calls"]["used"] + 1
