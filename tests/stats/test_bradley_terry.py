"""Bradley–Terry ratings recover known strengths; intervals and ranks behave."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from alpaca_bench.records import JudgeIdentity, Judgment
from alpaca_bench.stats import bradley_terry, bradley_terry_from_judgments


def simulate(rng, strengths, n_prompts, ties=0.1):
    """Every model meets a random opponent on every prompt; the judge follows Bradley–Terry and
    calls a tie now and then (an uninformative half)."""
    m = strengths.size
    a = np.repeat(np.arange(m), n_prompts)
    b = (a + rng.integers(1, m, a.size)) % m
    prompts = np.tile(np.arange(n_prompts), m)
    p_b = 1.0 / (1.0 + np.exp(-(strengths[b] - strengths[a])))
    pref = (rng.random(a.size) < p_b).astype(float)
    pref[rng.random(a.size) < ties] = 0.5
    return a, b, pref, prompts


@pytest.mark.parametrize("ties", [0.1, 0.0])
def test_recovers_known_strengths_of_twenty_models(ties):
    rng = np.random.default_rng(0)
    strengths = rng.normal(0.0, 1.0, 20)
    a, b, pref, prompts = simulate(rng, strengths, 400, ties=ties)
    names = [f"model-{i}" for i in range(20)]
    result = bradley_terry(a, b, pref, prompts, names, np.random.default_rng(1), n_boot=50)
    assert spearmanr(result.ratings, strengths)[0] >= 0.95
    assert result.ratings[0] == 0.0  # anchored on the first model
    if ties:
        return  # ties as half shrink the scale, so only the order is comparable
    truth = strengths - strengths[0]
    assert np.max(np.abs(result.ratings - truth)) < 0.35
    assert np.all(result.ci_low <= result.ratings) and np.all(result.ratings <= result.ci_high)
    assert np.mean((result.ci_low <= truth) & (truth <= result.ci_high)) >= 0.8


def test_maximum_likelihood_with_ties_as_half_matches_the_closed_form_for_two_models():
    # Two models: the MLE of r_b - r_a is the log-odds of b's share (ties count half each way).
    pref = np.array([1.0] * 30 + [0.0] * 10 + [0.5] * 20)
    n = pref.size
    result = bradley_terry(
        np.zeros(n, int),
        np.ones(n, int),
        pref,
        np.arange(n),
        ["a", "b"],
        np.random.default_rng(0),
        n_boot=0,
        ridge=0.0,
    )
    share = 40 / 60
    assert result.ratings[1] == pytest.approx(np.log(share / (1 - share)), abs=1e-8)


def test_anchor_and_scale():
    rng = np.random.default_rng(2)
    strengths = np.array([0.0, 1.0, -1.0])
    a, b, pref, prompts = simulate(rng, strengths, 300)
    names = ["base", "strong", "weak"]
    plain = bradley_terry(a, b, pref, prompts, names, np.random.default_rng(0), n_boot=0)
    elo = bradley_terry(
        a,
        b,
        pref,
        prompts,
        names,
        np.random.default_rng(0),
        n_boot=0,
        anchor="weak",
        anchor_rating=1000,
        scale=400 / np.log(10),
    )
    assert elo.ratings[2] == 1000
    np.testing.assert_allclose(
        elo.ratings - 1000, (plain.ratings - plain.ratings[2]) * 400 / np.log(10), atol=1e-6
    )


def test_rank_counts_only_significantly_better_models():
    rng = np.random.default_rng(4)
    strengths = np.array([2.0, 0.0, 0.02, -2.0])  # two clear ends, a near-tie in the middle
    a, b, pref, prompts = simulate(rng, strengths, 400)
    result = bradley_terry(a, b, pref, prompts, ["top", "mid1", "mid2", "bottom"], np.random.default_rng(0))
    assert result.rank.tolist() == [1, 2, 2, 4]
    rows = result.rows()
    assert (rows[0]["model"], rows[-1]["model"]) == ("top", "bottom")


def test_from_judgment_records_skips_unscored():
    judgments = []
    for i in range(30):
        for candidate, pref in (("good", 1.0 if i % 4 else 0.0), ("bad", 0.0 if i % 4 else 1.0)):
            judgments.append(
                Judgment(
                    prompt_id=f"p{i}",
                    baseline="base",
                    candidate=candidate,
                    judge=JudgeIdentity(name="j"),
                    first_shown="baseline",
                    verdict="B>A" if pref else "A>B",
                    preference=pref,
                )
            )
    judgments.append(judgments[0].model_copy(update={"preference": None, "verdict": "unscored"}))
    result = bradley_terry_from_judgments(judgments, np.random.default_rng(0), n_boot=30, anchor="base")
    assert result.names == ["bad", "base", "good"]
    assert result.ratings[2] > 0 > result.ratings[0]
    assert result.rank.tolist() == [3, 2, 1]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="itself"):
        bradley_terry([0], [0], [1.0], [0], ["a"], np.random.default_rng(0))
    with pytest.raises(ValueError, match="point into names"):
        bradley_terry([0], [2], [1.0], [0], ["a", "b"], np.random.default_rng(0))
    with pytest.raises(ValueError, match="anchor"):
        bradley_terry([0], [1], [1.0], [0], ["a", "b"], np.random.default_rng(0), anchor="c")
