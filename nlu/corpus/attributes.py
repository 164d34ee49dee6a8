"""Attribute phrases of the training corpus: a genre, artist, title, era, feel, activity, tempo, vocals,
popularity or theme said in one of many frames ("some {}", "something by {}", "from the {}"), with its slot
and normalized value."""

from __future__ import annotations

import random
from collections.abc import Sequence

from nlu.corpus.drafts import Draft, pick_forms
from nlu.corpus.phrases import (
    EXTRA_DECADES,
    EXTRA_GENRES,
    GENRE_FAMILIES,
    HOMOPHONES,
    MUSIC_ITEMS,
)
from nlu.lexicon import (
    ACTIVITIES,
    DECADES,
    ERA_RELATIVE,
    GENRE_MODIFIERS,
    GENRES,
    MOODS,
    POPULARITY,
    TEMPO_WORDS,
    THEMES,
    VOCALS,
)

__all__ = ["AttributeWriter", "year_in_words"]

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_PLURAL_TENS = [
    "tens",
    "twenties",
    "thirties",
    "forties",
    "fifties",
    "sixties",
    "seventies",
    "eighties",
    "nineties",
]


def _number(n: int) -> str:
    """0-99 in words: "ninety five"."""
    if n < 20:
        return _UNITS[n]
    tens, units = divmod(n, 10)
    return _TENS[tens - 2] + ("" if units == 0 else " " + _UNITS[units])


def year_in_words(year: int, rng: random.Random) -> str:
    """A year as people say it: "nineteen ninety five", "two thousand ten", "twenty fifteen",
    "two thousand and five", "nineteen oh five"."""
    century, rest = divmod(year, 100)
    if century == 20 and (rest < 10 or rng.random() < 0.5):
        joint = " and " if rest and rng.random() < 0.3 else " "
        return "two thousand" + (joint + _number(rest) if rest else "")
    head = "nineteen" if century == 19 else "twenty"
    if rest == 0:
        return head + " hundred" if century == 19 else "two thousand"
    return f"{head} {'oh ' + _UNITS[rest] if rest < 10 else _number(rest)}"


def decade_in_words(decade: int) -> str:
    """ "nineteen nineties", "twenty tens" (1990, 2010)."""
    century, rest = divmod(decade, 100)
    head = "nineteen" if century == 19 else "twenty"
    return f"{head} {_PLURAL_TENS[rest // 10 - 1]}" if rest else "two thousands"


class AttributeWriter:
    """Writes one attribute phrase into a draft; the utterance generator builds on it."""

    def __init__(self, rng: random.Random, artists: Sequence[str], titles: Sequence[str]) -> None:
        self.rng = rng
        self.artists = list(artists)
        self.titles = list(titles)
        self.genres = pick_forms(GENRES)
        self.extra_genres = [(g, g) for g in EXTRA_GENRES] + [
            (f"{m} {f}", f) for m in GENRE_MODIFIERS for f in GENRE_FAMILIES
        ]
        moods = {k: v for k, v in MOODS.items() if not k.startswith("more_")}
        self.moods = pick_forms(moods)
        self.relative_moods = pick_forms({k: v for k, v in MOODS.items() if k.startswith("more_")})
        self.activities = pick_forms(ACTIVITIES)
        self.decades = pick_forms({**DECADES, **EXTRA_DECADES})
        self.relative_eras = pick_forms(ERA_RELATIVE)
        self.tempos = pick_forms(TEMPO_WORDS)
        self.vocal_forms = pick_forms(VOCALS)
        self.popularity_forms = pick_forms(POPULARITY)
        self.themes = pick_forms(THEMES)

    # -- attribute phrases -------------------------------------------------------------------------------
    def genre(self, d: Draft) -> None:
        r = self.rng
        surface, value = r.choice(self.extra_genres) if r.random() < 0.3 else r.choice(self.genres)
        if value in HOMOPHONES and r.random() < 0.15:
            surface = r.choice(HOMOPHONES[value])
        frame = r.choice(
            [
                "{}",
                "some {}",
                "{} music",
                "a bit of {}",
                "{} songs",
                "something {}",
                "{} stuff",
                "some {} music",
                "{} tracks",
                "a little {}",
                "some good {}",
                "{} tunes",
            ]
        )
        self._frame(d, frame, surface, "genre", value)

    def artist(self, d: Draft) -> None:
        r = self.rng
        name = self._noisy_name(r.choice(self.artists))
        frame = r.choice(
            [
                "{}",
                "something by {}",
                "songs by {}",
                "music by {}",
                "something like {}",
                "stuff like {}",
                "music similar to {}",
                "anything by {}",
                "more {}",
                "some {}",
                "{}'s music",
                "artists like {}",
                "something similar to {}",
                "anything from {}",
                "the new {}",
                "a song by {}",
                "{}'s new album",
                "the latest from {}",
                "something in the style of {}",
                "a bit of {}",
                "tracks by {}",
                "{} songs",
                "music from {}",
                "the artist {}",
                "the band {}",
                "some of {}'s stuff",
                "stuff by {}",
            ]
        )
        if r.random() < 0.12:
            article, item = r.choice(["a", "the", "some", "any"]), r.choice(MUSIC_ITEMS)
            frame = f"{article} {item} {r.choice(['by', 'from'])} {{}}"
        self._frame(d, frame, name, "artist", name)

    def track(self, d: Draft) -> None:
        r = self.rng
        title = self._noisy_name(r.choice(self.titles))
        if r.random() < 0.45:
            artist = self._noisy_name(r.choice(self.artists))
            if r.random() < 0.75:
                pre = r.choice(["", "the song ", "the track ", "the tune "])
                d.add(pre.strip()) if pre else None
                d.add(title, "track", title)
                d.add(r.choice(["by", "from"]))
                d.add(artist, "artist", artist)
            else:
                d.add(artist, "artist", artist)
                d.add("'s", glue=True)
                d.add(title, "track", title)
            return
        frame = r.choice(
            ["{}", "the song {}", "the track {}", "the album {}", "{} the song", "the single {}"]
        )
        self._frame(d, frame, title, "track", title)

    def era(self, d: Draft) -> None:
        r = self.rng
        roll = r.random()
        if roll < 0.08:
            # Years and decades in words, as speech recognizers write them.
            year = r.randint(1950, 2029)
            if r.random() < 0.75:
                surface = year_in_words(year, r)
                frames = ["from {}", "released in {}", "{}", "around {}", "something from {}", "{} music"]
            else:
                # "the" stays outside the span, as for every decade of the lexicon ("from the nineties").
                surface = decade_in_words(year // 10 * 10)
                frames = ["from the {}", "the {}", "something from the {}", "{} music", "back in the {}"]
            frame = r.choice(frames)
            self._frame(d, frame, surface, "era", f"{year // 10 * 10}s")
        elif roll < 0.25:
            year = r.randint(1925, 2024)
            surface = str(year)
            self._frame(
                d,
                r.choice(["from {}", "released in {}", "from the year {}", "{}", "around {}"]),
                surface,
                "era",
                f"{year // 10 * 10}s",
            )
        elif roll < 0.45:
            surface, value = r.choice(self.relative_eras)
            self._frame(
                d,
                r.choice(
                    [
                        "something {}",
                        "{}",
                        "{} stuff",
                        "{} music",
                        "a bit {}",
                        "more {}",
                        "go {}",
                        "{} songs",
                        "something a little {}",
                    ]
                ),
                surface,
                "era",
                value,
            )
        else:
            surface, value = r.choice(self.decades)
            if value in HOMOPHONES and r.random() < 0.1:
                surface = r.choice(HOMOPHONES[value])
            self._frame(
                d,
                r.choice(
                    [
                        "from the {}",
                        "{}",
                        "from {}",
                        "something from the {}",
                        "{} music",
                        "back in the {}",
                        "out of the {}",
                        "from the {} era",
                    ]
                ),
                surface,
                "era",
                value,
            )

    def mood(self, d: Draft) -> None:
        r = self.rng
        if r.random() < 0.2:
            surface, value = r.choice(self.relative_moods)
            self._frame(
                d,
                r.choice(["{}", "something {}", "a bit {}", "make it {}", "can it be {}"]),
                surface,
                "mood",
                value,
            )
            return
        surface, value = r.choice(self.moods)
        self._frame(
            d,
            r.choice(
                [
                    "something {}",
                    "{}",
                    "{} music",
                    "with a {} vibe",
                    "with a {} feel",
                    "that's {}",
                    "{} songs",
                    "something a bit {}",
                    "really {} stuff",
                    "something {} please",
                    "{} tunes",
                    "a {} playlist",
                ]
            ),
            surface,
            "mood",
            value,
        )

    def activity(self, d: Draft) -> None:
        r = self.rng
        surface, value = r.choice(self.activities)
        if surface.endswith("ing") and r.random() < 0.5:
            # Bare answers to "what are you up to?" too: "working", "just cooking" (a lone "working" was
            # give-up, from "this isn't working").
            frame = r.choice(
                [
                    "while {}",
                    "while i'm {}",
                    "for {}",
                    "to listen to while {}",
                    "good for {}",
                    "{}",
                    "i'm {}",
                    "just {}",
                ]
            )
        else:
            frame = r.choice(
                [
                    "for {}",
                    "for my {}",
                    "for the {}",
                    "music for {}",
                    "something for {}",
                    "to {} to",
                    "during {}",
                    "for a {}",
                ]
            )
        self._frame(d, frame, surface, "activity", value)

    def tempo(self, d: Draft) -> None:
        r = self.rng
        if r.random() < 0.3:
            bpm = r.randrange(60, 190, 5)
            surface = r.choice([f"{bpm} bpm", f"{bpm} beats per minute", f"{bpm} bpm"])
            self._frame(
                d,
                r.choice(["around {}", "at {}", "{}", "about {}", "something at {}"]),
                surface,
                "tempo",
                str(bpm),
            )
            return
        surface, value = r.choice(self.tempos)
        self._frame(
            d,
            r.choice(["something {}", "{}", "a bit {}", "{} please", "{} songs", "make it {}"]),
            surface,
            "tempo",
            value,
        )

    def vocals(self, d: Draft) -> None:
        surface, value = self.rng.choice(self.vocal_forms)
        if surface.startswith(("with ", "without ", "no ", "sung")):
            frames = ["{}", "something {}", "songs {}", "music {}"]
        elif surface.startswith(("a ", "women ", "men ", "nobody ")):
            frames = ["{}", "something with {}", "songs with {}"]
        elif value in ("female", "male"):
            frames = ["{}", "something with a {}", "songs with a {}", "{} please", "music by a {}"]
        else:
            frames = ["something {}", "{}", "{} music", "{} songs", "{} please"]
        self._frame(d, self.rng.choice(frames), surface, "vocals", value)

    def popularity(self, d: Draft) -> None:
        surface, value = self.rng.choice(self.popularity_forms)
        frames = ["something {}", "{}", "{} songs", "some {}", "the {}", "{} tracks", "only {}", "{} stuff"]
        self._frame(d, self.rng.choice(frames), surface, "popularity", value)

    def theme(self, d: Draft) -> None:
        surface, value = self.rng.choice(self.themes)
        frames = ["{}", "some {}", "something {}", "{} please", "play {}"]
        self._frame(d, self.rng.choice(frames), surface, "theme", value)

    def _frame(self, d: Draft, frame: str, surface: str, slot: str, value: str) -> None:
        before, _, after = frame.partition("{}")
        if before.strip():
            d.add(before.strip())
        d.add(surface, slot, value)
        if after.startswith("'s"):
            d.add("'s", glue=True)
            after = after[2:]
        if after.strip():
            d.add(after.strip())

    def _noisy_name(self, name: str) -> str:
        """Names as a speech recognizer or a hurried typist gives them back."""
        r = self.rng
        roll = r.random()
        words = name.split()
        if roll < 0.08 and len(words) == 1 and len(name) >= 7:
            cut = r.randint(3, len(name) - 3)
            return f"{name[:cut]} {name[cut:].lower()}"
        if roll < 0.14 and len(words) == 2:
            return "".join(words)
        if roll < 0.2 and words and words[0].lower() == "the":
            return " ".join(words[1:])
        if roll < 0.24 and len(name) > 5:
            i = r.randrange(1, len(name) - 1)
            return name[:i] + name[i + 1 :]
        return name
