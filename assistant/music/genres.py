"""Genre tags as people and taggers write them ("Alt. Rock", "Hip-Hop/Rap", "Electronica; Dance", "(17)")
mapped onto the lexicon's genres and families, so a scanned folder is searched with the same words as the
demo and Spotify catalogues."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from nlu.lexicon import GENRE_PARENT, GENRES, normalize, surface_index

__all__ = ["UNCLASSIFIED", "family_labels", "normalize_genre"]

UNCLASSIFIED = "unclassified"
"""The family of a track whose tags and folders name no genre tunetalk knows."""

_SPLIT = re.compile(r"\s*(?:[;/|,]|\s-\s)\s*")
_NOISE = re.compile(r"\b(?:music|songs?|general|other|misc|various)\b")


@lru_cache(maxsize=1)
def _forms() -> dict[str, str]:
    """normalized surface form -> canonical genre; also with spaces, hyphens and '&' ironed out."""
    forms = dict(surface_index("genre"))
    for form, canonical in list(forms.items()):
        forms.setdefault(form.replace("-", " "), canonical)
        forms.setdefault(form.replace(" ", ""), canonical)
    return forms


def _canonical(text: str) -> str | None:
    key = normalize(text.replace("_", " ")).replace(".", "")
    if not key:
        return None
    forms = _forms()
    for candidate in (key, key.replace("-", " "), key.replace(" ", ""), _NOISE.sub("", key).strip()):
        if candidate in forms:
            return forms[candidate]
    words = key.replace("-", " ").split()
    # "progressive rock", "uk garage house": the longest known tail names the kind of music.
    for start in range(1, len(words)):
        tail = " ".join(words[start:])
        if tail in forms:
            return forms[tail]
    return None


def normalize_genre(raw: str | None, hints: Sequence[str] = ()) -> tuple[str, str] | None:
    """(family, genre) for a tag's genre text, else for the first of `hints` (folder names) that names
    one; None when nothing does. "Indie Rock" -> ("rock", "indie rock"); "Rock" -> ("rock", "rock")."""
    for text in (raw or "", *hints):
        if not text.strip():
            continue
        pieces = [text, *_SPLIT.split(text)]
        for piece in pieces:
            canonical = _canonical(piece)
            if canonical is not None:
                return GENRE_PARENT.get(canonical, canonical), canonical
    return None


def family_labels(families: Iterable[str], catalogue_genres: Sequence[str]) -> dict[str, str]:
    """How a folder's families are written in another catalogue that names them differently (Spotify
    says "rap" and "edm" where the lexicon says "hip hop" and "electronic"), so a merged catalogue has
    one label per family. Families the other catalogue lacks keep their name."""
    mapping = {}
    for family in families:
        if family in catalogue_genres:
            continue
        forms = {normalize(family), *(normalize(f) for f in GENRES.get(family, ()))}
        same = [g for g in catalogue_genres if normalize(g) in forms]
        if same:
            mapping[family] = same[0]
    return mapping
