"""Rankings: fit, a little popularity, the era asked for, minus what was turned down, plus listening-history
affinity; the k best found exactly from the candidates, widening the pool only as far as a bound requires."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.music.candidates import CANDIDATE_THRESHOLD, CandidateFinder
from assistant.music.catalog import Catalog
from assistant.music.constraints import Constraints
from assistant.music.index import sorted_unique
from nlu.linking import EntityLinker

__all__ = [
    "AFFINITY_WEIGHT",
    "EXACT_UP_TO",
    "POOL_CAP",
    "POOL_SAMPLE",
    "POPULAR_FIRST_ABOVE",
    "POPULAR_VISITS",
    "RANK_FROM",
    "RANK_STEP",
    "SHARED_TOP",
    "Ranker",
    "top_indices",
]

EXACT_UP_TO = 50_000
"""Requests that more tracks may fit than this (only on catalogues bigger than it: the 28k Spotify one
never) have their candidate statistics estimated from a sample; up to it, they are exact. Rankings
are always exact."""
SHARED_TOP = 200
"""A turn's genre pair (150), its coverage (150) and artist suggestion (200) read one ranking of this many:
the k best are the first k of the 200 best (ties in catalogue order), so one search serves all three."""
POPULAR_FIRST_ABOVE = 300_000
"""A ranking goes from the most popular tracks down when more than this may match nearly perfectly."""
POPULAR_VISITS = 50_000
"""How many tracks a popularity-first ranking scores before it gives up for the exact pool."""
POOL_CAP = 50_000
"""The most possible fits a ranking lists and prunes one by one. When lowering the bar would list more
(only on catalogues bigger than this: never on the 28k Spotify one, so rankings there are exact), the
ranking is taken from the fits found so far plus an even sample of POOL_SAMPLE of the tracks that may
fit at the lower bar: an approximation, measured against exact ranking by
benchmarks/bench_ranking_pool.py."""
POOL_SAMPLE = 20_000
"""How many of those a ranking past the cap scores."""
RANK_FROM = 0.95
"""The match a ranking's first candidates must reach; lowered as far as the k-th score requires."""
RANK_STEP = 0.05
"""How far that bar is lowered at a time (down to the candidate threshold) when too few reach it."""
AFFINITY_WEIGHT = 0.15
"""How much listening-history affinity (0..1) adds to a track's ranking score (match 0..1). Small enough
that a candidate that fits what was said (match >= 0.75) with the lowest affinity still outranks a track
that fits badly, large enough to order the candidates by the person's taste."""


class Ranker(CandidateFinder):
    """Ranks the catalogue for constraints; the best k exactly as scoring every track would give them."""

    def __init__(
        self, catalog: Catalog, linker: EntityLinker | None = None, *, candidates: bool = True
    ) -> None:
        super().__init__(catalog, linker)
        self.use_candidates = candidates
        """False scores every track for every question (the reference the candidate path must equal)."""
        self._rank_cache: tuple[tuple[object, ...], np.ndarray] | None = None
        self._scored_cache: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._popular_failed: set[tuple[object, ...]] = set()
        self._top_cache: tuple[tuple[object, ...], tuple[np.ndarray, np.ndarray]] | None = None
        self.pool_cap: int | None = POOL_CAP if candidates else None
        """POOL_CAP, or None for exact rankings at any size (the reference the approximation is measured
        against)."""

    def _bonus_bound(self, c: Constraints, affinity: np.ndarray | None) -> float:
        """The most `_compute_rank` adds to a track's match, for a track that is not the named artist's
        own (those are always among the candidates)."""
        bound = 0.06 * float(self.catalog.indexes.features["popularity"].values[-1]) / 100.0
        if c.era is not None:
            bound += 0.1
        if affinity is not None and len(affinity):
            bound += AFFINITY_WEIGHT * max(0.0, float(np.max(affinity)))
        return bound + 1e-9

    def _ranked(
        self,
        c: Constraints,
        rejected: Sequence[str],
        affinity: np.ndarray | None,
        k: int,
        exclude_songs: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best-ranked tracks (rows, scores), best first, ties in catalogue order, leaving out the
        tracks of `exclude_songs` (song ids); exactly what ranking every track gives."""
        if self.use_candidates and k <= SHARED_TOP:
            key = (c, tuple(rejected), id(affinity))
            if self._top_cache is None or self._top_cache[0] != key:
                self._top_cache = (key, self._search(c, rejected, affinity, SHARED_TOP, None))
            rows, scores = self._top_cache[1]
            if exclude_songs is not None and len(exclude_songs):
                # Leaving songs out keeps the others' order: the first k left of the shared list are the
                # first k of the ranking without them, when k are left.
                keep = ~np.isin(self.catalog.song_ids[rows], exclude_songs)
                if int(keep.sum()) < k and len(rows) == SHARED_TOP:
                    return self._search(c, rejected, affinity, k, exclude_songs)
                rows, scores = rows[keep], scores[keep]
            return rows[:k], scores[:k]
        return self._search(c, rejected, affinity, k, exclude_songs)

    def _search(
        self,
        c: Constraints,
        rejected: Sequence[str],
        affinity: np.ndarray | None,
        k: int,
        exclude_songs: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`_ranked` without the shared list."""
        cat = self.catalog
        n = len(cat)
        if not self.use_candidates:
            score = self.rank(c, rejected, affinity)
            if exclude_songs is not None and len(exclude_songs):
                score = score.copy()
                score[np.isin(cat.song_ids, exclude_songs)] = -np.inf
            top = top_indices(score, k)
            top = top[np.isfinite(score[top])]
            return top, score[top]
        weighted = bool(self._weights(c))
        if weighted and self._broad(c, RANK_FROM, POPULAR_FIRST_ABOVE):
            # So many tracks may fit nearly perfectly that popularity decides among them.
            failed = (c, tuple(rejected), id(affinity), k)
            if failed not in self._popular_failed:
                found = self._ranked_by_popularity(c, rejected, affinity, k, exclude_songs)
                if found is not None:
                    return found
                if len(self._popular_failed) >= 64:
                    self._popular_failed.clear()
                self._popular_failed.add(failed)
        bonus = self._bonus_bound(c, affinity)
        popularity = cat.indexes.features["popularity"]
        # The best k usually fit almost perfectly: start with those, widen only if the bound says so.
        least = RANK_FROM
        take = 4 * k
        kept: tuple[np.ndarray, np.ndarray] | None = None
        while True:
            if not weighted:
                # Nothing stated: every match is 0.5, so the ranking is popularity (less penalties,
                # plus affinity): the most popular tracks, as many as it takes.
                take = min(take, n)
                cut = float(popularity.values[n - take])
                others = bonus - 0.06 * float(popularity.values[-1]) / 100.0  # affinity's share
                floor_left_out = 0.5 + 0.06 * cut / 100.0 + others
                done_all = take >= n
                rows, score = self._scored(c, rejected, affinity, ("popular", cut))
            else:
                if self.pool_cap is not None and self._too_many(c, least):
                    return self._ranked_from_sample(c, rejected, affinity, k, exclude_songs, least, kept)
                floor_left_out = least + bonus
                rows, score = self._scored(c, rejected, affinity, ("fit", round(least, 12)))
                kept = (rows, score)
                done_all = least <= 0 or len(rows) >= n
            if exclude_songs is not None and len(exclude_songs):
                score = score.copy()
                score[np.isin(cat.song_ids[rows], exclude_songs)] = -np.inf
            top = top_indices(score, k)
            top = top[np.isfinite(score[top])]
            # Nothing left out scores as much as the k-th kept: the list is the full ranking's.
            if done_all or (len(top) == k and score[top[-1]] >= floor_left_out):
                return rows[top], score[top]
            if not weighted:
                take *= 4
                continue
            # Lower the bar to what the k-th kept score allows (or step down when too few were found).
            # Too few: down in steps of 0.05 to the candidate threshold (each step's pool is a fraction of
            # the next one's on a big catalogue, and the fits at 0.75 are often listed by the turn's
            # statistics already, so the steps above it are filters of those), then by 0.25.
            above = least > CANDIDATE_THRESHOLD
            step = max(least - RANK_STEP, CANDIDATE_THRESHOLD) if above else least - 0.25
            floor = float(score[top[-1]]) - bonus if len(top) == k else step
            least = min(least - 1e-6, floor) if floor > 0.05 else 0.0

    def _too_many(self, c: Constraints, least: float) -> bool:
        """Would listing the fits at `least` mean scoring more than the pool cap? Not when fits at a lower
        bar are known already (filtering those is cheap)."""
        assert self.pool_cap is not None
        if any(known == c and t <= least for known, t in self._fit_cache):
            return False
        plan = self._may_fit_plan(c, least)
        return (plan[0] if plan is not None else len(self.catalog)) > self.pool_cap

    def _ranked_from_sample(
        self,
        c: Constraints,
        rejected: Sequence[str],
        affinity: np.ndarray | None,
        k: int,
        exclude_songs: np.ndarray | None,
        least: float,
        kept: tuple[np.ndarray, np.ndarray] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best of the pool found so far (`kept`: every track matching a higher bar, exactly scored)
        and an even sample of the tracks that may match `least`: every m-th as the indexes list them
        (sorted by the deciding feature, so the sample spans its range), at most POOL_SAMPLE; a named
        artist's own tracks always. Deterministic: the same request gives the same list."""
        assert self.pool_cap is not None
        cat = self.catalog
        plan = self._may_fit_plan(c, least)
        universe = np.arange(len(cat)) if plan is None else plan[1]()  # type: ignore[operator]
        if len(universe) > POOL_SAMPLE:
            # The most popular of them: popularity is the ranking's tie-breaker among near-equal fits,
            # so the best of a broad request are mostly there (an even sample missed most of them).
            popularity = cat.popularity[universe]
            cut = np.partition(popularity, len(universe) - POOL_SAMPLE)[len(universe) - POOL_SAMPLE]
            universe = universe[popularity >= cut]
        blocks = [universe]
        own = self._own_rows(c)
        if own is not None:
            blocks.append(own)
        sample = sorted_unique(np.concatenate(blocks))
        kept_rows, kept_scores = kept if kept is not None else (np.zeros(0, np.int64), np.zeros(0))
        sample = sample[~np.isin(sample, kept_rows)]
        scores = self._compute_rank(c, rejected, affinity, sample)
        rows = np.concatenate([kept_rows, sample])
        both = np.concatenate([kept_scores, scores])
        order = np.argsort(rows, kind="stable")  # ties in catalogue order, as everywhere
        rows, both = rows[order], both[order]
        if exclude_songs is not None and len(exclude_songs):
            both[np.isin(cat.song_ids[rows], exclude_songs)] = -np.inf
        top = top_indices(both, k)
        top = top[np.isfinite(both[top])]
        return rows[top], both[top]

    def _broad(self, c: Constraints, least: float = CANDIDATE_THRESHOLD, above: int | None = None) -> bool:
        """More tracks may match at least `least` than `above` (EXACT_UP_TO): too many to score."""
        plan = self._may_fit_plan(c, least)
        return (plan[0] if plan is not None else len(self.catalog)) > (above or EXACT_UP_TO)

    def _ranked_by_popularity(
        self,
        c: Constraints,
        rejected: Sequence[str],
        affinity: np.ndarray | None,
        k: int,
        exclude_songs: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """`_ranked` for a broad request: tracks scored in blocks from the most popular down, until no
        track left can reach the k-th score kept (its match is at most 1, its popularity at most the
        next one's, its other bonuses at most B). Exact; None when that has not happened after
        POPULAR_VISITS tracks (few strong fits among popular tracks): the caller scores the fits."""
        cat = self.catalog
        popularity = cat.indexes.features["popularity"]
        n = len(cat)
        rest = self._bonus_bound(c, affinity) - 0.06 * float(popularity.values[-1]) / 100.0
        own = self._own_rows(c)
        pool_rows = np.zeros(0, dtype=np.int64)
        pool_scores = np.zeros(0, dtype=np.float64)
        visited = 0
        block = 8192
        first = True
        while True:
            chunk = popularity.order[max(0, n - visited - block) : n - visited].astype(np.int64)
            visited += len(chunk)
            if first and own is not None:
                chunk = sorted_unique(np.concatenate([chunk, own]))
            elif own is not None:
                chunk = chunk[~np.isin(chunk, own)]
            first = False
            chunk = np.sort(chunk)
            scores = self._compute_rank(c, rejected, affinity, chunk)
            if exclude_songs is not None and len(exclude_songs):
                scores[np.isin(cat.song_ids[chunk], exclude_songs)] = -np.inf
            rows = np.concatenate([pool_rows, chunk])
            both = np.concatenate([pool_scores, scores])
            order = np.argsort(rows, kind="stable")
            rows, both = rows[order], both[order]
            keep = top_indices(both, k)
            keep = keep[np.isfinite(both[keep])]
            pool_rows, pool_scores = rows[np.sort(keep)], both[np.sort(keep)]
            if visited >= n:
                break
            ceiling = 1.0 + 0.06 * float(popularity.values[n - visited - 1]) / 100.0 + rest
            if len(keep) == k and both[keep[-1]] > ceiling:
                break
            if visited >= POPULAR_VISITS:
                return None
            block *= 2
        top = top_indices(pool_scores, k)
        return pool_rows[top], pool_scores[top]

    def _scored(
        self,
        c: Constraints,
        rejected: Sequence[str],
        affinity: np.ndarray | None,
        pool: tuple[str, float],
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows ascending, ranking score) of a candidate pool: ("fit", t) the tracks matching at least
        t (all when t <= 0), ("popular", p) those with popularity >= p; plus the named artist's own
        tracks. Kept for the turn: a decision ranks the same pool for samples, genres and artists."""
        key = (c, tuple(rejected), id(affinity), pool)
        cached = self._scored_cache.get(key)
        if cached is not None:
            return cached
        cat = self.catalog
        kind, value = pool
        if kind == "popular":
            popularity = cat.indexes.features["popularity"]
            rows = np.sort(popularity.order[int(np.searchsorted(popularity.values, value, "left")) :])
            fit = self._compute_match(c, rows)
        elif value > 0:
            rows, fit = self._fitting(c, value)
        else:
            rows, fit = np.arange(len(cat)), self.match(c)
        own = self._own_rows(c)
        if own is not None:
            extra = own[~np.isin(own, rows)]  # own is sorted and unique: np.setdiff1d's result
            if len(extra):
                rows = np.concatenate([rows, extra])
                fit = np.concatenate([fit, self._compute_match(c, extra)])
                order = np.argsort(rows, kind="stable")
                rows, fit = rows[order], fit[order]
        score = self._compute_rank(c, rejected, affinity, rows, match=fit)
        score.setflags(write=False)
        if len(self._scored_cache) >= 8:
            self._scored_cache.clear()
        self._scored_cache[key] = (rows, score)
        return rows, score

    def _own_rows(self, c: Constraints) -> np.ndarray | None:
        if not c.artist_own:
            return None
        cat = self.catalog
        blocks = [cat.indexes.artists.rows(cat.artist_names.index(a)) for a in self._artists(c)]
        return sorted_unique(np.concatenate(blocks)) if blocks else None

    def rank(
        self,
        c: Constraints,
        rejected: Sequence[str] = (),
        affinity: np.ndarray | None = None,
    ) -> np.ndarray:
        """Ranking score of every track: fit, a little popularity, minus resemblance to what was turned
        down. The last result is kept (read-only), since one decision ranks the same state several times."""
        key = (c, tuple(rejected), id(affinity))
        if self._rank_cache is not None and self._rank_cache[0] == key:
            return self._rank_cache[1]
        score = self._compute_rank(c, rejected, affinity)
        score.setflags(write=False)
        self._rank_cache = (key, score)
        return score

    def _compute_rank(
        self,
        c: Constraints,
        rejected: Sequence[str],
        affinity: np.ndarray | None,
        rows: np.ndarray | None = None,
        match: np.ndarray | None = None,
    ) -> np.ndarray:
        """Ranking score of every track (rows None) or of the given rows, whose `match` may be known."""
        cat = self.catalog

        def col(name: str) -> np.ndarray:
            values: np.ndarray = getattr(cat, name)
            return values if rows is None else values[rows]

        if match is None:
            match = self.match(c) if rows is None else self._compute_match(c, rows)
        score = match + 0.06 * col("popularity") / 100.0
        if c.era is not None:
            # The era fit is soft so that a thin period still yields music, but a track inside the period
            # asked for ("older than this one") should beat a slightly better fit just outside it.
            year = col("year")
            score += 0.1 * ((year >= c.era[0]) & (year <= c.era[1]))
        artist_ids = col("artist_ids")
        if c.artist_own:
            # "Songs by X": X's own tracks first, ordered by how well they fit the rest.
            own = [cat.artist_names.index(a) for a in c.artists if a in cat.artist_names]
            score += 1.0 * np.isin(artist_ids, own)
        if c.avoid_genres:
            avoided = np.max([self._genre_match(g, rows) for g in c.avoid_genres], axis=0)
            score -= 0.3 * avoided
        if c.avoid_artists:
            ids = [cat.artist_names.index(a) for a in c.avoid_artists if a in cat.artist_names]
            score -= 0.5 * np.isin(artist_ids, ids)
        if rejected:
            idx = np.array([cat.index[t] for t in rejected if t in cat.index], dtype=np.int64)
            if idx.size:
                # Per-label look-ups, not a rows x rejected comparison: the same numbers (a share of
                # equal labels is count / len either way) without a temporary per rejected track.
                same_artist = np.isin(artist_ids, cat.artist_ids[idx])
                shares = np.bincount(cat.subgenre_ids[idx], minlength=len(cat.subgenre_names)) / idx.size
                same_sub = shares[col("subgenre_ids")]
                score -= 0.12 * same_artist + 0.05 * same_sub
        if affinity is not None:
            score += AFFINITY_WEIGHT * (affinity if rows is None else affinity[rows])
        return score


def top_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first, ties in index order (so a ranking of some rows,
    kept in index order, lists ties as the ranking of all rows does). argpartition first: a full sort of
    every track per call was the biggest cost of a turn on the Spotify catalogue."""
    n = len(values)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if k >= n:
        return np.lexsort((np.arange(n), -values))
    part = np.argpartition(-values, k - 1)[:k]
    cut = values[part].min()
    above = part[values[part] > cut]  # everything above the cut is among the k
    if np.count_nonzero(values == cut) == k - len(above):
        chosen = part
    else:
        # More share the cut value than places are left: they compete in index order.
        chosen = np.concatenate([above, np.flatnonzero(values == cut)[: k - len(above)]])
    return chosen[np.lexsort((chosen, -values[chosen]))]
