"""Implicit feedback: how plays, skips, likes and rejections weigh; a person's plays as per-track signals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.music.catalog import Catalog
from nlu.linking import name_key

__all__ = [
    "LIKE_WEIGHT",
    "MAX_MS_PLAYED",
    "PARTIAL_WEIGHT",
    "REJECT_WEIGHT",
    "SKIP_MS",
    "SKIP_WEIGHT",
    "THROUGH_MS_UNKNOWN",
    "THROUGH_SHARE",
    "THROUGH_WEIGHT",
    "CatalogKeys",
    "ListeningSignals",
    "PlayRow",
    "catalog_keys",
    "genre_shares",
    "memo_name_key",
    "play_weights",
    "signals_from_rows",
]


# -- implicit feedback ----------------------------------------------------------------------------
SKIP_MS = 30_000
"""A play shorter than this was skipped early: the person heard enough to say no."""


THROUGH_SHARE = 0.6
"""A play of at least this share of the track's length counts as played through."""


THROUGH_MS_UNKNOWN = 120_000
"""Played through, for a track whose length the catalogue does not know."""


SKIP_WEIGHT = -0.3
"""Weak negative: early skips are noisy (a wrong mood, not necessarily a wrong track)."""


PARTIAL_WEIGHT = 0.3


THROUGH_WEIGHT = 1.0


LIKE_WEIGHT = 3.0
"""Accepted in a conversation: the strongest evidence the app ever gets."""


REJECT_WEIGHT = -2.0


MAX_MS_PLAYED = 24 * 3600 * 1000


@lru_cache(maxsize=1 << 16)
def memo_name_key(name: str) -> str:
    """name_key, memoized: a history repeats the same artists and titles many times over."""
    return name_key(name)


def play_weights(ms_played: np.ndarray, duration_ms: np.ndarray | None = None) -> np.ndarray:
    """Implicit-feedback weight of each play: skipped early < 0 < partly played < played through.

    `duration_ms` is the track's length where known (0 or NaN for unknown): "through" is then at least
    THROUGH_SHARE of it, otherwise at least THROUGH_MS_UNKNOWN.
    """
    ms = np.asarray(ms_played, dtype=np.float64)
    if duration_ms is None:
        through_at = np.full(ms.shape, float(THROUGH_MS_UNKNOWN))
    else:
        duration = np.nan_to_num(np.asarray(duration_ms, dtype=np.float64), nan=0.0)
        through_at = np.where(duration > 0, THROUGH_SHARE * duration, float(THROUGH_MS_UNKNOWN))
    return np.where(ms < SKIP_MS, SKIP_WEIGHT, np.where(ms >= through_at, THROUGH_WEIGHT, PARTIAL_WEIGHT))


@dataclass(frozen=True)
class PlayRow:
    """One listening event as an export describes it."""

    timestamp: int
    """Seconds since 1970-01-01 UTC."""
    artist: str
    title: str
    ms_played: int
    track_id: str | None = None
    """A catalogue track id, when the export names one (Spotify's spotify_track_uri)."""


@dataclass(frozen=True)
class ListeningSignals:
    """A user's history reduced to implicit-feedback weights over one catalogue."""

    track_weight: np.ndarray
    """(n_tracks,) summed weights of plays, likes and rejections of each catalogue track."""
    artist_weight: np.ndarray
    """(n_artists,) summed weights of plays of tracks the catalogue lacks, by artists it holds."""
    n_plays: int
    """All plays, matched or not."""
    n_skips: int
    n_through: int
    n_likes: int = 0
    n_rejects: int = 0
    n_matched: int = 0
    """Plays of tracks the catalogue holds."""
    n_artist_only: int = 0
    """Plays of other tracks by artists the catalogue holds."""

    @property
    def empty(self) -> bool:
        return not (np.any(self.track_weight) or np.any(self.artist_weight))

    @classmethod
    def none(cls, catalog: Catalog) -> ListeningSignals:
        return cls(np.zeros(len(catalog)), np.zeros(len(catalog.artist_names)), 0, 0, 0)


@dataclass
class CatalogKeys:
    """Name keys of a catalogue, for matching exported (artist, title) pairs to its tracks."""

    tracks: dict[tuple[str, str], int]
    artists: dict[str, int]
    ids: dict[str, int]

    @classmethod
    def of(cls, catalog: Catalog) -> CatalogKeys:
        tracks: dict[tuple[str, str], int] = {}
        for i, t in enumerate(catalog.tracks):
            tracks.setdefault((name_key(t.artist), name_key(t.title)), i)
        artists: dict[str, int] = {}
        for a, name in enumerate(catalog.artist_names):
            artists.setdefault(name_key(name), a)
        return cls(tracks, artists, dict(catalog.index))


_KEYS_CACHE: dict[int, tuple[Catalog, CatalogKeys]] = {}


def catalog_keys(catalog: Catalog) -> CatalogKeys:
    cached = _KEYS_CACHE.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        if len(_KEYS_CACHE) > 8:
            _KEYS_CACHE.clear()
        cached = (catalog, CatalogKeys.of(catalog))
        _KEYS_CACHE[id(catalog)] = cached
    return cached[1]


def signals_from_rows(
    rows: Iterable[tuple[str | None, str, str, int, int]],
    catalog: Catalog,
    feedback: Iterable[tuple[str, str]] = (),
) -> ListeningSignals:
    """Aggregate plays into signals. Each row: (track_id or None, artist_key, title_key, ms_played, count).

    A play is matched by track id, else by (artist, title) keys; a play of a track the catalogue lacks
    by an artist it holds counts for the artist. `feedback` holds (track_id, "like" | "reject").
    """
    keys = catalog_keys(catalog)
    track_idx: list[int] = []
    artist_idx: list[int] = []
    ms: list[float] = []
    counts: list[float] = []
    n_plays = 0
    for track_id, artist_key, title_key, ms_played, count in rows:
        n_plays += count
        i = keys.ids.get(track_id, -1) if track_id else -1
        if i < 0:
            i = keys.tracks.get((artist_key, title_key), -1)
        track_idx.append(i)
        artist_idx.append(-1 if i >= 0 else keys.artists.get(artist_key, -1))
        ms.append(ms_played)
        counts.append(count)
    t_idx = np.asarray(track_idx, dtype=np.int64)
    a_idx = np.asarray(artist_idx, dtype=np.int64)
    ms_arr = np.asarray(ms, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    durations = np.zeros(len(t_idx))
    matched = t_idx >= 0
    if matched.any():
        durations[matched] = [catalog.tracks[i].duration_ms for i in t_idx[matched]]
    base = play_weights(ms_arr, durations)
    w = base * n
    track_weight = np.bincount(t_idx[matched], weights=w[matched], minlength=len(catalog)).astype(np.float64)
    by_artist = a_idx >= 0
    artist_weight = np.bincount(
        a_idx[by_artist], weights=w[by_artist], minlength=len(catalog.artist_names)
    ).astype(np.float64)
    n_likes = n_rejects = 0
    for track_id, kind in feedback:
        found = keys.ids.get(track_id)
        if found is None:
            continue
        i = found
        if kind == "like":
            track_weight[i] += LIKE_WEIGHT
            n_likes += 1
        elif kind == "reject":
            track_weight[i] += REJECT_WEIGHT
            n_rejects += 1
    through = base == THROUGH_WEIGHT
    return ListeningSignals(
        track_weight,
        artist_weight,
        n_plays,
        n_skips=int(n[ms_arr < SKIP_MS].sum()),
        n_through=int(n[through].sum()),
        n_likes=n_likes,
        n_rejects=n_rejects,
        n_matched=int(n[matched].sum()),
        n_artist_only=int(n[by_artist].sum()),
    )


def genre_shares(signals: ListeningSignals, catalog: Catalog) -> list[tuple[str, float]]:
    """Genres by share of positive listening (tracks, and artists' usual genres)."""
    positive = np.clip(signals.track_weight, 0, None)
    per_genre = np.bincount(catalog.genre_ids, weights=positive, minlength=len(catalog.genre_names))
    artist_pos = np.clip(signals.artist_weight, 0, None)
    if artist_pos.any():
        # An artist's plays count for the genres of that artist's catalogue tracks, in proportion.
        per_artist = np.bincount(catalog.artist_ids, minlength=len(catalog.artist_names)).astype(float)
        share = artist_pos[catalog.artist_ids] / np.maximum(per_artist[catalog.artist_ids], 1)
        per_genre += np.bincount(catalog.genre_ids, weights=share, minlength=len(catalog.genre_names))
    total = per_genre.sum()
    if total <= 0:
        return []
    order = np.argsort(-per_genre, kind="stable")
    return [(catalog.genre_names[g], float(per_genre[g] / total)) for g in order if per_genre[g] > 0]
