"""Indexes over a catalogue's columns: postings per label and sorted orders per feature, so retrieval can
find the tracks that may fit a request without touching every track."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import numpy as np

if TYPE_CHECKING:
    from assistant.music.catalog import Catalog

__all__ = ["CatalogIndexes", "Postings", "SortedColumn", "sorted_unique"]

SORTED_FEATURES: tuple[str, ...] = ("energy", "valence", "year", "tempo", "popularity")
"""Columns with a sorted order: the ranges retrieval asks for (energy near 0.8, years 1990-1999...)."""


def sorted_unique(rows: np.ndarray) -> np.ndarray:
    """Each row once, ascending (what np.unique gives): by sorting and dropping repeats, since np.unique
    of integers hashes them and took 10-40 ms for 60k-130k rows on the machine measured."""
    ordered = np.sort(rows)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


@dataclass(frozen=True)
class Postings:
    """key -> the rows holding it, ascending (compressed sparse rows: one order, one offset per key)."""

    order: np.ndarray
    """int32 rows grouped by key; ascending within a key."""
    offsets: np.ndarray
    """int64, n_keys + 1: rows of key k are order[offsets[k]:offsets[k + 1]]."""

    @classmethod
    def build(cls, keys: np.ndarray, n_keys: int, rows: np.ndarray | None = None) -> Postings:
        keys = np.asarray(keys, dtype=np.int64)
        rows = np.arange(len(keys)) if rows is None else np.asarray(rows)
        by_key = np.argsort(keys, kind="stable")  # stable: rows stay ascending within a key
        counts = np.bincount(keys, minlength=n_keys) if len(keys) else np.zeros(n_keys, dtype=np.int64)
        offsets = np.zeros(n_keys + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(rows[by_key].astype(np.int32), offsets)

    def rows(self, key: int) -> np.ndarray:
        return self.order[self.offsets[key] : self.offsets[key + 1]]

    def size(self, key: int) -> int:
        return int(self.offsets[key + 1] - self.offsets[key])

    @property
    def n_keys(self) -> int:
        return len(self.offsets) - 1


@dataclass(frozen=True)
class SortedColumn:
    """A feature column's rows in ascending value order, with the values, for range look-ups."""

    order: np.ndarray
    """int32 rows, ascending by value (stable: ties in row order)."""
    values: np.ndarray
    """The column's values in that order."""

    @classmethod
    def build(cls, column: np.ndarray) -> SortedColumn:
        order = np.argsort(column, kind="stable")
        return cls(order.astype(np.int32), np.ascontiguousarray(column[order]))

    def span(self, low: float, high: float) -> tuple[int, int]:
        """Positions in `order` of the rows with low <= value <= high."""
        return int(np.searchsorted(self.values, low, "left")), int(
            np.searchsorted(self.values, high, "right")
        )

    def between(self, low: float, high: float) -> np.ndarray:
        a, b = self.span(low, high)
        return self.order[a:b]


@dataclass(frozen=True)
class CatalogIndexes:
    """Everything candidate generation reads, built once per catalogue (and kept in the store)."""

    genres: Postings
    """Primary genre id -> rows."""
    subgenres: Postings
    artists: Postings
    features: dict[str, SortedColumn]
    title_order: np.ndarray
    """int32 rows sorted by title (stable), for exact title look-ups by binary search."""

    @classmethod
    def build(cls, catalog: Catalog) -> CatalogIndexes:
        titles = catalog.titles
        return cls(
            genres=Postings.build(catalog.genre_ids, len(catalog.genre_names)),
            subgenres=Postings.build(catalog.subgenre_ids, len(catalog.subgenre_names)),
            artists=Postings.build(catalog.artist_ids, len(catalog.artist_names)),
            features={name: SortedColumn.build(getattr(catalog, name)) for name in SORTED_FEATURES},
            title_order=np.array(sorted(range(len(titles)), key=titles.__getitem__), dtype=np.int32),
        )

    def titles_equal(self, catalog: Catalog, title: str) -> list[int]:
        """Rows whose title is exactly `title`, ascending."""
        titles = catalog.titles
        keyed = _Keyed(self.title_order, titles)
        start = bisect_left(keyed, title)
        found = []
        for pos in range(start, len(self.title_order)):
            row = int(self.title_order[pos])
            if titles[row] != title:
                break
            found.append(row)
        return found


class _Keyed(Sequence[str]):
    """A sorted view (rows in `order`) of a string column, for bisect."""

    def __init__(self, order: np.ndarray, column: Sequence[str]) -> None:
        self._order, self._column = order, column

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if isinstance(i, slice):
            return [self._column[int(r)] for r in self._order[i]]
        return self._column[int(self._order[i])]
