"""Instruction data generation the Alpaca way: prompt any model with sampled seed tasks, parse
its task lists tolerantly, filter, and keep only instructions that are not ROUGE-L near-duplicates
(decisions identical to rouge-score, computed orders of magnitude faster)."""

from typing import TYPE_CHECKING

from alpaca_bench.registry import lazy_attributes

from ._config import DATAGEN_DECODING, DatagenConfig

if TYPE_CHECKING:  # what the lazy names are, for the type checker
    from ._dedup import Decision, RougeIndex, check_threshold, deduplicate
    from ._dedup_files import DedupFileResult, dedup_file
    from ._filters import (
        FILTERS,
        TaskFilter,
        default_filters,
        failing_filters,
        first_rejection,
        register_filter,
    )
    from ._formats import FORMATS, TaskFormat, get_format, register_format
    from ._parsing import ParseResult, Problem, parse_json, parse_numbered
    from ._pipeline import DatagenResult, RunFiles, generate_tasks, plan_tasks, write_report
    from ._prompting import build_prompt
    from ._records import Rejection, RequestRecord, Task
    from ._report import DatagenReport, build_report, verb_and_object
    from ._seeds import load_seed_tasks

# the pipeline and dedup pull in numpy and rapidfuzz: they load on first use, so the CLI starts fast
_LAZY = {
    "Decision": "_dedup",
    "RougeIndex": "_dedup",
    "check_threshold": "_dedup",
    "deduplicate": "_dedup",
    "DedupFileResult": "_dedup_files",
    "dedup_file": "_dedup_files",
    "FILTERS": "_filters",
    "TaskFilter": "_filters",
    "default_filters": "_filters",
    "failing_filters": "_filters",
    "first_rejection": "_filters",
    "register_filter": "_filters",
    "FORMATS": "_formats",
    "TaskFormat": "_formats",
    "get_format": "_formats",
    "register_format": "_formats",
    "ParseResult": "_parsing",
    "Problem": "_parsing",
    "parse_json": "_parsing",
    "parse_numbered": "_parsing",
    "DatagenResult": "_pipeline",
    "RunFiles": "_pipeline",
    "generate_tasks": "_pipeline",
    "plan_tasks": "_pipeline",
    "write_report": "_pipeline",
    "build_prompt": "_prompting",
    "Rejection": "_records",
    "RequestRecord": "_records",
    "Task": "_records",
    "DatagenReport": "_report",
    "build_report": "_report",
    "verb_and_object": "_report",
    "load_seed_tasks": "_seeds",
}

__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "DATAGEN_DECODING",
    "FILTERS",
    "FORMATS",
    "DatagenConfig",
    "DatagenReport",
    "DatagenResult",
    "Decision",
    "DedupFileResult",
    "ParseResult",
    "Problem",
    "Rejection",
    "RequestRecord",
    "RougeIndex",
    "RunFiles",
    "Task",
    "TaskFilter",
    "TaskFormat",
    "build_prompt",
    "build_report",
    "check_threshold",
    "dedup_file",
    "deduplicate",
    "default_filters",
    "failing_filters",
    "first_rejection",
    "generate_tasks",
    "get_format",
    "load_seed_tasks",
    "parse_json",
    "parse_numbered",
    "plan_tasks",
    "register_filter",
    "register_format",
    "verb_and_object",
    "write_report",
]
