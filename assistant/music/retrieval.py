"""Candidate retrieval and ranking: how well every catalogue track fits the constraints, vectorized."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from assistant.music.catalog import Catalog, Track
from assistant.music.constraints import Constraints
from assistant.music.genres import UNCLASSIFIED
from nlu.lexicon import ACTIVITY_PROFILE, GENRE_PARENT
from nlu.linking import EntityLinker

__all__ = ["CANDIDATE_THRESHOLD", "CandidateStats", "Retriever"]

PART_ORDER = ("genre", "energy", "valence", "era", "activity", "artist", "tempo", "vocals", "popularity")
"""The order a match adds its parts up in (float addition is not associative: one order, one result)."""
EXACT_UP_TO = 50_000
"""Requests that more tracks may fit than this (only on catalogues bigger than it: the 28k Spotify one
never) have their candidate statistics estimated from a sample; up to it, they are exact. Rankings
are always exact."""
STATS_SAMPLE = 20_000
"""How many of a broad request's possible fits its statistics are estimated from."""
POPULAR_FIRST_ABOVE = 300_000
"""A ranking goes from the most popular tracks down when more than this may match nearly perfectly."""
POPULAR_VISITS = 50_000
"""How many tracks a popularity-first ranking scores before it gives up for the exact pool."""
RANK_FROM = 0.95
"""The match a ranking's first candidates must reach; lowered as far as the k-th score requires."""
PRUNE_ORDER = ("energy", "valence", "era", "tempo", "vocals", "popularity", "genre", "activity", "artist")
"""Cheapest parts first when candidates are pruned."""

SURPRISE_POOL = 40
"""How many of the best tracks a surprise is drawn from."""
CANDIDATE_THRESHOLD = 0.75
"""A track whose weighted match is at least this is a candidate: it fits what was said."""
AFFINITY_WEIGHT = 0.15
"""How much listening-history affinity (0..1) adds to a track's ranking score (match 0..1). Small enough
that a candidate that fits what was said (match >= 0.75) with the lowest affinity still outranks a track
that fits badly, large enough to order the candidates by the person's taste."""

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


@dataclass(frozen=True)
class CandidateStats:
    """Size and spread of the tracks that fit: the policy's view of how close the search is."""

    n_candidates: int
    top_match: float
    mean_match_top10: float
    genre_entropy: float
    """Shannon entropy (bits) of the candidates' genres: high means the genre question would help."""
    energy_spread: float
    """Standard deviation of the candidates' energy: high means the mood question would help."""
    year_spread: float
    n_genres: int
    match_margin: float = 0.0
    """How far the best fit stands above the second: a clear favourite is worth playing."""
    pair_coverage: float = 0.0
    """Share of the best-ranked music that the genre pair on offer covers (set by the dialogue manager
    once it knows the pair): how likely it is that one of the two is what the person wants."""


class Retriever:
    """Scores the catalogue against constraints; picks samples, suggestions and stations.

    What a turn asks for (the candidate statistics, the next sample, genre and artist suggestions, a
    station) is found without scoring every track: the constraints say which tracks can possibly fit
    (a track whose match reaches t must have each stated attribute's part at least
    1 - (1 - t) * total weight / its weight: a genre's tracks, an energy range, a span of years...), the
    catalogue's indexes (assistant/music/index.py) list those, and only they are scored. Rankings are
    exact: a track left out is provably below the last one kept (its match is below t and its bonuses
    at most B), and t is lowered until that holds; ties are broken by catalogue order, so the result is
    the one scoring every track gives (tests/test_retrieval_scale.py checks this on random requests).
    `match()` still scores every track, for the listening-history features that need all of them.
    """

    def __init__(
        self, catalog: Catalog, linker: EntityLinker | None = None, *, candidates: bool = True
    ) -> None:
        self.catalog = catalog
        self._linker = linker
        self.use_candidates = candidates
        """False scores every track for every question (the reference the candidate path must equal)."""
        self._match_cache: dict[Constraints, np.ndarray] = {}
        self._rank_cache: tuple[tuple[object, ...], np.ndarray] | None = None
        self._fit_cache: dict[tuple[Constraints, float], tuple[np.ndarray, np.ndarray]] = {}
        self._genre_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._code_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._scored_cache: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._popular_failed: set[tuple[object, ...]] = set()

    @property
    def linker(self) -> EntityLinker:
        if self._linker is None:
            self._linker = EntityLinker.for_catalog(self.catalog)
        return self._linker

    # -- matching ---------------------------------------------------------------------------------
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

    def _prune(self, c: Constraints, rows: np.ndarray | None, least: float) -> np.ndarray:
        """The rows (all when None) that can still reach `least`, part by part, cheapest first: each
        part's shortfall w x (1 - fit) is added up and a row goes once it exceeds the budget. The
        survivors are then scored in full (in `_compute_match`'s order, so the numbers are the same)."""
        weights = self._weights(c)
        budget = (1.0 - least) * sum(weights.values()) + 1e-9
        shortfall: np.ndarray | None = None
        for name in PRUNE_ORDER:
            if name not in weights:
                continue
            values = self._part(c, name, rows)
            missing = weights[name] * (1.0 - values)
            shortfall = missing if shortfall is None else shortfall + missing
            keep = np.flatnonzero(shortfall <= budget)
            rows = keep if rows is None else rows[keep]
            shortfall = shortfall[keep]
        return np.arange(len(self.catalog)) if rows is None else rows

    # -- candidates -------------------------------------------------------------------------------
    def _may_fit(self, c: Constraints, least: float) -> np.ndarray | None:
        """Rows (ascending) that include every track whose match can reach `least`, read from the
        indexes; None when no stated attribute narrows it down (every track may).

        A match of at least t leaves a deficit budget D = (1 - t) x total weight: the parts' shortfalls
        w x (1 - fit) add up to at most D. So a part whose weight exceeds D must fit at least 1 - D / w
        (a genre's tracks, an energy range...), and the smallest such set will do. When every part could
        be missed on its own (many attributes stated), the genre splits the catalogue: its tracks, plus
        the tracks outside it that fit the rest within what is left of the budget."""
        plan = self._may_fit_plan(c, least)
        if plan is None:
            return None
        return self._ascending(plan[1]())  # type: ignore[operator]

    def _may_fit_plan(self, c: Constraints, least: float) -> tuple[int, object] | None:
        """(how many rows, how to list them) for `_may_fit`, without listing them."""
        weights = self._weights(c)
        if not weights or least <= 0:
            return None
        budget = (1.0 - least) * sum(weights.values())
        options = self._part_options(c, weights, budget)
        if "genre" in weights and budget >= weights["genre"]:
            sparse = [self._genre_sparse(g) for g in c.genres]
            inside = sum(len(r) for r, _ in sparse)
            rest = self._part_options(c, weights, budget - weights["genre"], skip="genre")
            if rest:
                size, outside = min(rest, key=lambda option: option[0])

                def split(
                    sparse: list[tuple[np.ndarray, np.ndarray]] = sparse, outside: Any = outside
                ) -> np.ndarray:
                    return np.concatenate([*(r for r, _ in sparse), outside()])

                options.append((inside + size, split))
        if not options:
            return None
        return min(options, key=lambda option: option[0])

    def _ascending(self, rows: np.ndarray) -> np.ndarray:
        """Rows once each, ascending: through a mask over the catalogue when there are many (cheaper
        than sorting a hundred thousand rows), else by sorting."""
        n = len(self.catalog)
        if len(rows) * 16 < n:
            return np.unique(rows)
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        return np.flatnonzero(mask)

    def _part_options(
        self, c: Constraints, weights: dict[str, float], budget: float, skip: str = ""
    ) -> list[tuple[int, object]]:
        """(size, make rows) for each part that must fit at least 1 - budget / weight > 0."""
        index = self.catalog.indexes
        slack = 1e-9  # float rounding at a range's edge must not drop a track
        options: list[tuple[int, object]] = []

        def need(part: str) -> float:
            return 1.0 - budget / weights[part] if part in weights and part != skip else 0.0

        def near(feature: str, center: float, radius: float) -> tuple[int, object]:
            column = index.features[feature]
            a, b = column.span(center - radius - slack, center + radius + slack)
            return b - a, lambda: column.order[a:b]

        if budget < 0:
            return [(0, lambda: np.zeros(0, dtype=np.int32))]
        if need("genre") > 0:
            x = need("genre") - slack
            sparse = [self._genre_sparse(g) for g in c.genres]
            size = sum(int((v >= x).sum()) for _, v in sparse)
            options.append((size, lambda: np.concatenate([r[v >= x] for r, v in sparse])))
        if need("energy") > 0 and c.energy is not None:
            options.append(near("energy", c.energy, 0.3 * (1 - need("energy"))))
        if need("valence") > 0 and c.valence is not None:
            options.append(near("valence", c.valence, 0.35 * (1 - need("valence"))))
        if need("era") > 0 and c.era is not None:
            reach = 12.0 * (1 - need("era"))
            column = index.features["year"]
            a, b = column.span(c.era[0] - reach - slack, c.era[1] + reach + slack)
            options.append((b - a, lambda: column.order[a:b]))
        if need("activity") > 0.3 and c.activity is not None:
            # 0.7 x energy fit + 0.3 x genre fit: the energy fit alone must reach (x - 0.3) / 0.7.
            energy = ACTIVITY_PROFILE[c.activity][0]
            options.append(near("energy", energy, 0.3 * (1 - (need("activity") - 0.3) / 0.7)))
        if need("artist") > 0:
            options.append(self._artist_candidates(c, need("artist")))
        if need("tempo") > 0 and c.tempo is not None:
            x = need("tempo")
            column = index.features["tempo"]
            known = int(np.searchsorted(column.values, 0.0, "right"))  # rows with tempo 0 (unknown) first
            a, b = column.span(c.tempo - 35.0 * (1 - x) - slack, c.tempo + 35.0 * (1 - x) + slack)
            a = max(a, known)
            unknown = known if x <= 0.5 else 0  # an unknown tempo fits 0.5
            options.append(
                (
                    max(0, b - a) + unknown,
                    lambda: np.concatenate([column.order[:unknown], column.order[a : max(a, b)]]),
                )
            )
        return options

    def _artist_candidates(self, c: Constraints, least: float) -> tuple[int, object]:
        """Rows whose artist part can reach `least`: the artists' own tracks, and tracks near their
        energy (the part's genre and subgenre shares add at most 0.35 x share + 0.3 x share)."""
        blocks: list[np.ndarray] = []
        size = 0
        column = self.catalog.indexes.features["energy"]
        for artist in self._artists(c):
            mine, energy, genre_share, sub_share = self._artist_profile(artist)
            blocks.append(mine)
            size += len(mine)
            similar = least / 0.85
            fit = (similar - 0.35 * float(genre_share.max()) - 0.3 * float(sub_share.max())) / 0.35
            if least > 0.85 or fit > 1.0:
                continue  # only their own tracks can fit that well
            radius = 0.4 * (1 - max(fit, 0.0)) if fit > 0 else 1.0
            a, b = column.span(energy - radius - 1e-9, energy + radius + 1e-9)
            blocks.append(column.order[a:b])
            size += b - a
        return size, lambda: np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int32)

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

    def _fitting(self, c: Constraints, least: float) -> tuple[np.ndarray, np.ndarray]:
        """(rows ascending, match) of exactly the tracks whose match is at least `least`."""
        key = (c, round(least, 12))
        cached = self._fit_cache.get(key)
        if cached is not None:
            return cached
        rows = self._prune(c, self._may_fit(c, least), least)
        values = self._compute_match(c, rows)
        keep = values >= least
        result = (rows[keep], values[keep])
        if len(self._fit_cache) >= 64:
            self._fit_cache.clear()
        self._fit_cache[key] = result
        return result

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
        cat = self.catalog
        n = len(cat)
        if not self.use_candidates:
            score = self.rank(c, rejected, affinity)
            if exclude_songs is not None and len(exclude_songs):
                score = score.copy()
                score[np.isin(cat.song_ids, exclude_songs)] = -np.inf
            top = _top(score, k)
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
                floor_left_out = least + bonus
                rows, score = self._scored(c, rejected, affinity, ("fit", round(least, 12)))
                done_all = least <= 0 or len(rows) >= n
            if exclude_songs is not None and len(exclude_songs):
                score = score.copy()
                score[np.isin(cat.song_ids[rows], exclude_songs)] = -np.inf
            top = _top(score, k)
            top = top[np.isfinite(score[top])]
            # Nothing left out scores as much as the k-th kept: the list is the full ranking's.
            if done_all or (len(top) == k and score[top[-1]] >= floor_left_out):
                return rows[top], score[top]
            if not weighted:
                take *= 4
                continue
            # Lower the bar to what the k-th kept score allows (or step down when too few were found).
            floor = float(score[top[-1]]) - bonus if len(top) == k else least - 0.25
            least = min(least - 1e-6, floor) if floor > 0.05 else 0.0

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
                chunk = np.union1d(chunk, own)
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
            keep = _top(both, k)
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
        top = _top(pool_scores, k)
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
            extra = np.setdiff1d(own, rows)
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
        return np.unique(np.concatenate(blocks)) if blocks else None

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
                subgenre_ids = col("subgenre_ids")
                same_artist = (artist_ids[:, None] == cat.artist_ids[idx][None, :]).any(axis=1)
                same_sub = (subgenre_ids[:, None] == cat.subgenre_ids[idx][None, :]).mean(axis=1)
                score -= 0.12 * same_artist + 0.05 * same_sub
        if affinity is not None:
            score += AFFINITY_WEIGHT * (affinity if rows is None else affinity[rows])
        return score

    # -- what to offer ----------------------------------------------------------------------------
    def next_sample(
        self,
        c: Constraints,
        offered: Collection[str],
        rejected: Sequence[str] = (),
        affinity: np.ndarray | None = None,
        surprise: np.random.Generator | None = None,
    ) -> Track | None:
        """The best track not offered before; None only when every track has been offered. With `surprise`
        (the person said "surprise me"), one drawn from the best SURPRISE_POOL instead: the single best of
        an unconstrained ranking is the same track for everyone, and no surprise twice."""
        cat = self.catalog
        songs = None
        if offered:
            idx = [cat.index[t] for t in offered if t in cat.index]
            # Not the same song again from another album either.
            songs = cat.song_ids[idx] if idx else None
        rows, _scores = self._ranked(c, rejected, affinity, SURPRISE_POOL if surprise else 1, songs)
        if not len(rows):
            return None
        best = int(rows[0])
        if surprise is not None:
            best = int(rows[surprise.integers(len(rows))])
        return cat.tracks[best]

    def stats(self, c: Constraints, offered: Collection[str] = ()) -> CandidateStats:
        cat = self.catalog
        offered_rows = np.array(sorted({cat.index[t] for t in offered if t in cat.index}), dtype=np.int64)
        if self.use_candidates and not self._weights(c) and len(cat) - len(offered_rows) >= 10:
            # Nothing stated: every track matches 0.5, below the candidate threshold.
            rows, n, top = np.zeros(0, dtype=np.int64), 0, np.full(10, 0.5)
        elif self.use_candidates and self._weights(c) and self._broad(c):
            return self._sampled_stats(c, offered_rows)
        elif self.use_candidates and self._weights(c):
            rows, fit = self._fitting(c, CANDIDATE_THRESHOLD)
            keep = ~np.isin(rows, offered_rows)
            rows, fit = rows[keep], fit[keep]
            n = len(rows)
            top = self._top_matches(c, offered_rows, fit)
        else:
            fit = self.match(c)
            if len(offered_rows):
                fit = fit.copy()
                fit[offered_rows] = 0.0
            mask = fit >= CANDIDATE_THRESHOLD
            rows = np.flatnonzero(mask)
            n = len(rows)
            top = fit[_top(fit, 10)][::-1]
        if n:
            counts = np.bincount(cat.genre_ids[rows], minlength=len(cat.genre_names))
            p = counts[counts > 0] / n
            entropy = float(-(p * np.log2(p)).sum())
            energy_spread = float(cat.energy[rows].std())
            year_spread = float(cat.year[rows].std())
            n_genres = int((counts > 0).sum())
        else:
            entropy, energy_spread, year_spread, n_genres = 0.0, 0.0, 0.0, 0
        return CandidateStats(
            n_candidates=n,
            top_match=float(top[-1]),
            mean_match_top10=float(top.mean()),
            match_margin=float(top[-1] - top[-2]) if len(top) > 1 else 0.0,
            genre_entropy=entropy,
            energy_spread=energy_spread,
            year_spread=year_spread,
            n_genres=n_genres,
        )

    def _sampled_stats(self, c: Constraints, offered_rows: np.ndarray) -> CandidateStats:
        """Candidate statistics of a broad request on a big catalogue, estimated from an even sample of
        STATS_SAMPLE of the tracks that may fit (every m-th): the count scaled by m, the rest as they are
        in the sample. benchmarks/bench_catalog.py measures the error against the exact figures."""
        cat = self.catalog
        plan = self._may_fit_plan(c, CANDIDATE_THRESHOLD)
        universe = np.arange(len(cat)) if plan is None else plan[1]()  # type: ignore[operator]
        step = -(-len(universe) // STATS_SAMPLE)
        sample = np.sort(universe[::step])
        sample = sample[~np.isin(sample, offered_rows)]
        sample = self._prune(c, sample, CANDIDATE_THRESHOLD)
        fit = self._compute_match(c, sample)
        rows = sample[fit >= CANDIDATE_THRESHOLD]
        fit = fit[fit >= CANDIDATE_THRESHOLD]
        if len(rows) < 10:
            return self._exact_stats(c, offered_rows)
        counts = np.bincount(cat.genre_ids[rows], minlength=len(cat.genre_names))
        p = counts[counts > 0] / len(rows)
        top = np.sort(fit)[-10:]
        return CandidateStats(
            n_candidates=int(len(rows) * step),
            top_match=float(top[-1]),
            mean_match_top10=float(top.mean()),
            genre_entropy=float(-(p * np.log2(p)).sum()),
            energy_spread=float(cat.energy[rows].std()),
            year_spread=float(cat.year[rows].std()),
            n_genres=int((counts > 0).sum()),
        )

    def _exact_stats(self, c: Constraints, offered_rows: np.ndarray) -> CandidateStats:
        saved = self.use_candidates
        try:
            self.use_candidates = False
            cat = self.catalog
            return self.stats(c, [cat.tracks[int(i)].id for i in offered_rows])
        finally:
            self.use_candidates = saved

    def _top_matches(self, c: Constraints, offered_rows: np.ndarray, fitting: np.ndarray) -> np.ndarray:
        """The 10 best match values (offered tracks count 0), ascending: what `_top(fit, 10)` of the full
        array gives. `fitting` holds the match of the tracks at or above the candidate threshold."""
        n = len(self.catalog)
        want = min(10, n)
        least = CANDIDATE_THRESHOLD
        fit = fitting
        while len(fit) < want and least > 0:
            least = least - 0.25 if least > 0.3 else 0.0
            if least <= 0:
                values = self.match(c).copy()
                values[offered_rows] = 0.0
                return values[_top(values, want)][::-1]
            rows, fit = self._fitting(c, least)
            fit = fit[~np.isin(rows, offered_rows)]
        return np.sort(fit)[len(fit) - want :]

    def genre_pair(
        self,
        c: Constraints,
        rejected: Sequence[str] = (),
        affinity: np.ndarray | None = None,
        exclude: Collection[str] = (),
    ) -> tuple[str, str] | None:
        """Two genres to suggest: the best-scoring families among good fits, or subgenres within a known
        genre (so the question refines rather than repeats)."""
        cat = self.catalog
        top, scores = self._ranked(c, rejected, affinity, 150)
        use_sub = bool(c.genres)
        labels = cat.subgenre_names if use_sub else cat.genre_names
        ids = cat.subgenre_ids if use_sub else cat.genre_ids
        totals: dict[str, float] = {}
        skip = {*c.avoid_genres, *c.genres, *exclude, UNCLASSIFIED}
        for i, score in zip(top.tolist(), scores.tolist(), strict=True):
            label = labels[ids[i]]
            if label in skip:
                continue
            totals[label] = totals.get(label, 0.0) + max(0.0, score)
        ranked = sorted(totals, key=lambda g: -totals[g])
        return (ranked[0], ranked[1]) if len(ranked) >= 2 else None

    def pair_coverage(
        self,
        c: Constraints,
        pair: Sequence[str],
        rejected: Sequence[str] = (),
        affinity: np.ndarray | None = None,
    ) -> float:
        """Share of the ranking weight of the best-ranked tracks that lies in the genres (or subgenres)
        of `pair`: the chance, as the retriever sees it, that one of the two is right."""
        if not pair:
            return 0.0
        cat = self.catalog
        score = self.rank(c, rejected, affinity)
        top = _top(score, 150)
        weight = np.maximum(score[top], 0.0)
        total = float(weight.sum())
        if total <= 0:
            return 0.0
        genres = [cat.genre_names.index(g) for g in pair if g in cat.genre_names]
        subgenres = [cat.subgenre_names.index(g) for g in pair if g in cat.subgenre_names]
        inside = np.isin(cat.genre_ids[top], genres) | np.isin(cat.subgenre_ids[top], subgenres)
        return float(weight[inside].sum() / total)

    def suggest_artist(
        self,
        c: Constraints,
        rejected: Sequence[str] = (),
        affinity: np.ndarray | None = None,
        exclude: Collection[str] = (),
    ) -> str | None:
        cat = self.catalog
        top, _scores = self._ranked(c, rejected, affinity, 200)
        skip = {*c.avoid_artists, *exclude, *c.artists}
        for i in top.tolist():
            name = cat.artist_names[cat.artist_ids[i]]
            if name not in skip:
                return name
        return None

    def station(self, seed: Track, size: int = 10) -> list[Track]:
        """Tracks like the seed, the seed first, at most two per artist so it does not feel like a loop."""
        cat = self.catalog
        genre, subgenre = cat.genre_names.index(seed.genre), cat.subgenre_names.index(seed.subgenre)
        rows: np.ndarray | None = None
        want = size * 40
        if self.use_candidates:
            # A track of neither the seed's genre nor its subgenre scores at most 0.45: look at the
            # seed's genre and subgenre first, and at everything only if they cannot fill the list.
            rows = np.union1d(cat.indexes.genres.rows(genre), cat.indexes.subgenres.rows(subgenre))
        sim = self._similarity(seed, genre, subgenre, rows)
        top = _top(sim, want)
        outside = 0.4 + 0.05 * float(cat.indexes.features["popularity"].values[-1]) / 100.0
        if rows is not None and not (len(top) == want and sim[top[-1]] > outside + 1e-9):
            rows = None
            sim = self._similarity(seed, genre, subgenre, None)
            top = _top(sim, want)
        chosen = top if rows is None else rows[top]
        result = [seed]
        per_artist = {seed.artist: 1}
        for i in chosen.tolist():
            track = cat.tracks[i]
            if track.id == seed.id or per_artist.get(track.artist, 0) >= 2:
                continue
            per_artist[track.artist] = per_artist.get(track.artist, 0) + 1
            result.append(track)
            if len(result) >= size:
                break
        return result

    def _similarity(self, seed: Track, genre: int, subgenre: int, rows: np.ndarray | None) -> np.ndarray:
        cat = self.catalog

        def col(name: str) -> np.ndarray:
            values: np.ndarray = getattr(cat, name)
            return values if rows is None else values[rows]

        return (
            0.35 * (col("genre_ids") == genre)
            + 0.2 * (col("subgenre_ids") == subgenre)
            + 0.2 * np.clip(1 - np.abs(col("energy") - seed.energy) / 0.3, 0, 1)
            + 0.1 * np.clip(1 - np.abs(col("valence") - seed.valence) / 0.4, 0, 1)
            + 0.1 * np.clip(1 - np.abs(col("year") - seed.year) / 15, 0, 1)
            + 0.05 * col("popularity") / 100
        )


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


def _top(values: np.ndarray, k: int) -> np.ndarray:
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
