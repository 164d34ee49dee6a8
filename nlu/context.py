"""Readings that depend on the words around a value, shared by both understandings (applied last).

- How the listener feels vs what the music should do: "I'm sad, cheer me up" wants happy music. Both
  understandings find a mood in "I'm sad" and another in "cheer me up", and the dialogue manager keeps one
  feel a turn, so the first said (the listener's state) used to win and sad music was played to someone
  who asked to be cheered up. A mood said as an effect on the listener ("cheer me up", "calm me down",
  "pump me up": the phrase addresses "me" or "my") is the wish; any other mood in the same turn describes
  how they are, and is dropped. Alone, "I'm feeling down" still asks for melancholy music: matching a mood
  is a fair reading when nothing says otherwise.
- One word is both a feel and a genre: "romantic" (a classical subgenre in catalogues, as in the demo
  one). Said the way people ask for a feel ("something romantic", "romantic songs for date night") it is
  the feel; named as a style ("some romantic", "romantic era") it stays the genre.
- "house" after "the", "this" or "at" is a building: "cleaning the house" is no request for house music.
- A reaction that moves away from what plays is no yes, whatever accept phrase it holds: "this one is a
  little too slow" used to end the conversation on the slow track.
"""

from __future__ import annotations

import re
from dataclasses import replace

from nlu.meaning import Act, Understanding

__all__ = ["in_context", "is_wish", "with_wishes"]

_WISH = re.compile(r"\b(?:me|my|myself)\b", re.IGNORECASE)
# Words both a feel and a genre; the feel is meant after a "something" or before "music" or "for ...".
_FEEL_AND_GENRE = frozenset({"romantic"})
_FEEL_BEFORE = re.compile(
    r"\b(?:something|anything|somewhat|more|very|really|so|bit|little|kind of|sort of|feeling)\s+$",
    re.IGNORECASE,
)
_FEEL_AFTER = re.compile(
    r"^\s+(?:music|songs?|tunes?|tracks?|vibes?|mood|stuff|ballads?|playlist|for)\b", re.IGNORECASE
)
_BUILDING_BEFORE = re.compile(r"\b(?:the|this|that|at|in|around|whole)\s+$", re.IGNORECASE)
# Relative values: said about a sample, they ask for a different one.
_STEERS = frozenset({"more_upbeat", "more_laid_back", "faster", "slower", "older", "newer"})


def in_context(text: str, u: Understanding) -> Understanding:
    """`u` with "romantic" asked for as a feel read as one, "the house" not a genre, overridden moods
    dropped, and a yes that asks for something else read as the request it is."""
    return _steer_not_yes(with_wishes(text, _house_is_a_building(text, _feel_not_genre(text, u))))


def is_wish(phrase: str) -> bool:
    """Does a mood phrase say what the music should do to the listener ("cheer me up")?"""
    return _WISH.search(phrase) is not None


def with_wishes(text: str, u: Understanding) -> Understanding:
    """`u` without the moods that a wished-for mood in the same turn overrides."""
    moods = [s for s in u.slots if s.name == "mood"]
    if len(moods) < 2:
        return u
    wishes = [s for s in moods if not s.negated and is_wish(text[s.start : s.end])]
    if not wishes:
        return u
    slots = tuple(s for s in u.slots if s.name != "mood" or s in wishes)
    return replace(u, slots=slots)


def _feel_not_genre(text: str, u: Understanding) -> Understanding:
    slots = tuple(
        replace(s, name="mood")
        if s.name == "genre"
        and s.value in _FEEL_AND_GENRE
        and text[s.start : s.end].lower() == s.value
        and (_FEEL_BEFORE.search(text[: s.start]) or _FEEL_AFTER.search(text[s.end :]))
        else s
        for s in u.slots
    )
    return u if slots == u.slots else replace(u, slots=slots)


def _house_is_a_building(text: str, u: Understanding) -> Understanding:
    slots = tuple(
        s
        for s in u.slots
        if not (
            s.name == "genre"
            and s.value == "house"
            and text[s.start : s.end].lower() == "house"
            and _BUILDING_BEFORE.search(text[: s.start])
        )
    )
    return u if slots == u.slots else replace(u, slots=slots)


def _steer_not_yes(u: Understanding) -> Understanding:
    """ "this one is a little too slow" ("this one" is an accept phrase), "yes but older": a wish to move
    from what is playing, not a yes to it."""
    if u.act is Act.ACCEPT and any(s.value in _STEERS and not s.negated for s in u.slots):
        return replace(u, act=Act.REQUEST_ALTERNATIVE)
    return u
