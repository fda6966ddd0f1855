"""The leaderboard: a streamlit-free data layer over a results folder, and the pages that show it.

`alpaca-bench leaderboard` (or `streamlit run leaderboard/app.py -- --results DIR`) serves it;
`alpaca-bench leaderboard export` (`export_site`) writes it as a static site. Pages and export
share one rendering (`_html`).
The data layer (`ResultsIndex`, the explorer and judge-analysis rows, and `load_scores` for
single-answer grades) computes every figure;
the `_page_*` modules only lay them out, and model outputs are always shown as plain text.
Importing this package imports neither streamlit nor the statistics; names load on first use.
"""

from typing import TYPE_CHECKING

from alpaca_bench.registry import lazy_attributes

from ._launch import app_path, serve, streamlit_command
from ._settings import AppSettings, app_settings

if TYPE_CHECKING:  # what the lazy names are, for the type checker
    from ._explorer import (
        OUTCOMES,
        ExplorerRow,
        ExplorerTurn,
        ShownVerdict,
        default_comparison,
        explorer_rows,
        filter_rows,
    )
    from ._export import ExportReport, export_site
    from ._index import (
        Fingerprint,
        IndexSettings,
        LoadedComparison,
        ResultsIndex,
        Row,
        comparisons_of_pair,
        read_records,
        results_fingerprint,
    )
    from ._judges import agreement_rows, length_bias_bins, length_bias_points, position_consistency_rows
    from ._scores import NO_GRADES, Scores, ScoreTable, load_scores

# the data layer pulls in scipy; it loads on first use so that the CLI starts fast
_LAZY = {
    "Fingerprint": "_index",
    "IndexSettings": "_index",
    "LoadedComparison": "_index",
    "ResultsIndex": "_index",
    "Row": "_index",
    "comparisons_of_pair": "_index",
    "read_records": "_index",
    "results_fingerprint": "_index",
    "OUTCOMES": "_explorer",
    "ExplorerRow": "_explorer",
    "ExplorerTurn": "_explorer",
    "ShownVerdict": "_explorer",
    "explorer_rows": "_explorer",
    "filter_rows": "_explorer",
    "default_comparison": "_explorer",
    "ExportReport": "_export",
    "export_site": "_export",
    "agreement_rows": "_judges",
    "length_bias_bins": "_judges",
    "length_bias_points": "_judges",
    "position_consistency_rows": "_judges",
    "NO_GRADES": "_scores",
    "ScoreTable": "_scores",
    "Scores": "_scores",
    "load_scores": "_scores",
}

__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "NO_GRADES",
    "OUTCOMES",
    "AppSettings",
    "ExplorerRow",
    "ExplorerTurn",
    "ExportReport",
    "Fingerprint",
    "IndexSettings",
    "LoadedComparison",
    "ResultsIndex",
    "Row",
    "ScoreTable",
    "Scores",
    "ShownVerdict",
    "agreement_rows",
    "app_path",
    "app_settings",
    "comparisons_of_pair",
    "default_comparison",
    "explorer_rows",
    "export_site",
    "filter_rows",
    "length_bias_bins",
    "length_bias_points",
    "load_scores",
    "position_consistency_rows",
    "read_records",
    "results_fingerprint",
    "serve",
    "streamlit_command",
]
