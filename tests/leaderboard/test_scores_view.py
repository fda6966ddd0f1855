"""The leaderboard's Scores view of single-answer grades: the data read from every grading
folder's summary, one table per eval set (ranked within a judge, a column per turn, per-category
means under "More columns"), the served page, the exported page linked from every page's
navigation, and one line when there are no grades. One real-Chromium check of the export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lb_browser import readable
from multiturn_fixtures import build_results
from streamlit.testing.v1 import AppTest

from alpaca_bench.leaderboard import NO_GRADES, app_path, export_site, load_scores
from alpaca_bench.leaderboard import _html as html
from alpaca_bench.records import GradeSummary, MeanScore
from alpaca_bench.store import GradeFolder, GradeManifest, ResultsRoot, RunJudge, RunSide

from helpers import html_tables

pytest_plugins = ["lb_fixtures"]

MT, SINGLE_SET = "mt-mini", "alpaca-mini"
JUDGE, STRICT = "gpt-judge", "strict-judge"


def _mean(mean: float, low: float, high: float, n: int, unscored: int = 0) -> MeanScore:
    return MeanScore(mean=mean, low=low, high=high, n=n, unscored=unscored)


# (eval set, model, judge): overall, per turn, per category
GRADED = {
    (MT, "alpha", JUDGE): (
        _mean(7.42, 7.10, 7.71, 158, 2),
        {"1": _mean(7.9, 7.5, 8.2, 80), "2": _mean(6.94, 6.5, 7.4, 78, 2)},
        {"coding": _mean(6.1, 5.0, 7.2, 40), "writing": _mean(8.4, 8.0, 8.8, 40)},
    ),
    (MT, "beta", JUDGE): (
        _mean(5.25, 4.9, 5.6, 160),
        {"1": _mean(5.8, 5.3, 6.3, 80), "2": _mean(4.7, 4.2, 5.2, 80)},
        {"coding": _mean(4.0, 3.1, 4.9, 40), "writing": _mean(6.5, 6.0, 7.0, 40)},
    ),
    (MT, "gamma", JUDGE): (  # overlaps beta: the two share a rank
        _mean(5.5, 5.0, 6.0, 160),
        {"1": _mean(6.0, 5.5, 6.5, 80), "2": _mean(5.0, 4.4, 5.6, 80)},
        {"coding": _mean(5.0, 4.0, 6.0, 40)},
    ),
    (MT, "delta", STRICT): (  # another judge's scale: ranked on its own
        _mean(4.0, 3.5, 4.5, 160),
        {"1": _mean(4.2, 3.6, 4.8, 80), "2": _mean(3.8, 3.2, 4.4, 80)},
        {},
    ),
    (SINGLE_SET, "alpha", JUDGE): (_mean(8.1, 7.8, 8.4, 50), {"1": _mean(8.1, 7.8, 8.4, 50)}, {}),
}


def write_grades(root: Path) -> None:
    results = ResultsRoot(root)
    for (eval_set, model, judge), (overall, per_turn, per_category) in GRADED.items():
        folder = GradeFolder(results.grade_dir(eval_set, model, judge))
        folder.write_manifest(
            GradeManifest(
                eval_set=eval_set,
                model=RunSide(name=model, spec=f"mock:{model}", config_hash=f"cfg-{model}"),
                judge=RunJudge(name=judge, spec=f"openai:{judge}"),
            )
        )
        folder.write_summary(
            GradeSummary(
                model=model,
                eval_set=eval_set,
                judge=judge,
                n_prompts=80 if eval_set == MT else 50,
                n_grades=overall.n + overall.unscored,
                overall=overall,
                per_turn=per_turn,
                per_category=per_category,
                n_boot=1000,
                cost_usd=0.25,
                warnings=["2 grader answers could not be read"] if overall.unscored else [],
            )
        )


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("graded") / "results"
    build_results(root)  # a comparison too, so that the site can be exported
    write_grades(root)
    return root


def test_scores_data_one_table_per_eval_set_ranked_within_each_judge(graded):
    scores = load_scores(graded)
    assert not scores.problems and [t.eval_set for t in scores.tables] == [SINGLE_SET, MT]
    mt = scores.tables[1]
    # the judge that graded most models first; best mean first within a judge
    assert [(r["model"], r["judge"], r["rank"]) for r in mt.rows] == [
        ("alpha", JUDGE, 1),
        ("gamma", JUDGE, 2),
        ("beta", JUDGE, 2),
        ("delta", STRICT, 1),
    ]
    assert mt.turns == ["1", "2"] and mt.categories == ["coding", "writing"] and mt.score_range == (1.0, 10.0)
    alpha = mt.rows[0]
    figures = (alpha["mean"], alpha["low"], alpha["high"], alpha["n"], alpha["unscored"])
    assert figures == (7.42, 7.1, 7.71, 158, 2)
    assert alpha["per_turn"]["2"].mean == 6.94 and alpha["per_category"]["writing"].mean == 8.4
    assert scores.tables[0].turns == ["1"] and [r["model"] for r in scores.tables[0].rows] == ["alpha"]


def test_scores_html_main_table_more_columns_and_chart(graded):
    mt = load_scores(graded).tables[1]
    fragment = html.scores(mt)
    main, more = html_tables(fragment)
    headings = ["Rank", "Model", "Judge", "Mean score", "Turn 1", "Turn 2", "Scored", "Unscored"]
    assert list(main["alpha"]) == headings
    assert main["alpha"]["Mean score"] == "7.42 (7.10–7.71)"
    assert (main["alpha"]["Turn 1"], main["alpha"]["Turn 2"]) == ("7.90 (7.50–8.20)", "6.94 (6.50–7.40)")
    assert (main["alpha"]["Scored"], main["alpha"]["Unscored"]) == ("158", "2")
    assert [main[m]["Rank"] for m in ("alpha", "gamma", "beta", "delta")] == ["1", "2=", "2=", "1"]
    assert main["delta"]["Judge"] == STRICT
    assert main["alpha"]["Model"] == "alpha 2 grader answers could not be read"  # its warning, beneath
    assert list(more["alpha"]) == ["Model", "Judge", "coding", "writing", "Prompts", "Grades", "Judge cost"]
    assert (more["alpha"]["coding"], more["alpha"]["writing"]) == ("6.10 (5.00–7.20)", "8.40 (8.00–8.80)")
    assert more["gamma"]["writing"] == "–" and more["alpha"]["Grades"] == "160"
    assert "More columns: per-category means" in fragment
    assert fragment.count(f'data-chart="scores-{MT}"') == 1 and fragment.count('class="ab-dot"') == 4
    assert fragment.count('class="ab-group"') == 2  # two judges: grouped in the chart
    single = html_tables(html.scores(load_scores(graded).tables[0]))[0]
    assert list(single["alpha"]) == ["Rank", "Model", "Judge", "Mean score", "Scored", "Unscored"]  # no turns


def test_unreadable_and_unfinished_grading_folders(graded, tmp_path):
    root = tmp_path / "results"
    write_grades(root)
    broken = ResultsRoot(root).grade_dir(MT, "beta", JUDGE) / "summary.json"
    broken.write_text('{"model": "beta"}', encoding="utf-8")
    unfinished = GradeFolder(ResultsRoot(root).grade_dir(MT, "epsilon", JUDGE))
    unfinished.write_manifest(
        GradeManifest(eval_set=MT, model=RunSide(name="epsilon", config_hash="x"), judge=RunJudge(name=JUDGE))
    )
    scores = load_scores(root)
    assert len(scores.problems) == 1 and "summary" in scores.problems[0]
    assert [r["model"] for r in scores.tables[1].rows] == ["alpha", "gamma", "delta"]


def _app(root: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("ALPACA_BENCH_RESULTS", str(root))
    app = AppTest.from_file(str(app_path()), default_timeout=120)
    app.run()
    app.sidebar.radio(key="page").set_value("Scores").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_served_scores_page(graded, lb_env, monkeypatch):
    app = _app(graded, monkeypatch)
    fragments = [e.proto.body for e in app.get("html")]
    assert [str(m.value) for m in app.markdown if str(m.value).startswith("## ")] == [
        f"## {SINGLE_SET.replace('-', chr(92) + '-')}",
        f"## {MT.replace('-', chr(92) + '-')}",
    ]
    tables = [t for f in fragments for t in html_tables(f)]
    assert tables[2]["alpha"]["Mean score"] == "7.42 (7.10–7.71)" and tables[2]["beta"]["Rank"] == "2="
    assert len(app.get("download_button")) == 2 and not app.info


def test_no_grades_is_one_line_and_no_page_is_exported(lb_env, monkeypatch, tmp_path):
    root = tmp_path / "results"
    build_results(root)  # a comparison, no grades
    assert load_scores(root).empty and load_scores(tmp_path / "nowhere").empty
    assert html.scores_empty() == f'<p class="ab-empty">{NO_GRADES}</p>' and "\n" not in NO_GRADES
    app = _app(root, monkeypatch)
    assert [i.value for i in app.info] == [NO_GRADES] and not app.get("html")[1:]
    site = export_site(root, tmp_path / "site").out
    assert not (site / "leaderboard-scores.html").exists()
    pages = list(site.glob("*.html"))
    assert pages and not [p.name for p in pages if "leaderboard-scores.html" in p.read_text(encoding="utf-8")]


def test_exported_scores_page_is_linked_from_every_page(graded, tmp_path):
    site = export_site(graded, tmp_path / "site").out
    page = (site / "leaderboard-scores.html").read_text(encoding="utf-8")
    assert '<a href="leaderboard-scores.html" aria-current="page">Scores</a>' in page
    assert page.count("<h2>") == 2 and html.scores(load_scores(graded).tables[1]) in page
    for other in site.glob("*.html"):
        assert 'href="leaderboard-scores.html"' in other.read_text(encoding="utf-8"), other.name
    assert (site / "data" / "scores.json").is_file()
    data = json.loads((site / "data" / "scores.json").read_text(encoding="utf-8"))
    alpha = data[1]["rows"][0]
    assert (alpha["model"], alpha["turn 2 mean"], alpha["category writing mean"]) == ("alpha", 6.94, 8.4)


@pytest.mark.slow
def test_exported_scores_page_reads_in_a_browser(graded, browser, tmp_path):
    site = export_site(graded, tmp_path / "site").out
    for width in (1400, 900):
        page = browser.new_page(viewport={"width": width, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto((site / "index.html").as_uri())
        page.get_by_role("link", name="Scores", exact=True).click()
        page.wait_for_selector("table.ab-main")
        page.screenshot(path=str(tmp_path / f"scores-{width}.png"), full_page=True)
        labels = readable(page, width, main_table_fits=True)
        assert labels[f"scores-{MT}"] == ["alpha", "gamma", "beta", "delta"]
        assert labels[f"scores-{SINGLE_SET}"] == ["alpha"]
        assert page.locator("table.ab-main").nth(1).locator("tbody tr").count() == 4
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
        assert not errors, errors
        page.close()
