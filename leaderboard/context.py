"""What every page is handed: the app's settings and a way to the (cached) results index."""

from __future__ import annotations

from dataclasses import dataclass

from alpaca_bench.results_index import ResultsIndex

from .data import load_index
from .settings import AppSettings


@dataclass(frozen=True)
class PageContext:
    settings: AppSettings

    def index(self) -> ResultsIndex:
        return load_index(self.settings.results)
