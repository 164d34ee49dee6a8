"""Entity linking: match heard names to the catalogue, robust to speech-recognition errors.

"radio head" -> "Radiohead" (spacing), "the beatles" -> "Beatles, The" style differences (leading articles),
"jas" -> jazz (lexicon), small misspellings (character-trigram similarity and rapidfuzz, over a name index
built on first use or prebuilt with a catalogue store: nlu/name_index.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from nlu.lexicon import GENRE_PARENT, GENRES, normalize
from nlu.name_index import NameIndex

__all__ = ["EntityLinker", "Link", "name_key"]

_ARTICLE = re.compile(r"^(the|a|an|dj|mc)\s+")
_NON_ALNUM = re.compile(r"[^a-z0-9&]+")


def name_key(name: str) -> str:
    """A spacing-, accent- and article-insensitive key: "The Radio-Head" -> "radiohead"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace(" and ", " & ").replace(" n ", " & ")
    text = _ARTICLE.sub("", text.strip())
    return _NON_ALNUM.sub("", text)


@dataclass(frozen=True)
class Link:
    value: str
    """The canonical catalogue name."""
    score: float
    """Similarity in [0, 1]; 1.0 for an exact key match."""


class EntityLinker:
    """Links artist names, track titles and genre words to what the loaded catalogue holds."""

    def __init__(
        self,
        artists: Sequence[str] = (),
        titles: Sequence[str] = (),
        genres: Sequence[str] = (),
        subgenres: Sequence[str] = (),
        *,
        artist_index: NameIndex | None = None,
        title_index: NameIndex | None = None,
    ) -> None:
        """`artist_index` / `title_index`: prebuilt indexes (a catalogue store's), whose names then are
        the artists / titles; otherwise one is built from the names on first use."""
        self.artists: Sequence[str] = artist_index.names if artist_index is not None else tuple(artists)
        self.titles: Sequence[str] = title_index.names if title_index is not None else tuple(titles)
        self.genres = tuple(genres)
        self.subgenres = tuple(subgenres)
        self._artist_index = artist_index
        self._title_index = title_index

    @classmethod
    def for_catalog(cls, catalog: object) -> EntityLinker:
        """Build from a Catalog (typed loosely so nlu/ does not depend on assistant/). A catalogue that
        offers prebuilt name indexes (`name_indexes()`: the store's) is linked through them."""
        prebuilt = getattr(catalog, "name_indexes", None)
        artist_index, title_index = prebuilt() if prebuilt is not None else (None, None)
        titles: Sequence[str] = ()
        if title_index is None:
            column = getattr(catalog, "titles", None)
            if column is None:
                column = [t.title for t in getattr(catalog, "tracks", ())]
            titles = sorted(set(column))
        return cls(
            artists=getattr(catalog, "artist_names", ()),
            titles=titles,
            genres=getattr(catalog, "genre_names", ()),
            subgenres=getattr(catalog, "subgenre_names", ()),
            artist_index=artist_index,
            title_index=title_index,
        )

    def link_artist(self, text: str, threshold: float = 0.86) -> Link | None:
        if self._artist_index is None:
            self._artist_index = NameIndex.build(self.artists, name_key)
        return self._link(self._artist_index, text, threshold)

    def link_title(self, text: str, threshold: float = 0.9) -> Link | None:
        if self._title_index is None:
            self._title_index = NameIndex.build(self.titles, name_key)
        return self._link(self._title_index, text, threshold)

    @staticmethod
    def _link(index: NameIndex, text: str, threshold: float) -> Link | None:
        found = index.lookup(name_key(text), threshold)
        return None if found is None else Link(*found)

    def resolve_genre(self, canonical: str) -> tuple[list[str], list[str]]:
        """Catalogue (genres, subgenres) that a lexicon genre value means.

        Matches the value and its surface forms against the catalogue's labels, so "hip hop" finds the
        Spotify genre "rap" and "electronic" finds "edm". A subgenre the catalogue lacks falls back to its
        parent family, because "thrash metal" on a catalogue without it should still mean metal.
        """
        forms = {normalize(canonical), *(normalize(f) for f in GENRES.get(canonical, ()))}
        genres = [g for g in self.genres if normalize(g) in forms]
        subgenres = [s for s in self.subgenres if normalize(s) in forms]
        if not genres and not subgenres and canonical in GENRE_PARENT:
            return self.resolve_genre(GENRE_PARENT[canonical])
        return genres, subgenres
