"""The human side, in one place: rating blind pairs in the terminal (`rate`), votes in the
leaderboard's battle arena, and how well people agree with each other and with a judge.

Every rating is a `Judgment` by the judge `records.HUMAN` with the person as `rater`, in the
same run folders as machine judgments. The Textual app, the arena (model backends) and the
agreement report (statistics) load on first use, so importing this package stays light.
"""

from typing import TYPE_CHECKING

from alpaca_bench.registry import lazy_attributes

from ._pairs import RatingPair, ShownTurn, first_shown_for, rating_pairs, run_eval_set
from ._session import CHOICES, Choice, ChoiceMeaning, Progress, RatingSession
from ._terminal import rate_in_terminal

if TYPE_CHECKING:  # what the lazy names are, for the type checker
    from ._agreement import AgreementReport, agreement_report
    from ._app import RatingApp
    from ._battle import (
        EXAMPLE_CONFIG,
        Arena,
        Battle,
        BattleConfig,
        BattleModel,
        Update,
        Vote,
        VoteResult,
        load_battle_config,
    )

_LAZY = {
    "RatingApp": "_app",
    "EXAMPLE_CONFIG": "_battle",
    "Arena": "_battle",
    "Battle": "_battle",
    "BattleConfig": "_battle",
    "BattleModel": "_battle",
    "Update": "_battle",
    "Vote": "_battle",
    "VoteResult": "_battle",
    "load_battle_config": "_battle",
    "AgreementReport": "_agreement",
    "agreement_report": "_agreement",
}

__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "CHOICES",
    "EXAMPLE_CONFIG",
    "AgreementReport",
    "Arena",
    "Battle",
    "BattleConfig",
    "BattleModel",
    "Choice",
    "ChoiceMeaning",
    "Progress",
    "RatingApp",
    "RatingPair",
    "RatingSession",
    "ShownTurn",
    "Update",
    "Vote",
    "VoteResult",
    "agreement_report",
    "first_shown_for",
    "load_battle_config",
    "rate_in_terminal",
    "rating_pairs",
    "run_eval_set",
]
