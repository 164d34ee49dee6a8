"""A prebuilt index of normalized names (artists, titles) for linking what was heard to a catalogue of any
size: exact keys by binary search, near misses by character trigrams and rapidfuzz.

A name's key is its normalized form (nlu.linking.name_key: "The Radio-Head" -> "radiohead"). A near miss
scores 0.5 x Dice(trigram sets) + 0.5 x difflib's ratio, the linker's long-standing measure, and the best
name at or above the threshold wins (ties: the earlier name). The search is exact but touches few names:
- the score can reach t only if Dice >= d = max(2t - 1, t - 0.2), i.e. the name shares at least
  s = ceil(d |A| / (2 - d)) of the query's |A| trigrams; so it holds at least m of the query's
  |A| - s + m rarest trigrams (prefix filtering), and only those trigrams' postings are read;
- its key length is bounded too (an Indel ratio of at least 2t - 1 needs lengths within a factor), and
  names are numbered by key length, so that is a slice of each posting list;
- rapidfuzz's Indel ratio, never below difflib's, drops the rest before difflib runs.

Built in memory from a list of names, or saved once with the catalogue store and memory-mapped
(`open`), so a million names cost no start-up time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NameIndex", "trigram_codes"]

KeyFunction = Callable[[str], str]
LOOKUP_CACHE = 4096
"""Look-ups remembered per index: a request's word windows ("something like", "play some") recur."""


def trigram_codes(key: str) -> np.ndarray:
    """The distinct trigrams of "  key " as integers (3 bytes of an ASCII key), sorted."""
    padded = f"  {key} ".encode("ascii", "replace")
    if len(padded) < 3:
        return np.zeros(0, dtype=np.int32)
    raw = np.frombuffer(padded, dtype=np.uint8).astype(np.int32)
    return np.unique((raw[:-2] << 16) | (raw[1:-1] << 8) | raw[2:])


def _trigram_set(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class NameIndex:
    """Names and their keys, with an exact-key order and trigram postings (see the module docstring)."""

    def __init__(
        self,
        names: Sequence[str],
        keys: Sequence[str],
        by_length: np.ndarray,
        key_order: np.ndarray,
        gram_codes: np.ndarray,
        gram_offsets: np.ndarray,
        postings: np.ndarray,
        length_starts: np.ndarray,
    ) -> None:
        self.names = names
        """In the order given (lookups return these)."""
        self._keys = keys
        """keys[i] is the key of names[by_length[i]]: the index numbers names by key length."""
        self._by_length = by_length
        self._key_order = key_order
        """Positions (in length order) sorted by key, stable, for exact look-ups."""
        self._gram_codes = gram_codes
        self._gram_offsets = gram_offsets
        self._postings = postings
        """Length-order positions holding each trigram, ascending within a trigram."""
        self._length_starts = length_starts
        """First length-order position of each key length (index = length)."""
        self.lookup = lru_cache(maxsize=LOOKUP_CACHE)(self._lookup)

    def __len__(self) -> int:
        return len(self.names)

    # -- building -------------------------------------------------------------------------------------
    @classmethod
    def build(cls, names: Sequence[str], key: KeyFunction) -> NameIndex:
        names = list(names)
        raw_keys = [key(n) for n in names]
        lengths = np.array([len(k) for k in raw_keys], dtype=np.int64)
        by_length = np.argsort(lengths, kind="stable").astype(np.int32)
        keys = [raw_keys[i] for i in by_length]
        key_order = np.array(
            sorted(range(len(keys)), key=lambda i: (keys[i], int(by_length[i]))), dtype=np.int32
        )
        sorted_lengths = lengths[by_length]
        top = int(sorted_lengths.max()) if len(sorted_lengths) else 0
        length_starts = np.searchsorted(sorted_lengths, np.arange(top + 2)).astype(np.int64)
        codes, ids = _all_trigrams(keys)
        order = np.lexsort((ids, codes))
        codes, ids = codes[order], ids[order]
        gram_codes, starts = np.unique(codes, return_index=True)
        gram_offsets = np.append(starts, len(codes)).astype(np.int64)
        return cls(names, keys, by_length, key_order, gram_codes.astype(np.int32), gram_offsets,
                   ids.astype(np.int32), length_starts)  # fmt: skip

    def save(self, folder: Path) -> None:
        import pyarrow as pa

        folder.mkdir(parents=True, exist_ok=True)
        table = pa.table({"name": pa.array(list(self.names), pa.string())})
        keys = pa.table({"key": pa.array(list(self._keys), pa.string())})
        for path, data in ((folder / "names.arrow", table), (folder / "keys.arrow", keys)):
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, data.schema) as writer:
                writer.write_table(data, max_chunksize=max(1, data.num_rows))
        for name in ("by_length", "key_order", "gram_codes", "gram_offsets", "postings", "length_starts"):
            np.save(folder / f"{name}.npy", getattr(self, f"_{name}"))

    @classmethod
    def open(cls, folder: Path, strings: Callable[[Any], Sequence[str]]) -> NameIndex:
        """A saved index, memory-mapped; `strings` wraps an Arrow string array as a sequence."""
        import pyarrow as pa

        def column(path: Path) -> Sequence[str]:
            table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
            return strings(table.column(0).combine_chunks())

        arrays = {
            name: np.load(folder / f"{name}.npy", mmap_mode="r")
            for name in ("by_length", "key_order", "gram_codes", "gram_offsets", "postings", "length_starts")
        }
        return cls(column(folder / "names.arrow"), column(folder / "keys.arrow"), **arrays)

    # -- looking up -----------------------------------------------------------------------------------
    def _exact(self, key: str) -> int | None:
        """The first name (in the given order) whose key is `key`, as a length-order position."""
        keys, order = self._keys, self._key_order
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if keys[int(order[mid])] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(order) and keys[int(order[lo])] == key:
            return int(order[lo])
        return None

    def _lookup(self, key: str, threshold: float) -> tuple[str, float] | None:
        """(name, score) of the best name for an already normalized key, or None. Cached."""
        if not key or not len(self.names):
            return None
        hit = self._exact(key)
        if hit is not None:
            return self.names[int(self._by_length[hit])], 1.0
        if len(key) < 4:
            return None
        query = trigram_codes(key)
        dice_floor = max(2 * threshold - 1, threshold - 0.2)
        need = max(1, math.ceil(dice_floor * len(query) / (2 - dice_floor) - 1e-9))
        at = np.searchsorted(self._gram_codes, query)
        at = np.minimum(at, max(0, len(self._gram_codes) - 1))
        present = at[self._gram_codes[at] == query] if len(self._gram_codes) else at[:0]
        if len(present) < need:
            return None
        # Names too short or too long for an Indel ratio of 2t - 1: a slice of every posting list.
        ratio = 2 * threshold - 1
        shortest = math.ceil(len(key) * ratio / (2 - ratio) - 1e-9)
        longest = math.floor(len(key) * (2 - ratio) / ratio + 1e-9) if ratio > 0 else len(self._length_starts)
        first = int(self._length_starts[min(shortest, len(self._length_starts) - 1)])
        last = int(self._length_starts[min(longest + 1, len(self._length_starts) - 1)])
        spans = []
        for g in present:
            lo, hi = int(self._gram_offsets[g]), int(self._gram_offsets[g + 1])
            block = self._postings[lo:hi]
            a, b = np.searchsorted(block, first), np.searchsorted(block, last)
            spans.append((b - a, lo + a, lo + b))
        spans.sort()
        # A name sharing `need` of the query's trigrams holds at least `m` of its rarest
        # len(present) - need + m ones (at most need - m of its shared ones lie outside them).
        m = min(3, need)
        prefix = spans[: len(present) - need + m]
        if not prefix:
            return None
        pooled = np.concatenate([self._postings[a:b] for _, a, b in prefix])
        if not len(pooled):
            return None
        found, counts = np.unique(pooled, return_counts=True)
        found = found[counts >= m]
        if not len(found):
            return None
        return self._best(key, found, threshold, dice_floor)

    def _best(
        self, key: str, positions: np.ndarray, threshold: float, dice_floor: float
    ) -> tuple[str, float] | None:
        from rapidfuzz.distance import Indel

        grams = _trigram_set(key)
        keys = self._keys
        take = getattr(keys, "take", None)
        candidates = take(positions) if take is not None else [keys[int(p)] for p in positions]
        floor = 2 * threshold - 1  # difflib's ratio never exceeds the Indel ratio
        best: tuple[float, int, str] | None = None
        for position, candidate in zip(positions.tolist(), candidates, strict=True):
            if Indel.normalized_similarity(key, candidate, score_cutoff=floor) < floor:
                continue
            other = _trigram_set(candidate)
            dice = 2.0 * len(grams & other) / (len(grams) + len(other))
            if dice < dice_floor:
                continue
            score = 0.5 * dice + 0.5 * SequenceMatcher(None, key, candidate).ratio()
            if score < threshold:
                continue
            name_id = int(self._by_length[position])
            if best is None or score > best[0] or (score == best[0] and name_id < best[1]):
                best = (score, name_id, candidate)
        if best is None:
            return None
        return self.names[best[1]], round(best[0], 3)


def _all_trigrams(keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(trigram code, position) for every distinct trigram of every key, vectorized over all keys."""
    padded = [f"  {k} ".encode("ascii", "replace") if k else b"" for k in keys]
    sizes = np.array([max(0, len(p) - 2) for p in padded], dtype=np.int64)
    if not sizes.sum():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    buffer = np.frombuffer(b"".join(padded), dtype=np.uint8).astype(np.int64)
    lengths = np.array([len(p) for p in padded], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ids = np.repeat(np.arange(len(keys)), sizes)
    offset = np.arange(len(ids)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    at = np.repeat(starts, sizes) + offset
    codes = (buffer[at] << 16) | (buffer[at + 1] << 8) | buffer[at + 2]
    pairs = np.unique((codes << 32) | ids)
    return pairs >> 32, pairs & 0xFFFFFFFF
