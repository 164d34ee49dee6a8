"""The rule-based policy a careful designer would write: the baseline any learned policy must beat.

It follows the flow voice designers use for "help me find music": an open question first, then the two
questions that split a catalogue best (energy, then genre), narrowing further only while many tracks
still fit, then samples; after repeated rejections it changes tack (asks what it has not asked, or
offers a station). Its `scores` are graded beliefs about how good each prompt is now, which the logging
policy turns into exploration probabilities (probability matching).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from assistant.dialogue.actions import Action
from assistant.dialogue.policy import PolicyOutput, greedy
from assistant.dialogue.state import DialogueState

__all__ = ["DEFAULT_RULES", "RulePolicy", "RuleSettings", "load_rule_settings"]

MANY_CANDIDATES = 60
"""Above this many fitting tracks, one more narrowing question is worth a turn."""


@dataclass(frozen=True)
class RuleSettings:
    """The knobs a designer would turn; the defaults are the rules as written (the baseline). A tuned
    variant (`rules-tuned`) is the best setting of a small grid, chosen by simulation on the training
    populations (learning.tuning)."""

    open_first: bool = True
    """Start with "Do you have anything in mind?" when nothing is known yet."""
    questions_before_sample: int = 99
    """At most this many narrowing questions (feel, genre, period) before the first sample; the rules
    as written set no limit beyond how often each prompt may be asked."""
    genre_first: bool = False
    """Ask for the genre before the feel."""
    many_candidates: int = MANY_CANDIDATES
    """Ask about the period only while more than this many tracks still fit."""
    rejects_before_asking: int = 2
    """After this many rejected samples in a row, ask something new before the next sample."""
    feel_and_genre: bool = False
    """Ask for the feel and the genre in one question instead of one after the other."""
    play_with_history: bool = False
    """With a listening history whose favourite genre dominates, play a sample at once."""
    history_share: float = 0.5
    """How dominant (share of plays) the favourite genre must be for `play_with_history`."""

    @staticmethod
    def from_dict(data: dict[str, object]) -> RuleSettings:
        known = {f.name: f.type for f in fields(RuleSettings)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown rule setting(s): {', '.join(unknown)}")
        return RuleSettings(**data)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


DEFAULT_RULES = RuleSettings()


def load_rule_settings(path: str | Path) -> RuleSettings:
    """Rule settings from a JSON file ({"settings": {...}}); raises ValueError naming the problem."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a rule settings file ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
        raise ValueError(f'{path}: expected an object with a "settings" object')
    try:
        return RuleSettings.from_dict(data["settings"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


class RulePolicy:
    name = "rules"

    def __init__(self, settings: RuleSettings = DEFAULT_RULES, name: str | None = None) -> None:
        self.settings = settings
        if name is not None:
            self.name = name

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        scores = self.beliefs(state, available)
        return greedy(scores, available)

    def beliefs(self, state: DialogueState, available: Sequence[Action]) -> dict[Action, float]:
        choice = self._choose(state, available, self.settings)
        known = state.constraints.known()
        n_candidates = state.candidates.n_candidates if state.candidates else 0
        plausible: dict[Action, float] = {
            Action.OPEN_QUESTION: 0.5 if not any(known.values()) else 0.05,
            Action.MOOD_QUESTION: 0.45,
            Action.GENRE_PAIR: 0.4,
            Action.ERA_QUESTION: 0.25 if n_candidates > self.settings.many_candidates else 0.1,
            Action.ACTIVITY_QUESTION: 0.2,
            Action.ARTIST_SUGGESTION: 0.15 + 0.1 * state.rejects_in_a_row,
            Action.PLAY_SAMPLE: 0.2 + 0.15 * sum(known.values()),
            Action.OFFER_STATION: 0.05 + 0.1 * state.rejects_in_a_row,
            Action.FEEL_AND_GENRE: 0.35 if not any(known.values()) else 0.1,
        }
        scores = {a: plausible[a] for a in available}
        # The rule's own choice is what the designer believes in most.
        scores[choice] = max(scores.values()) + 0.5
        total = sum(scores.values())
        return {a: s / total for a, s in scores.items()}

    @staticmethod
    def _choose(state: DialogueState, available: Sequence[Action], settings: RuleSettings) -> Action:
        def first(*options: Action) -> Action | None:
            return next((a for a in options if a in available), None)

        s = settings
        known = state.constraints.known()
        n_candidates = state.candidates.n_candidates if state.candidates else 0
        fallback = first(Action.PLAY_SAMPLE) or available[0]
        if known["artist"]:
            return fallback  # they named who they want: play it
        if state.offered and state.last_action is not Action.PLAY_SAMPLE:
            return fallback  # one question between samples, then back to listening: never quiz in a row
        if state.rejects_in_a_row >= 2 * s.rejects_before_asking:
            return first(Action.OFFER_STATION, Action.ARTIST_SUGGESTION) or fallback
        if state.rejects_in_a_row >= s.rejects_before_asking:
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
            if s.play_with_history and state.history.top_genre_share >= s.history_share:
                return fallback  # their history says what they play: let them hear it
            asked = sum(
                state.asked[a]
                for a in (Action.MOOD_QUESTION, Action.GENRE_PAIR, Action.ERA_QUESTION, Action.FEEL_AND_GENRE)
            )
            if asked >= s.questions_before_sample:
                return fallback
            if not any(known.values()):
                opening: tuple[Action, ...] = (Action.MOOD_QUESTION, Action.GENRE_PAIR)
                if s.genre_first:
                    opening = (Action.GENRE_PAIR, Action.MOOD_QUESTION)
                if s.feel_and_genre:
                    opening = (Action.FEEL_AND_GENRE, *opening)
                choice = first(*((Action.OPEN_QUESTION, *opening) if s.open_first else opening))
                if choice:
                    return choice
            feel = (not known["mood"] and not known["activity"], Action.MOOD_QUESTION)
            genre = (not known["genre"], Action.GENRE_PAIR)
            for wanted, action in (genre, feel) if s.genre_first else (feel, genre):
                choice = first(action) if wanted else None
                if choice:
                    return choice
            if n_candidates > s.many_candidates:
                choice = first(Action.ERA_QUESTION)
                if choice:
                    return choice
        return fallback
