"""Arena-Hard-style scoring: exact Bradley–Terry scores and bootstrap intervals on constructed
battles, style control on a simulated length-loving judge, style counting, and the mapping from
judgment records to battles."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from alpaca_bench.records import JudgeIdentity, Judgment
from alpaca_bench.stats._arena import (
    ArenaResult,
    Battle,
    StyleFeatures,
    _prompt_draws,
    _style_matrix,
    arena_scores,
    battles_from_judgments,
    style_features,
)

BASE = "gpt-4-0314"

# ten prompts, one battle each: (outcome, strong)
TEN = [
    (1.0, True),
    (1.0, False),
    (0.0, False),
    (0.5, False),
    (1.0, False),
    (0.0, True),
    (1.0, True),
    (0.5, False),
    (0.0, False),
    (1.0, False),
]


def rate(battles: Sequence[Battle], strong_weight: float) -> float:
    weight = np.array([strong_weight if b.strong else 1.0 for b in battles])
    outcome = np.array([b.outcome for b in battles])
    return float(weight @ outcome / weight.sum())


def row(result: ArenaResult, model: str):
    (found,) = [r for r in result.rows if r.model == model]
    return found


def ten_battles(model: str = "m") -> list[Battle]:
    return [Battle(f"p{i}", model, outcome, strong) for i, (outcome, strong) in enumerate(TEN)]


# --- exact scores -----------------------------------------------------------------------------


@pytest.mark.parametrize("strong_weight", [3.0, 1.0, 2.5])
def test_one_model_scores_its_weighted_win_rate(strong_weight):
    battles = ten_battles()
    result = arena_scores(battles, BASE, strong_weight=strong_weight, n_boot=5)
    expected = rate(battles, strong_weight)
    # 3 strong battles (two wins, one loss): weighted 3 → (3+1+0.5+1+3+0.5+1)/16; plain → 6/10
    assert expected == pytest.approx({3.0: 10 / 16, 1.0: 6 / 10}.get(strong_weight, expected))
    assert abs(row(result, "m").score - expected) < 1e-9
    assert result.strong_weight == strong_weight


def test_strong_weight_changes_the_score():
    battles = ten_battles()
    weighted = row(arena_scores(battles, BASE, n_boot=2), "m").score
    plain = row(arena_scores(battles, BASE, strong_weight=1.0, n_boot=2), "m").score
    assert weighted == pytest.approx(0.625, abs=1e-9)
    assert plain == pytest.approx(0.6, abs=1e-9)


def test_several_models_fitted_jointly_each_score_their_own_rate():
    rng = np.random.default_rng(3)
    battles = []
    for model, p_win in [("good", 0.8), ("even", 0.5), ("bad", 0.25)]:
        for i in range(30):
            for _order in range(2):
                outcome = float(rng.choice([0.0, 0.5, 1.0], p=[0.9 * (1 - p_win), 0.1, 0.9 * p_win]))
                battles.append(Battle(f"p{i}", model, outcome, bool(rng.random() < 0.3)))
    result = arena_scores(battles, BASE, n_boot=10)
    for model in ("good", "even", "bad"):
        mine = [b for b in battles if b.model == model]
        assert abs(row(result, model).score - rate(mine, 3.0)) < 1e-9
        assert row(result, model).n_battles == 60
        assert row(result, model).n_prompts == 30
    scores = [r.score for r in result.rows]
    assert scores == sorted(scores, reverse=True)  # best first
    assert [r.model for r in result.rows][:1] == ["good"]
    base = row(result, BASE)
    assert base.is_baseline and (base.score, base.low, base.high) == (0.5, 0.5, 0.5)
    assert base.n_battles == len(battles) and base.n_prompts == 30
    assert result.style_coefficients == {}


def test_a_model_that_won_everything_stays_finite_and_leaves_the_others_exact():
    battles = [Battle(f"p{i}", "champ", 1.0) for i in range(10)] + ten_battles("m")
    result = arena_scores(battles, BASE, n_boot=20)
    champ = row(result, "champ")
    assert 0.99 < champ.score < 1.0
    assert 0.99 < champ.low <= champ.high < 1.0
    assert abs(row(result, "m").score - rate(ten_battles(), 3.0)) < 1e-9
    loser = arena_scores([Battle(f"p{i}", "dud", 0.0) for i in range(10)], BASE, n_boot=3)
    assert 0.0 < row(loser, "dud").score < 0.01


def test_a_model_missing_from_a_resample_is_left_out_of_that_round():
    # "rare" battled on p0 only (a win and a tie): 3/4 whenever p0 is drawn, absent otherwise
    battles = [*ten_battles("m"), Battle("p0", "rare", 1.0), Battle("p0", "rare", 0.5)]
    result = arena_scores(battles, BASE, n_boot=50, seed=1)
    rare = row(result, "rare")
    assert rare.score == pytest.approx(0.75, abs=1e-9)
    assert rare.low == pytest.approx(0.75, abs=1e-9) and rare.high == pytest.approx(0.75, abs=1e-9)
    assert rare.n_prompts == 1 and rare.n_battles == 2


# --- intervals ----------------------------------------------------------------------------------


def test_same_outcome_mix_on_every_prompt_gives_a_point_interval():
    # every prompt: a strong win and a plain loss in the two orders → 3/4 in every resample
    battles = [Battle(f"p{i}", "m", 1.0, strong=True) for i in range(20)]
    battles += [Battle(f"p{i}", "m", 0.0) for i in range(20)]
    result = arena_scores(battles, BASE, n_boot=30)
    m = row(result, "m")
    assert m.score == pytest.approx(0.75, abs=1e-12)
    assert m.low == pytest.approx(0.75, abs=1e-12) and m.high == pytest.approx(0.75, abs=1e-12)


def mixed_battles(n_prompts: int = 40, seed: int = 5) -> list[Battle]:
    """Two models, two battles per prompt each: a tie and a random verdict (strong now and then),
    so no resample can make a model win or lose everything."""
    rng = np.random.default_rng(seed)
    battles = []
    for model in ("x", "y"):
        for i in range(n_prompts):
            battles.append(Battle(f"q{i:02d}", model, 0.5))
            battles.append(
                Battle(f"q{i:02d}", model, float(rng.integers(0, 2)), strong=bool(rng.random() < 0.4))
            )
    return battles


@pytest.mark.parametrize("level", [0.95, 0.8])
def test_interval_is_the_percentile_interval_of_the_prompt_resamples(level):
    """Without style control each model's score in a round is its weighted win rate over the
    drawn prompts (the MLE in closed form), so the interval can be rebuilt from the same draws:
    `_prompt_draws` with the same seed, indices into the sorted prompt ids."""
    battles = mixed_battles()
    n_boot, seed = 200, 11
    result = arena_scores(battles, BASE, n_boot=n_boot, level=level, seed=seed)
    prompts = sorted({b.prompt_id for b in battles})
    draws = _prompt_draws(np.random.default_rng(seed), len(prompts), n_boot)
    tail = (1 - level) / 2
    for model in ("x", "y"):
        wins, totals = np.zeros(len(prompts)), np.zeros(len(prompts))
        for b in battles:
            if b.model == model:
                weight = 3.0 if b.strong else 1.0
                wins[prompts.index(b.prompt_id)] += weight * b.outcome
                totals[prompts.index(b.prompt_id)] += weight
        counts = np.stack([np.bincount(d, minlength=len(prompts)) for d in draws])
        rates = (counts @ wins) / (counts @ totals)
        low, high = np.quantile(rates, [tail, 1 - tail])
        got = row(result, model)
        assert got.low == pytest.approx(low, abs=1e-10)
        assert got.high == pytest.approx(high, abs=1e-10)
        assert got.low < got.score < got.high
        assert got.score == pytest.approx(wins.sum() / totals.sum(), abs=1e-12)


def test_an_integer_seed_and_a_generator_give_the_same_result():
    battles = mixed_battles()
    by_int = arena_scores(battles, BASE, n_boot=40, seed=7)
    by_generator = arena_scores(battles, BASE, n_boot=40, seed=np.random.default_rng(7))
    other = arena_scores(battles, BASE, n_boot=40, seed=8)
    assert by_int == by_generator
    assert row(by_int, "x").low != row(other, "x").low or row(by_int, "x").high != row(other, "x").high


def row_bootstrap(battles: Sequence[Battle], n_boot: int, level: float, seed: int) -> tuple[float, float]:
    """What a bootstrap over battle rows (not prompts) would give for one model's win rate."""
    outcome = np.array([b.outcome for b in battles])
    weight = np.array([3.0 if b.strong else 1.0 for b in battles])
    draws = np.random.default_rng(seed).integers(0, len(battles), size=(n_boot, len(battles)))
    rates = (weight * outcome)[draws].sum(axis=1) / weight[draws].sum(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(rates, [tail, 1 - tail])
    return float(low), float(high)


def test_the_interval_is_over_prompts_so_judging_each_prompt_twice_does_not_narrow_it():
    rng = np.random.default_rng(2)
    once = [Battle(f"p{i}", "m", float(rng.random() < 0.6), bool(rng.random() < 0.2)) for i in range(60)]
    twice = once + once  # every prompt judged again with the same verdicts
    n_boot, seed = 300, 4
    single = row(arena_scores(once, BASE, n_boot=n_boot, seed=seed), "m")
    double = row(arena_scores(twice, BASE, n_boot=n_boot, seed=seed), "m")
    assert double.score == pytest.approx(single.score, abs=1e-12)
    assert double.low == pytest.approx(single.low, abs=1e-12)
    assert double.high == pytest.approx(single.high, abs=1e-12)
    assert double.n_battles == 2 * single.n_battles and double.n_prompts == single.n_prompts
    rows_once = row_bootstrap(once, n_boot, 0.95, seed)
    rows_twice = row_bootstrap(twice, n_boot, 0.95, seed)
    width = single.high - single.low
    assert rows_once[1] - rows_once[0] > 0.8 * width  # one battle per prompt: rows are prompts
    assert rows_twice[1] - rows_twice[0] < 0.85 * width  # a row bootstrap is fooled by the copies


def test_the_result_is_labelled_with_its_level_and_a_lower_level_is_narrower():
    battles = mixed_battles()
    wide = arena_scores(battles, BASE, n_boot=200, seed=3)
    narrow = arena_scores(battles, BASE, n_boot=200, level=0.9, seed=3)
    assert wide.level == 0.95 and "95%" in wide.label()
    assert wide.label() == "95% CI, bootstrap over prompts (200 resamples)"
    assert narrow.level == 0.9 and "90%" in narrow.label() and "95%" not in narrow.label()
    assert wide.method == "bootstrap over prompts (percentile)"
    for model in ("x", "y"):
        w, n = row(wide, model), row(narrow, model)
        assert w.low <= n.low and n.high <= w.high
        assert n.high - n.low < w.high - w.low
    assert arena_scores(battles, BASE, n_boot=5, level=0.975).label().startswith("97.5% CI")


def test_to_dict_is_json_and_carries_the_label():
    result = arena_scores(ten_battles(), BASE, n_boot=10)
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["label"] == result.label()
    assert payload["baseline"] == BASE and payload["level"] == 0.95 and payload["n_boot"] == 10
    assert [r["model"] for r in payload["rows"]] == [r.model for r in result.rows]
    assert payload["rows"][0]["score"] == result.rows[0].score
    assert payload["style_control"] is False and payload["style_coefficients"] == {}


# --- style control ------------------------------------------------------------------------------

LENGTHS = {"short": 100, "medium": 200, "long": 400}


def simulate_length_judge(seed: int, quality: dict[str, float] | None = None, n_prompts: int = 500):
    """Three models of equal quality (unless `quality` gives a logit bonus) whose answers differ
    only in length (log-normal noise around 100/200/400 words) against a 200-word baseline. The
    judge, asked in both orders, prefers the longer answer: P(model wins) = sigmoid(4 · (m − b) /
    (m + b) + bonus), with 10% ties. List and bold counts are noise the judge ignores."""
    rng = np.random.default_rng(seed)
    bonus = quality or {}
    battles = []
    for i in range(n_prompts):
        base_len = max(1, round(200 * np.exp(rng.normal(0.0, 0.35))))
        base = StyleFeatures(base_len, 0, int(rng.poisson(2)), int(rng.poisson(1)))
        for model, mean in LENGTHS.items():
            length = max(1, round(mean * np.exp(rng.normal(0.0, 0.35))))
            ours = StyleFeatures(length, 0, int(rng.poisson(2)), int(rng.poisson(1)))
            logit = 4.0 * (length - base_len) / (length + base_len) + bonus.get(model, 0.0)
            for _order in range(2):
                outcome = float(rng.random() < 1.0 / (1.0 + np.exp(-logit)))
                if rng.random() < 0.1:
                    outcome = 0.5
                battles.append(Battle(f"p{i:03d}", model, outcome, False, ours, base))
    return battles


def test_style_control_removes_a_pure_length_preference():
    battles = simulate_length_judge(seed=1)
    raw = arena_scores(battles, BASE, n_boot=50)
    controlled = arena_scores(battles, BASE, n_boot=50, style_control=True)
    assert row(raw, "long").score > 0.6 and row(raw, "short").score < 0.4
    for model in LENGTHS:
        got = row(controlled, model)
        assert abs(got.score - 0.5) < 0.05, model
        assert got.low < 0.5 < got.high, model
    assert controlled.style_control is True
    assert set(controlled.style_coefficients) == {"tokens", "headers", "lists", "bold"}
    assert controlled.style_coefficients["tokens"] > 0.5
    assert controlled.style_coefficients["headers"] == 0.0  # no answer has a header: no spread
    assert (
        abs(controlled.style_coefficients["lists"]) < 0.2 and abs(controlled.style_coefficients["bold"]) < 0.2
    )


def test_a_better_model_at_equal_length_keeps_its_advantage_under_style_control():
    battles = simulate_length_judge(seed=2, quality={"medium": 1.0})
    raw = row(arena_scores(battles, BASE, n_boot=30), "medium")
    controlled = arena_scores(battles, BASE, n_boot=30, style_control=True)
    medium = row(controlled, "medium")
    assert raw.score > 0.65
    assert medium.score > 0.65 and medium.low > 0.55
    assert abs(medium.score - raw.score) < 0.05
    assert controlled.rows[0].model == "medium"
    assert abs(row(controlled, "long").score - 0.5) < 0.06


def test_style_columns_are_normalised_differences_standardised_over_battles():
    def battle(model_tokens: int, base_tokens: int, model_bold: int, base_bold: int) -> Battle:
        return Battle(
            "p",
            "m",
            1.0,
            model_style=StyleFeatures(model_tokens, 2, 0, model_bold),
            baseline_style=StyleFeatures(base_tokens, 2, 0, base_bold),
        )

    battles = [battle(30, 10, 0, 0), battle(10, 10, 3, 1), battle(20, 20, 2, 1)]
    matrix = _style_matrix(battles)
    tokens = np.array([0.5, 0.0, 0.0])  # (30-10)/40, equal, equal
    bold = np.array([0.0, 0.5, 1 / 3])  # both 0 → 0; (3-1)/4; (2-1)/3
    assert matrix[:, 0] == pytest.approx(tokens / tokens.std())  # scaled, not centred: 0 = same style
    assert matrix[:, 3] == pytest.approx(bold / bold.std())
    assert np.all(matrix[:, 1] == 0.0) and np.all(matrix[:, 2] == 0.0)  # no spread, both-zero
    assert matrix[:, 0].std() == pytest.approx(1.0) and matrix[:, 0].mean() != pytest.approx(0.0)


def test_style_control_needs_the_features_of_every_battle():
    battles = simulate_length_judge(seed=0, n_prompts=5)
    battles.append(Battle("p999", "short", 1.0, model_style=StyleFeatures(5)))
    with pytest.raises(ValueError, match=r"features of both sides.*1 of 31.*'p999'"):
        arena_scores(battles, BASE, style_control=True, n_boot=2)
    assert row(arena_scores(battles, BASE, n_boot=2), "short").n_battles == 11  # fine without


# --- style features -------------------------------------------------------------------------------


def test_style_features_count_markdown_outside_code_fences():
    text = "\n".join(
        [
            "# Title",
            "Some **bold** and __also bold__ words, and `__init__` in code.",
            "## Steps",
            "1. first with **one** and **two**",
            "  2. second, indented",
            "- dash item",
            "  * star item",
            "+ plus item",
            "####### seven hashes is no header",
            "#hashtag is no header",
            "**not a list** and 2 ** 3 ** 4 is not bold",
            "---",
            "```python",
            "# a comment, no header",
            "- not a list",
            "**not bold**",
            "```",
            "### After the fence",
        ]
    )
    features = style_features(text)
    assert features == StyleFeatures(tokens=len(text.split()), headers=3, lists=5, bold=5)


def test_an_unclosed_fence_hides_the_rest_and_plain_text_has_no_markdown():
    assert style_features("intro\n```\n# hidden\n- hidden") == StyleFeatures(6, 0, 0, 0)
    assert style_features("just three words") == StyleFeatures(3, 0, 0, 0)
    assert style_features("") == StyleFeatures(0, 0, 0, 0)
    with pytest.raises(ValueError, match="non-negative"):
        StyleFeatures(-1)


# --- judgments to battles -------------------------------------------------------------------------


def judgment(verdict: str, first_shown: str, preference: float | None, **fields) -> Judgment:
    values = {"prompt_id": "p1", "baseline": BASE, "candidate": "m", **fields}
    return Judgment(
        judge=JudgeIdentity(name="judge"),
        verdict=verdict,
        first_shown=first_shown,
        preference=preference,
        **values,
    )


@pytest.mark.parametrize(
    ("verdict", "first_shown", "preference", "outcome", "strong"),
    [
        ("B>>A", "baseline", 1.0, 1.0, True),  # candidate shown second (B) wins strongly
        ("B>A", "baseline", 1.0, 1.0, False),
        ("A>B", "baseline", 0.0, 0.0, False),
        ("A>>B", "baseline", 0.0, 0.0, True),
        ("A>>B", "candidate", 1.0, 1.0, True),  # candidate shown first (A) wins strongly
        ("A>B", "candidate", 1.0, 1.0, False),
        ("B>A", "candidate", 0.0, 0.0, False),
        ("B>>A", "candidate", 0.0, 0.0, True),
        ("tie", "candidate", 0.5, 0.5, False),
        ("tie", "baseline", 0.5, 0.5, False),
    ],
)
def test_positional_verdicts_become_the_models_outcome(verdict, first_shown, preference, outcome, strong):
    (battle,) = battles_from_judgments([judgment(verdict, first_shown, preference)], BASE)
    assert battle == Battle("p1", "m", outcome, strong)


@pytest.mark.parametrize(
    ("verdict", "first_shown", "outcome"),
    [
        ("A>>B", "baseline", 1.0),
        ("B>A", "baseline", 0.0),
        ("B>>A", "candidate", 1.0),
        ("A>B", "candidate", 0.0),
    ],
)
def test_a_judgment_with_the_baseline_as_candidate_is_turned_round(verdict, first_shown, outcome):
    # the record's baseline side is model "m"; its candidate is our baseline
    p_b = 1.0 if verdict.startswith("B") else 0.0
    preference = p_b if first_shown == "baseline" else 1.0 - p_b
    record = judgment(verdict, first_shown, preference, baseline="m", candidate=BASE)
    (battle,) = battles_from_judgments([record], BASE)
    assert battle.model == "m"
    assert battle.outcome == outcome
    assert battle.strong == (">>" in verdict)


def test_unscored_judgments_are_skipped_and_styles_are_attached():
    styles = {("m", "p1"): StyleFeatures(40, 1), (BASE, "p1"): StyleFeatures(20)}
    records = [
        judgment("unscored", "baseline", None),
        judgment("B>A", "baseline", 1.0),
        judgment("tie", "candidate", 0.5, prompt_id="p2"),
    ]
    battles = battles_from_judgments(records, BASE, styles)
    assert len(battles) == 2
    assert battles[0].model_style == StyleFeatures(40, 1) and battles[0].baseline_style == StyleFeatures(20)
    assert (
        battles[1].prompt_id == "p2" and battles[1].model_style is None and battles[1].baseline_style is None
    )
    assert battles_from_judgments([judgment("unscored", "baseline", None)], BASE) == []


def test_judgments_without_the_baseline_or_contradicting_their_preference_are_errors():
    with pytest.raises(ValueError, match="neither is the baseline"):
        battles_from_judgments([judgment("tie", "baseline", 0.5, baseline="x", candidate="y")], BASE)
    with pytest.raises(ValueError, match="with itself"):
        battles_from_judgments([judgment("tie", "baseline", 0.5, baseline=BASE, candidate=BASE)], BASE)
    with pytest.raises(ValueError, match="contradicts"):
        battles_from_judgments([judgment("A>B", "baseline", 1.0)], BASE)


def test_judgments_flow_into_scores():
    records = [
        judgment("B>>A", "baseline", 1.0, prompt_id=f"p{i}")
        if i % 3
        else judgment("A>B", "candidate", 1.0, prompt_id=f"p{i}")
        for i in range(9)
    ] + [judgment("B>A", "candidate", 0.0, prompt_id=f"p{i}") for i in range(9)]
    result = arena_scores(battles_from_judgments(records, BASE), BASE, n_boot=5)
    # 6 strong wins (weight 3), 3 plain wins, 9 plain losses
    assert row(result, "m").score == pytest.approx(21 / 30, abs=1e-9)


# --- bad inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("battles", "options", "message"),
    [
        ([], {}, "no battles"),
        (ten_battles(), {"level": 1.0}, "confidence level"),
        (ten_battles(), {"level": 0.0}, "confidence level"),
        (ten_battles(), {"n_boot": 0}, "n_boot must be at least 1"),
        (ten_battles(), {"strong_weight": 0.0}, "strong_weight"),
        (ten_battles(), {"strong_weight": float("nan")}, "strong_weight"),
        (ten_battles(BASE), {}, "against itself"),
        ([Battle("p", "m", 1.5)], {}, r"outcome must lie in \[0, 1\]"),
        ([Battle("p", "m", float("nan"))], {}, "outcome"),
        (ten_battles(), {"style_control": True}, "features of both sides"),
    ],
)
def test_bad_inputs_say_what_is_wrong(battles, options, message):
    with pytest.raises(ValueError, match=message):
        arena_scores(battles, BASE, **{"n_boot": 2, **options})
