"""Human rating in the terminal: blind pairs from a comparison run, one key per rating.

The Textual app is imported only when a session starts (`rate_in_terminal`), so importing this
package stays light.
"""

from .pairs import RatingPair, first_shown_for, rating_pairs, run_eval_set
from .session import CHOICES, Choice, ChoiceMeaning, Progress, RatingSession
from .terminal import rate_in_terminal

__all__ = [
    "CHOICES",
    "Choice",
    "ChoiceMeaning",
    "Progress",
    "RatingPair",
    "RatingSession",
    "first_shown_for",
    "rate_in_terminal",
    "rating_pairs",
    "run_eval_set",
]
