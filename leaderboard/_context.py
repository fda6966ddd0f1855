"""What every page is handed: the app's settings and a way to the (cached) results index."""

from __future__ import annotations

from dataclasses import dataclass

from ._data import load_index, load_scores_cached
from ._index import ResultsIndex
from ._scores import Scores
from ._settings import AppSettings


@dataclass(frozen=True)
class PageContext:
    settings: AppSettings

    def index(self) -> ResultsIndex:
        return load_index(self.settings.results)

    def scores(self) -> Scores:
        return load_scores_cached(self.settings.results)
