"""User-item affinity from listening history: how much a person is likely to like each catalogue track.

The models (assistant.taste.models) give a raw score per track.
Scores become affinity in [0, 1] by percentile rank, after the person's own verdicts (played through,
liked, skipped, rejected) are folded in. `Personalizer` serves a session: cached affinity and the policy's
`HistorySummary` per profile, and the sink that records conversation feedback into the history.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.music.catalog import Catalog
from assistant.music.constraints import Constraints
from assistant.music.retrieval import CANDIDATE_THRESHOLD, Retriever
from assistant.taste.exports import HistoryError
from assistant.taste.history import FeedbackRecorder, HistoryStore
from assistant.taste.models import (
    AffinityModel,
    BlendAffinity,
    ContentAffinity,
    ImplicitALS,
    ItemCF,
    affinity_from_scores,
    catalog_fingerprint,
    user_vector,
)
from assistant.taste.signals import ListeningSignals, genre_shares
from assistant.taste.summary import HistorySummary
from nlu.linking import name_key

__all__ = [
    "MODEL_DIR",
    "Personalizer",
    "action_affinity",
    "history_genre_pair",
    "history_summary",
    "load_affinity_model",
    "profile_from_signals",
    "ranking_metrics",
    "save_models",
    "taste_genre_scores",
    "user_affinity",
]

MODEL_DIR = Path(__file__).resolve().parents[2] / "assets" / "affinity"
MIN_COVERAGE = 0.9
"""A trained model is used only if it knows at least this share of the catalogue's tracks."""


# -- affinity and the policy's view ---------------------------------------------------------------
def user_affinity(signals: ListeningSignals, model: AffinityModel, catalog: Catalog) -> np.ndarray | None:
    """Affinity in [0, 1] per catalogue track; None for a cold start (no usable history)."""
    if signals.empty:
        return None
    return affinity_from_scores(model.scores(signals), user_vector(signals, catalog))


def history_summary(signals: ListeningSignals, catalog: Catalog) -> HistorySummary:
    """What the policy sees of a history before a conversation starts (candidate-dependent parts are
    filled by the dialogue manager each turn)."""
    shares = genre_shares(signals, catalog)
    return HistorySummary(
        n_plays=signals.n_plays + signals.n_likes,
        top_genre_share=shares[0][1] if shares else 0.0,
    )


def profile_from_signals(
    signals: ListeningSignals, catalog: Catalog, model: AffinityModel
) -> tuple[np.ndarray | None, HistorySummary]:
    """(affinity or None, summary) for a history: what a DialogueManager takes as `affinity` and
    `history`. The simulator calls it with `SyntheticHistory.signals(catalog)`; sessions go through
    `Personalizer`, which reads the signals from the store and caches the result."""
    if signals.empty:
        return None, HistorySummary(n_plays=signals.n_plays)
    return user_affinity(signals, model, catalog), history_summary(signals, catalog)


def taste_genre_scores(
    retriever: Retriever,
    constraints: Constraints,
    affinity: np.ndarray,
    *,
    exclude: Collection[str] = (),
    per_label: int = 5,
) -> dict[str, float]:
    """How much the person likes each genre on offer: among the tracks that fit the constraints, the mean
    of fit x affinity over each genre's best `per_label` tracks (subgenres once a genre is known). Genres
    already chosen, turned down or in `exclude` are left out."""
    cat = retriever.catalog
    fit = retriever.match(constraints)
    candidates = np.flatnonzero(fit >= CANDIDATE_THRESHOLD)
    if candidates.size < 2 * per_label:
        # Nothing fits well yet (or nothing is known): the closest tracks, the person's favourites first.
        candidates = np.argsort(-(fit + 1e-3 * affinity), kind="stable")[:150]
    use_sub = bool(constraints.genres)
    labels = cat.subgenre_names if use_sub else cat.genre_names
    ids = cat.subgenre_ids if use_sub else cat.genre_ids
    skip = {*constraints.avoid_genres, *constraints.genres, *exclude}
    value = fit[candidates] * affinity[candidates]
    scores: dict[str, float] = {}
    for label_id in np.unique(ids[candidates]):
        label = labels[label_id]
        if label in skip:
            continue
        mine = np.sort(value[ids[candidates] == label_id])[::-1][:per_label]
        scores[label] = float(mine.sum() / per_label)  # a label with fewer tracks than per_label pays for it
    return scores


def history_genre_pair(
    retriever: Retriever,
    constraints: Constraints,
    affinity: np.ndarray | None,
    *,
    exclude: Collection[str] = (),
) -> tuple[str, str] | None:
    """Two genres to suggest from the person's taste, within what they asked for ("May I suggest some
    alternative rock? Or perhaps electronic music?"): the two best by `taste_genre_scores`. None without
    affinity (cold start: use Retriever.genre_pair) or when fewer than two genres qualify."""
    if affinity is None:
        return None
    scores = taste_genre_scores(retriever, constraints, affinity, exclude=exclude)
    ranked = sorted(scores, key=lambda g: (-scores[g], g))
    return (ranked[0], ranked[1]) if len(ranked) >= 2 else None


def action_affinity(
    retriever: Retriever,
    constraints: Constraints,
    affinity: np.ndarray | None,
    *,
    offered: Collection[str] = (),
    rejected: Sequence[str] = (),
    pair: tuple[str, str] | None = None,
    artist: str | None = None,
) -> dict[str, float]:
    """Affinity of what each prompt would put forward, as per-action features for a learned policy
    (0 everywhere for a cold start): play_sample and offer_station - the track that would be played (the
    station's seed); genre_pair - the mean taste score of the two genres suggested; artist_suggestion -
    the person's best affinity among that artist's tracks."""
    names = ("play_sample", "offer_station", "genre_pair", "artist_suggestion")
    if affinity is None:
        return dict.fromkeys(names, 0.0)
    cat = retriever.catalog
    track = retriever.next_sample(constraints, offered, rejected, affinity)
    sample = float(affinity[cat.index[track.id]]) if track is not None else 0.0
    genre = 0.0
    if pair is not None:
        scores = taste_genre_scores(retriever, constraints, affinity)
        genre = float(np.mean([scores.get(g, 0.0) for g in pair]))
    by_artist = 0.0
    if artist is not None and artist in cat.artist_names:
        by_artist = float(affinity[cat.artist_ids == cat.artist_names.index(artist)].max())
    return dict(zip(names, (sample, sample, genre, by_artist), strict=True))


# -- evaluation -----------------------------------------------------------------------------------
def ranking_metrics(
    scores: np.ndarray, relevant: np.ndarray, exclude: np.ndarray | None = None, ks: Sequence[int] = (10, 20)
) -> dict[str, float]:
    """recall@k for each k and NDCG@10 (binary relevance) of ranking tracks by `scores`, with `exclude`d
    tracks (already played) left out of the ranking."""
    s = np.asarray(scores, dtype=np.float64).copy()
    if exclude is not None and exclude.size:
        s[exclude] = -np.inf
    depth = max(*ks, 10)
    top = np.argsort(-s, kind="stable")[:depth]
    hits = np.isin(top, relevant)
    out = {f"recall@{k}": float(hits[:k].sum() / len(relevant)) for k in ks}
    gains = hits[:10] / np.log2(np.arange(2, 12))
    ideal = (1.0 / np.log2(np.arange(2, 2 + min(10, len(relevant))))).sum()
    out["ndcg@10"] = float(gains.sum() / ideal)
    return out


# -- persistence ----------------------------------------------------------------------------------
def save_models(
    directory: str | Path,
    catalog: Catalog,
    cf: ItemCF,
    mf: ImplicitALS,
    default: str,
    blend_weights: dict[str, float],
    info: dict[str, Any],
) -> list[Path]:
    """Write cf.npz, mf.npz (plain arrays, no pickle) and models.json (which is the default, and why)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    keys = _track_keys(catalog)
    assert cf.neighbours_ is not None and cf.similarity_ is not None and mf.item_factors_ is not None
    np.savez_compressed(
        out / "cf.npz",
        track_keys=keys,
        neighbours=cf.neighbours_.astype(np.int32),
        similarity=cf.similarity_.astype(np.float32),
        shrinkage=np.array(cf.shrinkage),
    )
    np.savez_compressed(
        out / "mf.npz",
        track_keys=keys,
        item_factors=mf.item_factors_.astype(np.float32),
        regularization=np.array(mf.regularization),
        alpha=np.array(mf.alpha),
    )
    meta = {
        "default": default,
        "blend_weights": blend_weights,
        "catalog": catalog.name,
        "catalog_fingerprint": catalog_fingerprint(catalog),
        **info,
    }
    (out / "models.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return [out / "cf.npz", out / "mf.npz", out / "models.json"]


def _track_keys(catalog: Catalog) -> np.ndarray:
    """Identity of each track for stored models: id, artist and title, so a regenerated catalogue that
    reuses ids for other music does not inherit what was learned about the old tracks."""
    return np.array([f"{t.id}\t{name_key(t.artist)}\t{name_key(t.title)}" for t in catalog.tracks])


def _aligned(stored_keys: np.ndarray, catalog: Catalog) -> tuple[np.ndarray, float]:
    """For each catalogue track, its row in the stored arrays (-1 if unknown), and the share known."""
    position = {str(k): i for i, k in enumerate(stored_keys)}
    rows = np.array([position.get(k, -1) for k in _track_keys(catalog)], dtype=np.int64)
    return rows, float((rows >= 0).mean())


def _load_cf(path: Path, catalog: Catalog) -> ItemCF | None:
    with np.load(path, allow_pickle=False) as data:
        rows, coverage = _aligned(data["track_keys"], catalog)
        if coverage < MIN_COVERAGE:
            return None
        neighbours = data["neighbours"]
        similarity = data["similarity"].astype(np.float32)
        shrinkage = float(data["shrinkage"])
    # Re-index stored neighbour ids to this catalogue's order (-1 for tracks it lacks).
    back = np.full(neighbours.shape[0], -1, dtype=np.int64)
    back[rows[rows >= 0]] = np.flatnonzero(rows >= 0)
    model = ItemCF(catalog, neighbours=neighbours.shape[1], shrinkage=shrinkage)
    mapped = np.where(neighbours >= 0, back[np.clip(neighbours, 0, None)], -1)
    model.neighbours_ = np.full((len(catalog), neighbours.shape[1]), -1, dtype=np.int32)
    model.similarity_ = np.zeros((len(catalog), neighbours.shape[1]), dtype=np.float32)
    known = rows >= 0
    model.neighbours_[known] = mapped[rows[known]]
    model.similarity_[known] = np.where(mapped[rows[known]] >= 0, similarity[rows[known]], 0.0)
    return model


def _load_mf(path: Path, catalog: Catalog) -> ImplicitALS | None:
    with np.load(path, allow_pickle=False) as data:
        rows, coverage = _aligned(data["track_keys"], catalog)
        if coverage < MIN_COVERAGE:
            return None
        factors = data["item_factors"].astype(np.float64)
        model = ImplicitALS(
            catalog,
            factors=factors.shape[1],
            regularization=float(data["regularization"]),
            alpha=float(data["alpha"]),
        )
    model.item_factors_ = np.where((rows >= 0)[:, None], factors[np.clip(rows, 0, None)], 0.0)
    return model


def load_affinity_model(
    catalog: Catalog,
    name: str = "default",
    directory: str | Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> AffinityModel:
    """The shipped model `name` (default: the one chosen by ranking metrics) for this catalogue. Falls
    back to the content profile, which needs no training, when the trained models do not cover the
    catalogue (another catalogue than the one they were trained on) or are missing."""
    folder = Path(directory) if directory is not None else MODEL_DIR
    content = ContentAffinity(catalog)
    meta_path = folder / "models.json"
    meta: dict[str, Any] = {}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if name == "default":
        name = str(meta.get("default", "content"))
    if name == "content":
        return content
    base = name.removesuffix("+content")
    loader = {"cf": _load_cf, "mf": _load_mf}.get(base)
    if loader is None:
        raise ValueError(f"unknown affinity model {name!r}; choose cf, mf, cf+content, mf+content or content")
    path = folder / f"{base}.npz"
    model = loader(path, catalog) if path.exists() else None
    if model is None:
        if warn is not None:
            warn(
                f"no trained {base} affinity model for catalogue {catalog.name!r}; using the content profile "
                "(scripts/train_affinity.py --catalog FILE trains one)"
            )
        return content
    if name.endswith("+content"):
        return BlendAffinity(model, content, float(meta.get("blend_weights", {}).get(name, 0.5)))
    return model


# -- a session's view of its users ----------------------------------------------------------------
@dataclass
class _Profile:
    version: int
    affinity: np.ndarray | None
    summary: HistorySummary


class Personalizer:
    """Affinity and history summary per profile for one catalogue, cached until the history changes.
    Opens nothing until a profile is asked for; a history that cannot be read means a cold start."""

    def __init__(
        self,
        store: HistoryStore,
        catalog: Catalog,
        model: AffinityModel | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._model = model
        self._warn = warn or (lambda message: print(f"tunetalk: {message}", file=sys.stderr))
        self._cache: dict[str, _Profile] = {}

    @property
    def model(self) -> AffinityModel:
        if self._model is None:
            self._model = load_affinity_model(self.catalog, warn=self._warn)
        return self._model

    def profile(self, user: str | None) -> tuple[np.ndarray | None, HistorySummary]:
        """(affinity or None, summary) for the profile; (None, empty summary) for a cold start."""
        if not user or not self.store.path.exists():
            return None, HistorySummary()  # nothing stored yet: do not create a database just to read it
        try:
            key = self.store.user_hash(user)
            version = self.store.version(user)
            cached = self._cache.get(key)
            if cached is not None and cached.version == version:
                return cached.affinity, cached.summary
            signals = self.store.signals(user, self.catalog) if version >= 0 else None
        except (HistoryError, OSError) as exc:
            self._warn(f"listening history unavailable ({exc}); starting without it")
            return None, HistorySummary()
        if signals is None:
            profile = _Profile(version, None, HistorySummary())
        else:
            profile = _Profile(version, *profile_from_signals(signals, self.catalog, self.model))
        self._cache[key] = profile
        return profile.affinity, profile.summary

    def recorder(self, user: str) -> FeedbackRecorder:
        """The event sink that records this profile's likes and rejections from conversations."""
        return FeedbackRecorder(self.store, user, self.catalog, self._warn)
