"""`alpaca-bench leaderboard export`: the leaderboard as a static site anyone can publish.

Peers publish their leaderboards as static pages people link to; the served app needs a Python
process. The export writes plain files: HTML pages built from the same `_html` fragments the app
shows (leaderboard views, single-answer scores where there are grades, head-to-head, judges, a
list of comparisons), a per-comparison
explorer that `assets/explorer.js` renders from data files, the stylesheet, and every table as
JSON. Nothing is fetched: data reaches the explorer as `<script src>` files that assign JSON to
a global, because browsers refuse `fetch` on `file://`, so the site opens from disk as well as
from GitHub Pages. A Content-Security-Policy allows only the site's own scripts and no
connections, and the explorer builds its DOM with `textContent` only: a model output that is
HTML or JavaScript stays text.

Model outputs are written once per model (`data/outputs/`), prompts once per eval set, and each
comparison's verdicts on their own, so 50 models × 805 prompts stay a few tens of megabytes. A
conversation (a prompt with follow-ups) carries its turns in the prompts file and every turn's
answer in the outputs file, and the explorer shows it turn by turn.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from alpaca_bench.errors import InputError
from alpaca_bench.progress import progress_bar
from alpaca_bench.records import Generation, Prompt
from alpaca_bench.store import sanitize_name

from . import _html
from ._explorer import ExplorerRow, explorer_rows, prompts_of
from ._index import IndexSettings, LoadedComparison, ResultsIndex, Row
from ._judges import agreement_rows, length_bias_bins, position_consistency_rows
from ._scores import Scores, ScoreTable, flat_row, load_scores

logger = logging.getLogger(__name__)

MARKER = ".alpaca-bench-site"
ASSETS = ("style.css", "explorer.css", "explorer.js")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'none'; base-uri 'none'; form-action 'none'"
)
DATA_PRELUDE = "window.AB_DATA = window.AB_DATA || {prompts: {}, outputs: {}, comparisons: {}};\n"
ALL = "all"
SCORES_FILE = "leaderboard-scores.html"  # no leaderboard view's name: theirs hold "--"
CURRENT = ' aria-current="page"'


@dataclass(frozen=True)
class ExportReport:
    out: Path
    pages: int
    comparisons: int
    bytes: int

    @property
    def index(self) -> Path:
        return self.out / "index.html"


@dataclass(frozen=True)
class _View:
    """One leaderboard table: an eval set, a judge, and a baseline (None: all models' ratings)."""

    eval_set: str
    judge: str
    baseline: str | None

    @property
    def file(self) -> str:
        return f"leaderboard-{_slug(self.eval_set, self.judge, self.baseline or ALL)}.html"

    @property
    def label(self) -> str:
        return self.baseline or "All models (Bradley–Terry)"


def export_site(
    results: str | Path,
    out: str | Path,
    settings: IndexSettings | None = None,
    *,
    show_progress: bool = False,
) -> ExportReport:
    """Load the results folder and write the site into `out` (created; an earlier export there
    is replaced; any other non-empty folder is refused)."""
    root = Path(results).expanduser()
    if not root.is_dir():
        raise InputError("results folder not found (run alpaca-bench compare first, or pass --results)", root)
    index = ResultsIndex.load(root, settings)
    if not index.comparisons:
        raise InputError("no comparisons to export in this results folder", root)
    return _Site(index, _prepared(Path(out).expanduser()), show_progress).write()


def _prepared(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise InputError("not a folder (expected the site's output folder)", out)
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise InputError(
                "folder is not empty and holds no earlier export; choose a new or empty folder", out
            )
        for item in out.iterdir():  # an earlier export: replace it whole, so no stale page survives
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(
        "written by alpaca-bench leaderboard export; the folder is replaced on re-export\n"
    )
    return out


def _slug(*parts: str) -> str:
    return "--".join(sanitize_name(p) for p in parts)


@dataclass
class _Site:
    index: ResultsIndex
    out: Path
    show_progress: bool
    pages: int = 0
    _explorer_files: dict[str, str] = field(default_factory=dict)
    _scores: Scores = field(default_factory=lambda: Scores([], []))

    def write(self) -> ExportReport:
        self._explorer_files = self._unique_explorer_files()
        self._scores = load_scores(self.index.root)
        (self.out / "assets").mkdir()
        for name in ASSETS:
            shutil.copyfile(_html.STATIC / name, self.out / "assets" / name)
        views = self._views()
        tables: list[dict[str, Any]] = []
        for view in views:
            rows = self._rows(view)
            tables.append({**asdict(view), "rows": rows})
            self._page(view.file, "Leaderboard", self._leaderboard_body(view, views, rows))
        default = views[0]
        self._page("index.html", "Leaderboard", self._leaderboard_body(default, views, self._rows(default)))
        pairs = []
        for eval_set in self.index.eval_sets():
            for judge in self.index.judges(eval_set):
                rows = self.index.head_to_head(eval_set, judge)
                pairs.append({"eval_set": eval_set, "judge": judge, "rows": rows})
                self._page(_h2h_file(eval_set, judge), "Head-to-head", self._h2h_body(eval_set, judge, rows))
            self._page(_judges_file(eval_set), "Judges", self._judges_body(eval_set))
        self._json("leaderboard.json", tables)
        self._json("head_to_head.json", pairs)
        if not self._scores.empty:  # no grades: no page and no link to one
            self._page(SCORES_FILE, "Scores", self._scores_body())
            self._json("scores.json", [_scores_json(t) for t in self._scores.tables])
        self._page("explorer.html", "Explorer", self._explorer_list())
        self._explorers()
        size = sum(p.stat().st_size for p in self.out.rglob("*") if p.is_file())
        logger.info("exported %d pages (%.1f MB) to %s", self.pages, size / 1e6, self.out)
        return ExportReport(self.out, self.pages, len(self.index.comparisons), size)

    # --- what there is -----------------------------------------------------------------------

    def _views(self) -> list[_View]:
        views = []
        for eval_set in self.index.eval_sets():
            for judge in self.index.judges(eval_set):
                baselines = self.index.baselines(eval_set, judge)
                views += [_View(eval_set, judge, b) for b in baselines] + [_View(eval_set, judge, None)]
        return views

    def _rows(self, view: _View) -> list[Row]:
        if view.baseline is None:
            return self.index.ratings(view.eval_set, view.judge)
        return self.index.leaderboard(view.eval_set, view.judge, view.baseline)

    def _unique_explorer_files(self) -> dict[str, str]:
        files: dict[str, str] = {}
        taken: set[str] = set()
        for c in self.index.comparisons:
            stem = _slug(c.eval_set, c.baseline, c.candidate, c.judge)
            name, k = stem, 1
            while name in taken:
                k += 1
                name = f"{stem}-{k}"
            taken.add(name)
            files[c.key] = name
        return files

    def _explorer_link(self, key: str) -> str | None:
        stem = self._explorer_files.get(key)
        return f"explorer-{stem}.html" if stem else None

    # --- pages -------------------------------------------------------------------------------

    def _page(self, name: str, section: str, body: str, scripts: Sequence[str] = ()) -> None:
        first_h2h = _h2h_file(self.index.eval_sets()[0], self.index.judges(self.index.eval_sets()[0])[0])
        nav = [
            ("Leaderboard", "index.html"),
            *([("Scores", SCORES_FILE)] if not self._scores.empty else []),
            ("Head-to-head", first_h2h),
            ("Explorer", "explorer.html"),
            ("Judges", _judges_file(self.index.eval_sets()[0])),
        ]
        links = "".join(
            f'<a href="{_html.esc(href)}"{CURRENT if label == section else ""}>{label}</a>'
            for label, href in nav
        )
        extra_css = '<link rel="stylesheet" href="assets/explorer.css">' if scripts else ""
        tags = "".join(f'<script src="{_html.esc(src)}"></script>' for src in scripts)
        page = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_html.esc(section)} · alpaca-bench</title>"
            f'<link rel="stylesheet" href="assets/style.css">{extra_css}</head>'
            f'<body class="ab-site"><header class="ab-top"><strong>alpaca-bench</strong><nav>{links}</nav>'
            f'<span class="ab-note">static export of {_html.esc(self.index.root.name)}</span></header>'
            f"<main>{body}</main>{tags}</body></html>\n"
        )
        (self.out / name).write_text(page, encoding="utf-8")
        self.pages += 1

    def _leaderboard_body(self, view: _View, views: Sequence[_View], rows: list[Row]) -> str:
        same_set = [v for v in views if v.eval_set == view.eval_set]
        first = {(v.eval_set, v.judge): v for v in reversed(views)}
        pills = [
            _pills(
                "Eval set", [(e, _first_of_set(views, e).file) for e in self.index.eval_sets()], view.eval_set
            ),
            _pills(
                "Judge",
                [(j, first[(view.eval_set, j)].file) for j in self.index.judges(view.eval_set)],
                view.judge,
            ),
            _pills(
                "Baseline",
                [(v.label, v.file) for v in same_set if v.judge == view.judge],
                view.label,
            ),
        ]
        table = _html.ratings(rows) if view.baseline is None else _html.leaderboard(rows, self._explorer_link)
        return "<h1>Leaderboard</h1>" + "".join(pills) + table

    def _scores_body(self) -> str:
        parts = ["<h1>Scores</h1>"]
        for table in self._scores.tables:
            parts += [f"<h2>{_html.esc(table.eval_set)}</h2>", _html.scores(table)]
        return "".join(parts)

    def _h2h_body(self, eval_set: str, judge: str, rows: list[Row]) -> str:
        pills = _pills(
            "Eval set", [(e, _h2h_file(e, self.index.judges(e)[0])) for e in self.index.eval_sets()], eval_set
        )
        pills += _pills("Judge", [(j, _h2h_file(eval_set, j)) for j in self.index.judges(eval_set)], judge)
        return "<h1>Head-to-head</h1>" + pills + _html.heatmap(rows)

    def _judges_body(self, eval_set: str) -> str:
        parts = [
            "<h1>Judges</h1>",
            _pills("Eval set", [(e, _judges_file(e)) for e in self.index.eval_sets()], eval_set),
            "<h2>Agreement</h2>",
        ]
        agreement = agreement_rows(self.index, eval_set)
        parts.append(
            _html.agreement(agreement)
            if agreement
            else '<p class="ab-empty">No pair was judged by two judges (or a judge and a person).</p>'
        )
        parts.append("<h2>Position consistency</h2>")
        consistency = position_consistency_rows(self.index, eval_set)
        parts.append(
            _html.consistency(consistency) if consistency else '<p class="ab-empty">No LLM judge.</p>'
        )
        parts.append("<h2>Length bias</h2>")
        bins = length_bias_bins(self.index, eval_set)
        parts.append(_html.length_bias(bins) if bins else '<p class="ab-empty">No scored comparisons.</p>')
        return "".join(parts)

    def _explorer_list(self) -> str:
        rows: list[Row] = [{"comparison": c} for c in self.index.comparisons]

        def link(row: Row) -> str:
            c: LoadedComparison = row["comparison"]
            href = self._explorer_link(c.key) or ""
            return f'<a href="{_html.esc(href)}">{_html.esc(c.candidate)} vs {_html.esc(c.baseline)}</a>'

        columns = [
            _html.Column("Comparison", link, numeric=False),
            _html.Column("Judge", lambda r: _html.esc(r["comparison"].judge), numeric=False),
            _html.Column("Eval set", lambda r: _html.esc(r["comparison"].eval_set), numeric=False),
            _html.Column("Win rate %", lambda r: _html.esc(_html.percent(r["comparison"].summary.win_rate))),
            _html.Column("Prompts scored", lambda r: _html.esc(r["comparison"].summary.n)),
        ]
        return "<h1>Explorer</h1><p>Every comparison, prompt by prompt:</p>" + _html.table(rows, columns)

    # --- the explorers -----------------------------------------------------------------------

    def _explorers(self) -> None:
        (self.out / "data" / "comparisons").mkdir(parents=True)
        prompts_written: set[str] = set()
        outputs_files: dict[int, str] = {}
        with progress_bar("exporting comparisons", len(self.index.comparisons), self.show_progress) as bar:
            for c in self.index.comparisons:
                rows = explorer_rows(self.index, c)
                if c.eval_set not in prompts_written:
                    self._prompts(c)
                    prompts_written.add(c.eval_set)
                sides = [self._outputs(c, c.baseline, c.baseline_outputs, outputs_files)]
                sides.append(self._outputs(c, c.candidate, c.candidate_outputs, outputs_files))
                stem = self._explorer_files[c.key]
                self._data(f"comparisons/{stem}.js", "comparisons", c.key, _comparison_data(c, rows, sides))
                body = (
                    f"<h1>Explorer</h1><h2>{_html.esc(c.label)}</h2>"
                    + _html.comparison_summary(c.summary, c.judge, prompts=len(rows))
                    + "".join(f'<p class="ab-note">⚠ {_html.esc(w)}</p>' for w in c.summary.warnings)
                    + f'<div id="ab-explorer" data-comparison="{_html.esc(c.key)}"></div>'
                )
                scripts = [
                    f"data/prompts/{sanitize_name(c.eval_set)}.js",
                    *(f"data/outputs/{file}" for file in sides),
                    f"data/comparisons/{stem}.js",
                    "assets/explorer.js",
                ]
                self._page(f"explorer-{stem}.html", "Explorer", body, scripts)
                bar.advance()

    def _prompts(self, c: LoadedComparison) -> None:
        self._data(
            f"prompts/{sanitize_name(c.eval_set)}.js",
            "prompts",
            c.eval_set,
            {pid: _prompt_data(p) for pid, p in prompts_of(self.index, c).items()},
        )

    def _outputs(
        self, c: LoadedComparison, model: str, outputs: dict[str, Generation], files: dict[int, str]
    ) -> str:
        """The data file of one model's outputs (written once, shared by its comparisons); the
        same model name under another generation config gets a file of its own."""
        if id(outputs) not in files:
            stem = f"{sanitize_name(c.eval_set)}/{sanitize_name(model)}"
            name, k = f"{stem}.js", 1
            while name in files.values():
                k += 1
                name = f"{stem}-{k}.js"
            files[id(outputs)] = name
            key = name.removesuffix(".js")
            self._data(
                f"outputs/{name}", "outputs", key, {pid: _output_data(g) for pid, g in outputs.items()}
            )
        return files[id(outputs)]

    def _data(self, name: str, kind: str, key: str, value: Any) -> None:
        path = self.out / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        path.write_text(f"{DATA_PRELUDE}AB_DATA.{kind}[{json.dumps(key)}] = {payload};\n", encoding="utf-8")

    def _json(self, name: str, value: Any) -> None:
        path = self.out / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(value, ensure_ascii=False, indent=1, default=str, allow_nan=False) + "\n",
            encoding="utf-8",
        )


def _prompt_data(prompt: Prompt) -> dict[str, Any]:
    """A prompt as explorer.js reads it; a multi-turn one also lists every turn (the first
    included, as the model saw it) with its reference, and a single-turn one is written as it
    always was."""
    data: dict[str, Any] = {
        "instruction": prompt.instruction,
        "input": prompt.input,
        "reference": prompt.reference,
        "category": prompt.category or "(none)",
    }
    if prompt.follow_ups:
        data["turns"] = [
            {"message": message, "reference": reference or None}
            for message, reference in zip(prompt.user_turns(), prompt.references(), strict=True)
        ]
    return data


def _output_data(generation: Generation) -> str | list[str]:
    """The answer, or every turn's answer in order for a conversation."""
    return generation.answers if generation.follow_up_outputs else generation.output


def _scores_json(table: ScoreTable) -> dict[str, Any]:
    return {
        "eval_set": table.eval_set,
        "score_range": list(table.score_range),
        "rows": [flat_row(r) for r in table.rows],
    }


def _first_of_set(views: Sequence[_View], eval_set: str) -> _View:
    return next(v for v in views if v.eval_set == eval_set)


def _h2h_file(eval_set: str, judge: str) -> str:
    return f"head-to-head-{_slug(eval_set, judge)}.html"


def _judges_file(eval_set: str) -> str:
    return f"judges-{_slug(eval_set)}.html"


def _pills(label: str, choices: Iterable[tuple[str, str]], current: str) -> str:
    items = [f'<span class="ab-views-label">{_html.esc(label)}:</span>']
    for text, href in choices:
        if text == current:
            items.append(f'<span class="ab-current" aria-current="true">{_html.esc(text)}</span>')
        else:
            items.append(f'<a href="{_html.esc(href)}">{_html.esc(text)}</a>')
    return f'<div class="ab-views">{"".join(items)}</div>'


def _comparison_data(
    c: LoadedComparison, rows: Sequence[ExplorerRow], sides: Sequence[str]
) -> dict[str, Any]:
    """What explorer.js reads: the comparison's names and, per prompt, outcome and verdicts
    (texts live in the shared prompts and outputs files named by `outputs`)."""
    return {
        "key": c.key,
        "eval_set": c.eval_set,
        "baseline": c.baseline,
        "candidate": c.candidate,
        "judge": c.judge,
        "outputs": {"baseline": sides[0].removesuffix(".js"), "candidate": sides[1].removesuffix(".js")},
        "rows": [
            {
                "id": r.prompt_id,
                "outcome": r.outcome,
                "preference": r.preference,
                "verdicts": [asdict(v) for v in r.verdicts],
                "human": [asdict(v) for v in r.human],
                "flags": r.flags,
            }
            for r in rows
        ],
    }
