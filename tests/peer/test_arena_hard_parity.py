"""Arena-Hard parity: its prompt sets and answer files, five-level verdicts scored by Bradley–Terry
against a fixed baseline with an interval over prompts, and style control, end to end."""

from __future__ import annotations

import hashlib
import json
import math

import pytest
from peer_judges import fenced, prompt_text, words

from alpaca_bench.arena import arena_report
from alpaca_bench.comparison import compare
from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.judges import JudgeOptions
from alpaca_bench.models._base import load_backend
from alpaca_bench.settings import ArenaSettings, CompareSettings
from alpaca_bench.testing import ScriptedOpenAIServer

MODELS = ("gpt-4-0314", "gpt-4-0613", "gpt-3.5-turbo-0125")


@pytest.mark.parametrize("model", MODELS)
def test_the_v01_answer_files_load_as_file_models_aligned_to_all_500_prompts(model, data_dir):
    eval_set = load_eval_set("arena-hard-v0.1")
    assert len(eval_set) == 500
    path = data_dir / "arena-hard" / "v0.1" / "model_answer" / f"{model}.jsonl"
    backend = load_backend(f"file:{path}")
    assert backend.name == model
    served = backend.prepare(eval_set.prompts)
    assert [p.id for p in served] == [p.id for p in eval_set]
    rows = {r["uid"]: r for r in map(json.loads, path.read_text().splitlines())}
    for prompt in eval_set:
        assert backend.outputs[prompt.id] == rows[prompt.id]["messages"][1]["content"]["answer"]


def test_v20_prompts_load():
    eval_set = load_eval_set("arena-hard-v2.0")
    assert len(eval_set) == 750 and len({p.id for p in eval_set}) == 750
    assert all(p.instruction.strip() and not p.follow_ups for p in eval_set)


def _compare(tmp_path, server, baseline, candidate, limit, data_dir=None):
    settings = CompareSettings(
        eval_set="arena-hard-v0.1",
        limit=limit,
        judge=f"openai:judge@{server.base_url}",
        judge_options=JudgeOptions(template="pairwise-5pt"),
        both_orders=True,
        output_dir=tmp_path,
        n_boot=100,
        show_progress=False,
    )
    return compare(baseline, candidate, settings)


def test_a_scripted_five_level_judge_gives_the_exact_expected_score_and_interval(tmp_path, data_dir, cli):
    """The judge says [[B>>A]] when the baseline's answer is shown first and [[B>A]] otherwise: each
    prompt is a strong win and a plain loss for the candidate, weights 3 and 1, so the BT score is
    3/4 exactly, and so is every bootstrap resample's (the interval is that point). Unweighted the
    same verdicts are 1/2."""
    folder = data_dir / "arena-hard" / "v0.1" / "model_answer"
    baseline_answers = {
        r["uid"]: r["messages"][1]["content"]["answer"]
        for r in map(json.loads, (folder / "gpt-4-0314.jsonl").read_text().splitlines())
    }

    def respond(body):
        shown_a = fenced(prompt_text(body), "response_A")[0]
        return "[[B>>A]]" if shown_a in baseline_answers.values() else "[[B>A]]"

    with ScriptedOpenAIServer(respond) as server:
        _compare(
            tmp_path, server, f"file:{folder / 'gpt-4-0314.jsonl'}", f"file:{folder / 'gpt-4-0613.jsonl'}", 40
        )
    report = arena_report(
        tmp_path, "arena-hard-v0.1", "gpt-4-0314", settings=ArenaSettings(style_control=False)
    )
    row = next(r for r in report.raw.rows if r.model == "gpt-4-0613")
    assert row.score == pytest.approx(0.75, abs=1e-9)
    assert row.low == pytest.approx(0.75, abs=1e-9) and row.high == pytest.approx(0.75, abs=1e-9)
    assert row.n_prompts == 40 and row.n_battles == 80
    assert report.raw.level == 0.95 and "95%" in report.raw.label() and "prompts" in report.raw.label()
    flat = arena_report(
        tmp_path,
        "arena-hard-v0.1",
        "gpt-4-0314",
        settings=ArenaSettings(strong_weight=1.0, style_control=False),
    )
    assert next(r for r in flat.raw.rows if r.model == "gpt-4-0613").score == pytest.approx(0.5, abs=1e-9)
    baseline_row = next(r for r in report.raw.rows if r.is_baseline)
    assert (baseline_row.model, baseline_row.score) == ("gpt-4-0314", 0.5)

    shown = cli("arena", "--results", tmp_path, "--baseline", "gpt-4-0314", "--json")
    assert shown.code == 0, shown.err
    payload = json.loads(shown.out)
    assert payload["raw"]["level"] == 0.95 and "95%" in payload["raw"]["label"]
    assert payload["style_controlled"] is not None
    table = cli("arena", "--results", tmp_path, "--baseline", "gpt-4-0314", "--level", "0.9")
    assert table.code == 0 and "90% CI" in table.out and "gpt-4-0613" in table.out
    missing = cli("arena", "--results", tmp_path, "--baseline", "nobody")
    assert missing.code == 2 and "nobody" in missing.err


def _length_loving_judge(body):
    """Prefers the longer answer, with probability rising with the relative length difference;
    the draw is a hash of the pair, so the verdicts are reproducible. Nothing else matters."""
    text = prompt_text(body)
    a, b = fenced(text, "response_A")[0], fenced(text, "response_B")[0]
    la, lb = words(a), words(b)
    p_b = 1.0 / (1.0 + math.exp(-4.0 * (lb - la) / (la + lb)))
    draw = int(hashlib.sha256((a + "\x00" + b).encode()).hexdigest()[:8], 16) / 16**8
    return "[[B>A]]" if draw < p_b else "[[A>B]]"


def _answer_file(tmp_path, name, mean_words, seed):
    """A model's answers as an Arena-Hard answer file: words drawn from one vocabulary (one
    quality), lengths log-normal around `mean_words` (answers vary in length, as real ones do)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vocabulary = [
        "the",
        "answer",
        "is",
        "clear",
        "because",
        "each",
        "step",
        "follows",
        "from",
        "the",
        "task",
        "and",
        "its",
        "details",
    ]
    rows = []
    for prompt in load_eval_set("arena-hard-v0.1").prompts[:150]:
        n = max(2, round(mean_words * float(np.exp(rng.normal(0.0, 0.4)))))
        text = " ".join(vocabulary[i] for i in rng.integers(0, len(vocabulary), n))
        messages = [
            {"role": "user", "content": prompt.instruction},
            {"role": "assistant", "content": {"answer": text}},
        ]
        rows.append(json.dumps({"uid": prompt.id, "model": name, "messages": messages}))
    path = tmp_path / f"{name}.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return f"file:{path}"


@pytest.mark.slow
def test_style_control_removes_a_pure_length_preference(tmp_path):
    """Models of one quality that differ only in length: the raw scores follow length, the
    style-controlled scores do not."""
    results = tmp_path / "results"
    base = _answer_file(tmp_path, "base", 25, 0)
    candidates = [
        _answer_file(tmp_path, n, w, s) for n, w, s in (("terse", 10, 1), ("wordy", 60, 2), ("even", 25, 3))
    ]
    with ScriptedOpenAIServer(_length_loving_judge) as server:
        for candidate in candidates:
            _compare(results, server, base, candidate, 150)
    tmp_path = results
    report = arena_report(tmp_path, "arena-hard-v0.1", "base", settings=ArenaSettings(n_boot=50))
    raw = {r.model: r.score for r in report.raw.rows}
    controlled = {r.model: r for r in report.style_controlled.rows}
    assert raw["wordy"] > 0.65 and raw["terse"] < 0.35
    for model in ("terse", "wordy", "even"):
        assert abs(controlled[model].score - 0.5) < 0.08, (model, controlled[model])
    assert report.style_controlled.style_coefficients["tokens"] > 0.5
    for model in ("terse", "wordy"):  # the raw intervals exclude 50%; the controlled ones include it
        assert controlled[model].low < 0.5 < controlled[model].high
