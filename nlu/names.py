"""Where one heard name is really several, or none at all.

People name artists in lists ("some Johnny Cash and Garth Brooks", "Duran Duran, Hall and Oates"), and both
the tagger and the rules' cues take the whole list as one name, which then links to nothing. Some spans are
not names at all: "add some of their songs", "a playlist for my friends". Both understandings pass every
artist and track span through here, so they agree on what counts as a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["after_possessive", "could_be_in_a_name", "is_not_a_name", "split_names"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PRONOUNS = _words(
    """i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
    this that these those there here who what which"""
)
# Words for what is being asked for, not who: "I would like a playlist", "more songs".
_REQUEST_NOUNS = _words(
    """playlist playlists mix mixtape list selection song songs track tracks music tune tunes stuff
    something anything one ones station radio album albums artist artists band bands singer singers
    a an the some any more other few couple of"""
)
# Words around a name that are no part of it: what kind of recording, which service, which sort, where.
_AROUND_NAMES = _words(
    """record records soundtrack soundtracks melody melodies concerto concertos movement movements symphony
    symphonies single singles ep eps chant piece pieces number numbers jam cut anthem sonata record
    top best greatest newest latest new selling charting chart charts hits rated ten twenty forty
    on with by from for via using feat featuring pl
    spotify pandora deezer youtube itunes zvooq slacker netflix iheart vimeo tidal soundcloud napster
    lastfm groove shark google amazon apple rdio qobuz bandcamp mixcloud audiomack anghami gaana"""
)
_WORD = re.compile(r"[\w'’&-]+")

# Separators, from the loosest to the tightest bond: a sentence break always separates ("twenty one pilots?
# and bruno mars"); a comma or slash separates items of a list; "and"/"&"/"or" may be part of one name
# ("Hall and Oates", "Simon & Garfunkel"), so it separates only when the catalogue knows a part.
_SENTENCE = re.compile(r"\s*[?!;]+\s*")
_LIST = re.compile(r"\s*[,/]\s*")
_JOIN = re.compile(r"\s+(?:and|&|or|n|plus)\s+", re.IGNORECASE)
_LEADING = re.compile(
    r"(?:(?:and|or|also|plus|maybe|perhaps|even|(?:the\s+)?(?:artist|band|singer|group|rapper))\s+)+",
    re.IGNORECASE,
)
_EDGE = "\"'“”‘’.,!?;:()[] "
_POSSESSIVE_BEFORE = re.compile(r"\b(?:my|our|your|his|her|their)\s+$", re.IGNORECASE)


def is_not_a_name(text: str) -> bool:
    """Only pronouns and words for music itself: "their", "a playlist", "some more songs"."""
    words = [w.lower().strip("'’") for w in _WORD.findall(text)]
    return not words or all(w in _PRONOUNS or w in _REQUEST_NOUNS for w in words)


def could_be_in_a_name(word: str) -> bool:
    """Can this word be part of a name heard without capitals? Not a word for music or a recording
    ("album", "concerto"), a sort ("top", "newest"), a service ("on deezer"), a number, or a word with a
    possessive ("broadrick's music" is Broadrick's)."""
    w = word.lower().strip("\"'“”‘’.,!?;:()")
    return bool(w) and not (
        w in _AROUND_NAMES or w in _REQUEST_NOUNS or w in _PRONOUNS or w.isdigit() or w.endswith(("'s", "’s"))
    )


def after_possessive(before: str) -> bool:
    """Is a span right after "my"/"our"/"their"...? "decorate my house" and "for my friends" are not a
    genre or a name; a name said with a possessive ("my Radiohead") is rare enough to give up."""
    return _POSSESSIVE_BEFORE.search(before) is not None


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without edge punctuation and leading "and"/"or"/"maybe"; None when nothing is left."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    lead = _LEADING.match(text, start, end)
    if lead:
        start = lead.end()
    if start >= end or is_not_a_name(text[start:end]):
        return None
    return start, end


def _pieces(text: str, span: tuple[int, int], separator: re.Pattern[str]) -> list[tuple[int, int]]:
    start, end = span
    pieces, at = [], start
    for m in separator.finditer(text, start, end):
        pieces.append((at, m.start()))
        at = m.end()
    pieces.append((at, end))
    return [t for t in (_trim(text, a, b) for a, b in pieces) if t is not None]


def split_names(text: str, known: Callable[[str], bool]) -> list[tuple[int, int]]:
    """The (start, end) offsets in `text` of each name it holds, given `known(name)`: does the catalogue
    have it? "Dolly Parton and Kenny Loggins" -> both when either is known; "Krept and Konan" -> one
    name when the catalogue has the duo; "Johnny Cash and Garth Brooks", neither known -> kept as heard,
    one unknown name, because splitting would only guess. "their" -> []."""
    whole = _trim(text, 0, len(text))
    if whole is None:
        return []
    if known(text[whole[0] : whole[1]]):
        return [whole]
    names: list[tuple[int, int]] = []
    for piece in _pieces(text, whole, _SENTENCE):
        names.extend(_resolve(text, piece, (_LIST, _JOIN), known))
    return names


def _resolve(
    text: str,
    span: tuple[int, int],
    separators: tuple[re.Pattern[str], ...],
    known: Callable[[str], bool],
) -> list[tuple[int, int]]:
    if not separators or known(text[span[0] : span[1]]):
        return [span]
    pieces = _pieces(text, span, separators[0])
    if len(pieces) <= 1:
        return _resolve(text, pieces[0], separators[1:], known) if pieces else []
    parts = [p for piece in pieces for p in _resolve(text, piece, separators[1:], known)]
    # Split only when the catalogue recognises a part; otherwise the list is kept as heard.
    return parts if any(known(text[a:b]) for a, b in parts) else [span]
