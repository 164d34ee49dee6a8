"""Music vocabulary: canonical values and the ways people (and speech recognizers) say them.

Shared by the rule understanding, the training-corpus generator and the recognizer vocabulary, so the
three agree on what a word means. Keys are canonical values; lists are surface forms, lower-case. One
module per attribute (genres, feelings and tempo, activities, eras, traits) and one for act phrases and
sentiment words; this package joins them and indexes every surface form.
"""

from __future__ import annotations

import re
from functools import cache

from nlu.lexicon.activities import ACTIVITIES, ACTIVITY_PROFILE
from nlu.lexicon.acts import ACT_PHRASES, INTENSIFIERS, NEGATORS, SENTIMENT_WORDS
from nlu.lexicon.eras import DECADES, ERA_RELATIVE
from nlu.lexicon.feelings import MOOD_PROFILE, MOODS, TEMPO_WORDS
from nlu.lexicon.genres import GENRE_MODIFIERS, GENRE_PARENT, GENRES
from nlu.lexicon.traits import POPULARITY, THEMES, VOCALS

__all__ = [
    "ACTIVITIES",
    "ACTIVITY_PROFILE",
    "ACT_PHRASES",
    "DECADES",
    "ERA_RELATIVE",
    "GENRES",
    "GENRE_MODIFIERS",
    "GENRE_PARENT",
    "INTENSIFIERS",
    "LEXICAL_KINDS",
    "MOODS",
    "MOOD_PROFILE",
    "NEGATORS",
    "POPULARITY",
    "SENTIMENT_WORDS",
    "TEMPO_WORDS",
    "THEMES",
    "VOCALS",
    "is_genre_word",
    "normalize",
    "surface_index",
    "vocabulary_words",
]

LEXICAL_KINDS: tuple[str, ...] = (
    "genre",
    "era",
    "tempo",
    "mood",
    "activity",
    "vocals",
    "popularity",
    "theme",
)
"""Slots whose values are phrases of these vocabularies (the other two, artist and track, are names)."""

_SPACE = re.compile(r"\s+")
_STRIP = re.compile(r"[^\w&'\- ]+", re.UNICODE)


def normalize(text: str) -> str:
    """Lower-case, map punctuation to spaces (keeping & ' - inside words), collapse whitespace."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = _STRIP.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


@cache
def surface_index(kind: str) -> dict[str, str]:
    """Surface form -> canonical value for one vocabulary ("genre", "mood", "activity", "era", "tempo",
    "vocals", "popularity", "theme")."""
    tables: dict[str, dict[str, list[str]]] = {
        "genre": GENRES,
        "mood": MOODS,
        "activity": ACTIVITIES,
        "era": {**DECADES, **ERA_RELATIVE},
        "tempo": TEMPO_WORDS,
        "vocals": VOCALS,
        "popularity": POPULARITY,
        "theme": THEMES,
    }
    index: dict[str, str] = {}
    for canonical, forms in tables[kind].items():
        for form in (canonical.replace("_", " "), *forms):
            index.setdefault(normalize(form), canonical)
    return index


def is_genre_word(value: str) -> bool:
    """Is this a style of music the lexicons know (whether or not a catalogue holds it)? "christmas" or
    "seductive", tagged as a genre by the model, is not."""
    return normalize(value) in surface_index("genre")  # every family and subgenre name is indexed


def vocabulary_words() -> list[str]:
    """Every word the lexicons use: a starting vocabulary for speech recognizers' grammars."""
    words: set[str] = set()
    for table in (GENRES, MOODS, ACTIVITIES, DECADES, ERA_RELATIVE, TEMPO_WORDS, ACT_PHRASES):
        for canonical, forms in table.items():
            for form in (canonical.replace("_", " "), *forms):
                words.update(w for w in normalize(form).split() if w.isalpha() or "'" in w)
    return sorted(words)
