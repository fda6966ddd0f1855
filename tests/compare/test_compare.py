"""compare against a real judge server on 127.0.0.1 with scripted verdicts."""

import json

import pytest

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.testing import Fault, Reply

from helpers import expected_longer_wins, judgments, longer_wins, predictions

FAST = ["--backoff-base", "0.01", "--backoff-cap", "0.2", "--timeout", "1", "--max-retries", "12"]


def outputs(path):
    return [json.loads(line)["response"] for line in path.read_text().splitlines()]


def run_compare(cli, tmp_path, baseline, candidate, server, *extra):
    result = cli(
        "compare",
        baseline,
        candidate,
        "--judge",
        f"openai:judge-model@{server.base_url}",
        "--output-dir",
        tmp_path / "results",
        "--json",
        "--no-progress",
        *FAST,
        *extra,
    )
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_exact_win_rate_blind_requests_and_balanced_order(cli, tmp_path, data_dir, scripted_server):
    server = scripted_server(longer_wins)
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    summary = run_compare(cli, tmp_path, base, cand, server)
    expected = expected_longer_wins(outputs(base), outputs(cand))
    assert summary["win_rate"] == pytest.approx(expected, abs=1e-12)
    assert summary["n"] == 252 and summary["unscored"] == 0
    assert summary["ci_low"] < summary["win_rate"] < summary["ci_high"]
    assert summary["baseline"] == "davinci" and summary["candidate"] == "text-davinci-003"
    identical = sum(b == c for b, c in zip(outputs(base), outputs(cand), strict=True))
    calls = summary["calls"]
    assert calls["answers"] == calls["used"] == 252 - identical and calls["cache_hits"] == 0
    # every send is counted; a hedge cancelled before it reached the server is counted too
    assert calls["sent"] == summary["judge_calls"] >= len(server.bodies) >= calls["answers"]
    assert calls["sent"] - calls["hedges"] - calls["retries"] == calls["answers"]  # no faults here
    assert summary["judge_calls_total"] == calls["answers"]
    for body in server.bodies:
        text = json.dumps(body)
        for secret in ("davinci", "predictions", str(data_dir)):
            assert secret not in text, f"{secret!r} reached the judge"
    from alpaca_bench.judges import builtin_templates, load_template

    empty = dict.fromkeys(("instruction", "input", "output_a", "output_b", "reference", "answer"), "")
    for name in builtin_templates():  # the roles are never named to the judge either
        fixed = json.dumps(load_template(name).render(empty)).lower()
        assert "baseline" not in fixed and "candidate" not in fixed
    records = judgments(summary)
    assert len(records) == 252
    candidate_first = sum(r["first_shown"] == "candidate" for r in records)
    assert 0.40 * 252 <= candidate_first <= 0.60 * 252
    rerun = run_compare(cli, tmp_path, base, cand, server)
    sent_before = len(server.bodies)
    assert rerun["judge_calls"] == 0 and rerun["calls"]["sent"] == 0  # an identical re-run sends nothing
    assert rerun["judge_calls_total"] == summary["judge_calls_total"]  # the stored judgments' calls
    assert len(server.bodies) == sent_before
    assert rerun["win_rate"] == summary["win_rate"]


def test_both_orders_judges_every_pair_twice_in_opposite_positions(cli, tmp_path, data_dir, scripted_server):
    server = scripted_server(longer_wins)
    base, cand = predictions(data_dir, "text-davinci-001"), predictions(data_dir, "text-davinci-002")
    summary = run_compare(cli, tmp_path, base, cand, server, "--both-orders", "--limit", "60")
    records = judgments(summary)
    by_prompt = {}
    for r in records:
        by_prompt.setdefault(r["prompt_id"], set()).add(r["first_shown"])
    assert len(by_prompt) == 60 and all(v == {"baseline", "candidate"} for v in by_prompt.values())
    assert summary["position_consistency"] == pytest.approx(1.0)  # a length judge ignores position
    expected = expected_longer_wins(outputs(base)[:60], outputs(cand)[:60])
    assert summary["win_rate"] == pytest.approx(expected, abs=1e-12)


def test_faults_and_unparseable_verdicts(cli, tmp_path, data_dir, scripted_server):
    eval_set = load_eval_set("self-instruct")
    doomed = {p.instruction for p in eval_set.prompts[:5]}  # the server never answers these sensibly
    state = {"n": 0}

    def respond(body):
        content = body["messages"][-1]["content"]
        if any(instruction in content for instruction in doomed):
            return Reply("I refuse to pick.")
        return longer_wins(body)

    def faults(body):
        state["n"] += 1
        kind = ("429", "500", "timeout", None, None, None, None, None, None, None)[state["n"] % 10]
        return Fault(kind, retry_after=0.05 if kind == "429" else None, stall_s=1.5) if kind else None

    server = scripted_server(respond, faults=faults)
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    result = cli(
        "compare",
        base,
        cand,
        "--judge",
        f"openai:judge-model@{server.base_url}",
        "--output-dir",
        tmp_path / "results",
        "--json",
        "--no-progress",
        "--limit",
        "80",
        "--max-unscored-frac",
        "0.1",
        *FAST,
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["unscored"] == 5
    assert sorted(summary["unscored_prompts"]) == sorted(p.id for p in eval_set.prompts[:5])
    records = judgments(summary)
    keys = [(r["prompt_id"], r["first_shown"]) for r in records]
    assert len(keys) == len(set(keys)) == 80
    unscored = [r for r in records if r["verdict"] == "unscored"]
    assert all(r["preference"] is None and len(r["raw"]["earlier_attempts"]) == 2 for r in unscored)
    assert summary["n"] == 75


def test_too_many_unscored_exits_3_but_keeps_the_summary(cli, tmp_path, data_dir, scripted_server):
    server = scripted_server(lambda body: Reply("no idea"))
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    result = cli(
        "compare",
        base,
        cand,
        "--judge",
        f"openai:j@{server.base_url}",
        "--output-dir",
        tmp_path / "results",
        "--limit",
        "10",
        "--no-progress",
        "--parse-retries",
        "1",
        *FAST,
    )
    assert result.code == 3
    assert "unscored" in result.err and result.err.count("\n") == 1
    summary_file = next((tmp_path / "results").glob("self-instruct/*/*/summary.json"))
    assert json.loads(summary_file.read_text())["unscored"] == 10


def test_user_template_file_end_to_end_and_broken_template_exits_before_any_call(
    cli, tmp_path, data_dir, scripted_server
):
    template = tmp_path / "mine.yaml"
    template.write_text(
        "name: mine\n"
        "user: |-\n  Q: {{ instruction }}\n  <response_A>\n  {{ output_a }}\n  </response_A>\n\n"
        "  <response_B>\n  {{ output_b }}\n  </response_B>\n  Say WINNER=A or WINNER=B.\n"
        "decoding: {temperature: 0, max_tokens: 8}\n"
        "parser: {type: regex, pattern: 'WINNER=(A|B)', verdicts: {A: 'A>B', B: 'B>A'}}\n"
    )

    def respond(body):
        content = body["messages"][-1]["content"]
        assert content.startswith("Q: ") and "WINNER=" in content
        return Reply("WINNER=B")

    server = scripted_server(respond)
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    summary = run_compare(cli, tmp_path, base, cand, server, "--judge-template", template, "--limit", "20")
    assert summary["judge"] == "judge-model-mine"
    assert summary["unscored"] == 0 and summary["n"] == 20
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "name: b\nuser: '{{ output_a }} {{ secret_model_name }}'\nparser: {type: logprobs, a_token: A, "
        "b_token: B}\n"
    )
    calls_before = len(server.bodies)
    result = cli(
        "compare",
        base,
        cand,
        "--judge",
        f"openai:judge-model@{server.base_url}",
        "--judge-template",
        broken,
        "--output-dir",
        tmp_path / "results2",
    )
    assert result.code == 2
    assert "broken.yaml" in result.err and "secret_model_name" in result.err
    assert len(server.bodies) == calls_before
    assert not (tmp_path / "results2").exists()


def test_identical_outputs_are_ties_without_a_call(cli, tmp_path, data_dir, scripted_server):
    server = scripted_server(longer_wins)
    base = predictions(data_dir, "davinci")
    summary = run_compare(
        cli,
        tmp_path,
        base,
        "mock:same?echo=1",
        server,
        "--limit",
        "5",
        "--baseline-name",
        "a",
        "--candidate-name",
        "b",
    )
    assert summary["n"] == 5
    same = run_compare(cli, tmp_path, "mock:x?text=same", "mock:y?text=same", server, "--limit", "7")
    assert same["ties"] == 7 and same["win_rate"] == 0.5 and same["judge_calls"] == 0


def test_max_cost_stops_cleanly_and_resumes(cli, tmp_path, data_dir, scripted_server):
    server = scripted_server(longer_wins)
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    common = [
        "--judge",
        f"openai:judge-model@{server.base_url}",
        "--output-dir",
        tmp_path / "results",
        "--limit",
        "40",
        "--no-progress",
        "--judge-price",
        "100,100",
        "--concurrency",
        "4",
        *FAST,
    ]
    # a call costs about (400 + 5 tokens) * 100 / 1e6 = $0.04, so $0.5 buys about a dozen
    stopped = cli("compare", base, cand, *common, "--max-cost", "0.5")
    assert stopped.code == 3 and "--max-cost" in stopped.err
    first = [
        json.loads(x)
        for x in next((tmp_path / "results").glob("*/*/*/judgments.jsonl")).read_text().splitlines()
    ]
    spent = sum(r["cost_usd"] for r in first)
    assert 0.2 <= spent <= 0.5
    finished = cli("compare", base, cand, *common, "--max-cost", "100", "--json")
    assert finished.code == 0, finished.err
    summary = json.loads(finished.out)
    assert summary["n"] == 40
    records = judgments(summary)
    assert summary["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in records))
    assert summary["judge_calls_total"] == len(server.bodies) == len(records)


def test_authentication_failure_exits_3_and_never_prints_the_key(
    cli, tmp_path, data_dir, scripted_server, monkeypatch
):
    secret = "sk-sentinel-key-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    server = scripted_server(longer_wins, api_key="sk-other")
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    result = cli(
        "compare",
        base,
        cand,
        "--judge",
        f"openai:judge-model@{server.base_url}",
        "--output-dir",
        tmp_path / "results",
        "--limit",
        "10",
        "--no-progress",
        *FAST,
    )
    assert result.code == 3
    assert "authentication" in result.err and secret not in result.err + result.out
    assert len(server.bodies) <= 16


def test_rejudge_a_run_with_another_judge(cli, tmp_path, data_dir, scripted_server):
    server = scripted_server(longer_wins)
    base, cand = predictions(data_dir, "davinci"), predictions(data_dir, "text-davinci-003")
    summary = run_compare(cli, tmp_path, base, cand, server, "--limit", "30")
    result = cli("judge", summary["output_dir"], "--judge", "rouge", "--json", "--no-progress")
    assert result.code == 0, result.err
    rouge = json.loads(result.out)
    assert rouge["judge"] == "rouge" and rouge["n"] == 30 and rouge["judge_calls"] == 0
    assert rouge["output_dir"].endswith("davinci__vs__text-davinci-003/rouge")


def test_reference_judge_on_an_eval_set_without_references_exits_2(cli, tmp_path, data_dir):
    result = cli(
        "compare",
        "mock:a",
        "mock:b",
        "--eval-set",
        "alpaca-eval",
        "--judge",
        "rouge",
        "--output-dir",
        tmp_path / "r",
    )
    assert result.code == 2 and "needs reference answers" in result.err
    assert not (tmp_path / "r").exists()
