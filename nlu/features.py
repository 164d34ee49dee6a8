"""Hand features the uncased encoder cannot see, and lexicon/catalogue gazetteer hits for the heads.

MiniLM lower-cases its input, so capitals, "!", elongation ("yesss") and intensifiers are measured here.
Gazetteer flags tell the heads which words the lexicons and the loaded catalogue know; the heads learn from
context when to trust them (the band "Yes" vs the answer "yes"), because training drops names from the
gazetteer at random and adds common-word names to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nlu.lexicon import ACT_PHRASES, INTENSIFIERS, LEXICAL_KINDS, NEGATORS, normalize, surface_index
from nlu.linking import name_key
from nlu.rules import sentiment_score
from nlu.values import spell_decades

__all__ = [
    "ACT_KINDS",
    "GAZETTEER_KINDS",
    "MAX_CHARS",
    "TOKEN_FEATURES",
    "UTTERANCE_FEATURES",
    "Gazetteer",
    "GazetteerHit",
    "clean_text",
    "intensity",
    "match_text",
    "token_features",
    "utterance_features",
]

MAX_CHARS = 1000
"""Longer input is cut before anything else: nobody asks for music in more words."""
GAZETTEER_KINDS: tuple[str, ...] = (*LEXICAL_KINDS, "artist", "track", "act")
ACT_KINDS: tuple[str, ...] = tuple(ACT_PHRASES)
MAX_NAME_WORDS = 5

_ELONGATED = re.compile(r"([a-z])\1{2,}", re.IGNORECASE)
_WORD = re.compile(r"[\w&'\-]+", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: object) -> str:
    """A str of at most MAX_CHARS with control characters blanked and decades spelled one way; anything
    else becomes ""."""
    if not isinstance(text, str):
        return ""
    return spell_decades(_CONTROL.sub(" ", text[:MAX_CHARS]))


def match_text(text: str) -> str:
    """Lower-case copy of the same length with punctuation blanked, so matches index the original."""
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    if len(lowered) != len(text):
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return re.sub(r"[^\w&'\- ]", " ", lowered)


def _phrase_pattern(forms: Iterable[str]) -> re.Pattern[str] | None:
    parts = sorted({normalize(f) for f in forms if normalize(f)}, key=len, reverse=True)
    if not parts:
        return None
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)
    return re.compile(rf"(?<![\w'&])(?:{body})(?![\w'&])")


@dataclass(frozen=True)
class GazetteerHit:
    start: int
    end: int
    kind: str
    """A GAZETTEER_KINDS entry."""
    value: str
    """Canonical value: lexicon value, catalogue name, or the act name for act phrases."""


class Gazetteer:
    """Finds every lexicon phrase and catalogue name in a text (overlaps kept; the heads decide)."""

    def __init__(
        self, artists: Sequence[str] = (), titles: Sequence[str] = (), genres: Sequence[str] = ()
    ) -> None:
        self.artists = tuple(artists)
        self.titles = tuple(titles)
        self.genres = tuple(genres)
        self._tables: list[tuple[str, re.Pattern[str], dict[str, str]]] | None = None
        self._names: dict[str, dict[str, str]] | None = None

    def _build(self) -> None:
        tables = []
        for kind in LEXICAL_KINDS:
            index = dict(surface_index(kind))
            if kind == "genre":
                for label in self.genres:
                    index.setdefault(normalize(label), label)
            pattern = _phrase_pattern(index)
            if pattern is not None:
                tables.append((kind, pattern, index))
        acts = {normalize(f): act for act, forms in ACT_PHRASES.items() for f in forms}
        tables.append(("act", _phrase_pattern(acts), acts))  # type: ignore[arg-type]
        names: dict[str, dict[str, str]] = {"artist": {}, "track": {}}
        for kind, values in (("artist", self.artists), ("track", self.titles)):
            for name in values:
                key = name_key(name)
                if len(key) >= 2:
                    names[kind].setdefault(key, name)
        self._tables, self._names = tables, names

    def hits(self, text: str) -> list[GazetteerHit]:
        if self._tables is None or self._names is None:
            self._build()
        assert self._tables is not None and self._names is not None
        haystack = match_text(text)
        found: list[GazetteerHit] = []
        for kind, pattern, index in self._tables:
            for m in pattern.finditer(haystack):
                surface = re.sub(r"\s+", " ", m.group(0))
                found.append(GazetteerHit(m.start(), m.end(), kind, index.get(surface, surface)))
        if self._names["artist"] or self._names["track"]:
            words = [(m.start(), m.end()) for m in _WORD.finditer(haystack)][:60]
            for i in range(len(words)):
                for j in range(i + 1, min(len(words), i + MAX_NAME_WORDS) + 1):
                    start, end = words[i][0], words[j - 1][1]
                    key = name_key(haystack[start:end])
                    for kind in ("artist", "track"):
                        name = self._names[kind].get(key)
                        if name is not None:
                            found.append(GazetteerHit(start, end, kind, name))
        return found


TOKEN_FEATURES: tuple[str, ...] = (
    "special",
    "word_start",
    "capitalized",
    "all_caps",
    "digit",
    "punct",
    "after_by",
    *(f"gaz_{kind}_{part}" for kind in GAZETTEER_KINDS for part in ("begin", "inside")),
)


def token_features(text: str, offsets: Sequence[tuple[int, int]], hits: Sequence[GazetteerHit]) -> np.ndarray:
    """(n_pieces, len(TOKEN_FEATURES)) float32 for the word pieces at `offsets` of `text`."""
    feats = np.zeros((len(offsets), len(TOKEN_FEATURES)), dtype=np.float32)
    column = {name: i for i, name in enumerate(TOKEN_FEATURES)}
    lowered = text.lower()
    for t, (start, end) in enumerate(offsets):
        if end <= start:
            feats[t, column["special"]] = 1.0
            continue
        piece = text[start:end]
        word_start = start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "'-")
        feats[t, column["word_start"]] = float(word_start)
        if word_start:
            word_match = _WORD.match(text, start)
            word = word_match.group(0) if word_match else piece
            feats[t, column["capitalized"]] = float(word[:1].isupper())
            feats[t, column["all_caps"]] = float(len(word) > 1 and word.isupper())
            feats[t, column["after_by"]] = float(lowered[max(0, start - 3) : start] == "by ")
        feats[t, column["digit"]] = float(piece.isdigit())
        feats[t, column["punct"]] = float(not any(c.isalnum() for c in piece))
    for hit in hits:
        begin, inside = column[f"gaz_{hit.kind}_begin"], column[f"gaz_{hit.kind}_inside"]
        first = True
        for t, (start, end) in enumerate(offsets):
            if end > start and start >= hit.start and end <= hit.end:
                feats[t, inside] = 1.0
                if first:
                    feats[t, begin] = 1.0
                    first = False
    return feats


UTTERANCE_FEATURES: tuple[str, ...] = (
    "empty",
    "upper_ratio",
    "shouted",
    "exclamations",
    "question",
    "elongated",
    "intensifier",
    "negator",
    "n_words",
    "lexicon_sentiment",
    "non_latin",
    *(f"act_{act}" for act in ACT_KINDS),
    *(f"slot_{kind}" for kind in (*LEXICAL_KINDS, "artist", "track")),
)


def intensity(text: str) -> dict[str, float]:
    """How strongly something is said, apart from what is said."""
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    words = f" {normalize(text)} "
    return {
        "upper_ratio": upper,
        "shouted": float(upper > 0.6 and len(letters) >= 2),
        "exclamations": min(3, text.count("!")) / 3.0,
        "question": float("?" in text),
        "elongated": float(bool(_ELONGATED.search(text))),
        "intensifier": float(any(f" {w} " in words for w in INTENSIFIERS)),
        "negator": float(any(f" {w} " in words for w in NEGATORS)),
    }


@lru_cache(maxsize=4096)
def _lexicon_sentiment(text: str) -> float:
    return sentiment_score(text)


def utterance_features(text: str, hits: Sequence[GazetteerHit]) -> np.ndarray:
    """(len(UTTERANCE_FEATURES),) float32."""
    values = dict.fromkeys(UTTERANCE_FEATURES, 0.0)
    letters = [c for c in text if c.isalpha()]
    values["empty"] = float(not text.strip())
    values.update(intensity(text))
    values["n_words"] = min(30, len(text.split())) / 30.0
    values["lexicon_sentiment"] = _lexicon_sentiment(text)
    values["non_latin"] = (
        float(sum(not c.isascii() for c in letters) / len(letters) > 0.5) if letters else 0.0
    )
    for hit in hits:
        key = f"act_{hit.value}" if hit.kind == "act" else f"slot_{hit.kind}"
        values[key] = 1.0
    return np.array([values[name] for name in UTTERANCE_FEATURES], dtype=np.float32)
