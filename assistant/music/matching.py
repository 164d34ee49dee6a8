"""How well every catalogue track fits the constraints: one part per stated attribute (genre, energy,
era, artist...), weighted and added up, for every track or for given rows (the same numbers either way)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from assistant.music.catalog import Catalog
from assistant.music.constraints import Constraints
from nlu.lexicon import ACTIVITY_PROFILE, GENRE_PARENT
from nlu.linking import EntityLinker

__all__ = ["PART_ORDER", "WEIGHTS", "Matcher"]

PART_ORDER = ("genre", "energy", "valence", "era", "activity", "artist", "tempo", "vocals", "popularity")
"""The order a match adds its parts up in (float addition is not associative: one order, one result)."""

# How much each stated attribute counts in the match; an artist named outright outweighs everything.
WEIGHTS = {
    "genre": 1.0,
    "energy": 1.0,
    "valence": 0.6,
    "era": 0.7,
    "activity": 0.8,
    "artist": 1.2,
    "tempo": 0.5,
    "vocals": 0.8,
    "popularity": 0.6,
}


class Matcher:
    """Scores catalogue tracks against constraints: the weighted mean of each stated attribute's fit."""

    def __init__(self, catalog: Catalog, linker: EntityLinker | None = None) -> None:
        self.catalog = catalog
        self._linker = linker
        self._match_cache: dict[Constraints, np.ndarray] = {}
        self._genre_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._code_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def linker(self) -> EntityLinker:
        if self._linker is None:
            self._linker = EntityLinker.for_catalog(self.catalog)
        return self._linker

    def _genre_sparse(self, genre: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, fit) of the tracks a genre word fits at all, rows ascending: 1 for its own genre or
        subgenre, 0.9 for a track only listed under it (smooth jazz on an r&b playlist: it fits, but the
        person hears its own genre), half its family's fit for a relative ("indie rock" asked,
        "alternative rock" found). Every other track fits 0."""
        cached = self._genre_cache.get(genre)
        if cached is not None:
            return cached
        cat = self.catalog
        index = cat.indexes
        genres, subgenres = self.linker.resolve_genre(genre)
        rows: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for g in (cat.genre_names.index(name) for name in genres):
            listed = cat.listed.rows(g)
            rows.append(listed)
            values.append(np.where(cat.genre_ids[listed] == g, 1.0, 0.9))
        for s in (cat.subgenre_names.index(name) for name in subgenres):
            own = index.subgenres.rows(s)
            rows.append(own)
            values.append(np.ones(len(own)))
        family = GENRE_PARENT.get(genre)
        if family and family != genre:
            f_rows, f_values = self._genre_sparse(family)
            rows.append(f_rows)
            values.append(0.5 * f_values)
        result = _max_by_row(rows, values)
        if len(self._genre_cache) >= 256:
            self._genre_cache.clear()
        self._genre_cache[genre] = result
        return result

    def _genre_match(self, genre: str, rows: np.ndarray | None = None) -> np.ndarray:
        """A genre word's fit of every track (rows None) or of the given rows."""
        codes, levels = self._genre_codes(genre)
        return levels[codes] if rows is None else levels[codes[rows]]

    def _genre_codes(self, genre: str) -> tuple[np.ndarray, np.ndarray]:
        """A genre word's fit as one byte per track indexing its few distinct values (1, 0.9, 0.5...):
        a look-up per candidate, a megabyte per million tracks."""
        cached = self._code_cache.get(genre)
        if cached is None:
            g_rows, g_values = self._genre_sparse(genre)
            levels, inverse = np.unique(np.concatenate([[0.0], g_values]), return_inverse=True)
            codes = np.zeros(len(self.catalog), dtype=np.uint8)
            codes[g_rows] = inverse[1:]
            if len(self._code_cache) >= 64:
                self._code_cache.clear()
            cached = self._code_cache[genre] = (codes, levels)
        return cached

    def has_genre(self, genre: str) -> bool:
        """Does the catalogue hold anything of (or close to) this genre? "country" on a catalogue without
        it should be said, not searched for."""
        return bool(len(self._genre_sparse(genre)[0]))

    def _artists(self, c: Constraints) -> list[str]:
        # An artist the catalogue does not hold cannot guide retrieval.
        return [a for a in c.artists if a in self.catalog.artist_names]

    @lru_cache(maxsize=256)  # noqa: B019 - one retriever per catalogue, lives as long as it
    def _artist_profile(self, artist: str) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
        """(own rows, mean energy, genre shares, subgenre shares) of an artist's tracks."""
        cat = self.catalog
        mine = cat.indexes.artists.rows(cat.artist_names.index(artist))
        energy = float(cat.energy[mine].mean())
        genre_share = np.bincount(cat.genre_ids[mine], minlength=len(cat.genre_names)) / len(mine)
        sub_share = np.bincount(cat.subgenre_ids[mine], minlength=len(cat.subgenre_names)) / len(mine)
        return mine, energy, genre_share, sub_share

    def _one_artist_match(self, artist: str, rows: np.ndarray | None = None) -> np.ndarray:
        cat = self.catalog
        mine_rows, energy, genre_share, sub_share = self._artist_profile(artist)
        genre_ids = cat.genre_ids if rows is None else cat.genre_ids[rows]
        subgenre_ids = cat.subgenre_ids if rows is None else cat.subgenre_ids[rows]
        energies = cat.energy if rows is None else cat.energy[rows]
        mine = np.isin(np.arange(len(cat)) if rows is None else rows, mine_rows)
        similar = (
            0.35 * genre_share[genre_ids]
            + 0.3 * sub_share[subgenre_ids]
            + 0.35 * np.clip(1 - np.abs(energies - energy) / 0.4, 0, 1)
        )
        return np.where(mine, 1.0, 0.85 * similar)

    def match(self, c: Constraints) -> np.ndarray:
        """Weighted mean fit in [0, 1] of every track; 0.5 everywhere when nothing is known yet.

        Cached per constraints (read-only array): a decision asks for it several times, and constraints
        change only when the person says something new.
        """
        cached = self._match_cache.get(c)
        if cached is None:
            # A million-track array is 8 MB: keep a few of those, not 32.
            if len(self._match_cache) >= (32 if len(self.catalog) <= 200_000 else 4):
                self._match_cache.clear()
            cached = self._compute_match(c)
            cached.setflags(write=False)
            self._match_cache[c] = cached
        return cached

    def _compute_match(self, c: Constraints, rows: np.ndarray | None = None) -> np.ndarray:
        """The match of every track (rows None) or of the given rows; the same numbers either way."""
        size = len(self.catalog) if rows is None else len(rows)
        names = [name for name in PART_ORDER if name in self._weights(c)]
        if not names:
            return np.full(size, 0.5)
        total = np.zeros(size)
        weight = 0.0
        for name in names:
            total += WEIGHTS[name] * self._part(c, name, rows)
            weight += WEIGHTS[name]
        return total / weight

    def _part(self, c: Constraints, name: str, rows: np.ndarray | None) -> np.ndarray:
        """One stated attribute's fit (0..1) of every track (rows None) or of the given rows."""
        cat = self.catalog

        def col(column: str) -> np.ndarray:
            values: np.ndarray = getattr(cat, column)
            return values if rows is None else values[rows]

        if name == "genre":
            return np.max([self._genre_match(g, rows) for g in c.genres], axis=0)
        if name == "energy":
            return np.clip(1 - np.abs(col("energy") - c.energy) / 0.3, 0, 1)
        if name == "valence":
            return np.clip(1 - np.abs(col("valence") - c.valence) / 0.35, 0, 1)
        if name == "era":
            assert c.era is not None
            lo, hi = c.era
            year = col("year")
            distance = np.maximum(lo - year, 0) + np.maximum(year - hi, 0)
            return np.clip(1 - distance / 12.0, 0, 1)
        if name == "activity":
            assert c.activity is not None
            energy, _valence, _tempo, genres = ACTIVITY_PROFILE[c.activity]
            fits = np.max([self._genre_match(g, rows) for g in genres], axis=0)
            return 0.7 * np.clip(1 - np.abs(col("energy") - energy) / 0.3, 0, 1) + 0.3 * fits
        if name == "artist":
            # Several named together ("like X and Y") each make a track fit.
            return np.max([self._one_artist_match(a, rows) for a in self._artists(c)], axis=0)
        if name == "vocals":
            # Spotify calls a track instrumental above 0.5; unknown tracks are neither.
            instrumentalness = col("instrumentalness")
            known = np.isfinite(instrumentalness)
            value = np.clip(np.nan_to_num(instrumentalness, nan=0.5) / 0.5, 0, 1)
            return np.where(known, value if c.instrumental else 1 - value, 0.5)
        if name == "popularity":
            share = col("popularity") / max(1.0, float(cat.popularity.max()))
            return share if c.popular else 1 - share
        assert name == "tempo" and c.tempo is not None
        tempo = col("tempo")
        known = tempo > 0
        return np.where(known, np.clip(1 - np.abs(tempo - c.tempo) / 35.0, 0, 1), 0.5)

    def _weights(self, c: Constraints) -> dict[str, float]:
        """The weight of each part the constraints state (as `_compute_match` uses them)."""
        stated = {
            "genre": bool(c.genres),
            "energy": c.energy is not None,
            "valence": c.valence is not None,
            "era": c.era is not None,
            "activity": c.activity is not None,
            "artist": bool(self._artists(c)),
            "tempo": c.tempo is not None,
            "vocals": c.instrumental is not None,
            "popularity": c.popular is not None,
        }
        return {name: WEIGHTS[name] for name, on in stated.items() if on}


def _max_by_row(rows: list[np.ndarray], values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Merge (rows, values) blocks: each row once, ascending, with its largest value."""
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    r = np.concatenate(rows).astype(np.int64)
    v = np.concatenate(values).astype(np.float64)
    order = np.lexsort((-v, r))  # by row, the largest value first
    r, v = r[order], v[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = r[1:] != r[:-1]
    return r[first], v[first]
