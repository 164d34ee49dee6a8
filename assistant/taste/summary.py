"""What listening history says about a person, as the dialogue policy sees it (empty for a cold start)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HistorySummary"]


@dataclass(frozen=True)
class HistorySummary:
    """What listening history says about this person, as the policy sees it (empty for a cold start)."""

    n_plays: int = 0
    top_genre_share: float = 0.0
    """Share of plays in the person's most played genre: how predictable their taste is."""
    affinity_top: float = 0.0
    """Highest affinity among current candidates (0 when no history)."""
    affinity_mean_top10: float = 0.0
