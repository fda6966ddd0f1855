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

from helpers import html_tables

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


def _html(app) -> str:
    return "".join(element.proto.body for element in app.get("html"))


def _tables(app) -> list[dict[str, dict[str, str]]]:
    return html_tables(_html(app))


def _charts(app, name: str) -> int:
    return _html(app).count(f'data-chart="{name}"')


def _summary(lb_runs: dict[str, Path], key: str) -> ComparisonSummary:
    return ComparisonSummary.model_validate_json((lb_runs[key] / "summary.json").read_text())


def test_leaderboard_table_chart_and_download(app, lb_runs):
    _open(app, "Leaderboard")
    assert app.selectbox(key="lb_judge").value == "rouge"  # the judge with most comparisons
    assert app.selectbox(key="lb_baseline").value == "a"
    main, more = _tables(app)[:2]
    assert set(main) == {"a", "b", "c", "evil"}  # the baseline has its row
    assert main["a"]["Win rate %"] == "50.0 by definition" and "baseline" in main["a"]["Model"]
    for model in ("b", "c", "evil"):
        summary = _summary(lb_runs, f"a/{model}/rouge")
        low, high = (f"{100 * v:.1f}" for v in (summary.ci.low, summary.ci.high))
        assert main[model]["Win rate %"] == f"{100 * summary.win_rate:.1f} {low}–{high}"
        assert main[model]["Prompts"].startswith(str(summary.n))
        assert more[model]["Ties"] == str(summary.ties)
    rates = [float(row["Win rate %"].split()[0]) for row in main.values()]
    assert rates == sorted(rates, reverse=True)
    assert all(row["LC win rate %"] != "–" and row["BT rating"] != "–" for row in main.values())
    assert _charts(app, "win-rate") == 1
    assert app.get("download_button")


def test_leaderboard_other_judges_and_all_model_ratings(app):
    _open(app, "Leaderboard")
    app.selectbox(key="lb_judge").select("human").run()
    main = _tables(app)[0]
    assert set(main) == {"a", "b"} and main["b"]["Prompts"] == "6 small n · MDE ±57"
    app.selectbox(key="lb_judge").select("rouge").run()
    app.selectbox(key="lb_baseline").select("All models (Bradley–Terry ratings)").run()
    assert not app.exception
    ratings = _tables(app)[0]
    assert set(ratings) == {"a", "b", "c", "evil"}
    assert ratings["a"]["BT rating"].startswith("1,000 ") and "anchor" in ratings["a"]["Model"]
    assert all("–" in row["BT rating"] for row in ratings.values())  # every rating with its interval
    assert _charts(app, "ratings") == 1


def test_head_to_head(app, lb_runs):
    _open(app, "Head-to-head")
    (matrix,) = _tables(app)
    b_vs_a = 100 * _summary(lb_runs, "a/b/rouge").win_rate
    columns = list(matrix["a"])
    assert matrix["b"][columns[1]] == f"{b_vs_a:.0f}"  # row b, column a
    assert matrix["a"][columns[2]] == f"{100 - b_vs_a:.0f}"
    assert matrix["c"][columns[2]] == f"{100 * _summary(lb_runs, 'b/c/rouge').win_rate:.0f}"
    assert matrix["evil"][columns[3]] == ""  # never compared: blank, not "None"
    assert _charts(app, "head-to-head") == 1 and app.get("download_button")


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
    rated = [t for t in _tables(app) if t and "Rater" in next(iter(t.values()))]
    assert rated and all(set(t) <= {"alice", "bob"} for t in rated)  # people's ratings of pairs on the page
    assert "Prompts scored" in _html(app) and "20 of 20" in _html(app)
    app.text_input(key="ex_search").input("houseplant").run()
    assert "1 of 20 prompts match." in _markdown(app)
    assert "Give three tips for keeping a houseplant healthy." in _texts(app)
    app.text_input(key="ex_search").input("").run()
    app.multiselect(key="ex_outcomes").select("tie").run()
    (caption,) = [m for m in _markdown(app) if m.endswith("prompts match.")]
    index = ResultsIndex.load(Path(app_settings([]).results))
    ties = [j for j in index.comparison("demo/a__vs__b/rouge#rouge").judgments if j.preference == 0.5]
    assert caption == f"{len(ties)} of 20 prompts match."


def test_explorer_opens_on_the_most_complete_comparison(app):
    _open(app, "Explorer")
    assert (
        app.selectbox(key="ex_comparison").value == f"demo/a__vs__b/{LLM_JUDGE}-pairwise#{LLM_JUDGE}-pairwise"
    )
    lines = [t for t in _texts(app) if t.startswith(f"Judge {LLM_JUDGE}-pairwise")]
    assert lines and all(" · order " in line and " · shown first: " in line for line in lines)
    assert {line.split(" · shown first: ")[1].split(" ")[0] for line in lines} == {"baseline", "candidate"}


def test_judges_page(app):
    _open(app, "Judges")
    agreement, consistency = _tables(app)
    assert {"judge–human", "judge–judge", "human–human"} <= set(agreement)
    assert consistency[f"{LLM_JUDGE}-pairwise"]["Position consistency"] == "100.0"
    assert consistency["rouge"]["Position consistency"] == "–"  # no pair judged both ways
    assert _charts(app, "length-bias") == 1
    assert "agreement_with_ties" not in _html(app) and "None" not in _html(app)


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
    assert set(_tables(app)[0]) == {"a", "b", "c", "evil"}
    assert "b" not in app.selectbox(key="lb_baseline").options  # b vs c, b's only run as baseline, is out
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(tmp_path / "empty"))
    for page in ("Leaderboard", "Head-to-head", "Explorer", "Judges"):
        app = _open(AppTest.from_file(str(app_path()), default_timeout=TIMEOUT), page)
        assert "No comparisons" in app.info[0].value
