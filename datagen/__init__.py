"""Instruction data generation the Alpaca way: prompt any model with sampled seed tasks, parse
its task lists tolerantly, filter, and keep only instructions that are not ROUGE-L near-duplicates
(decisions identical to rouge-score, computed orders of magnitude faster)."""

from ._dedup import Decision, RougeIndex, check_threshold, deduplicate
from ._dedup_files import DedupFileResult, dedup_file
from ._filters import FILTERS, TaskFilter, default_filters, failing_filters, first_rejection, register_filter
from ._formats import FORMATS, TaskFormat, get_format, register_format
from ._parsing import ParseResult, Problem, parse_json, parse_numbered
from ._pipeline import DATAGEN_DECODING, DatagenConfig, DatagenResult, RunFiles, generate_tasks, write_report
from ._prompting import build_prompt
from ._records import Rejection, RequestRecord, Task
from ._report import DatagenReport, build_report, verb_and_object
from ._seeds import load_seed_tasks

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
    "register_filter",
    "register_format",
    "verb_and_object",
    "write_report",
]
