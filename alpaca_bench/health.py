"""What a reader must know before trusting a comparison's win rate, in one place.

Pure functions of a summary's figures. `compare` stores their result in `summary.json`
(`ComparisonSummary.warnings`); the terminal report, `--json`, `gate` and the leaderboard show
that list, and `stats` computes the same warnings from its own rows. Three things are checked:

- outputs cut at the token limit: the judge compared unfinished answers;
- position consistency: a judge whose verdict follows the order the answers were shown in says
  little about the answers;
- counts against the win rate: wins and losses count the side each prompt leans to, while the win
  rate averages the preferences themselves (a logprob judge's probabilities, or both orders);
  the two can fall on opposite sides of 50%.

Rates are fractions in [0, 1]; the text shows them as percentages.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ServiceError
from .pricing import CostBudget
from .records import ComparisonSummary

MAX_TRUNCATED_SHARE = 0.10  # warn when more than this share of one side's outputs was cut
MIN_POSITION_CONSISTENCY = 0.60  # warn below this
GRADED_TOLERANCE = 5e-4  # mean and rounded win rates closer than this are the same figure


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def graded(win_rate: float | None, discrete_win_rate: float | None) -> bool:
    """Whether the win rate averages graded preferences, so that it differs from the share of
    prompts won (ties half) that the counts give."""
    if win_rate is None or discrete_win_rate is None:
        return False
    return abs(win_rate - discrete_win_rate) >= GRADED_TOLERANCE


def counts_text(
    n: int, wins: int, losses: int, ties: int, win_rate: float | None, discrete_win_rate: float | None
) -> str:
    """The outcome counts as a reader should read them (plain text, no markup).

    With graded preferences the counts are labelled as rounded and their own win rate is shown
    beside the averaged one, so "2 wins · 6 losses" never sits unexplained next to 49%."""
    counts = f"{wins} wins · {losses} losses · {ties} ties"
    if win_rate is None or discrete_win_rate is None or not graded(win_rate, discrete_win_rate):
        return f"{n} prompts: {counts}"
    return (
        f"{n} prompts (counted by the side each prompt leans to): {counts} → {_pct(discrete_win_rate)}; "
        f"the win rate {_pct(win_rate)} averages the judge's preferences"
    )


def truncation_text(summary: ComparisonSummary) -> str:
    """How many outputs of each side stopped at the token limit, or that it is unknown."""
    limit = f" (--max-new-tokens {summary.max_new_tokens})" if summary.max_new_tokens is not None else ""
    sides = [
        f"{side} {cut} of {known}" if known else f"{side} unknown"
        for side, cut, known in (
            ("baseline", summary.truncated_baseline, summary.finish_known_baseline),
            ("candidate", summary.truncated_candidate, summary.finish_known_candidate),
        )
    ]
    return f"outputs stopped at the token limit{limit}: " + " · ".join(sides)


def truncation_warning(
    side: str, truncated: int, known: int, total: int, max_new_tokens: int | None
) -> str | None:
    """More than `MAX_TRUNCATED_SHARE` of one side's outputs stopped at the token limit."""
    if known <= 0 or truncated / known <= MAX_TRUNCATED_SHARE:
        return None
    outputs = f"{side} outputs" if known >= total else f"{side} outputs with a known finish reason"
    limit = f" (--max-new-tokens {max_new_tokens})" if max_new_tokens is not None else ""
    return (
        f"{truncated} of {known} {outputs} ({_pct(truncated / known, 0)}) stopped at the token limit{limit}; "
        "the judge compared cut-off answers"
    )


def position_warning(position_consistency: float | None) -> str | None:
    """Verdicts that flip when the answers swap places carry little information."""
    if position_consistency is None or position_consistency >= MIN_POSITION_CONSISTENCY:
        return None
    return (
        f"position consistency {_pct(position_consistency, 0)}: verdicts depend mostly on which answer "
        "is shown first; this win rate carries little information about the models"
    )


def direction_warning(
    win_rate: float | None, wins: int, losses: int, discrete_win_rate: float | None
) -> str | None:
    """The averaged win rate and the counts point to opposite sides of 50%."""
    if win_rate is None or win_rate == 0.5 or wins == losses:
        return None
    if (win_rate > 0.5) == (wins > losses):
        return None
    rate_side, count_side = ("candidate", "baseline") if win_rate > 0.5 else ("baseline", "candidate")
    counted = f" → {_pct(discrete_win_rate)}" if discrete_win_rate is not None else ""
    return (
        f"the win rate {_pct(win_rate)} (mean preference) favours the {rate_side}, but more prompts lean "
        f"to the {count_side} ({wins} wins · {losses} losses{counted}): a few confident verdicts outweigh "
        "many close ones; neither figure alone says which model is better"
    )


def comparison_warnings(
    *,
    wins: int,
    losses: int,
    win_rate: float | None,
    discrete_win_rate: float | None,
    position_consistency: float | None = None,
    truncation: dict[str, tuple[int, int, int]] | None = None,
    max_new_tokens: int | None = None,
) -> list[str]:
    """Every warning that applies, most fundamental first. `truncation` maps a side name to
    (outputs cut at the limit, outputs with a known finish reason, outputs judged)."""
    found = [
        truncation_warning(side, cut, known, total, max_new_tokens)
        for side, (cut, known, total) in (truncation or {}).items()
    ]
    found.append(position_warning(position_consistency))
    found.append(direction_warning(win_rate, wins, losses, discrete_win_rate))
    return [w for w in found if w is not None]


def summary_warnings(summary: ComparisonSummary) -> list[str]:
    """The warnings of a comparison summary (what `ComparisonSummary.warnings` holds)."""
    return comparison_warnings(
        wins=summary.wins,
        losses=summary.losses,
        win_rate=summary.win_rate,
        discrete_win_rate=summary.discrete_win_rate,
        position_consistency=summary.position_consistency,
        truncation={
            "baseline": (summary.truncated_baseline, summary.finish_known_baseline, summary.n_prompts),
            "candidate": (summary.truncated_candidate, summary.finish_known_candidate, summary.n_prompts),
        },
        max_new_tokens=summary.max_new_tokens,
    )


def with_warnings(summary: ComparisonSummary) -> ComparisonSummary:
    """`summary` with its warnings filled in."""
    return summary.model_copy(update={"warnings": summary_warnings(summary)})


def stop_if_unfinished(
    budget: CostBudget | None,
    unscored: int,
    total: int,
    max_unscored_frac: float,
    *,
    records: str,
    asker: str,
    folder: Path,
    log: Path,
) -> None:
    """Fail loudly (exit 3) after a run's summary is written, so nothing is hidden or lost: when
    it stopped at the spend cap, or too many of its `records` (judgments, grades) are unscored
    because the `asker`'s (judge's, grader's) answers could not be read."""
    if budget is not None and budget.exhausted:
        raise ServiceError(
            f"stopped at the --max-cost limit of ${budget.limit_usd:g} (spent ${budget.spent_usd:.4f}); "
            f"{records} so far are saved in {folder}; re-run with a higher --max-cost to finish"
        )
    total = max(1, total)
    if unscored / total > max_unscored_frac:
        raise ServiceError(
            f"{unscored} of {total} {records} are unscored ({asker} answers could not be parsed), "
            f"more than --max-unscored-frac {max_unscored_frac:g}; raw answers are in "
            f"{log}; the summary was written but should not be trusted"
        )
