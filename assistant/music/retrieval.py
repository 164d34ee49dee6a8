"""Candidate retrieval and ranking: how well every catalogue track fits the constraints, vectorized."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.music.catalog import Catalog, Track
from assistant.music.constraints import Constraints
from nlu.lexicon import ACTIVITY_PROFILE, GENRE_PARENT
from nlu.linking import EntityLinker

__all__ = ["CANDIDATE_THRESHOLD", "CandidateStats", "Retriever"]

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


class Retriever:
    """Scores the catalogue against constraints; picks samples, suggestions and stations."""

    def __init__(self, catalog: Catalog, linker: EntityLinker | None = None) -> None:
        self.catalog = catalog
        self._linker = linker
        self._match_cache: dict[Constraints, np.ndarray] = {}
        self._rank_cache: tuple[tuple[object, ...], np.ndarray] | None = None

    @property
    def linker(self) -> EntityLinker:
        if self._linker is None:
            self._linker = EntityLinker.for_catalog(self.catalog)
        return self._linker

    # -- matching ---------------------------------------------------------------------------------
    @lru_cache(maxsize=256)  # noqa: B019 - one retriever per catalogue, lives as long as it
    def _genre_match(self, genre: str) -> np.ndarray:
        cat = self.catalog
        genres, subgenres = self.linker.resolve_genre(genre)
        exact = np.zeros(len(cat), dtype=np.float64)
        g_ids = [cat.genre_names.index(g) for g in genres]
        if g_ids:
            # A track listed under the genre only by a playlist it also sits in (smooth jazz on an r&b
            # playlist) fits, but less than one that is that genre: the person hears its own genre.
            primary = np.isin(cat.genre_ids, g_ids)
            exact = np.maximum(exact, np.where(primary, 1.0, 0.9 * cat.multi_genre[:, g_ids].any(axis=1)))
        s_ids = [cat.subgenre_names.index(s) for s in subgenres]
        if s_ids:
            exact = np.maximum(exact, np.isin(cat.subgenre_ids, s_ids))
        family = GENRE_PARENT.get(genre)
        if family and family != genre:
            # Same family ("indie rock" asked, "alternative rock" found) is a partial fit.
            exact = np.maximum(exact, 0.5 * self._genre_match(family))
        return exact

    def has_genre(self, genre: str) -> bool:
        """Does the catalogue hold anything of (or close to) this genre? "country" on a catalogue without
        it should be said, not searched for."""
        return bool(self._genre_match(genre).max() > 0.0)

    def _artist_match(self, c: Constraints) -> np.ndarray | None:
        # An artist the catalogue does not hold cannot guide retrieval; several named together ("like X
        # and Y") each make a track fit.
        names = [a for a in c.artists if a in self.catalog.artist_names]
        if not names:
            return None
        return np.max([self._one_artist_match(a) for a in names], axis=0)

    def _one_artist_match(self, artist: str) -> np.ndarray:
        cat = self.catalog
        mine = cat.artist_ids == cat.artist_names.index(artist)
        energy = float(cat.energy[mine].mean())
        genre_share = np.bincount(cat.genre_ids[mine], minlength=len(cat.genre_names)) / mine.sum()
        sub_share = np.bincount(cat.subgenre_ids[mine], minlength=len(cat.subgenre_names)) / mine.sum()
        similar = (
            0.35 * genre_share[cat.genre_ids]
            + 0.3 * sub_share[cat.subgenre_ids]
            + 0.35 * np.clip(1 - np.abs(cat.energy - energy) / 0.4, 0, 1)
        )
        return np.where(mine, 1.0, 0.85 * similar)

    def match(self, c: Constraints) -> np.ndarray:
        """Weighted mean fit in [0, 1] of every track; 0.5 everywhere when nothing is known yet.

        Cached per constraints (read-only array): a decision asks for it several times, and constraints
        change only when the person says something new.
        """
        cached = self._match_cache.get(c)
        if cached is None:
            if len(self._match_cache) >= 32:
                self._match_cache.clear()
            cached = self._compute_match(c)
            cached.setflags(write=False)
            self._match_cache[c] = cached
        return cached

    def _compute_match(self, c: Constraints) -> np.ndarray:
        cat = self.catalog
        total = np.zeros(len(cat))
        weight = 0.0
        parts: list[tuple[str, np.ndarray]] = []
        if c.genres:
            parts.append(("genre", np.max([self._genre_match(g) for g in c.genres], axis=0)))
        if c.energy is not None:
            parts.append(("energy", np.clip(1 - np.abs(cat.energy - c.energy) / 0.3, 0, 1)))
        if c.valence is not None:
            parts.append(("valence", np.clip(1 - np.abs(cat.valence - c.valence) / 0.35, 0, 1)))
        if c.era is not None:
            lo, hi = c.era
            distance = np.maximum(lo - cat.year, 0) + np.maximum(cat.year - hi, 0)
            parts.append(("era", np.clip(1 - distance / 12.0, 0, 1)))
        if c.activity is not None:
            energy, _valence, _tempo, genres = ACTIVITY_PROFILE[c.activity]
            fits = np.max([self._genre_match(g) for g in genres], axis=0)
            parts.append(
                ("activity", 0.7 * np.clip(1 - np.abs(cat.energy - energy) / 0.3, 0, 1) + 0.3 * fits)
            )
        artist = self._artist_match(c)
        if artist is not None:
            parts.append(("artist", artist))
        if c.tempo is not None:
            known = cat.tempo > 0
            fit = np.where(known, np.clip(1 - np.abs(cat.tempo - c.tempo) / 35.0, 0, 1), 0.5)
            parts.append(("tempo", fit))
        if c.instrumental is not None:
            # Spotify calls a track instrumental above 0.5; unknown tracks are neither.
            known = np.isfinite(cat.instrumentalness)
            value = np.clip(np.nan_to_num(cat.instrumentalness, nan=0.5) / 0.5, 0, 1)
            parts.append(("vocals", np.where(known, value if c.instrumental else 1 - value, 0.5)))
        if c.popular is not None:
            share = cat.popularity / max(1.0, float(cat.popularity.max()))
            parts.append(("popularity", share if c.popular else 1 - share))
        if not parts:
            return np.full(len(cat), 0.5)
        for name, values in parts:
            total += WEIGHTS[name] * values
            weight += WEIGHTS[name]
        return total / weight

    def rank(
        self,
        c: Constraints,
        rejected: Sequence[str] = (),
        affinity: np.ndarray | None = None,
    ) -> np.ndarray:
        """Ranking score: fit, a little popularity, minus resemblance to what was turned down.
        The last result is kept (read-only), since one decision ranks the same state several times."""
        key = (c, tuple(rejected), id(affinity))
        if self._rank_cache is not None and self._rank_cache[0] == key:
            return self._rank_cache[1]
        score = self._compute_rank(c, rejected, affinity)
        score.setflags(write=False)
        self._rank_cache = (key, score)
        return score

    def _compute_rank(
        self, c: Constraints, rejected: Sequence[str], affinity: np.ndarray | None
    ) -> np.ndarray:
        cat = self.catalog
        score = self.match(c) + 0.06 * cat.popularity / 100.0
        if c.era is not None:
            # The era fit is soft so that a thin period still yields music, but a track inside the period
            # asked for ("older than this one") should beat a slightly better fit just outside it.
            score += 0.1 * ((cat.year >= c.era[0]) & (cat.year <= c.era[1]))
        if c.artist_own:
            # "Songs by X": X's own tracks first, ordered by how well they fit the rest.
            own = [cat.artist_names.index(a) for a in c.artists if a in cat.artist_names]
            score += 1.0 * np.isin(cat.artist_ids, own)
        if c.avoid_genres:
            avoided = np.max([self._genre_match(g) for g in c.avoid_genres], axis=0)
            score -= 0.3 * avoided
        if c.avoid_artists:
            ids = [cat.artist_names.index(a) for a in c.avoid_artists if a in cat.artist_names]
            score -= 0.5 * np.isin(cat.artist_ids, ids)
        if rejected:
            idx = np.array([cat.index[t] for t in rejected if t in cat.index], dtype=np.int64)
            if idx.size:
                same_artist = (cat.artist_ids[:, None] == cat.artist_ids[idx][None, :]).any(axis=1)
                same_sub = (cat.subgenre_ids[:, None] == cat.subgenre_ids[idx][None, :]).mean(axis=1)
                score -= 0.12 * same_artist + 0.05 * same_sub
        if affinity is not None:
            score += AFFINITY_WEIGHT * affinity
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
        score = self.rank(c, rejected, affinity).copy()
        if offered:
            idx = [self.catalog.index[t] for t in offered if t in self.catalog.index]
            # Not the same song again from another album either.
            score[np.isin(self.catalog.song_ids, self.catalog.song_ids[idx])] = -np.inf
        best = int(np.argmax(score))
        if surprise is not None and np.isfinite(score[best]):
            pool = _top(score, SURPRISE_POOL)
            pool = pool[np.isfinite(score[pool])]
            best = int(pool[surprise.integers(len(pool))])
        return None if not np.isfinite(score[best]) else self.catalog.tracks[best]

    def stats(self, c: Constraints, offered: Collection[str] = ()) -> CandidateStats:
        cat = self.catalog
        fit = self.match(c)
        if offered:
            fit = fit.copy()
            fit[[cat.index[t] for t in offered if t in cat.index]] = 0.0
        mask = fit >= CANDIDATE_THRESHOLD
        n = int(mask.sum())
        top = fit[_top(fit, 10)][::-1]
        if n:
            counts = np.bincount(cat.genre_ids[mask], minlength=len(cat.genre_names))
            p = counts[counts > 0] / n
            entropy = float(-(p * np.log2(p)).sum())
            energy_spread = float(cat.energy[mask].std())
            year_spread = float(cat.year[mask].std())
            n_genres = int((counts > 0).sum())
        else:
            entropy, energy_spread, year_spread, n_genres = 0.0, 0.0, 0.0, 0
        return CandidateStats(
            n_candidates=n,
            top_match=float(top[-1]),
            mean_match_top10=float(top.mean()),
            genre_entropy=entropy,
            energy_spread=energy_spread,
            year_spread=year_spread,
            n_genres=n_genres,
        )

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
        score = self.rank(c, rejected, affinity)
        top = _top(score, 150)
        use_sub = bool(c.genres)
        labels = cat.subgenre_names if use_sub else cat.genre_names
        ids = cat.subgenre_ids if use_sub else cat.genre_ids
        totals: dict[str, float] = {}
        skip = {*c.avoid_genres, *c.genres, *exclude}
        for i in top:
            label = labels[ids[i]]
            if label in skip:
                continue
            totals[label] = totals.get(label, 0.0) + max(0.0, float(score[i]))
        ranked = sorted(totals, key=lambda g: -totals[g])
        return (ranked[0], ranked[1]) if len(ranked) >= 2 else None

    def suggest_artist(
        self,
        c: Constraints,
        rejected: Sequence[str] = (),
        affinity: np.ndarray | None = None,
        exclude: Collection[str] = (),
    ) -> str | None:
        cat = self.catalog
        score = self.rank(c, rejected, affinity)
        skip = {*c.avoid_artists, *exclude, *c.artists}
        for i in _top(score, 200):
            name = cat.artist_names[cat.artist_ids[i]]
            if name not in skip:
                return name
        return None

    def station(self, seed: Track, size: int = 10) -> list[Track]:
        """Tracks like the seed, the seed first, at most two per artist so it does not feel like a loop."""
        cat = self.catalog
        same_genre = cat.genre_ids == cat.genre_names.index(seed.genre)
        same_sub = cat.subgenre_ids == cat.subgenre_names.index(seed.subgenre)
        sim = (
            0.35 * same_genre
            + 0.2 * same_sub
            + 0.2 * np.clip(1 - np.abs(cat.energy - seed.energy) / 0.3, 0, 1)
            + 0.1 * np.clip(1 - np.abs(cat.valence - seed.valence) / 0.4, 0, 1)
            + 0.1 * np.clip(1 - np.abs(cat.year - seed.year) / 15, 0, 1)
            + 0.05 * cat.popularity / 100
        )
        result = [seed]
        per_artist = {seed.artist: 1}
        for i in _top(sim, size * 40):
            track = cat.tracks[i]
            if track.id == seed.id or per_artist.get(track.artist, 0) >= 2:
                continue
            per_artist[track.artist] = per_artist.get(track.artist, 0) + 1
            result.append(track)
            if len(result) >= size:
                break
        return result


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first (argpartition: a full sort of 28k tracks per call
    was the biggest cost of a turn on the Spotify catalogue)."""
    if k >= len(values):
        return np.argsort(values)[::-1]
    part = np.argpartition(values, -k)[-k:]
    return part[np.argsort(values[part])[::-1]]
