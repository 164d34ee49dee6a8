"""The dialogue policy seam: given the state, a probability for every available prompt type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from assistant.dialogue.actions import Action
from assistant.dialogue.state import DialogueState

__all__ = ["DONT_KNOW_LIMIT", "MAX_ASKS", "Policy", "PolicyOutput", "available_actions", "greedy"]

# How often a prompt type may be asked in one conversation; beyond that it would feel like a loop.
MAX_ASKS: dict[Action, int] = {
    Action.OPEN_QUESTION: 1,
    Action.MOOD_QUESTION: 2,
    Action.GENRE_PAIR: 3,
    Action.ERA_QUESTION: 2,
    Action.ACTIVITY_QUESTION: 1,
    Action.ARTIST_SUGGESTION: 3,
    Action.PLAY_SAMPLE: 10_000,
    Action.OFFER_STATION: 2,
    Action.FEEL_AND_GENRE: 1,
}
DONT_KNOW_LIMIT = 2
"""After this many "I don't know"s, stop quizzing: someone who cannot say what they want is shown
choices (a genre pair, an artist, a sample) rather than asked for more of what they cannot say."""
# Questions that ask the person to produce a preference themselves, withdrawn past DONT_KNOW_LIMIT.
_OPEN_ENDED = (Action.OPEN_QUESTION, Action.MOOD_QUESTION, Action.ERA_QUESTION, Action.ACTIVITY_QUESTION)
_ATTRIBUTE = {
    Action.MOOD_QUESTION: "mood",
    Action.GENRE_PAIR: "genre",
    Action.ERA_QUESTION: "era",
    Action.ACTIVITY_QUESTION: "activity",
    Action.ARTIST_SUGGESTION: "artist",
}


@dataclass(frozen=True)
class PolicyOutput:
    probabilities: dict[Action, float]
    """Sums to 1 over the available actions; the manager samples from it and logs it."""
    scores: dict[Action, float] = field(default_factory=dict)
    """Raw preferences (beliefs, predicted usefulness) for display and for exploration wrappers."""


@runtime_checkable
class Policy(Protocol):
    name: str

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput: ...


def available_actions(
    state: DialogueState, *, can_pair: bool, can_suggest_artist: bool, can_sample: bool
) -> list[Action]:
    """Prompt types that make sense now: never re-ask what is known or what the person said they don't
    mind, never beyond MAX_ASKS; no feel question once an activity set the feel ("for a workout" says
    upbeat); no open-ended question after DONT_KNOW_LIMIT "I don't know"s. Playing a sample is always
    possible while unplayed tracks remain. These are the limits of good manners for every policy; which
    of the remaining prompts to ask is the policy's choice."""
    known = state.constraints.known()
    quizzed_out = state.dont_know_count >= DONT_KNOW_LIMIT
    result: list[Action] = []
    for action in Action:
        if state.asked[action] >= MAX_ASKS[action]:
            continue
        attribute = _ATTRIBUTE.get(action)
        if attribute and (known[attribute] or attribute in state.unknown):
            continue
        if action is Action.MOOD_QUESTION and known["activity"]:
            continue
        if action is Action.FEEL_AND_GENRE and not _both_open(known, state.unknown, quizzed_out, can_pair):
            continue
        if quizzed_out and action in _OPEN_ENDED:
            continue
        if action is Action.OPEN_QUESTION and (sum(known.values()) > 0 or state.offered):
            continue
        if action is Action.GENRE_PAIR and not can_pair:
            continue
        if action is Action.ARTIST_SUGGESTION and not can_suggest_artist:
            continue
        if action is Action.PLAY_SAMPLE and not can_sample:
            continue
        if action is Action.OFFER_STATION and not (sum(known.values()) > 0 or state.offered):
            continue
        result.append(action)
    if not result:
        # Everything asked and every track played: the only sensible move left is to close.
        result.append(Action.OFFER_STATION)
    return result


def _both_open(known: dict[str, bool], unknown: set[str], quizzed_out: bool, can_pair: bool) -> bool:
    """The feel-and-genre question makes sense only while both its questions would: neither feel nor
    genre known or waived, no activity setting the feel, a genre pair to offer, not quizzed out."""
    if quizzed_out or not can_pair or known["activity"]:
        return False
    return not any(known[a] or a in unknown for a in ("mood", "genre"))


def greedy(scores: dict[Action, float], available: Sequence[Action]) -> PolicyOutput:
    """All probability on the best-scoring available action (ties by declaration order)."""
    best = max(available, key=lambda a: (scores.get(a, float("-inf")), -list(Action).index(a)))
    return PolicyOutput({a: float(a is best) for a in available}, dict(scores))
