"""The assistant's moves: the prompt types the dialogue policy chooses between."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIONS", "GATHERS", "Action"]


class Action(StrEnum):
    OPEN_QUESTION = "open_question"  # "Do you have anything in mind?"
    MOOD_QUESTION = "mood_question"  # "Something laid back? Or more upbeat?"
    GENRE_PAIR = "genre_pair"  # "May I suggest some alternative rock? Or perhaps electronic music?"
    ERA_QUESTION = "era_question"  # "Something recent, or older?"
    ACTIVITY_QUESTION = "activity_question"  # "What are you up to: working out, relaxing, ...?"
    ARTIST_SUGGESTION = "artist_suggestion"  # "How about something like <artist>?"
    PLAY_SAMPLE = "play_sample"  # "How about this? ... Did you like it?"
    OFFER_STATION = "offer_station"  # closing: "Shall I start a station of upbeat rock?"
    FEEL_AND_GENRE = "feel_and_genre"  # "Something laid back or upbeat? And maybe rock, or jazz?"


ACTIONS: tuple[Action, ...] = tuple(Action)

# Which attribute each prompt is meant to gather: the basis of the prompt-usefulness reward.
# None for the open question (any attribute counts) and the closing moves (judged by acceptance).
GATHERS: dict[Action, str | None] = {
    Action.OPEN_QUESTION: None,
    Action.MOOD_QUESTION: "mood",
    Action.GENRE_PAIR: "genre",
    Action.ERA_QUESTION: "era",
    Action.ACTIVITY_QUESTION: "activity",
    Action.ARTIST_SUGGESTION: "artist",
    Action.PLAY_SAMPLE: None,
    Action.OFFER_STATION: None,
    Action.FEEL_AND_GENRE: None,  # two attributes at once: the feel or the genre (reward.GATHERED_SLOTS)
}
