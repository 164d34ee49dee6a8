"""Dialogue state: everything the assistant knows at a turn, and the features the policy sees."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from assistant.dialogue.actions import Action
from assistant.music.constraints import Constraints
from assistant.music.retrieval import CandidateStats
from assistant.taste.summary import HistorySummary
from nlu.meaning import Act, Understanding

__all__ = [
    "ACTION_AFFINITY_FEATURES",
    "FEATURE_NAMES",
    "OPTIONAL_FEATURES",
    "PROGRESS_FEATURES",
    "DialogueState",
    "Status",
]


class Status:
    ACTIVE = "active"
    ACCEPTED = "accepted"
    ABANDONED = "abandoned"
    STOPPED = "stopped"
    UNFINISHED = "unfinished"


_LAST_ACTS = (
    Act.GREET,
    Act.INFORM,
    Act.ACCEPT,
    Act.REJECT,
    Act.REQUEST_ALTERNATIVE,
    Act.SKIP,
    Act.DONT_KNOW,
    Act.UNCLEAR,
    Act.HELP,
)
_KNOWABLE = ("genre", "mood", "era", "activity", "artist")

FEATURE_NAMES: tuple[str, ...] = (
    "turn",
    *(f"known_{k}" for k in _KNOWABLE),
    "n_known",
    *(f"unknown_{k}" for k in _KNOWABLE),
    "log_candidates",
    "top_match",
    "mean_match_top10",
    "genre_entropy",
    "energy_spread",
    "year_spread",
    *(f"last_act_{a.value}" for a in _LAST_ACTS),
    "sentiment_mean",
    "sentiment_last",
    "confidence_last",
    "n_offered",
    "n_rejected",
    "rejects_in_a_row",
    "dont_know_count",
    *(f"asked_{a.value}" for a in Action),
    "last_action_sample",
    "has_history",
    "history_log_plays",
    "history_top_genre_share",
    "history_affinity_top",
    "history_affinity_mean_top10",
    *(f"affinity_{a}" for a in ("play_sample", "offer_station", "genre_pair", "artist_suggestion")),
    # How the conversation is going for this person: what their replies so far reveal, and how much
    # patience it has cost them (repairs, questions they could not answer, samples they turned down).
    "opened_with_request",
    "answered",
    "unanswered_in_a_row",
    "questions_in_a_row",
    "directions",
    "repairs",
    "unclear_in_a_row",
    "turns_since_sample",
    # The retriever's view beyond size and spread: whether one candidate stands out, and how much of the
    # best-ranked music the genre pair on offer covers (how likely one of the two is right).
    "match_margin",
    "pair_coverage",
)
ACTION_AFFINITY_FEATURES: dict[str, str] = {
    a: f"affinity_{a}" for a in ("play_sample", "offer_station", "genre_pair", "artist_suggestion")
}
"""Prompt type -> the feature holding the affinity of what that prompt would put forward
(assistant.taste.affinity.action_affinity): the per-action history features a learned policy may use."""
PROGRESS_FEATURES: tuple[str, ...] = FEATURE_NAMES[FEATURE_NAMES.index("opened_with_request") :]
OPTIONAL_FEATURES: dict[str, float] = {
    **dict.fromkeys(ACTION_AFFINITY_FEATURES.values(), 0.0),
    **dict.fromkeys(PROGRESS_FEATURES, 0.0),
    # A prompt type added later was asked no time in an older log.
    f"asked_{Action.FEEL_AND_GENRE.value}": 0.0,
}
"""Features added after logs were first written, and the value an older log's decision is read with (a
cold start logged no affinity; the progress and retriever features were not logged at all, so an older
log reads as if nothing had happened yet): readers fill them in rather than reject the log. Policies
trained on such logs see less than the features promise; re-simulate rather than train on them."""


@dataclass
class DialogueState:
    """Mutable conversation state, owned by the dialogue manager."""

    turn: int = 0
    constraints: Constraints = field(default_factory=Constraints)
    unknown: set[str] = field(default_factory=set)
    """Attributes the person said they have no preference about: never asked again."""
    asked: Counter[Action] = field(default_factory=Counter)
    last_action: Action | None = None
    pending_options: tuple[str, ...] = ()
    """What the last prompt offered (two genres, an artist), so "yes"/"no" can be resolved."""
    offered: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    current_sample: str | None = None
    sentiments: list[float] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    last_act: Act | None = None
    rejects_in_a_row: int = 0
    unclear_in_a_row: int = 0
    dont_know_count: int = 0
    held: Understanding | None = None
    """An understanding waiting for confirmation because recognition was unsure."""
    candidates: CandidateStats | None = None
    history: HistorySummary = field(default_factory=HistorySummary)
    action_affinity: dict[str, float] = field(default_factory=dict)
    """Affinity of what each prompt would put forward now (empty for a cold start)."""
    proposals: dict[Action, tuple[str, ...]] = field(default_factory=dict)
    """What the suggesting prompts would put forward now (the genre pair, the artist), set before the
    policy decides."""
    status: str = Status.ACTIVE
    accepted_track: str | None = None
    opened_with_request: bool = False
    """The first thing the person said already asked for something."""
    answered: int = 0
    """Prompts whose reply gave a value the assistant applied."""
    unanswered_in_a_row: int = 0
    """Questions in a row the person could not or would not answer ("I don't know", "no")."""
    questions_in_a_row: int = 0
    """Prompts since the last sample, this one not counted."""
    directions: int = 0
    """Samples turned down with a direction ("older", "more upbeat", "no, jazz")."""
    repairs: int = 0
    """Times the assistant had to ask again or confirm what it heard."""
    last_sample_turn: int = 0
    """The user turn at which the last sample was played (0: none yet)."""

    @property
    def sentiment_mean(self) -> float:
        if not self.sentiments:
            return 0.0
        # Recent feelings count more: an exponential moving average from the first reply on.
        value = self.sentiments[0]
        for s in self.sentiments[1:]:
            value = 0.6 * value + 0.4 * s
        return value

    def features(self) -> dict[str, float]:
        """The fixed-order numeric view of the state that policies and the log use."""
        known = self.constraints.known()
        stats = self.candidates
        f: dict[str, float] = {"turn": float(self.turn)}
        for k in _KNOWABLE:
            f[f"known_{k}"] = float(known[k])
        f["n_known"] = float(sum(known[k] for k in _KNOWABLE))
        for k in _KNOWABLE:
            f[f"unknown_{k}"] = float(k in self.unknown)
        f["log_candidates"] = math.log1p(stats.n_candidates) if stats else 0.0
        f["top_match"] = stats.top_match if stats else 0.0
        f["mean_match_top10"] = stats.mean_match_top10 if stats else 0.0
        f["genre_entropy"] = stats.genre_entropy if stats else 0.0
        f["energy_spread"] = stats.energy_spread if stats else 0.0
        f["year_spread"] = stats.year_spread / 20.0 if stats else 0.0
        for act in _LAST_ACTS:
            f[f"last_act_{act.value}"] = float(self.last_act is act)
        f["sentiment_mean"] = self.sentiment_mean
        f["sentiment_last"] = self.sentiments[-1] if self.sentiments else 0.0
        f["confidence_last"] = self.confidences[-1] if self.confidences else 1.0
        f["n_offered"] = float(len(self.offered))
        f["n_rejected"] = float(len(self.rejected))
        f["rejects_in_a_row"] = float(self.rejects_in_a_row)
        f["dont_know_count"] = float(self.dont_know_count)
        for action in Action:
            f[f"asked_{action.value}"] = float(self.asked[action])
        f["last_action_sample"] = float(self.last_action is Action.PLAY_SAMPLE)
        h = self.history
        f["has_history"] = float(h.n_plays > 0)
        f["history_log_plays"] = math.log1p(h.n_plays)
        f["history_top_genre_share"] = h.top_genre_share
        f["history_affinity_top"] = h.affinity_top
        f["history_affinity_mean_top10"] = h.affinity_mean_top10
        for prompt, name in ACTION_AFFINITY_FEATURES.items():
            f[name] = self.action_affinity.get(prompt, 0.0)
        f["opened_with_request"] = float(self.opened_with_request)
        f["answered"] = float(self.answered)
        f["unanswered_in_a_row"] = float(self.unanswered_in_a_row)
        f["questions_in_a_row"] = float(self.questions_in_a_row)
        f["directions"] = float(self.directions)
        f["repairs"] = float(self.repairs)
        f["unclear_in_a_row"] = float(self.unclear_in_a_row)
        f["turns_since_sample"] = float(self.turn - self.last_sample_turn)
        f["match_margin"] = stats.match_margin if stats else 0.0
        f["pair_coverage"] = stats.pair_coverage if stats else 0.0
        assert tuple(f) == FEATURE_NAMES, "features() and FEATURE_NAMES disagree"
        return f
