"""Goal-closeness: how near the conversation is to music the person wants, and the empathy it calls for."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

__all__ = ["Empathy", "empathy_for", "goal_closeness"]


class Empathy(StrEnum):
    SUPPORTIVE = "supportive"  # far from the goal or frustrated: acknowledge, reassure, change tack
    NEUTRAL = "neutral"
    ENTHUSIASTIC = "enthusiastic"  # close: confident, warm, brief


SUPPORTIVE_BELOW = 0.52
ENTHUSIASTIC_FROM = 0.72


def goal_closeness(sentiment: float, confidences: Sequence[float], match: float, n_known: int) -> float:
    """A score in [0, 1] from how the person feels so far, how sure we are we understood them lately,
    and how well the best candidates fit what they asked for.

    A perfect fit to one vague attribute ("upbeat") is not yet close, so the fit counts in proportion to
    how much is known: half with nothing, fully from two attributes on.
    """
    recent = list(confidences[-3:]) or [1.0]
    understood = sum(recent) / len(recent)
    feeling = (max(-1.0, min(1.0, sentiment)) + 1.0) / 2.0
    specificity = 0.5 + 0.25 * min(2, n_known)
    fit = max(0.0, min(1.0, match)) * specificity
    return round(0.45 * feeling + 0.25 * understood + 0.30 * fit, 4)


def empathy_for(closeness: float) -> Empathy:
    if closeness < SUPPORTIVE_BELOW:
        return Empathy.SUPPORTIVE
    if closeness >= ENTHUSIASTIC_FROM:
        return Empathy.ENTHUSIASTIC
    return Empathy.NEUTRAL
