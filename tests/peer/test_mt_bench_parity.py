"""MT-Bench parity: two-turn generation, whole-conversation pairwise judging in both orders,
FastChat answer files as models and FastChat pair-judgment export."""

from __future__ import annotations

import json

import pytest
from peer_judges import fenced, prompt_text, words

from alpaca_bench.comparison import compare
from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.generation import generate
from alpaca_bench.judges import JudgeOptions
from alpaca_bench.models._base import BackendOptions, load_backend
from alpaca_bench.records import GenerationConfig
from alpaca_bench.settings import CompareSettings
from alpaca_bench.store import GenerationStore, ResultsRoot, open_run
from alpaca_bench.testing import ScriptedOpenAIServer


def test_mock_generation_stores_80_two_turn_conversations_the_second_conditioned_on_the_first(tmp_path):
    eval_set = load_eval_set("mt-bench")
    assert len(eval_set) == 80 and all(p.n_turns == 2 for p in eval_set)
    assert len(eval_set.categories()) == 8
    config = GenerationConfig(max_new_tokens=4096)  # the mock's token is a word: nothing is cut
    run = generate("mock:echo?echo=1", "mt-bench", output_dir=tmp_path, config=config, show_progress=False)
    stored = GenerationStore(ResultsRoot(tmp_path).model_dir("mt-bench", "echo")).load(run.config_hash)
    assert len(stored) == 80
    for prompt in eval_set:
        generation = stored[prompt.id]
        first, second = prompt.user_turns()
        assert generation.output == first  # the echo mock repeats the conversation so far
        # turn 2 saw turn 1's user message, the model's own answer to it, then the follow-up
        assert generation.follow_up_outputs == ["\n\n".join([first, generation.output, second])]
    # a re-run finds every conversation on disk and asks nothing
    again = generate("mock:echo?echo=1", "mt-bench", output_dir=tmp_path, config=config, show_progress=False)
    assert again.calls == 0 and again.reused == 80


def test_second_turn_depends_on_the_models_own_first_answer(tmp_path):
    """Two mock models answer the same follow-up differently because their first answers differ."""
    a = generate("mock:a", "mt-bench", output_dir=tmp_path, show_progress=False).by_prompt()
    b = generate("mock:b", "mt-bench", output_dir=tmp_path, show_progress=False).by_prompt()
    assert all(len(g.answers) == 2 for g in a.values())
    assert sum(a[p].follow_up_outputs != b[p].follow_up_outputs for p in a) == 80


def _conversation_judge(seen: list[str]):
    """Prefers the longer conversation when the first user message has an even length, the
    shorter one otherwise: a verdict that depends only on the conversations, never on order."""

    def respond(body):
        text = prompt_text(body)
        seen.append(text)
        users = fenced(text, "user")
        side_a, side_b = fenced(text, "assistant_A"), fenced(text, "assistant_B")
        assert len(users) == 4 and len(side_a) == 2 and len(side_b) == 2  # both turns, both sides
        longer_a = sum(map(words, side_a)) > sum(map(words, side_b))
        want_longer = len(users[0]) % 2 == 0
        return "Reasons.\n[[A>B]]" if longer_a == want_longer else "Reasons.\n[[B>A]]"

    return respond


def _mt_compare(tmp_path, server, template="pairwise-conversation"):
    settings = CompareSettings(
        eval_set="mt-bench",
        judge=f"openai:judge@{server.base_url}",
        judge_options=JudgeOptions(template=template),
        both_orders=True,
        output_dir=tmp_path,
        n_boot=200,
        show_progress=False,
        backend=BackendOptions(max_retries=2),
    )
    return compare("mock:mA7x?words=8", "mock:mQ3z?words=30", settings)


def test_compare_judges_80_conversations_in_both_orders_with_the_expected_win_rate(tmp_path):
    eval_set = load_eval_set("mt-bench")
    # the candidate writes longer answers, so it wins exactly where the judge wants the longer one
    expected = sum(len(p.user_turns()[0]) % 2 == 0 for p in eval_set) / 80
    seen: list[str] = []
    with ScriptedOpenAIServer(_conversation_judge(seen)) as server:
        result = _mt_compare(tmp_path, server)
        assert len(server.bodies) >= 160  # (more only if a slow call was hedged)
    summary = result.summary
    assert summary.n_prompts == 80 and summary.n_judgments == 160 and summary.unscored == 0
    assert summary.calls.answers == 160
    assert summary.win_rate == pytest.approx(expected, abs=1e-12)
    assert 0.2 < expected < 0.8  # the case is not trivial
    assert summary.position_consistency == 1.0
    for text in seen:  # blind: no model name reaches the judge
        assert "mA7x" not in text and "mQ3z" not in text
    records = [json.loads(line) for line in (result.run_dir / "judgments.jsonl").read_text().splitlines()]
    assert sorted({r["first_shown"] for r in records}) == ["baseline", "candidate"]
    assert len({r["prompt_id"] for r in records}) == 80

    # the FastChat pair-judgment export of the same run
    rows = _export(result.run_dir, tmp_path)
    assert len(rows) == 80
    for row in rows:
        prompt = eval_set.get(str(row["question_id"]))
        assert prompt is not None and isinstance(row["question_id"], int)
        winner = "model_2" if len(prompt.user_turns()[0]) % 2 == 0 else "model_1"
        assert (row["model_1"], row["model_2"]) == ("mA7x", "mQ3z")
        assert row["g1_winner"] == row["g2_winner"] == winner
        assert row["judge"] == ["judge", "pairwise-conversation"] and row["turn"] == 2
        assert "[[" in row["g1_judgment"] and "[[" in row["g2_judgment"]


def _export(run_dir, tmp_path):
    from alpaca_bench.cli import main

    out = tmp_path / "judge_pair.jsonl"
    assert main(["export", str(run_dir), "--out", str(out)]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_a_single_answer_template_is_refused_for_a_multi_turn_set_before_any_call(tmp_path, cli):
    with ScriptedOpenAIServer(lambda body: "[[A>B]]") as server:
        result = cli(
            "compare",
            "mock:a",
            "mock:b",
            "--eval-set",
            "mt-bench",
            "--judge",
            f"openai:j@{server.base_url}",
            "--judge-template",
            "pairwise-5pt",
            "--output-dir",
            tmp_path,
            "--no-progress",
        )
        assert server.bodies == []
    assert result.code == 2
    assert "multi-turn" in result.err and "pairwise-conversation" in result.err
    assert len(result.err.strip().splitlines()) == 1
    rouge = cli(
        "compare", "mock:a", "mock:b", "--eval-set", "mt-bench", "--judge", "rouge", "--output-dir", tmp_path
    )
    assert rouge.code == 2 and "multi-turn" in rouge.err


def test_last_turn_template_judges_the_final_replies_in_context(tmp_path):
    seen: list[str] = []

    def respond(body):
        text = prompt_text(body)
        seen.append(text)
        side_a, side_b = fenced(text, "assistant_A"), fenced(text, "assistant_B")
        return "[[A>>B]]" if words(side_a[-1]) > words(side_b[-1]) else "[[B>>A]]"

    with ScriptedOpenAIServer(respond) as server:
        result = _mt_compare(tmp_path, server, template="pairwise-last-turn")
    assert result.summary.win_rate == 1.0  # the longer final reply always wins
    assert all(text.count("(judge this reply)") == 2 for text in seen)
    judgments = open_run(result.run_dir).current_judgments()
    assert {j.verdict for j in judgments} == {"A>>B", "B>>A"}  # strength kept


def test_fastchat_reference_answer_file_loads_as_a_two_turn_model(data_dir, tmp_path):
    path = data_dir / "mt-bench" / "reference_answer" / "gpt-4.jsonl"
    backend = load_backend(f"file:{path}", BackendOptions(allow_missing=True))
    assert backend.name == "gpt-4"
    eval_set = load_eval_set("mt-bench")
    served = backend.prepare(eval_set.prompts)
    assert len(served) == 30
    assert {p.category for p in served} == {"math", "reasoning", "coding"}
    run = generate(
        f"file:{path}",
        "mt-bench",
        output_dir=tmp_path,
        options=BackendOptions(allow_missing=True),
        show_progress=False,
    )
    rows = {str(r["question_id"]): r for r in map(json.loads, path.read_text().splitlines())}
    for generation in run.generations:
        assert generation.answers == rows[generation.prompt_id]["choices"][0]["turns"]
    # the same file without --allow-missing is one clear error naming it
    with pytest.raises(Exception, match="50 of 80 prompts have no output"):
        load_backend(f"file:{path}").prepare(eval_set.prompts)


def test_dry_run_counts_every_turn_and_the_conversations_to_judge(tmp_path, cli):
    seen: list[str] = []
    with ScriptedOpenAIServer(_conversation_judge(seen)) as server:
        args = ["mock:a", "mock:b", "--eval-set", "mt-bench", "--judge", f"openai:j@{server.base_url}",
                "--judge-template", "pairwise-conversation", "--output-dir", tmp_path / "r", "--json",
                "--no-progress"]  # fmt: skip
        planned = cli("compare", *args, "--dry-run")
        assert planned.code == 0, planned.err
        assert server.bodies == [] and not (tmp_path / "r").exists()
        baseline, candidate, judge = json.loads(planned.out)["stages"]
        assert baseline["calls"] == candidate["calls"] == 160  # two turns of 80 prompts each
        assert judge["calls"] == 80 and judge["estimated"]  # one order per conversation
        ran = cli("compare", *args)
        assert ran.code == 0, ran.err
        assert json.loads(ran.out)["calls"]["answers"] == 80
        again = json.loads(cli("compare", *args, "--dry-run").out)
        assert [stage["calls"] for stage in again["stages"]] == [0, 0, 0]


def test_the_alpaca_prompt_format_is_refused_for_a_multi_turn_set_before_any_call(tmp_path, cli):
    result = cli(
        "generate", "mock:a", "--eval-set", "mt-bench", "--template", "alpaca", "--output-dir", tmp_path
    )
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "--template alpaca" in result.err and "multi-turn" in result.err
    assert not list(tmp_path.glob("**/generations.jsonl"))


def test_evalsets_show_describes_the_turns(cli):
    shown = cli("evalsets", "show", "mt-bench", "--json")
    payload = json.loads(shown.out)
    assert payload["size"] == 80 and payload["turns"] == 2 and not payload["has_references"]
    assert len(payload["example"]["follow_ups"]) == 1
    text = cli("evalsets", "show", "mt-bench").out
    assert "30 of 80" in text and "up to 2 turns" in text and "turn 2:" in text


def test_a_users_own_mt_bench_style_question_file_is_a_multi_turn_eval_set(tmp_path):
    questions = tmp_path / "my_questions.jsonl"
    rows = [
        {
            "question_id": 1,
            "category": "math",
            "turns": ["What is 2+2?", "And times 3?"],
            "reference": ["4", "12"],
        },
        {"question_id": 2, "category": "writing", "turns": ["Write a limerick.", "Make it sadder."]},
    ]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    eval_set = load_eval_set(str(questions))
    first, second = eval_set.prompts
    assert (first.id, first.instruction, first.reference, first.category) == (
        "1",
        "What is 2+2?",
        "4",
        "math",
    )
    assert [(f.message, f.reference) for f in first.follow_ups] == [("And times 3?", "12")]
    assert second.reference is None and second.follow_ups[0].reference is None
    run = generate("mock:e?echo=1", eval_set, output_dir=tmp_path / "r", show_progress=False)
    assert [len(g.answers) for g in run.generations] == [2, 2]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question_id": 3, "turns": []}) + "\n")
    with pytest.raises(Exception, match="row 1: turns must be a non-empty list"):
        load_eval_set(str(bad))
