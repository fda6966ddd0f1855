"""Statistics for pairwise comparisons: pure functions over arrays, seeded by an
explicit `numpy.random.Generator`, with no I/O.

Preferences are candidate-centric fractions in [0, 1] with ties at 0.5, one per prompt after
`per_prompt_preferences` has averaged repeated judgments.
"""

from ._agreement import (
    Agreement,
    MajorityAccuracy,
    agreement,
    cohen_kappa,
    majority_accuracy,
    match_judgments,
    position_consistency,
    position_consistency_of,
    verdict_classes,
)
from ._arena import (
    ArenaResult,
    ArenaScore,
    Battle,
    StyleFeatures,
    arena_scores,
    battles_from_judgments,
    style_features,
)
from ._bootstrap import CIMethod, bca_interval, bootstrap_ci, bootstrap_means, percentile_interval
from ._bradley_terry import BradleyTerryResult, bradley_terry, bradley_terry_from_judgments
from ._length_control import (
    LengthComparison,
    LengthControlled,
    LengthModel,
    fit_length_model,
    length_controlled_win_rate,
    length_controlled_win_rates,
)
from ._report import ComparisonData, StatsRow, comparisons_from_judgments, stats_rows
from ._sample_size import minimum_detectable_effect, power
from ._sequential import (
    ConfidenceSequence,
    GatePaths,
    SequencePath,
    SequentialDecision,
    WidthStop,
    confidence_sequence,
    ever_excludes,
    full_run_gate,
    log_capital,
    seeded_order,
    sequential_gate,
    sequential_gate_paths,
    width_stop,
)
from ._winrate import (
    PreferenceSummary,
    discrete_win_rate,
    outcome_counts,
    per_prompt_preferences,
    sign_test,
    standard_error,
    summarize,
    wilson_interval,
)

__all__ = [
    "Agreement",
    "ArenaResult",
    "ArenaScore",
    "Battle",
    "BradleyTerryResult",
    "CIMethod",
    "ComparisonData",
    "ConfidenceSequence",
    "GatePaths",
    "LengthComparison",
    "LengthControlled",
    "LengthModel",
    "MajorityAccuracy",
    "PreferenceSummary",
    "SequencePath",
    "SequentialDecision",
    "StatsRow",
    "StyleFeatures",
    "WidthStop",
    "agreement",
    "arena_scores",
    "battles_from_judgments",
    "bca_interval",
    "bootstrap_ci",
    "bootstrap_means",
    "bradley_terry",
    "bradley_terry_from_judgments",
    "cohen_kappa",
    "comparisons_from_judgments",
    "confidence_sequence",
    "discrete_win_rate",
    "ever_excludes",
    "fit_length_model",
    "full_run_gate",
    "length_controlled_win_rate",
    "length_controlled_win_rates",
    "log_capital",
    "majority_accuracy",
    "match_judgments",
    "minimum_detectable_effect",
    "outcome_counts",
    "per_prompt_preferences",
    "percentile_interval",
    "position_consistency",
    "position_consistency_of",
    "power",
    "seeded_order",
    "sequential_gate",
    "sequential_gate_paths",
    "sign_test",
    "standard_error",
    "stats_rows",
    "style_features",
    "summarize",
    "verdict_classes",
    "width_stop",
    "wilson_interval",
]
