"""Answers worded from the loaded catalogue: what it holds, and what cannot be searched in it and why.

Fixed words, no random draw: the seeded generator's draws must not depend on whether someone asked what
the catalogue holds, or simulated conversations would change with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from assistant.music.catalog import Catalog
from assistant.music.constraints import ACTIVITY_SAID, join_names
from nlu.meaning import Slot

__all__ = ["MAX_LISTED", "catalogue_answer", "relative_said", "unsearchable_said"]

MAX_LISTED = 8
"""At most this many things are named in one answer: a spoken list longer than that is not remembered."""
_FEELS = (("laid_back", "laid back"), ("upbeat", "upbeat"), ("happy", "happy"), ("sad", "melancholy"))
_RELATIVE_SAID = {
    "more_laid_back": "calmer",
    "more_upbeat": "more upbeat",
    "faster": "faster",
    "slower": "slower",
    "older": "older",
    "newer": "newer",
}
_INSTEAD = "I can go by genre, feel, era, activity or an artist you name instead."


def catalogue_answer(
    catalog: Catalog, topic: str | None, within: str | None = None
) -> tuple[str, str, tuple[str, ...]]:
    """(the answer, the attribute its options are values of, the options in the order said) for a question
    about what the catalogue holds: "I have rock, pop and jazz. Which one would you like?". `within`, a
    genre: its styles ("what kinds of rock do you have?")."""
    if topic == "genre" and within is not None:
        styles = _styles_of(catalog, within)
        if styles:
            listed = styles[:MAX_LISTED]
            names = join_names(listed, "and")
            return f"In {within} I have {names}. Which one would you like?", "genre", listed
        return f"I have no {within} here, sorry. Ask me what genres I have.", "genre", ()
    if topic == "artist":
        # The best known first: a name the person may recognise is the useful example.
        popularity = dict(zip(catalog.artist_names, _artist_popularity(catalog), strict=True))
        examples = tuple(sorted(popularity, key=lambda a: (-popularity[a], a))[:5])
        text = (
            f"I have {len(catalog.artist_names)} artists, for example {join_names(examples, 'and')}. "
            "Who would you like?"
        )
        return text, "artist", examples
    if topic == "era":
        decades = tuple(f"{d}s" for d in sorted({int(y) // 10 * 10 for y in catalog.year}))
        text = f"I have music from the {join_names(decades, 'and')}. Which decade would you like?"
        return text, "era", decades
    if topic == "mood":
        values = tuple(v for v, _ in _FEELS)
        said = join_names([s for _, s in _FEELS], "or")
        return f"Anything {said}. Which feel would you like?", "mood", values
    if topic == "activity":
        activities = tuple(ACTIVITY_SAID)
        said = join_names([ACTIVITY_SAID[a] for a in activities], "or")
        return f"Music for {said}. What is it for?", "activity", activities
    genres = _genres_by_size(catalog)
    listed = genres[:MAX_LISTED]
    more = " and more" if len(genres) > len(listed) else ""
    names = join_names(listed, "and") if not more else ", ".join(listed)
    if topic == "genre":
        return f"I have {names}{more}. Which one would you like?", "genre", listed
    years = sorted({int(y) // 10 * 10 for y in catalog.year})
    text = (
        f"I have {len(catalog)} tracks by {len(catalog.artist_names)} artists: {names}{more}, from the "
        f"{years[0]}s to the {years[-1]}s. What would you like?"
    )
    return text, "genre", listed


def _styles_of(catalog: Catalog, genre: str) -> tuple[str, ...]:
    """The subgenres a catalogue holds of a genre, the biggest first."""
    counts = Counter(t.subgenre for t in catalog.tracks if t.genre == genre and t.subgenre != genre)
    return tuple(g for g, _ in sorted(counts.items(), key=lambda gc: (-gc[1], gc[0])))


def _genres_by_size(catalog: Catalog) -> tuple[str, ...]:
    counts = Counter(t.genre for t in catalog.tracks)
    return tuple(g for g, _ in sorted(counts.items(), key=lambda gc: (-gc[1], gc[0])))


def _artist_popularity(catalog: Catalog) -> list[float]:
    totals = np.bincount(catalog.artist_ids, weights=catalog.popularity, minlength=len(catalog.artist_names))
    counts = np.bincount(catalog.artist_ids, minlength=len(catalog.artist_names))
    return [float(t / c) if c else 0.0 for t, c in zip(totals, counts, strict=True)]


def relative_said(values: Sequence[str]) -> str:
    """ "something calmer", "something older and faster": a move away from the sample, said as one."""
    words = list(dict.fromkeys(_RELATIVE_SAID.get(v, v.replace("_", " ")) for v in values))
    return "something " + join_names(words, "and")


def unsearchable_said(slots: Sequence[Slot]) -> str:
    """What cannot be searched for, said honestly with what can be done instead: who sings (female or male
    vocals) is in no catalogue column; themes ("christmas", "songs about love") are not either; vocals
    and popularity only where the catalogue has the numbers."""
    parts: list[str] = []
    singers = [s.value for s in slots if s.name == "vocals" and s.value in ("female", "male")]
    if singers:
        parts.append(
            f"I can't tell who is singing, so I can't look for a {join_names(singers, 'or')} singer."
        )
    vocals = [s.value for s in slots if s.name == "vocals" and s.value not in ("female", "male")]
    if vocals:
        parts.append("This catalogue doesn't say which tracks have vocals.")
    if any(s.name == "popularity" for s in slots):
        parts.append("This catalogue doesn't say how popular its tracks are.")
    themes = list(dict.fromkeys(s.value for s in slots if s.name == "theme"))
    if themes:
        parts.append(
            f"I can't search for {join_names(themes, 'or')}: what songs are about isn't in my catalogue."
        )
    return " ".join([*parts, _INSTEAD])
