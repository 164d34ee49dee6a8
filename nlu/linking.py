"""Entity linking: match heard names to the catalogue, robust to speech-recognition errors.

"radio head" -> "Radiohead" (spacing), "the beatles" -> "Beatles, The" style differences (leading articles),
"jas" -> jazz (lexicon), small misspellings (character-trigram similarity). Indexes are built on first use.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from nlu.lexicon import GENRE_PARENT, GENRES, normalize

__all__ = ["EntityLinker", "Link", "name_key"]

_ARTICLE = re.compile(r"^(the|a|an|dj|mc)\s+")
_NON_ALNUM = re.compile(r"[^a-z0-9&]+")


def name_key(name: str) -> str:
    """A spacing-, accent- and article-insensitive key: "The Radio-Head" -> "radiohead"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace(" and ", " & ").replace(" n ", " & ")
    text = _ARTICLE.sub("", text.strip())
    return _NON_ALNUM.sub("", text)


def _trigrams(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@dataclass(frozen=True)
class Link:
    value: str
    """The canonical catalogue name."""
    score: float
    """Similarity in [0, 1]; 1.0 for an exact key match."""


@dataclass
class _FuzzyIndex:
    names: Sequence[str]
    exact: dict[str, str] = field(default_factory=dict)
    grams: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for i, name in enumerate(self.names):
            key = name_key(name)
            self.keys.append(key)
            if not key:
                continue
            # Keep the most common spelling when two names share a key; first come wins here.
            self.exact.setdefault(key, name)
            for gram in _trigrams(key):
                self.grams[gram].append(i)

    def lookup(self, text: str, threshold: float) -> Link | None:
        key = name_key(text)
        if not key:
            return None
        if key in self.exact:
            return Link(self.exact[key], 1.0)
        if len(key) < 4:
            return None
        grams = _trigrams(key)
        hits: Counter[int] = Counter()
        for gram in grams:
            postings = self.grams.get(gram)
            # Very common trigrams say little and cost a lot on big catalogues.
            if postings is not None and len(postings) < 2000:
                hits.update(postings)
        best: Link | None = None
        for i, shared in hits.most_common(25):
            candidate = self.keys[i]
            dice = 2.0 * shared / (len(grams) + len(_trigrams(candidate)))
            if dice < threshold - 0.2:
                continue
            score = 0.5 * dice + 0.5 * SequenceMatcher(None, key, candidate).ratio()
            if score >= threshold and (best is None or score > best.score):
                best = Link(self.names[i], round(score, 3))
        return best


class EntityLinker:
    """Links artist names, track titles and genre words to what the loaded catalogue holds."""

    def __init__(
        self,
        artists: Sequence[str] = (),
        titles: Sequence[str] = (),
        genres: Sequence[str] = (),
        subgenres: Sequence[str] = (),
    ) -> None:
        self.artists = tuple(artists)
        self.titles = tuple(titles)
        self.genres = tuple(genres)
        self.subgenres = tuple(subgenres)
        self._artist_index: _FuzzyIndex | None = None
        self._title_index: _FuzzyIndex | None = None

    @classmethod
    def for_catalog(cls, catalog: object) -> EntityLinker:
        """Build from a Catalog (typed loosely so nlu/ does not depend on assistant/)."""
        tracks = getattr(catalog, "tracks", ())
        return cls(
            artists=getattr(catalog, "artist_names", ()),
            titles=sorted({t.title for t in tracks}),
            genres=getattr(catalog, "genre_names", ()),
            subgenres=getattr(catalog, "subgenre_names", ()),
        )

    def link_artist(self, text: str, threshold: float = 0.86) -> Link | None:
        if self._artist_index is None:
            self._artist_index = _FuzzyIndex(self.artists)
        return self._artist_index.lookup(text, threshold)

    def link_title(self, text: str, threshold: float = 0.9) -> Link | None:
        if self._title_index is None:
            self._title_index = _FuzzyIndex(self.titles)
        return self._title_index.lookup(text, threshold)

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
