"""`build_synthetic_results` writes a folder the leaderboard reads as it reads `compare`'s:
one comparison per candidate against the first model, summaries trusted as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpaca_bench.leaderboard import IndexSettings, ResultsIndex
from alpaca_bench.records import ComparisonSummary
from alpaca_bench.testing import build_synthetic_results

N_MODELS, N_PROMPTS, N_BOOT = 6, 40, 200


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("synthetic") / "results"
    return root, build_synthetic_results(root, N_MODELS, N_PROMPTS, n_boot=N_BOOT)


def test_the_index_sees_every_comparison_against_the_first_model(built):
    root, names = built
    index = ResultsIndex.load(root)
    assert not index.problems
    assert len(names) == len(set(names)) == N_MODELS
    assert len(index.comparisons) == N_MODELS - 1
    assert {c.baseline for c in index.comparisons} == {names[0]}
    assert sorted(c.candidate for c in index.comparisons) == sorted(names[1:])
    assert index.eval_sets() == ["bench-805"] and index.judges("bench-805") == ["synthetic-judge"]
    for c in index.comparisons:
        assert c.from_disk, f"{c.label}: summary on disk not trusted"
        assert c.summary.n == c.summary.n_prompts == c.summary.n_judgments == N_PROMPTS
        assert c.summary.n_boot == N_BOOT
        assert c.summary.judge_calls == N_PROMPTS  # as compare writes it: what was asked of the judge
        assert len(c.baseline_outputs) == len(c.candidate_outputs) == N_PROMPTS
    rows = index.leaderboard("bench-805", "synthetic-judge", names[0])
    assert {row["model"] for row in rows} == set(names)


def test_summaries_on_disk_are_what_the_index_would_compute(built):
    root, _ = built
    fresh = ResultsIndex.load(root, IndexSettings(trust_summaries=False, n_boot=N_BOOT))
    stored = {c.key: c.summary for c in ResultsIndex.load(root).comparisons}
    assert not any(c.from_disk for c in fresh.comparisons)
    for c in fresh.comparisons:
        assert c.summary.win_rate == stored[c.key].win_rate
        assert c.summary.ci == stored[c.key].ci
        assert c.summary.per_category == stored[c.key].per_category != {}  # the manifest finds the prompts
        assert (c.summary.wins, c.summary.losses, c.summary.ties) == (
            stored[c.key].wins,
            stored[c.key].losses,
            stored[c.key].ties,
        )


def test_deterministic_for_a_seed_with_real_looking_names(built, tmp_path):
    root, names = built
    again = build_synthetic_results(tmp_path / "again", N_MODELS, N_PROMPTS, n_boot=N_BOOT)
    assert again == names
    for run in sorted(root.glob("bench-805/*__vs__*/synthetic-judge/summary.json")):
        twin = tmp_path / "again" / run.relative_to(root)
        first, second = (ComparisonSummary.model_validate_json(p.read_bytes()) for p in (run, twin))
        assert first.model_dump(exclude={"created_at"}) == second.model_dump(exclude={"created_at"})
    assert names[0].startswith("gpt-4-turbo") and "alpaca-7b-05" in names
    assert max(map(len, names)) - min(map(len, names)) >= 10  # long labels beside short ones
    with pytest.raises(ValueError):
        build_synthetic_results(tmp_path / "none", 1, N_PROMPTS)
