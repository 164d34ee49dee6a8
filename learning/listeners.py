"""Who a simulated listener is: the catalogue as they know it (World), hidden taste, knowledge, patience."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.music.catalog import Catalog
from learning.phrases import (
    ACTIVITY_OF_SAID,
    ACTIVITY_SAID_RE,
    FEEL_WORDS,
    SIMULATED_ACTIVITIES,
    described_era,
    pick,
)
from learning.population import Population
from nlu.lexicon import ACTIVITY_PROFILE, GENRE_PARENT
from nlu.linking import EntityLinker
from nlu.meaning import Understander, Understanding
from nlu.rules import RuleUnderstanding

__all__ = [
    "ENERGY_W",
    "ERA_W",
    "GENRE_W",
    "CachedUnderstander",
    "HiddenTaste",
    "Knowledge",
    "Listener",
    "World",
    "draw_listener",
]


GENRE_W, ENERGY_W, ERA_W = 0.5, 0.35, 0.15
"""How much genre, energy and period count in how well a track matches a listener's taste."""


# -- understanding cache --------------------------------------------------------------------------
class CachedUnderstander:
    """Understanding memoized by text: simulated phrases repeat, and understanding is deterministic."""

    def __init__(self, inner: Understander, max_size: int = 200_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.linker = getattr(inner, "linker", None)
        self._cache: dict[str, Understanding] = {}
        self._max = max_size
        self.hits = 0
        self.misses = 0

    def understand(self, text: str) -> Understanding:
        found = self._cache.get(text)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        result = self.inner.understand(text)
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[text] = result
        return result


# -- the world: catalogue facts the listener can hear and judge ------------------------------------
class World:
    """What listeners know about the catalogue: genre families, subgenres, artists. Built once, shared."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        cat = catalog
        self.family_of_subgenre = {t.subgenre: t.genre for t in cat.tracks}
        self.families = tuple(sorted({t.genre for t in cat.tracks}))
        self.family_ids = np.array([self.families.index(t.genre) for t in cat.tracks], dtype=np.int32)
        self.family_size = np.bincount(self.family_ids, minlength=len(self.families)).astype(float)
        self.subgenre_names = cat.subgenre_names
        self.subgenres_of = {
            f: sorted({t.subgenre for t in cat.tracks if t.genre == f}) for f in self.families
        }
        self.artist_track_ids = [np.flatnonzero(cat.artist_ids == a) for a in range(len(cat.artist_names))]
        width = max(len(ids) for ids in self.artist_track_ids)
        self.artist_matrix = np.full((len(self.artist_track_ids), width), len(cat), dtype=np.int64)
        """Track indices of each artist, padded with len(catalog) (an index past the end)."""
        for a, ids in enumerate(self.artist_track_ids):
            self.artist_matrix[a, : len(ids)] = ids
        popularity = np.array([cat.popularity[ids].mean() for ids in self.artist_track_ids]) / 100.0
        self.artist_reach = np.clip(0.5 + (popularity - popularity.mean()), 0.05, 0.95)
        """How widely each artist is known, around 0.5 (scaled by a population's knows_artists)."""
        labels = sorted({*self.families, *cat.subgenre_names}, key=len, reverse=True)
        self._label_re = re.compile(
            r"(?<![\w&'-])(" + "|".join(re.escape(x) for x in labels) + r")(?![\w&'-])"
        )
        artists = sorted(cat.artist_names, key=len, reverse=True)
        self._artist_re = re.compile("|".join(re.escape(a) for a in artists)) if artists else None
        self.hearing = CachedUnderstander(RuleUnderstanding(EntityLinker.for_catalog(catalog)))
        """How a listener recalls what they themselves said (to answer "did I get that right?")."""

    def artist_fit(self, utility: np.ndarray) -> np.ndarray:
        """Per artist, the mean match of their three best-matching tracks."""
        padded = np.append(utility, -np.inf)[self.artist_matrix]
        top = -np.sort(-padded, axis=1)[:, :3]
        counts = np.isfinite(top).sum(axis=1)
        return np.where(np.isfinite(top), top, 0.0).sum(axis=1) / np.maximum(counts, 1)

    @lru_cache(maxsize=4096)  # noqa: B019 - one world per catalogue, lives as long as the run
    def genre_labels_in(self, text: str) -> tuple[str, ...]:
        """Genre and subgenre names mentioned in an assistant's words, in order."""
        return tuple(m.group(1) for m in self._label_re.finditer(text.lower()))

    @lru_cache(maxsize=4096)  # noqa: B019
    def described_tracks(self, text: str) -> np.ndarray:
        """Indices of the tracks a station description promises ("upbeat rock for workout from the 1990s",
        "music like <artist>"): genre, feel, activity, artist and period as worded by
        assistant.music.constraints.describe; the last mention wins (an acknowledgement may come first)."""
        cat = self.catalog
        lowered = text.lower()
        keep = np.ones(len(cat), dtype=bool)
        labels = self.genre_labels_in(text)
        if labels:
            label = labels[-1]
            if label in self.families:
                keep &= self.family_ids == self.families.index(label)
            elif label in cat.subgenre_names:
                keep &= cat.subgenre_ids == cat.subgenre_names.index(label)
        feel = max(FEEL_WORDS, key=lowered.rfind)
        energy = FEEL_WORDS[feel] if feel in lowered else None
        activity = ACTIVITY_SAID_RE.search(lowered)
        if activity:
            energy = ACTIVITY_PROFILE[ACTIVITY_OF_SAID[activity.group(1)]][0] if energy is None else energy
        artists = self.artists_in(text)
        if artists:
            mine = self.artist_track_ids[cat.artist_names.index(artists[-1])]
            keep &= np.isin(self.family_ids, self.family_ids[mine])
            energy = float(cat.energy[mine].mean()) if energy is None else energy
        if energy is not None:
            keep &= np.abs(cat.energy - energy) <= 0.2
        era = described_era(lowered)
        if era is not None:
            keep &= (cat.year >= era[0]) & (cat.year <= era[1])
        return np.flatnonzero(keep)

    @lru_cache(maxsize=4096)  # noqa: B019
    def artists_in(self, text: str) -> tuple[str, ...]:
        return tuple(m.group(0) for m in self._artist_re.finditer(text)) if self._artist_re else ()

    def family(self, label: str) -> str | None:
        if label in self.families:
            return label
        if label in self.family_of_subgenre:
            return self.family_of_subgenre[label]
        parent = GENRE_PARENT.get(label)
        return parent if parent in self.families else None


# -- the hidden state -----------------------------------------------------------------------------
@dataclass(frozen=True)
class HiddenTaste:
    """What the listener wants right now. Never shown to the assistant."""

    genres: tuple[str, ...]
    """Genre families that would do."""
    subgenre: str | None
    """When set, only this subgenre of the first genre really fits (the rest of the family fits less)."""
    energy: float
    energy_tolerance: float
    era: tuple[int, int] | None
    activity: str | None
    artist: str | None
    """An artist who fits the moment (named only by listeners who know one)."""
    long_term: tuple[str, ...]
    long_term_weights: tuple[float, ...] = ()
    """How much each long-term favourite counts (sums to 1); listening histories are drawn from these."""


@dataclass(frozen=True)
class Knowledge:
    """What this listener can put into words."""

    answers_open: bool
    leads: bool
    knows_genre: bool
    names_artist: bool
    chooses_between_two: bool
    knows_era: bool
    steers: float
    familiar: frozenset[str]
    """Artists this listener has heard of: only these can be judged when suggested or named."""


@dataclass(frozen=True)
class Listener:
    """One simulated person: hidden taste, knowledge, patience budget, acceptance."""

    taste: HiddenTaste
    knowledge: Knowledge
    patience: float
    utility: np.ndarray
    """How well every catalogue track matches the taste of the moment, in [0, 1]."""


def _utility(world: World, taste: HiddenTaste) -> np.ndarray:
    cat = world.catalog
    wanted = np.isin(world.family_ids, [world.families.index(g) for g in taste.genres])
    genre_fit = wanted.astype(float)
    if taste.subgenre is not None:
        first = world.family_ids == world.families.index(taste.genres[0])
        exact = cat.subgenre_ids == cat.subgenre_names.index(taste.subgenre)
        genre_fit = np.where(first & ~exact, 0.6, genre_fit)
    # A track also listed under a wanted genre (multi-genre catalogues) fits nearly as well.
    listed = [cat.genre_names.index(g) for g in taste.genres if g in cat.genre_names]
    if listed:
        genre_fit = np.maximum(genre_fit, 0.8 * cat.multi_genre[:, listed].any(axis=1))
    energy_fit = np.exp(-0.5 * ((cat.energy - taste.energy) / taste.energy_tolerance) ** 2)
    if taste.era is None:
        era_fit = np.ones(len(cat))
    else:
        lo, hi = taste.era
        distance = np.maximum(lo - cat.year, 0) + np.maximum(cat.year - hi, 0)
        era_fit = np.exp(-distance / 5.0)
    u = GENRE_W * genre_fit + ENERGY_W * energy_fit + ERA_W * era_fit
    if taste.artist is not None:
        u = np.where(cat.artist_ids == cat.artist_names.index(taste.artist), np.minimum(1.0, u + 0.08), u)
    return u


def draw_listener(world: World, population: Population, rng: np.random.Generator) -> Listener:
    """Draw one listener: long-term taste, the taste of the moment, knowledge and patience."""
    cat = world.catalog
    t, k, p = population.taste, population.knowledge, population.patience
    n_fav = min(t.n_long_term_genres, len(world.families))
    share = world.family_size / world.family_size.sum()
    favourites = rng.choice(len(world.families), size=n_fav, replace=False, p=share)
    weights = rng.dirichlet(np.ones(n_fav))
    long_term = tuple(world.families[i] for i in favourites)

    def any_genre() -> str:
        if rng.random() < t.from_long_term:
            return long_term[int(rng.choice(n_fav, p=weights))]
        return world.families[int(rng.integers(len(world.families)))]

    activity = None
    if rng.random() < t.activity:
        activity = pick(rng, SIMULATED_ACTIVITIES)
    genre = any_genre()
    if activity is not None:
        fitting = [g for g in ACTIVITY_PROFILE[activity][3] if world.family(g) is not None]
        if fitting and rng.random() < 0.6:
            genre = world.family(pick(rng, fitting)) or genre
    genres = [genre]
    if rng.random() < t.second_genre:
        other = any_genre()
        if other not in genres:
            genres.append(other)
    members = np.flatnonzero(world.family_ids == world.families.index(genre))
    subgenre = None
    if rng.random() < t.subgenre_specific and len(world.subgenres_of[genre]) > 1:
        subgenre = pick(rng, world.subgenres_of[genre])
        members = members[cat.subgenre_ids[members] == cat.subgenre_names.index(subgenre)]
    # The energy wanted is that of some music of the genre (what people want exists), or the activity's.
    anchor = int(rng.choice(members))
    if activity is not None:
        energy = ACTIVITY_PROFILE[activity][0] + rng.normal(0, 0.05)
    else:
        energy = cat.energy[anchor] + rng.normal(0, 0.05)
    energy = float(np.clip(energy, 0.03, 0.97))
    tolerance = float(np.clip(rng.normal(t.energy_tolerance, 0.03), 0.06, 0.5))
    era = None
    if rng.random() < t.era_preference:
        decade = int(cat.year[int(rng.choice(members))]) // 10 * 10
        era = (decade, decade + 9)
    knowledge = Knowledge(
        answers_open=bool(rng.random() < k.answers_open),
        leads=bool(rng.random() < k.leads),
        knows_genre=bool(rng.random() < k.knows_genre),
        names_artist=bool(rng.random() < k.names_artist),
        chooses_between_two=bool(rng.random() < k.chooses_between_two),
        knows_era=bool(rng.random() < k.knows_era),
        steers=k.steers,
        familiar=frozenset(
            np.asarray(cat.artist_names)[
                rng.random(len(cat.artist_names)) < world.artist_reach * k.knows_artists / 0.5
            ]
        ),
    )
    lt_weights = tuple(float(w) for w in weights)
    draft = HiddenTaste(
        tuple(genres), subgenre, energy, tolerance, era, activity, None, long_term, lt_weights
    )
    utility = _utility(world, draft)
    # The artist they could name is the one they know whose music fits the moment best.
    # In catalogue order, not the set's: a set of names iterates in an order that changes with the process's
    # hash seed, and argmax takes the first of equal fits, so another process (a Ray worker) would pick
    # another artist for the same listener.
    known_ids = sorted(cat.artist_names.index(a) for a in knowledge.familiar)
    best_artist = None
    if known_ids:
        fits = world.artist_fit(utility)[known_ids]
        best_artist = cat.artist_names[known_ids[int(np.argmax(fits))]]
    taste = HiddenTaste(
        tuple(genres), subgenre, energy, tolerance, era, activity, best_artist, long_term, lt_weights
    )
    patience = max(p.minimum, float(rng.normal(p.mean, p.sd)))
    return Listener(taste, knowledge, patience, _utility(world, taste))
