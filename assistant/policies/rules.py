"""The rule-based policy a careful designer would write: the baseline any learned policy must beat.

It follows the flow voice designers use for "help me find music": an open question first, then the two
questions that split a catalogue best (energy, then genre), narrowing further only while many tracks
still fit, then samples; after repeated rejections it changes tack (asks what it has not asked, or
offers a station). Its `scores` are graded beliefs about how good each prompt is now, which the logging
policy turns into exploration probabilities (probability matching).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.dialogue.actions import Action
from assistant.dialogue.policy import PolicyOutput, greedy
from assistant.dialogue.state import DialogueState

__all__ = ["RulePolicy"]

MANY_CANDIDATES = 60
"""Above this many fitting tracks, one more narrowing question is worth a turn."""


class RulePolicy:
    name = "rules"

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        scores = self.beliefs(state, available)
        return greedy(scores, available)

    def beliefs(self, state: DialogueState, available: Sequence[Action]) -> dict[Action, float]:
        choice = self._choose(state, available)
        known = state.constraints.known()
        n_candidates = state.candidates.n_candidates if state.candidates else 0
        plausible: dict[Action, float] = {
            Action.OPEN_QUESTION: 0.5 if not any(known.values()) else 0.05,
            Action.MOOD_QUESTION: 0.45,
            Action.GENRE_PAIR: 0.4,
            Action.ERA_QUESTION: 0.25 if n_candidates > MANY_CANDIDATES else 0.1,
            Action.ACTIVITY_QUESTION: 0.2,
            Action.ARTIST_SUGGESTION: 0.15 + 0.1 * state.rejects_in_a_row,
            Action.PLAY_SAMPLE: 0.2 + 0.15 * sum(known.values()),
            Action.OFFER_STATION: 0.05 + 0.1 * state.rejects_in_a_row,
        }
        scores = {a: plausible[a] for a in available}
        # The rule's own choice is what the designer believes in most.
        scores[choice] = max(scores.values()) + 0.5
        total = sum(scores.values())
        return {a: s / total for a, s in scores.items()}

    @staticmethod
    def _choose(state: DialogueState, available: Sequence[Action]) -> Action:
        def first(*options: Action) -> Action | None:
            return next((a for a in options if a in available), None)

        known = state.constraints.known()
        n_candidates = state.candidates.n_candidates if state.candidates else 0
        fallback = first(Action.PLAY_SAMPLE) or available[0]
        if known["artist"]:
            return fallback  # they named who they want: play it
        if state.offered and state.last_action is not Action.PLAY_SAMPLE:
            return fallback  # one question between samples, then back to listening: never quiz in a row
        if state.rejects_in_a_row >= 4:
            return first(Action.OFFER_STATION, Action.ARTIST_SUGGESTION) or fallback
        if state.rejects_in_a_row >= 2:
            # Samples are missing: learn something new before the next one.
            return (
                first(
                    Action.GENRE_PAIR,
                    Action.MOOD_QUESTION,
                    Action.ERA_QUESTION,
                    Action.ACTIVITY_QUESTION,
                    Action.ARTIST_SUGGESTION,
                )
                or fallback
            )
        if not state.offered:
            if not any(known.values()):
                choice = first(Action.OPEN_QUESTION, Action.MOOD_QUESTION, Action.GENRE_PAIR)
                if choice:
                    return choice
            if not known["mood"] and not known["activity"]:
                choice = first(Action.MOOD_QUESTION)
                if choice:
                    return choice
            if not known["genre"]:
                choice = first(Action.GENRE_PAIR)
                if choice:
                    return choice
            if n_candidates > MANY_CANDIDATES:
                choice = first(Action.ERA_QUESTION)
                if choice:
                    return choice
        return fallback
