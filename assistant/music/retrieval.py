"""What a turn asks of the catalogue: candidate statistics, the next sample, genre and artist suggestions,
a station. Built on the ranking (assistant/music/ranking.py), the candidate search (candidates.py) and the
match (matching.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.music.candidates import CANDIDATE_THRESHOLD
from assistant.music.catalog import Track
from assistant.music.constraints import Constraints
from assistant.music.genres import UNCLASSIFIED
from assistant.music.index import sorted_unique
from assistant.music.ranking import POOL_SAMPLE, Ranker, top_indices

__all__ = ["CANDIDATE_THRESHOLD", "CandidateStats", "Retriever"]

STATS_SAMPLE = 20_000
"""How many of a broad request's possible fits its statistics are estimated from."""
SURPRISE_POOL = 40
"""How many of the best tracks a surprise is drawn from."""


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


class Retriever(Ranker):
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
        elif (
            self.use_candidates
            and self._weights(c)
            and self._broad(c)
            and (estimate := self._sampled_stats(c, offered_rows))
        ):
            return estimate
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
            top = fit[top_indices(fit, 10)][::-1]
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

    def _sampled_stats(self, c: Constraints, offered_rows: np.ndarray) -> CandidateStats | None:
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
            return None  # too few fits to estimate from: the caller lists them exactly
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

    def _top_matches(self, c: Constraints, offered_rows: np.ndarray, fitting: np.ndarray) -> np.ndarray:
        """The 10 best match values (offered tracks count 0), ascending: what `top_indices(fit, 10)` of the
        full array gives. `fitting` holds the match of the tracks at or above the candidate threshold."""
        n = len(self.catalog)
        want = min(10, n)
        least = CANDIDATE_THRESHOLD
        fit = fitting
        while len(fit) < want and least > 0:
            least = least - 0.25 if least > 0.3 else 0.0
            if self.pool_cap is not None and self._too_many(c, least):
                # Past the pool cap (catalogues over POOL_CAP only): the fits found so far and the
                # best of an even sample of POOL_SAMPLE of the rest. An estimate, as for broad requests.
                plan = self._may_fit_plan(c, least) if least > 0 else None
                universe = np.arange(n) if plan is None else plan[1]()  # type: ignore[operator]
                sample = sorted_unique(universe[:: -(-len(universe) // POOL_SAMPLE)])
                sample = sample[~np.isin(sample, offered_rows)]
                values = np.concatenate([fit, self._compute_match(c, sample)])
                return np.sort(values)[len(values) - want :]
            if least <= 0:
                values = self.match(c).copy()
                values[offered_rows] = 0.0
                return values[top_indices(values, want)][::-1]
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
        if self.use_candidates:
            # The same 150 as ranking every track (`_ranked` is exact), from the pool the genre pair
            # was ranked from: scoring a million tracks here was most of a turn at that size.
            top, ranked = self._ranked(c, rejected, affinity, 150)
        else:
            score = self.rank(c, rejected, affinity)
            top = top_indices(score, 150)
            ranked = score[top]
        weight = np.maximum(ranked, 0.0)
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
            rows = sorted_unique(
                np.concatenate([cat.indexes.genres.rows(genre), cat.indexes.subgenres.rows(subgenre)])
            )
        sim = self._similarity(seed, genre, subgenre, rows)
        top = top_indices(sim, want)
        outside = 0.4 + 0.05 * float(cat.indexes.features["popularity"].values[-1]) / 100.0
        if rows is not None and not (len(top) == want and sim[top[-1]] > outside + 1e-9):
            rows = None
            sim = self._similarity(seed, genre, subgenre, None)
            top = top_indices(sim, want)
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
