"""Synthetic listening histories consistent with a long-term taste (for training and simulated listeners).

A listener's long-term taste (`Taste`) is a few favourite genres, a preferred energy and era, a handful of
favourite artists, and a position in a latent "scene" space shared with artists: people who like one
artist of a scene tend to like the others, whatever their genre labels say. The scene is what co-listening
reveals and catalogue features do not, as in real listening data. Histories are sessions of plays, each
session leaning to one of the favourite genres, with replays of favourites and early skips of tracks that
do not fit, so play duration is the implicit feedback a real streaming export carries.

The user simulator reuses `synthetic_histories(..., tastes=...)` to give simulated users a history that
agrees with their hidden taste, and `taste_utility` for how much they like each track.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.music.catalog import Catalog
from assistant.taste.signals import ListeningSignals, PlayRow, signals_from_rows
from nlu.linking import name_key

__all__ = [
    "SCENE_DIM",
    "SyntheticHistory",
    "Taste",
    "artist_scenes",
    "random_taste",
    "synthetic_histories",
    "taste_utility",
]

SCENE_DIM = 6
START = 1_672_531_200
"""2023-01-01 UTC: synthetic histories start here (spread over the following weeks)."""

# How much each part of taste counts in a track's utility (in logits of the choice model).
U_GENRE = 2.0
U_ENERGY = 1.2
U_ERA = 0.7
U_SCENE = 1.0
U_ARTIST = 1.2
U_POPULAR = 0.4
CHOICE_SHARPNESS = 2.2
SESSION_GENRE_BONUS = 1.2
THROUGH_MARGIN = 0.6
"""Tracks this many spreads below the listener's usual fare are played through half the time."""
REPLAY_SHARE = 0.25
"""Share of plays that are replays of a track the listener played through before."""


@dataclass(frozen=True)
class Taste:
    """A listener's long-term taste: hidden from the assistant, revealed by what they play."""

    genres: Mapping[str, float]
    """Genre or subgenre names -> weight (normalized when used)."""
    energy: float = 0.5
    energy_width: float = 0.2
    era: float = 2000.0
    """Centre year of the music they like."""
    era_width: float = 12.0
    artists: tuple[str, ...] = ()
    """Favourite artists (catalogue names)."""
    scene: tuple[float, ...] = ()
    """Position in the latent co-listening space (SCENE_DIM numbers); empty = drawn at random."""
    sessions: float = 12.0
    """Typical number of listening sessions in a history."""


@dataclass
class SyntheticHistory:
    """One listener's plays in time order, with the taste that produced them."""

    taste: Taste
    track: np.ndarray
    """int32 catalogue indices."""
    ms_played: np.ndarray
    timestamp: np.ndarray
    """int64 seconds since the epoch, increasing."""
    session: np.ndarray
    feedback: list[tuple[str, str]] = field(default_factory=list)
    """(track_id, "like" | "reject") from conversations, when a simulator adds them."""

    def __len__(self) -> int:
        return len(self.track)

    def signals(self, catalog: Catalog) -> ListeningSignals:
        """The history as implicit-feedback weights, exactly as the app derives them from a stored one."""
        ids = [catalog.tracks[i].id for i in self.track]
        rows = ((track_id, "", "", int(ms), 1) for track_id, ms in zip(ids, self.ms_played, strict=True))
        return signals_from_rows(rows, catalog, self.feedback)

    def rows(self, catalog: Catalog) -> list[PlayRow]:
        """As export rows (artist and title by name), e.g. to write a CSV or fill a HistoryStore."""
        return [
            PlayRow(int(ts), catalog.tracks[i].artist, catalog.tracks[i].title, int(ms))
            for i, ms, ts in zip(self.track, self.ms_played, self.timestamp, strict=True)
        ]

    def split(self, share: float = 0.8) -> tuple[SyntheticHistory, SyntheticHistory]:
        """Earlier and later plays, cut at a session boundary near `share` of the plays (time order)."""
        n = len(self.track)
        cut = round(share * n)
        if 0 < cut < n:
            boundary = np.flatnonzero(np.diff(self.session) != 0) + 1
            if boundary.size:
                cut = int(boundary[np.argmin(np.abs(boundary - cut))])

        def part(sl: slice) -> SyntheticHistory:
            return SyntheticHistory(
                self.taste, self.track[sl], self.ms_played[sl], self.timestamp[sl], self.session[sl]
            )

        return part(slice(0, cut)), part(slice(cut, n))


def _stable_unit(text: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).normal(size=dim)
    return v / np.linalg.norm(v)


_SCENES: dict[int, tuple[Catalog, np.ndarray]] = {}


def artist_scenes(catalog: Catalog) -> np.ndarray:
    """(n_artists, SCENE_DIM) unit vectors, a fixed function of each artist's name: every generator run
    over the same catalogue agrees on who is in which scene."""
    cached = _SCENES.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        scenes = np.array([_stable_unit(name_key(a) or a, SCENE_DIM) for a in catalog.artist_names])
        cached = (catalog, scenes)
        _SCENES[id(catalog)] = cached
    return cached[1]


def _genre_fit(taste: Taste, catalog: Catalog) -> np.ndarray:
    weights = {k.lower(): float(v) for k, v in taste.genres.items() if v > 0}
    if not weights:
        return np.zeros(len(catalog))
    top = max(weights.values())
    fit = np.zeros(len(catalog))
    for name, w in weights.items():
        if name in catalog.genre_names:
            fit = np.maximum(fit, (w / top) * catalog.multi_genre[:, catalog.genre_names.index(name)])
        if name in catalog.subgenre_names:
            fit = np.maximum(fit, (w / top) * (catalog.subgenre_ids == catalog.subgenre_names.index(name)))
    return fit


def taste_utility(taste: Taste, catalog: Catalog, scene: np.ndarray | None = None) -> np.ndarray:
    """How much the listener likes each track (logits, higher is better): genre, energy, era, favourite
    artists, scene and a little popularity. `scene` overrides taste.scene (a drawn one)."""
    genre = _genre_fit(taste, catalog)
    energy = np.exp(-0.5 * ((catalog.energy - taste.energy) / max(taste.energy_width, 0.05)) ** 2)
    era = np.exp(-0.5 * ((catalog.year - taste.era) / max(taste.era_width, 2.0)) ** 2)
    user_scene = np.asarray(scene if scene is not None else taste.scene, dtype=np.float64)
    if user_scene.size == SCENE_DIM and np.linalg.norm(user_scene) > 0:
        affinity = artist_scenes(catalog)[catalog.artist_ids] @ (user_scene / np.linalg.norm(user_scene))
    else:
        affinity = np.zeros(len(catalog))
    favourite = np.isin(catalog.artist_ids, [catalog.artist_names.index(a) for a in taste.artists
                                             if a in catalog.artist_names])  # fmt: skip
    return (
        U_GENRE * genre
        + U_ENERGY * energy
        + U_ERA * era
        + U_SCENE * affinity
        + U_ARTIST * favourite
        + U_POPULAR * (catalog.popularity / 100.0 - 0.5)
    )


def random_taste(catalog: Catalog, rng: np.random.Generator) -> Taste:
    """A plausible listener: one to three favourite genres, an energy and era they like, a few favourite
    artists within those genres, a scene position, more or less listening."""
    n_genres = len(catalog.genre_names)
    size = catalog.multi_genre.sum(axis=0).astype(np.float64)
    p = np.sqrt(size) / np.sqrt(size).sum()
    k = int(min(n_genres, rng.choice([1, 2, 2, 3, 3])))
    chosen = rng.choice(n_genres, size=k, replace=False, p=p)
    weights = rng.dirichlet(np.full(k, 2.0))
    genres = {catalog.genre_names[g]: float(w) for g, w in zip(chosen, weights, strict=True)}
    in_taste = catalog.multi_genre[:, chosen].any(axis=1)
    anchor = int(rng.choice(np.flatnonzero(in_taste)))
    artist_pool = sorted({catalog.tracks[i].artist for i in np.flatnonzero(in_taste)})
    return taste_around(
        catalog, genres, anchor, artist_pool, rng, lambda r: float(np.clip(r.lognormal(2.3, 0.6), 2, 80))
    )


def taste_around(
    catalog: Catalog,
    genres: dict[str, float],
    anchor: int,
    artist_pool: Sequence[str],
    rng: np.random.Generator,
    sessions: Callable[[np.random.Generator], float],
) -> Taste:
    """The rest of a taste once its genres are chosen: the usual energy and era are those of the `anchor`
    track plus noise, one to four favourite artists from `artist_pool`, a random scene position, and how
    much they listen (`sessions`, drawn last). Shared by random listeners and simulated ones
    (learning.listening), so both kinds of history come from one definition of a taste."""
    n_fav = min(len(artist_pool), int(rng.integers(1, 5)))
    artists = tuple(str(a) for a in rng.choice(artist_pool, size=n_fav, replace=False)) if n_fav else ()
    scene = rng.normal(size=SCENE_DIM)
    energy = float(np.clip(catalog.energy[anchor] + rng.normal(0, 0.1), 0.05, 0.95))
    energy_width = float(rng.uniform(0.12, 0.3))
    era = float(catalog.year[anchor] + rng.normal(0, 5))
    era_width = float(rng.uniform(6, 20))
    return Taste(
        genres=genres,
        energy=energy,
        energy_width=energy_width,
        era=era,
        era_width=era_width,
        artists=artists,
        scene=tuple(float(x) for x in scene / np.linalg.norm(scene)),
        sessions=sessions(rng),
    )


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _one_history(taste: Taste, catalog: Catalog, rng: np.random.Generator, start: int) -> SyntheticHistory:
    if len(taste.scene) != SCENE_DIM:
        scene = rng.normal(size=SCENE_DIM)
        taste = replace(taste, scene=tuple(float(x) for x in scene / np.linalg.norm(scene)))
    utility = taste_utility(taste, catalog)
    n = len(catalog)
    duration = np.array([t.duration_ms for t in catalog.tracks], dtype=np.float64)
    # Played through when a track beats what this listener usually plays; a worse one is skipped.
    usual = _softmax(CHOICE_SHARPNESS * utility)
    mean = float(usual @ utility)
    spread = max(float(np.sqrt(usual @ (utility - mean) ** 2)), 0.1)
    threshold = mean - THROUGH_MARGIN * spread
    weights = {k.lower(): float(v) for k, v in taste.genres.items() if v > 0} or {"": 1.0}
    names = list(weights)
    probs = np.array(list(weights.values()))
    probs /= probs.sum()
    n_sessions = max(1, int(rng.poisson(max(taste.sessions, 1.0))))
    tracks: list[int] = []
    ms_played: list[int] = []
    stamps: list[int] = []
    sessions: list[int] = []
    through_so_far: list[int] = []
    now = start
    for s in range(n_sessions):
        now += int(rng.exponential(1.5 * 86_400)) + 3600
        focus = names[int(rng.choice(len(names), p=probs))]
        bonus = SESSION_GENRE_BONUS * _genre_fit(Taste({focus: 1.0}), catalog) if focus else 0.0
        drift = rng.normal(0, 0.1)  # tonight a little calmer or livelier than usual
        mood = np.exp(-0.5 * ((catalog.energy - (taste.energy + drift)) / 0.25) ** 2)
        p = _softmax(CHOICE_SHARPNESS * (utility + bonus + 0.5 * mood))
        length = int(rng.integers(4, 21))
        picks = rng.choice(n, size=min(length, n), replace=False, p=p)
        for i in picks:
            if through_so_far and rng.random() < REPLAY_SHARE:
                i = through_so_far[int(rng.integers(len(through_so_far)))]
            i = int(i)
            p_through = 1.0 / (1.0 + np.exp(-2.5 * (utility[i] - threshold) / spread))
            d = duration[i] if duration[i] > 0 else 200_000.0
            if rng.random() < p_through:
                ms = d if rng.random() < 0.7 else d * rng.uniform(0.6, 1.0)
                through_so_far.append(i)
            elif rng.random() < 0.65:
                ms = rng.uniform(2_000, 29_000)
            else:
                ms = rng.uniform(30_000, max(30_001.0, 0.6 * d - 1))
            tracks.append(i)
            ms_played.append(int(ms))
            stamps.append(now)
            sessions.append(s)
            now += int(ms // 1000) + int(rng.integers(1, 20))
    return SyntheticHistory(
        taste,
        np.asarray(tracks, dtype=np.int32),
        np.asarray(ms_played, dtype=np.int64),
        np.asarray(stamps, dtype=np.int64),
        np.asarray(sessions, dtype=np.int32),
    )


def synthetic_histories(
    catalog: Catalog,
    n_users: int,
    rng: np.random.Generator,
    tastes: Sequence[Taste] | None = None,
) -> list[SyntheticHistory]:
    """Listening histories of `n_users` listeners over `catalog`, seeded by `rng`.

    With `tastes` (one per user), each history follows the given long-term taste (the simulator passes
    its users' hidden tastes); otherwise tastes are drawn with `random_taste`. A taste without a scene
    gets one drawn from `rng`, recorded in the returned history's taste.
    """
    if tastes is not None and len(tastes) != n_users:
        raise ValueError(f"tastes holds {len(tastes)} tastes for {n_users} users; give one per user")
    histories = []
    for u in range(n_users):
        taste = tastes[u] if tastes is not None else random_taste(catalog, rng)
        start = START + int(rng.integers(0, 60)) * 86_400
        histories.append(_one_history(taste, catalog, rng, start))
    return histories
