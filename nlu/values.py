"""From a span of text to the normalized slot value the dialogue manager consumes (see nlu/meaning.py).

The model finds where an attribute is said; this module says what it means: lexicon surface forms first,
then decade arithmetic for eras ("nineteen eighty five" -> 1980s), fuzzy lexicon matches for speech-
recognition slips ("jaz" -> jazz), the head word of unknown genres ("dream pop" -> pop), and the catalogue
linker for artists and titles. Unknown artists and titles keep the words as heard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from nlu.lexicon import GENRES, normalize, surface_index
from nlu.linking import EntityLinker
from nlu.names import is_not_a_name

__all__ = ["Value", "decade_of", "normalize_value", "spell_decades"]

_NUMBER_WORDS = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fourties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
    "tens": 10,
    "noughties": 0,
    "naughties": 0,
    "aughts": 0,
    "thousands": 0,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "ten": 10,
    "eleven": 10,
    "twelve": 10,
    "thirteen": 10,
    "fourteen": 10,
    "fifteen": 10,
    "sixteen": 10,
    "seventeen": 10,
    "eighteen": 10,
    "nineteen": 10,
}
_FILLER = re.compile(
    r"^(?:(?:some|a|an|the|bit|of|little|more of|kind of|sort of|something|anything|any|really|very|"
    r"real|my|that's|that|is|it|kinda|sorta|like|maybe|um|uh|er|please)\s+)+"
)
_TRAILING = re.compile(
    r"(?:\s+(?:music|songs?|tracks?|stuff|tunes|vibes?|please|ones?|type|kind|style|'s))+$"
)
_OLDER = ("old", "older", "oldies", "earlier", "vintage", "retro", "classic", "back in the day", "throwback")
_NEWER = ("new", "newer", "newest", "recent", "latest", "modern", "current", "fresh", "today")


@dataclass(frozen=True)
class Value:
    value: str
    confidence: float
    """How sure the mapping from words to value is (1.0 for an exact lexicon form)."""
    linked: bool = False


_DECADE_APOSTROPHE = re.compile(r"\b((?:1[89]|20)?\d0)['’]s\b")


def spell_decades(text: str) -> str:
    """ "the 80's", "1960's" as "the 80s ", "1960s ": the apostrophe form is common in typed requests
    and neither understanding knew it ("some 50's music" lost its era). Same length, so every
    character offset still points into the text as typed."""
    return _DECADE_APOSTROPHE.sub(lambda m: f"{m.group(1)}s ", text)


def decade_of(words: str) -> str | None:
    """A decade "1990s" from "the nineties", "'90s", "1995", "nineteen eighties", "twenty tens"."""
    text = normalize(words).replace("'", " ").replace("-", " ")
    year = re.search(r"\b(1[89]\d\d|20[0-3]\d)s?\b", text)
    if year:
        return f"{int(year.group(1)) // 10 * 10}s"
    short = re.search(r"\b([0-9]0)s\b", text)
    if short:
        tens = int(short.group(1))
        return f"{(2000 if tens <= 20 else 1900) + tens}s"
    tokens = text.split()
    for i, token in enumerate(tokens):
        if token in _NUMBER_WORDS:
            tens = _NUMBER_WORDS[token]
            previous = tokens[i - 1] if i else ""
            if token == "thousands" or token in ("noughties", "naughties", "aughts"):
                return "2000s"
            if token == "tens":
                return "2010s"
            if previous == "twenty" and tens == 20:
                return "2020s"
            return f"{1900 + tens}s"
        if token == "nineteen" and i + 1 < len(tokens) and tokens[i + 1] in _TENS:
            return f"{1900 + _TENS[tokens[i + 1]]}s"
        if token == "two" and i + 2 < len(tokens) and tokens[i + 1] == "thousand":
            return "2000s" if tokens[i + 2] not in _TENS else f"{2000 + _TENS[tokens[i + 2]]}s"
        if token == "twenty" and i + 1 < len(tokens) and tokens[i + 1] in _TENS:
            return f"{2000 + _TENS[tokens[i + 1]]}s"
    return None


def _strip(text: str) -> str:
    core = normalize(text)
    core = _FILLER.sub("", core)
    return _TRAILING.sub("", core).strip()


@lru_cache(maxsize=8)
def _forms(kind: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(surface_index(kind).items(), key=lambda kv: -len(kv[0])))


def _lexicon(kind: str, text: str) -> Value | None:
    index = surface_index(kind)
    for candidate in (normalize(text), _strip(text)):
        if candidate in index:
            return Value(index[candidate], 1.0)
    core = f" {_strip(text)} "
    # A longer span that holds a known form ("really mellow vibes" -> mellow). The form that ends the
    # phrase comes first: in English the last word names the thing ("alternative pop" is pop, whatever
    # "alternative" alone would mean).
    held = [(form, value) for form, value in _forms(kind) if len(form) >= 3 and f" {form} " in core]
    for form, value in held:
        if core.endswith(f" {form} "):
            return Value(value, 0.85)
    return Value(held[0][1], 0.85) if held else None


def _fuzzy(kind: str, text: str, threshold: float) -> Value | None:
    core = _strip(text)
    if len(core) < 3:
        return None
    best: tuple[float, str] | None = None
    for form, value in _forms(kind):
        if abs(len(form) - len(core)) > 3:
            continue
        score = SequenceMatcher(None, core, form).ratio()
        if score >= threshold and (best is None or score > best[0]):
            best = (score, value)
    return Value(best[1], round(best[0] * 0.9, 3)) if best else None


def _genre(text: str, linker: EntityLinker | None) -> Value | None:
    found = _lexicon("genre", text)
    if found:
        return found
    core = _strip(text)
    if linker is not None:
        for label in (*linker.genres, *linker.subgenres):
            if normalize(label) == core:
                return Value(label, 0.95)
    fuzzy = _fuzzy("genre", text, 0.86)
    if fuzzy:
        return fuzzy
    words = core.split()
    # An unknown subgenre usually names its family last ("dream pop", "slow rock") or first ("rock opera").
    index = surface_index("genre")
    for word in (words[-1:] + words[:1]) if words else []:
        if word in index and word in {normalize(g) for g in GENRES}:
            return Value(index[word], 0.6)
    return Value(core, 0.5) if core else None


def _era(text: str) -> Value | None:
    found = _lexicon("era", text)
    if found and found.confidence == 1.0:
        return found
    decade = decade_of(text)
    if decade:
        return Value(decade, 0.95)
    if found:
        return found
    words = set(_strip(text).split())
    if words & set(_OLDER):
        return Value("older", 0.7)
    if words & set(_NEWER):
        return Value("newer", 0.7)
    return None


def _tempo(text: str) -> Value | None:
    number = re.search(r"\b(\d{2,3})\b", text)
    if number and 40 <= int(number.group(1)) <= 220:
        return Value(number.group(1), 0.95)
    return _lexicon("tempo", text) or _fuzzy("tempo", text, 0.85)


def _name(text: str) -> str:
    name = text.strip().strip("\"'“”‘’.,!?;:()[]")
    name = re.sub(r"(?:'s|’s)$", "", name).strip()
    return name


_OPPOSITE = {
    ("tempo", "slow"): "faster",
    ("tempo", "fast"): "slower",
    ("mood", "laid_back"): "more_upbeat",
    ("mood", "upbeat"): "more_laid_back",
}


# "it's a bit slow", "nice but kind of mellow": a hedged complaint about what is playing. Without the
# "it's" or "but" the same words ask for it ("something a bit slow"), and "pretty" or "quite" praise.
_COMPLAINT_BEFORE = re.compile(
    r"\b(?:it'?s|it\s+is|that'?s|that\s+is|this\s+is|this\s+one\s+is|this\s+one'?s|but)\s+(?:just\s+)?"
    r"(?:a\s+(?:bit|little|tad)(?:\s+too)?|kind\s+of|kinda|sort\s+of|slightly|somewhat|rather)\s*$",
    re.IGNORECASE,
)


def after_too(kind: str, value: str, before: str) -> str:
    """ "Too slow" asks for the opposite of slow: a feel or tempo right after "too", or after a hedged
    complaint ("it's a bit slow", "good but kind of mellow"), is turned around."""
    if re.search(r"\btoo\s*$", before, re.IGNORECASE) or _COMPLAINT_BEFORE.search(before):
        return _OPPOSITE.get((kind, value), value)
    return value


def normalize_value(kind: str, text: str, linker: EntityLinker | None = None) -> Value | None:
    """The normalized value of a span of slot `kind`, or None when it cannot mean a valid value."""
    if kind == "genre":
        return _genre(text, linker)
    if kind == "era":
        return _era(text)
    if kind == "tempo":
        return _tempo(text)
    if kind in ("mood", "activity", "vocals", "popularity", "theme"):
        return _lexicon(kind, text) or _fuzzy(kind, text, 0.85)
    if kind in ("artist", "track"):
        name = _name(text)
        if not name or is_not_a_name(name):
            return None
        if linker is not None:
            link = (linker.link_artist if kind == "artist" else linker.link_title)(name, threshold=0.86)
            if link:
                return Value(link.value, link.score, True)
        return Value(name, 0.8)
    return None
