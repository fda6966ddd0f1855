"""Single-answer grading (MT-Bench's default mode) against a scripted grader server."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from peer_judges import fenced, prompt_text

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.store import GradeFolder, ResultsRoot
from alpaca_bench.testing import ScriptedOpenAIServer

UNREADABLE = ("101", 2)  # this reply's grade can never be read: it must be unscored


def _known_score(question_id: str, turn: int) -> int:
    return (int(question_id) * 7 + turn * 3) % 10 + 1


def _grader(eval_set, seen):
    by_message = {}
    for prompt in eval_set:
        for turn, message in enumerate(prompt.user_turns(), start=1):
            by_message[message] = (prompt.id, turn)

    def respond(body):
        text = prompt_text(body)
        users = fenced(text, "user")
        pid, turn = by_message[users[-1]]  # the graded turn is the last user message shown
        seen.append((pid, turn, text))
        if (pid, turn) == UNREADABLE:
            return "I would rather not give a number."
        return f"Assessment.\nRating: [[{_known_score(pid, turn)}]]"

    return respond


def test_grade_reproduces_the_known_per_category_and_per_turn_means(tmp_path, cli):
    eval_set = load_eval_set("mt-bench")
    seen: list[tuple[str, int, str]] = []
    with ScriptedOpenAIServer(_grader(eval_set, seen)) as server:
        args = ["grade", "mock:m", "--judge", f"openai:grader@{server.base_url}", "--output-dir", tmp_path]
        result = cli(*args, "--n-boot", "300", "--json", "--no-progress")
        first_calls = len(server.bodies)
        again = cli(*args, "--n-boot", "300", "--json", "--no-progress")
        assert len(server.bodies) == first_calls  # resumed from disk: nothing asked again
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    expected: dict[str, list[int]] = defaultdict(list)
    for prompt in eval_set:
        for turn in (1, 2):
            if (prompt.id, turn) == UNREADABLE:
                continue
            score = _known_score(prompt.id, turn)
            expected[f"category:{prompt.category}"].append(score)
            expected[f"turn:{turn}"].append(score)
            expected["overall"].append(score)

    def mean(key):
        return sum(expected[key]) / len(expected[key])

    assert summary["overall"]["mean"] == pytest.approx(mean("overall"), abs=1e-12)
    assert summary["overall"]["n"] == 159 and summary["overall"]["unscored"] == 1
    assert summary["unscored_grades"] == ["101#2"]
    assert set(summary["per_category"]) == set(eval_set.categories())
    for category, figure in summary["per_category"].items():
        assert figure["mean"] == pytest.approx(mean(f"category:{category}"), abs=1e-12), category
        assert figure["low"] <= figure["mean"] <= figure["high"]
    for turn in ("1", "2"):
        assert summary["per_turn"][turn]["mean"] == pytest.approx(mean(f"turn:{turn}"), abs=1e-12)
    assert summary["per_category"]["reasoning"]["unscored"] == 1  # question 101 is a reasoning one
    assert summary["level"] == 0.95 and summary["n_boot"] == 300
    assert json.loads(again.out)["overall"] == summary["overall"]

    # the unreadable grade was asked 1 + 2 retries times, then kept as unscored with every answer
    asked = [s for s in seen if (s[0], s[1]) == UNREADABLE]
    assert len(asked) == 3
    folder = GradeFolder(ResultsRoot(tmp_path).grade_dirs()[0])
    grades = folder.current_grades()
    assert len(grades) == 160
    unscored = [g for g in grades if g.score is None]
    assert [(g.prompt_id, g.turn) for g in unscored] == [UNREADABLE]
    assert len(unscored[0].raw["earlier_attempts"]) == 2

    # reference-guided exactly where MT-Bench has references; turn 2 graded after turn 1
    for pid, turn, text in seen:
        has_reference = eval_set.get(pid).category in {"math", "reasoning", "coding"}
        assert (len(fenced(text, "reference_answer")) == 1) == has_reference, (pid, turn)
        assert len(fenced(text, "assistant")) == turn - 1
        assert len(fenced(text, "reply")) == 1


def test_a_pairwise_template_is_refused_by_grade_and_a_grade_template_by_compare(tmp_path, cli):
    graded = cli(
        "grade",
        "mock:m",
        "--judge",
        "openai:g@http://127.0.0.1:9/v1",
        "--judge-template",
        "pairwise",
        "--output-dir",
        tmp_path,
    )
    assert graded.code == 2 and "grade template" in graded.err
    compared = cli(
        "compare",
        "mock:a",
        "mock:b",
        "--eval-set",
        "demo",
        "--judge",
        "openai:g@http://127.0.0.1:9/v1",
        "--judge-template",
        "single-10",
        "--output-dir",
        tmp_path,
    )
    assert compared.code == 2 and "alpaca-bench grade" in compared.err


def test_a_bad_level_is_refused_before_any_call(tmp_path, cli):
    with ScriptedOpenAIServer(lambda body: "Rating: [[5]]") as server:
        result = cli("grade", "mock:m", "--judge", f"openai:g@{server.base_url}", "--level", "95",
                     "--output-dir", tmp_path)  # fmt: skip
        assert server.bodies == []
    assert result.code == 2 and "--level" in result.err and len(result.err.strip().splitlines()) == 1


def test_score_parser_reads_the_last_rating_in_range_only():
    from alpaca_bench.judges import load_template

    template = load_template("single-10")
    assert template.score("Rating: [[3]] ... on reflection, Rating: [[8]]") == 8.0
    assert template.score("Rating: [[0]]") is None and template.score("Rating: [[11]]") is None
    assert template.score("rating: [[ 7.5 ]]") == 7.5
    assert template.score("a 9 out of 10") is None


def test_grade_dry_run_counts_every_turn_and_the_run_then_makes_those_calls(tmp_path, cli):
    with ScriptedOpenAIServer(lambda body: "Fine.\nRating: [[6]]") as server:
        judge = f"openai:g@{server.base_url}"
        args = ["grade", "mock:m", "--judge", judge, "--output-dir", tmp_path, "--json", "--no-progress",
                "--limit", "10", "--judge-price", "1,2"]  # fmt: skip
        planned = json.loads(cli(*args, "--dry-run").out)
        outputs, grader = planned["stages"]
        assert outputs["calls"] == 20 and outputs["free"]  # 10 prompts, two turns, a local mock
        assert grader["calls"] == 20 and grader["estimated"] and grader["cost_usd"] > 0
        assert server.bodies == [] and not list(tmp_path.glob("**/grades.jsonl"))
        ran = json.loads(cli(*args).out)
        assert ran["calls"]["answers"] == 20 and ran["overall"]["mean"] == 6.0
        again = json.loads(cli(*args, "--dry-run").out)
        assert [stage["calls"] for stage in again["stages"]] == [0, 0]


def test_grade_through_the_batch_api_records_its_batches_in_the_grades_folder(tmp_path, cli, monkeypatch):
    from alpaca_bench.testing import BatchOpenAIServer

    server = BatchOpenAIServer(lambda body: "Rating: [[4]]", polls_to_complete=1)
    server.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        result = cli("grade", "mock:m", "--judge", "openai:gpt-4o-mini", "--batch", "--batch-poll", "0.05",
                     "--limit", "5", "--output-dir", tmp_path, "--json", "--no-progress")  # fmt: skip
    finally:
        server.stop()
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["overall"]["mean"] == 4.0 and summary["overall"]["n"] == 10
    assert sum(server.answered.values()) == 10
    assert list(tmp_path.glob("mt-bench/grades/*/*/batches.jsonl"))
