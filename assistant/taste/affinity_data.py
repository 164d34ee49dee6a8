"""Synthetic listening histories consistent with long-term taste, and the offline evaluation of affinity.

A listener's long-term taste (`Taste`) is a few favourite genres, a preferred energy and era, a handful of
favourite artists, and a position in a latent "scene" space shared with artists: people who like one
artist of a scene tend to like the others, whatever their genre labels say. The scene is what co-listening
reveals and catalogue features do not, as in real listening data. Histories are sessions of plays, each
session leaning to one of the favourite genres, with replays of favourites and early skips of tracks that
do not fit, so play duration is the implicit feedback a real streaming export carries.

Offline evaluation (`run_experiment`) trains the affinity models on one synthetic population, tunes them
on a second and reports recall@k and NDCG@k on the later plays of a third, whose listeners no model saw.

The user simulator reuses `synthetic_histories(..., tastes=...)` to give simulated users a history that
agrees with their hidden taste, and `taste_utility` for how much they like each track.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.music.catalog import Catalog
from assistant.taste.history import ListeningSignals, PlayRow, signals_from_rows
from nlu.linking import name_key

__all__ = [
    "SCENE_DIM",
    "Experiment",
    "HeldOut",
    "ModelResult",
    "SyntheticHistory",
    "Taste",
    "artist_scenes",
    "evaluate",
    "evaluate_shipped",
    "held_out",
    "machine_line",
    "random_taste",
    "run_experiment",
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
    (assistant.learning.listening), so both kinds of history come from one definition of a taste."""
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


# -- offline evaluation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class HeldOut:
    """One listener for offline evaluation: what a model sees, and what it should have predicted."""

    signals: ListeningSignals
    """The earlier plays (about 80 %), as the app would derive them."""
    seen: np.ndarray
    """Tracks played in the earlier part: left out of the ranking (we score discovery, not replays)."""
    relevant: np.ndarray
    """Tracks first played through in the later part."""
    n_early: int
    utility: np.ndarray
    """The listener's hidden taste utility of every track (known only because the data is synthetic)."""


def held_out(histories: Sequence[SyntheticHistory], catalog: Catalog, share: float = 0.8) -> list[HeldOut]:
    """Split each history in time: the earlier plays are the input, tracks new to the listener that they
    played through later are the targets. Listeners with fewer than three earlier plays or no new track
    played through later are left out."""
    duration = np.array([t.duration_ms for t in catalog.tracks], dtype=np.float64)
    cases = []
    for h in histories:
        early, late = h.split(share)
        if len(early) < 3 or len(late) == 0:
            continue
        seen = np.unique(early.track)
        through = late.ms_played >= 0.6 * duration[late.track]
        relevant = np.setdiff1d(np.unique(late.track[through]), seen)
        if relevant.size == 0:
            continue
        cases.append(
            HeldOut(early.signals(catalog), seen, relevant, len(early), taste_utility(h.taste, catalog))
        )
    return cases


@dataclass
class ModelResult:
    """A model's offline ranking metrics on held-out plays (means over listeners)."""

    name: str
    config: str
    metrics: dict[str, float]
    model: Any = field(default=None, repr=False)
    fit_seconds: float = 0.0


@dataclass
class Experiment:
    """The outcome of `run_experiment`: validation and test results, the chosen default, fitted models."""

    catalog: str
    seed: int
    sizes: dict[str, int]
    validation: list[ModelResult]
    test: list[ModelResult]
    default: str
    blend_weights: dict[str, float]
    """Content's weight in each blend, as tuned."""
    cf: Any
    mf: Any
    chosen: Any = None
    """The default model object (marks its row in the tables)."""

    def summary(self) -> str:
        sizes = self.sizes
        trained = (
            f"trained on {sizes['train']} synthetic listeners, tuned on {sizes['validation']}"
            if sizes.get("validation")
            else "the shipped models (assets/affinity)"
        )
        return (
            f"Affinity on held-out plays, catalogue {self.catalog!r}, seed {self.seed}: {sizes['test']} "
            "test listeners no model saw; input = their earlier ~80 % of plays, targets = tracks new to them "
            f"that they played through later. Models: {trained}. Default model: {self.default}."
        )

    def table(self, validation: bool = False) -> str:
        """The test results (or every validation candidate) as a Markdown table."""
        head = (
            "| model | configuration | recall@10 | recall@20 | NDCG@10 (±95% CI) "
            "| recall@20, short histories | taste Spearman | ms per user |"
        )
        lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|"]
        for r in self.validation if validation else self.test:
            m = r.metrics
            lines.append(
                f"| {r.name}{' (default)' if r.name == self.default and r.model is self.chosen else ''} "
                f"| {r.config} "
                f"| {m['recall@10']:.3f} | {m['recall@20']:.3f} | {m['ndcg@10']:.3f} ± {m['ndcg@10_ci']:.3f} "
                f"| {m['short_recall@20']:.3f} | {m['taste_spearman']:.3f} | {m['ms_per_user']:.2f} |"
            )
        return "\n".join(lines)


SHORT_HISTORY = 30
"""Listeners with at most this many earlier plays form the "short histories" column."""


def evaluate(model: Any, cases: Sequence[HeldOut], catalog: Catalog) -> dict[str, float]:
    """Mean recall@10/20 and NDCG@10 over listeners (with a 95 % interval for NDCG), recall@20 for short
    histories, the Spearman correlation of affinity with hidden taste, and scoring time per listener."""
    from scipy.stats import spearmanr

    from assistant.taste.affinity import ranking_metrics, user_affinity

    per_user: list[dict[str, float]] = []
    rho: list[float] = []
    elapsed = 0.0
    for i, case in enumerate(cases):
        start = time.perf_counter()
        scores = model.scores(case.signals)
        elapsed += time.perf_counter() - start
        per_user.append(ranking_metrics(scores, case.relevant, case.seen))
        if i < 300:  # a correlation per listener is slow-ish and settles early
            affinity = user_affinity(case.signals, model, catalog)
            if affinity is not None and np.std(affinity) > 0:
                rho.append(float(spearmanr(affinity, case.utility).statistic))
    out = {k: float(np.mean([m[k] for m in per_user])) for k in per_user[0]}
    ndcg = np.array([m["ndcg@10"] for m in per_user])
    out["ndcg@10_ci"] = float(1.96 * ndcg.std(ddof=1) / np.sqrt(len(ndcg))) if len(ndcg) > 1 else 0.0
    short = [m["recall@20"] for m, c in zip(per_user, cases, strict=True) if c.n_early <= SHORT_HISTORY]
    out["short_recall@20"] = float(np.mean(short)) if short else float("nan")
    out["taste_spearman"] = float(np.mean(rho)) if rho else float("nan")
    out["ms_per_user"] = 1000.0 * elapsed / max(len(cases), 1)
    return out


def run_experiment(
    catalog: Catalog,
    *,
    seed: int = 0,
    n_train: int = 2000,
    n_valid: int = 500,
    n_test: int = 1000,
    quick: bool = False,
    log: Callable[[str], None] = lambda _message: None,
) -> Experiment:
    """Train every candidate on one synthetic population, choose each family's configuration on a
    validation population by NDCG@10, choose the default model the same way, and report all on a test
    population of listeners none of the models saw (folded in from their earlier plays)."""
    from assistant.taste.affinity import (
        BlendAffinity,
        ContentAffinity,
        ImplicitALS,
        ItemCF,
        PopularityAffinity,
        signals_matrix,
    )

    train, valid, test = _populations(catalog, seed, n_train, n_valid, n_test, log)
    X = signals_matrix([h.signals(catalog) for h in train], catalog)

    def fitted(model: Any) -> tuple[Any, float]:
        start = time.perf_counter()
        model.fit(X)
        return model, time.perf_counter() - start

    content = ContentAffinity(catalog)
    popularity, pop_seconds = fitted(PopularityAffinity(catalog))
    cf_grid = [(50,), (100,)] if quick else [(50,), (100,), (200,)]
    mf_grid = [(32, 2.0), (64, 2.0)] if quick else [(32, 2.0), (64, 2.0), (64, 5.0), (128, 2.0), (128, 5.0)]
    validation: list[ModelResult] = []
    for (k,) in cf_grid:
        model, seconds = fitted(ItemCF(catalog, neighbours=k))
        log(f"  cf, {k} neighbours: fitted in {seconds:.1f} s")
        validation.append(
            ModelResult("cf", f"{k} neighbours", evaluate(model, valid, catalog), model, seconds)
        )
    for factors, alpha in mf_grid:
        model, seconds = fitted(ImplicitALS(catalog, factors=factors, alpha=alpha))
        log(f"  mf, {factors} factors, alpha {alpha:g}: fitted in {seconds:.1f} s")
        config = (
            f"{factors} factors, alpha {alpha:g}, lambda {model.regularization:g}, {model.iterations} sweeps"
        )
        validation.append(ModelResult("mf", config, evaluate(model, valid, catalog), model, seconds))

    def best(name: str) -> ModelResult:
        return max((r for r in validation if r.name == name), key=lambda r: r.metrics["ndcg@10"])

    best_cf, best_mf = best("cf"), best("mf")
    for base in (best_cf, best_mf):
        for weight in (0.25, 0.5):
            blend = BlendAffinity(base.model, content, weight=weight)
            validation.append(
                ModelResult(blend.name, f"{base.config}; content weight {weight:g}",
                            evaluate(blend, valid, catalog), blend, base.fit_seconds)
            )  # fmt: skip
    validation.append(ModelResult("content", "genre, subgenre, artist, energy, era profile",
                                  evaluate(content, valid, catalog), content))  # fmt: skip
    finalists = [best_cf, best_mf, best("cf+content"), best("mf+content"), validation[-1]]
    chosen = max(finalists, key=lambda r: r.metrics["ndcg@10"])
    log(f"chosen on validation NDCG@10: {chosen.name} ({chosen.config})")
    pop_result = ModelResult(
        "popularity", "plays per track in the training population", {}, popularity, pop_seconds
    )
    results = []
    for r in [pop_result, *finalists]:
        results.append(
            ModelResult(r.name, r.config, evaluate(r.model, test, catalog), r.model, r.fit_seconds)
        )
    blend_weights = {r.name: float(r.model.weight) for r in finalists if r.name.endswith("+content")}
    return Experiment(
        catalog.name,
        seed,
        {"train": n_train, "validation": len(valid), "test": len(test)},
        validation,
        results,
        chosen.name,
        blend_weights,
        best_cf.model,
        best_mf.model,
        chosen.model,
    )


def _populations(
    catalog: Catalog, seed: int, n_train: int, n_valid: int, n_test: int, log: Callable[[str], None]
) -> tuple[list[SyntheticHistory], list[HeldOut], list[HeldOut]]:
    """The three populations of an experiment, each from its own stream of `seed`, so that scoring the
    shipped models later sees exactly the test listeners of the run that trained them."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)]
    log(f"generating listening histories: {n_train} training, {n_valid} validation, {n_test} test listeners")
    train = synthetic_histories(catalog, n_train, streams[0])
    valid = held_out(synthetic_histories(catalog, n_valid, streams[1]), catalog) if n_valid else []
    test = held_out(synthetic_histories(catalog, n_test, streams[2]), catalog)
    return train, valid, test


def evaluate_shipped(
    catalog: Catalog,
    *,
    seed: int = 0,
    n_train: int = 2000,
    n_test: int = 1000,
    directory: str | None = None,
    log: Callable[[str], None] = lambda _message: None,
) -> Experiment:
    """Score the shipped models (assets/affinity) on the test listeners of `run_experiment(seed)`; the
    popularity baseline is counted on that run's training population."""
    import json

    from assistant.taste.affinity import MODEL_DIR, PopularityAffinity, load_affinity_model, signals_matrix

    train, _valid, test = _populations(catalog, seed, n_train, 0, n_test, log)
    popularity = PopularityAffinity(catalog).fit(signals_matrix([h.signals(catalog) for h in train], catalog))
    folder = MODEL_DIR if directory is None else directory
    meta_path = MODEL_DIR / "models.json" if directory is None else Path(directory) / "models.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    default = str(meta.get("default", "content"))
    results = [ModelResult("popularity", "plays per track in the training population", {}, popularity)]
    for name in ("cf", "mf", "cf+content", "mf+content", "content"):
        model = load_affinity_model(catalog, name, folder, warn=log)
        if model.name != name:
            log(f"  {name}: not available for this catalogue; left out")
            continue
        results.append(ModelResult(name, str(meta.get("configs", {}).get(name, "")), {}, model))
    for r in results:
        r.metrics = evaluate(r.model, test, catalog)
    models = {r.name: r.model for r in results}
    return Experiment(
        catalog.name,
        seed,
        {"train": n_train, "validation": 0, "test": len(test)},
        [],
        results,
        default,
        {k: float(v) for k, v in meta.get("blend_weights", {}).items()},
        models.get("cf"),
        models.get("mf"),
        models.get(default),
    )


def machine_line() -> str:
    import os
    import platform

    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.platform()}"
    )
