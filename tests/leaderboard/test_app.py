"""Every page of the Streamlit app, run headless with streamlit.testing's AppTest on a results
folder made by the real library."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lb_data import LLM_JUDGE, PAYLOAD
from streamlit.testing.v1 import AppTest

from alpaca_bench.files import JsonlLog
from alpaca_bench.leaderboard import ResultsIndex, app_path, app_settings
from alpaca_bench.records import ComparisonSummary, Judgment

pytest_plugins = ["lb_fixtures"]
TIMEOUT = 120


@pytest.fixture
def app(lb_results: Path, lb_env, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(lb_results))
    return AppTest.from_file(str(app_path()), default_timeout=TIMEOUT)


def _open(app, page: str):
    app.run()
    if page != "Leaderboard":
        app.sidebar.radio(key="page").set_value(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _charts(app) -> list:
    return app.get("vega_lite_chart") + app.get("arrow_vega_lite_chart")


def _summary(lb_runs: dict[str, Path], key: str) -> ComparisonSummary:
    return ComparisonSummary.model_validate_json((lb_runs[key] / "summary.json").read_text())


def test_leaderboard_table_chart_and_download(app, lb_runs):
    _open(app, "Leaderboard")
    assert app.selectbox(key="lb_judge").value == "rouge"  # the judge with most comparisons
    assert app.selectbox(key="lb_baseline").value == "a"
    table = app.dataframe[0].value
    assert set(table["model"]) == {"b", "c", "evil"}
    for _, row in table.iterrows():
        summary = _summary(lb_runs, f"a/{row['model']}/rouge")
        assert row["win_rate"] == pytest.approx(100 * summary.win_rate)
        assert row["ci_low"] == pytest.approx(100 * summary.ci.low)
        assert row["n"] == summary.n and row["ties"] == summary.ties
    assert list(table["win_rate"]) == sorted(table["win_rate"], reverse=True)
    assert table["lc_win_rate"].notna().all() and table["rating"].notna().all()
    assert len(_charts(app)) == 1
    assert app.get("download_button")


def test_leaderboard_other_judges_and_all_model_ratings(app):
    _open(app, "Leaderboard")
    app.selectbox(key="lb_judge").select("human").run()
    (row,) = app.dataframe[0].value.to_dict("records")
    assert row["model"] == "b" and row["n"] == 6
    app.selectbox(key="lb_judge").select("rouge").run()
    app.selectbox(key="lb_baseline").select("All models (Bradley–Terry ratings)").run()
    assert not app.exception
    ratings = app.dataframe[0].value
    assert set(ratings["model"]) == {"a", "b", "c", "evil"}
    assert ratings.loc[ratings["model"] == "a", "rating"].item() == pytest.approx(1000.0)


def test_head_to_head(app, lb_runs):
    _open(app, "Head-to-head")
    matrix = app.dataframe[0].value
    b_vs_a = 100 * _summary(lb_runs, "a/b/rouge").win_rate
    assert matrix.loc["b", "a"] == pytest.approx(b_vs_a)
    assert matrix.loc["a", "b"] == pytest.approx(100 - b_vs_a)
    assert matrix.loc["c", "b"] == pytest.approx(100 * _summary(lb_runs, "b/c/rouge").win_rate)
    assert len(_charts(app)) == 1


def _texts(app) -> list[str]:
    return [t.value for t in app.text]


def _markdown(app) -> list[str]:
    return [
        str(e.value)
        for kind in ("markdown", "caption", "title", "header", "subheader")
        for e in app.get(kind)
    ]


def test_explorer_shows_untrusted_output_as_text(app):
    app.query_params["comparison"] = "demo/a__vs__evil/rouge#rouge"
    _open(app, "Explorer")
    assert app.selectbox(key="ex_comparison").value == "demo/a__vs__evil/rouge#rouge"
    assert _texts(app).count(PAYLOAD) == 10  # the first page of prompts, verbatim, as plain text
    assert not any("<script" in text or "<img" in text for text in _markdown(app))
    assert any(text.startswith("⚠ flagged: candidate: prompt-independent") for text in _texts(app))
    app.radio(key="ex_flagged").set_value("not flagged").run()
    assert "0 of 20 prompts match." in _markdown(app)


def test_explorer_filters_and_human_ratings(app):
    app.query_params["comparison"] = "demo/a__vs__b/rouge#rouge"
    _open(app, "Explorer")
    assert "20 of 20 prompts match." in _markdown(app)
    rated = app.dataframe  # people's ratings of the pairs on this page
    assert rated and all(set(frame.value["rater"]) <= {"alice", "bob"} for frame in rated)
    app.text_input(key="ex_search").input("houseplant").run()
    assert "1 of 20 prompts match." in _markdown(app)
    assert "Give three tips for keeping a houseplant healthy." in _texts(app)
    app.text_input(key="ex_search").input("").run()
    app.multiselect(key="ex_outcomes").select("tie").run()
    (caption,) = [m for m in _markdown(app) if m.endswith("prompts match.")]
    index = ResultsIndex.load(Path(app_settings([]).results))
    ties = [j for j in index.comparison("demo/a__vs__b/rouge#rouge").judgments if j.preference == 0.5]
    assert caption == f"{len(ties)} of 20 prompts match."


def test_judges_page(app):
    _open(app, "Judges")
    agreement, consistency = (frame.value for frame in app.dataframe)
    assert {"judge–human", "judge–judge", "human–human"} <= set(agreement["kind"])
    consistency = consistency.set_index("judge")
    assert consistency.loc[f"{LLM_JUDGE}-pairwise", "position_consistency"] == pytest.approx(1.0)
    assert len(_charts(app)) == 1


def test_battle_page_stores_a_vote_as_a_human_judgment(lb_env, lb_battle_config, tmp_path, monkeypatch):
    results = tmp_path / "results"
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(results))
    monkeypatch.setenv("ALPACA_BENCH_BATTLE_CONFIG", str(lb_battle_config))
    app = _open(AppTest.from_file(str(app_path()), default_timeout=TIMEOUT), "Battle")
    app.text_input(key="battle_rater").input("tester-1")
    app.text_area(key="battle_prompt").input("Suggest a name for a cat.")
    app.button(key="battle_go").click().run()
    assert not app.exception
    battle = app.session_state["battle"]
    answers = [battle.outputs[name].output for name in battle.shown]
    assert all(answer in _texts(app) for answer in answers)
    assert not any(name in text for name in ("alpha", "beta") for text in _texts(app) + _markdown(app))
    app.button(key="vote_B").click().run()
    assert not app.exception
    (vote,) = JsonlLog(results / "battle" / "alpha__vs__beta" / "human" / "judgments.jsonl").read(Judgment)
    assert vote.judge.name == "human" and vote.rater == "tester-1"
    winner = battle.shown[1]
    assert vote.preference == (1.0 if winner == vote.candidate else 0.0)
    assert vote.first_shown == ("baseline" if battle.shown[0] == vote.baseline else "candidate")
    assert f"Model A was {battle.shown[0]}" in _texts(app) and f"Model B was {battle.shown[1]}" in _texts(app)
    ratings = {r["model"]: r["rating"] for r in ResultsIndex.load(results).ratings("battle", "human")}
    assert ratings[winner] > ratings[battle.shown[0]]
    app.button(key="battle_new").click().run()
    assert "battle" not in app.session_state and not app.button(key="battle_go").value


def test_battle_page_without_a_config_explains_itself(app):
    _open(app, "Battle")
    assert "--battle-config" in app.info[0].value
    assert "models:" in app.code[0].value


def test_unreadable_folder_and_empty_folder(lb_results, lb_env, tmp_path, monkeypatch):
    root = tmp_path / "results"
    shutil.copytree(lb_results, root)
    (root / "demo" / "b__vs__c" / "rouge" / "manifest.json").write_text("{broken")
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(root))
    app = _open(AppTest.from_file(str(app_path()), default_timeout=TIMEOUT), "Leaderboard")
    assert "1 run folder(s) could not be read" in app.warning[0].value
    assert app.dataframe[0].value.shape[0] == 3
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(tmp_path / "empty"))
    for page in ("Leaderboard", "Head-to-head", "Explorer", "Judges"):
        app = _open(AppTest.from_file(str(app_path()), default_timeout=TIMEOUT), page)
        assert "No comparisons" in app.info[0].value
