"""`alpaca-bench stats` on run folders, judgments files, annotations and folders of them."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest

from alpaca_bench.alpacaeval import judgments_to_annotations, write_annotations
from alpaca_bench.records import Generation, JudgeIdentity, Judgment, Prompt, stable_hash
from alpaca_bench.store import GenerationStore, ResultsRoot, RunFolder, RunJudge, RunManifest, RunSide

EVAL_SET = "demo"
REQUIRED = {
    "model",
    "baseline",
    "n_total",
    "n_wins",
    "n_losses",
    "n_draws",
    "win_rate",
    "standard_error",
    "discrete_win_rate",
    "ci_low",
    "ci_high",
    "p_value",
}


def make_run(root: Path, candidate: str, skill: float, seed: int, judge: str = "mock-judge") -> RunFolder:
    """A both-orders run of `candidate` against `base` on 40 prompts, with outputs on disk;
    the judge likes `skill` and length. Prompt p07 is unscored in one order, p08 in both."""
    rng = np.random.default_rng(seed)
    results = ResultsRoot(root)
    config_hash = "c0ffee"  # any stored generation config hash
    prompts = [f"p{i:02d}" for i in range(40)]
    # a model writes the same outputs in every run it is in
    base_len = np.random.default_rng(zlib.crc32(b"base")).integers(50, 400, len(prompts))
    extra = np.random.default_rng(zlib.crc32(candidate.encode())).integers(-150, 250, len(prompts))
    cand_len = np.maximum(1, base_len + extra)
    outputs = {}
    for model, lengths in (("base", base_len), (candidate, cand_len)):
        store = GenerationStore(results.model_dir(EVAL_SET, model))
        outputs[model] = {
            pid: f"{model} says " + "x" * int(n) for pid, n in zip(prompts, lengths, strict=True)
        }
        for pid, text in outputs[model].items():
            store.append(Generation(prompt_id=pid, model=model, output=text, config_hash=config_hash))
    run = RunFolder(results.run_dir(EVAL_SET, "base", candidate, judge))
    manifest = RunManifest(
        eval_set=EVAL_SET,
        baseline=RunSide(name="base", config_hash=config_hash),
        candidate=RunSide(name=candidate, config_hash=config_hash),
        judge=RunJudge(name=judge),
        both_orders=True,
    )
    run.write_manifest(manifest)
    for i, pid in enumerate(prompts):
        logit = skill + (cand_len[i] - base_len[i]) / 200
        for order in ("baseline", "candidate"):
            u = rng.random()
            pref: float | None = 1.0 if u < 1 / (1 + np.exp(-logit)) else 0.0
            if u > 0.9:
                pref = 0.5
            if pid == "p08" or (pid == "p07" and order == "candidate"):
                pref = None
            run.add_judgment(
                Judgment(
                    prompt_id=pid,
                    baseline="base",
                    candidate=candidate,
                    judge=JudgeIdentity(name=judge),
                    first_shown=order,
                    verdict="unscored" if pref is None else "tie" if pref == 0.5 else "B>A",
                    preference=pref,
                    pair_hash=stable_hash([outputs["base"][pid], outputs[candidate][pid]]),
                )
            )
    return run


def expected_rate(run: RunFolder) -> tuple[int, float]:
    per_prompt: dict[str, list[float]] = {}
    for j in run.load_judgments():
        if j.preference is not None:
            per_prompt.setdefault(j.prompt_id, []).append(j.preference)
    return len(per_prompt), float(np.mean([np.mean(v) for v in per_prompt.values()]))


def expected_consistency(run: RunFolder) -> float:
    orders: dict[str, dict[str, float]] = {}
    for j in run.load_judgments():
        if j.preference is not None:
            orders.setdefault(j.prompt_id, {})[j.first_shown] = np.sign(j.preference - 0.5)
    both = [v for v in orders.values() if len(v) == 2]
    return sum(v["baseline"] == v["candidate"] for v in both) / len(both)


def test_run_folder(cli, tmp_path):
    run = make_run(tmp_path / "results", "cand", 0.3, seed=1)
    result = cli("stats", run.path, "--json", "--n-boot", "500", "--length-controlled")
    assert result.code == 0, result.err
    row = json.loads(result.out)
    assert isinstance(row, dict)
    assert REQUIRED | {"length_controlled_win_rate"} <= set(row)
    n, rate = expected_rate(run)
    assert (row["model"], row["baseline"], row["judge"], row["eval_set"]) == (
        "cand",
        "base",
        "mock-judge",
        EVAL_SET,
    )
    assert row["n_total"] == n == 39  # p08 has no scored judgment
    assert row["n_unscored"] == 3
    consistent = expected_consistency(run)
    assert row["position_consistency"] == pytest.approx(consistent) and 0.0 < consistent < 1.0
    assert row["win_rate"] == pytest.approx(rate)
    assert row["n_wins"] + row["n_losses"] + row["n_draws"] == n
    for key in ("win_rate", "discrete_win_rate", "ci_low", "ci_high", "length_controlled_win_rate"):
        assert 0.0 <= row[key] <= 1.0
    assert row["ci_low"] <= row["win_rate"] <= row["ci_high"]
    assert 0.0 < row["p_value"] <= 1.0
    # the same seed gives the same interval; another seed a different one
    again = json.loads(cli("stats", run.path, "--json", "--n-boot", "500", "--length-controlled").out)
    assert again == row
    other = json.loads(cli("stats", run.path, "--json", "--n-boot", "500", "--seed", "9").out)
    assert (other["ci_low"], other["ci_high"]) != (row["ci_low"], row["ci_high"])
    assert "length_controlled_win_rate" not in other


def test_run_folder_counts_exactly_what_compare_counts(cli, tmp_path):
    """Judgments of outputs the run no longer holds are left out, as in compare's summary, and
    with the same seed the interval is the same one compare reported."""
    from alpaca_bench.summary import summarize_run

    run = make_run(tmp_path / "results", "cand", 0.3, seed=2)
    before = json.loads(cli("stats", run.path, "--json", "--n-boot", "500").out)
    stale = run.load_judgments()[0].model_copy(
        update={"pair_hash": "outputs-since-replaced", "preference": 0.0}
    )
    assert run.add_judgment(stale)
    row = json.loads(cli("stats", run.path, "--json", "--n-boot", "500").out)
    assert row == before
    summary = summarize_run(run, n_boot=500, seed=0)
    assert (row["n_total"], row["n_wins"], row["n_losses"], row["n_draws"]) == (
        summary.n,
        summary.wins,
        summary.losses,
        summary.ties,
    )
    assert row["win_rate"] == pytest.approx(summary.win_rate)
    assert (row["ci_low"], row["ci_high"]) == (summary.ci.low, summary.ci.high)
    assert row["p_value"] == pytest.approx(summary.p_value)


def test_table_output(cli, tmp_path):
    run = make_run(tmp_path / "results", "cand", 0.3, seed=1)
    result = cli("stats", run.path, "--n-boot", "200", "--length-controlled")
    assert result.code == 0, result.err
    assert "cand" in result.out and "LC 95% CI" in result.out and "judge mock-judge" in result.out
    row = json.loads(cli("stats", run.path, "--n-boot", "200", "--length-controlled", "--json").out)
    figures = [
        f"{100 * row['win_rate']:.1f} ± {100 * row['standard_error']:.1f}",
        f"{100 * row['ci_low']:.1f}–{100 * row['ci_high']:.1f}",
        f"{row['n_wins']}/{row['n_losses']}/{row['n_draws']}",
        f"{100 * row['length_controlled_win_rate']:.1f}",
    ]
    for figure in figures:
        assert figure in result.out


def test_judgments_file_inside_and_outside_its_run(cli, tmp_path):
    run = make_run(tmp_path / "results", "cand", 0.3, seed=1)
    inside = json.loads(
        cli("stats", run.judgments.path, "--json", "--n-boot", "300", "--length-controlled").out
    )
    assert inside["length_controlled_win_rate"] is not None
    loose = tmp_path / "loose.jsonl"
    shutil.copy(run.judgments.path, loose)
    result = cli("stats", loose, "--json", "--n-boot", "300")
    assert result.code == 0, result.err
    row = json.loads(result.out)
    assert (row["win_rate"], row["ci_low"], row["n_total"]) == (inside["win_rate"], inside["ci_low"], 39)
    assert row["eval_set"] is None
    no_lengths = cli("stats", loose, "--length-controlled")
    assert no_lengths.code == 2
    assert "loose.jsonl" in no_lengths.err and "length" in no_lengths.err
    assert len(no_lengths.err.strip().splitlines()) == 1


def test_folder_of_runs_is_one_row_per_model_with_shared_difficulties(cli, tmp_path):
    root = tmp_path / "results"
    runs = [
        make_run(root, name, skill, seed)
        for seed, (name, skill) in enumerate([("a", -0.5), ("b", 0.0), ("c", 1.0)])
    ]
    make_run(root, "a", 0.0, seed=7, judge="other-judge")
    result = cli("stats", root, "--json", "--n-boot", "300", "--length-controlled", "--judge", "mock-judge")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [r["model"] for r in rows] == ["a", "b", "c"]
    assert {r["judge"] for r in rows} == {"mock-judge"}
    for row, run in zip(rows, runs, strict=True):
        assert row["win_rate"] == pytest.approx(expected_rate(run)[1])
        assert row["length_controlled_win_rate"] is not None
    everything = json.loads(cli("stats", root, "--json", "--n-boot", "100").out)
    assert sorted((r["model"], r["judge"]) for r in everything) == [
        ("a", "mock-judge"),
        ("a", "other-judge"),
        ("b", "mock-judge"),
        ("c", "mock-judge"),
    ]
    missing = cli("stats", root, "--judge", "gpt-9")
    assert missing.code == 2
    assert "gpt-9" in missing.err and "mock-judge" in missing.err


def test_exported_annotations_give_the_same_figures(cli, tmp_path):
    """alpaca-bench → AlpacaEval: the annotations file tells the same story as the run."""
    run = make_run(tmp_path / "results", "cand", 0.3, seed=3)
    manifest = run.manifest()
    judgments = run.load_judgments()
    prompts = {j.prompt_id: Prompt(id=j.prompt_id, instruction=f"task {j.prompt_id}") for j in judgments}
    outputs = [
        {p: g.output for p, g in run.outputs(side).items()}
        for side in (manifest.baseline, manifest.candidate)
    ]
    # AlpacaEval has one annotation per instruction: export the baseline-first order only
    first = [j for j in judgments if j.first_shown == "baseline"]
    path = tmp_path / "exported" / "annotations.json"
    write_annotations(path, judgments_to_annotations(first, prompts, *outputs))
    theirs = json.loads(cli("stats", path, "--format", "alpaca-eval", "--json", "--n-boot", "200").out)
    ours = [j.preference for j in first if j.preference is not None]
    assert theirs["n_total"] == len(ours)
    assert theirs["win_rate"] == pytest.approx(np.mean(ours))
    assert (theirs["model"], theirs["baseline"], theirs["judge"]) == ("cand", "base", "mock-judge")
    folder = cli("stats", path.parent, "--json", "--n-boot", "200", "--length-controlled")
    assert folder.code == 0, folder.err
    rows = json.loads(folder.out)
    assert isinstance(rows, list) and len(rows) == 1
    assert rows[0]["win_rate"] == theirs["win_rate"]


@pytest.mark.parametrize(
    ("make_input", "args", "needle"),
    [
        (lambda d: d / "nope.json", (), "nope.json: not found"),
        (lambda d: _write(d / "broken.json", "[{"), (), "broken.json: invalid JSON"),
        (
            lambda d: _write(
                d / "ann.json",
                json.dumps(
                    [
                        {
                            "instruction": "i",
                            "output_1": "a",
                            "output_2": "b",
                            "generator_1": "x",
                            "generator_2": "y",
                            "preference": 3,
                        }
                    ]
                ),
            ),
            (),
            "ann.json: row 1: preference 3",
        ),
        (lambda d: _write(d / "j.jsonl", '{"prompt_id": "p"}\n'), (), "j.jsonl:1: not a judgment"),
        (lambda d: _write(d / "empty" / "README.md", "hi").parent, (), "no judgments found"),
        (lambda d: _write(d / "list.json", "[1, 2]"), (), "list.json: row 1 is int"),
        (
            lambda d: _write(d / "j.jsonl", '{"prompt_id": "p"}\n'),
            ("--format", "alpaca-eval"),
            "missing field",
        ),
        (lambda d: _write(d / "scores.csv", "a,b\n1,2\n"), (), "scores.csv: cannot read .csv"),
    ],
    ids=[
        "missing",
        "bad-json",
        "bad-preference",
        "bad-judgment",
        "empty-folder",
        "not-objects",
        "wrong-format",
        "csv",
    ],
)
def test_bad_inputs_exit_2_with_one_line(cli, tmp_path, make_input, args, needle):
    path = make_input(tmp_path)
    result = cli("stats", path, *args)
    assert result.code == 2
    assert needle in result.err
    assert result.err.startswith("alpaca-bench: error: ")
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_run_folder_read_as_annotations_is_refused(cli, tmp_path):
    run = make_run(tmp_path / "results", "cand", 0.3, seed=1)
    result = cli("stats", run.path, "--format", "alpaca-eval")
    assert result.code == 2
    assert "not AlpacaEval annotations" in result.err


def test_bad_options_are_usage_errors(cli, tmp_path):
    assert cli("stats", tmp_path, "--n-boot", "0").code == 2
    assert cli("stats", tmp_path, "--format", "csv").code == 2
    assert cli("stats", tmp_path, "--seed", "-1").code == 2


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
