"""User-item affinity from listening history: how much a person is likely to like each catalogue track.

Three models turn a person's history (`ListeningSignals`) into a score per track:
- item-to-item collaborative filtering over co-listening (Linden, Smith and York 2003, "Amazon.com
  recommendations: item-to-item collaborative filtering"): cosine similarity between items' listening
  vectors across users, a person's score for a track being the similarity-weighted sum of what they played;
- a learned embedding: implicit-feedback matrix factorization by alternating least squares with
  confidence weights (Hu, Koren and Volinsky 2008, "Collaborative filtering for implicit feedback
  datasets"); a person not seen in training is folded in with one least-squares solve;
- a content profile (genre, subgenre, artist, energy, era of what they play through), which needs no
  training and serves a new person or a catalogue the trained models do not cover.
Scores become affinity in [0, 1] by percentile rank, after the person's own verdicts (played through,
liked, skipped, rejected) are folded in. `Personalizer` serves a session: cached affinity and the policy's
`HistorySummary` per profile, and the sink that records conversation feedback into the history.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from assistant.music.catalog import Catalog
from assistant.music.constraints import Constraints
from assistant.music.retrieval import CANDIDATE_THRESHOLD, Retriever
from assistant.taste.history import (
    FeedbackRecorder,
    HistoryError,
    HistoryStore,
    ListeningSignals,
    genre_shares,
)
from assistant.taste.summary import HistorySummary
from nlu.linking import name_key

__all__ = [
    "MODEL_DIR",
    "AffinityModel",
    "BlendAffinity",
    "ContentAffinity",
    "ImplicitALS",
    "ItemCF",
    "Personalizer",
    "PopularityAffinity",
    "action_affinity",
    "affinity_from_scores",
    "catalog_fingerprint",
    "history_genre_pair",
    "history_summary",
    "load_affinity_model",
    "profile_from_signals",
    "ranking_metrics",
    "save_models",
    "signals_matrix",
    "taste_genre_scores",
    "user_affinity",
    "user_vector",
]

MODEL_DIR = Path(__file__).resolve().parents[2] / "assets" / "affinity"
ARTIST_SHARE = 0.5
"""Weight of a play of a track the catalogue lacks, spread over the catalogue tracks of its artist."""
OWN_WEIGHT = 1.0
"""How far a person's own liking of a track lifts it (in standard deviations of the model's scores)."""
OWN_NEGATIVE_WEIGHT = 3.0
"""How far their own rejection of a track sinks it: a track someone turned down should not come back
just because people with similar taste like it."""
MIN_COVERAGE = 0.9
"""A trained model is used only if it knows at least this share of the catalogue's tracks."""


class AffinityModel(Protocol):
    name: str

    def scores(self, signals: ListeningSignals) -> np.ndarray:
        """A raw preference score per catalogue track (higher = more likely liked)."""
        ...


# -- shared helpers -------------------------------------------------------------------------------
def catalog_fingerprint(catalog: Catalog) -> str:
    """Identifies a catalogue's track set, to tell whether a trained model belongs to it."""
    return hashlib.sha256("\n".join(sorted(catalog.index)).encode()).hexdigest()[:16]


def _artist_sizes(catalog: Catalog) -> np.ndarray:
    return np.bincount(catalog.artist_ids, minlength=len(catalog.artist_names)).astype(np.float64)


def user_vector(signals: ListeningSignals, catalog: Catalog) -> np.ndarray:
    """Per-track evidence: the track's own weight plus a share of plays of the artist's other music."""
    v = np.asarray(signals.track_weight, dtype=np.float64).copy()
    if np.any(signals.artist_weight):
        spread = signals.artist_weight / np.maximum(_artist_sizes(catalog), 1.0)
        v += ARTIST_SHARE * spread[catalog.artist_ids]
    return v


def signals_matrix(signals: Sequence[ListeningSignals], catalog: Catalog) -> sparse.csr_matrix:
    """(users x tracks) evidence matrix for training."""
    rows = np.vstack([user_vector(s, catalog) for s in signals]) if signals else np.zeros((0, len(catalog)))
    return sparse.csr_matrix(rows)


def _standardize(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 1e-12 else np.zeros_like(x)


def affinity_from_scores(scores: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Affinity in [0, 1]: percentile rank of the model's score with the person's own verdicts folded in
    (`own` = user_vector: positive for played through / liked, negative for skipped / rejected)."""
    verdict = np.tanh(own)
    verdict *= np.where(verdict < 0, OWN_NEGATIVE_WEIGHT, OWN_WEIGHT)
    combined = _standardize(np.asarray(scores, dtype=np.float64)) + verdict
    order = np.argsort(combined, kind="stable")
    ranks = np.empty(len(combined))
    ranks[order] = np.arange(len(combined))
    # Equal scores share their mean rank, so "no evidence" reads the same everywhere.
    _, inverse, counts = np.unique(combined, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    ranks = sums[inverse] / counts[inverse]
    return ranks / max(len(combined) - 1, 1)


# -- models ---------------------------------------------------------------------------------------
@dataclass
class PopularityAffinity:
    """Baseline: how much everyone plays each track (the same for every person)."""

    catalog: Catalog
    name: str = "popularity"
    counts_: np.ndarray | None = field(default=None, repr=False)

    def fit(self, X: sparse.csr_matrix) -> PopularityAffinity:
        self.counts_ = np.asarray((X > 0).sum(axis=0), dtype=np.float64).ravel()
        return self

    def scores(self, signals: ListeningSignals) -> np.ndarray:
        if self.counts_ is None:
            return self.catalog.popularity.copy()
        return self.counts_ + 1e-3 * self.catalog.popularity


@dataclass
class ContentAffinity:
    """A profile of what the person plays through: genres, subgenres, artists, energy and era."""

    catalog: Catalog
    name: str = "content"
    genre_weight: float = 1.0
    subgenre_weight: float = 0.6
    artist_weight: float = 0.5
    energy_weight: float = 0.6
    era_weight: float = 0.4

    def scores(self, signals: ListeningSignals) -> np.ndarray:
        cat = self.catalog
        positive = np.clip(user_vector(signals, cat), 0.0, None)
        total = positive.sum()
        if total <= 0:
            return np.zeros(len(cat))
        genre = cat.multi_genre.T.astype(np.float64) @ positive
        genre_fit = (cat.multi_genre * genre).max(axis=1) / genre.max()
        sub = np.bincount(cat.subgenre_ids, weights=positive, minlength=len(cat.subgenre_names))
        artist = np.bincount(cat.artist_ids, weights=positive, minlength=len(cat.artist_names))
        energy_mean = float(positive @ cat.energy / total)
        energy_sd = float(np.sqrt(positive @ (cat.energy - energy_mean) ** 2 / total)) + 0.08
        year_mean = float(positive @ cat.year / total)
        year_sd = float(np.sqrt(positive @ (cat.year - year_mean) ** 2 / total)) + 4.0
        return (
            self.genre_weight * genre_fit
            + self.subgenre_weight * sub[cat.subgenre_ids] / sub.max()
            + self.artist_weight * artist[cat.artist_ids] / artist.max()
            + self.energy_weight * np.exp(-0.5 * ((cat.energy - energy_mean) / energy_sd) ** 2)
            + self.era_weight * np.exp(-0.5 * ((cat.year - year_mean) / year_sd) ** 2)
        )


@dataclass
class ItemCF:
    """Item-to-item collaborative filtering (Linden, Smith and York 2003) over co-listening.

    Each track is a vector over listeners (log-damped evidence of playing it through); similarity is the
    cosine between tracks, kept for the `neighbours` most similar tracks of each. A person's score for a
    track sums the similarities to what they played, weighted by how they took it.
    """

    catalog: Catalog
    neighbours: int = 50
    shrinkage: float = 2.0
    """Added to the cosine's denominator: similarities seen through few listeners are damped."""
    name: str = "cf"
    neighbours_: np.ndarray | None = field(default=None, repr=False)
    similarity_: np.ndarray | None = field(default=None, repr=False)
    _matrix: sparse.csr_matrix | None = field(default=None, repr=False)

    def fit(self, X: sparse.csr_matrix) -> ItemCF:
        pos = X.copy().tocsc()
        pos.data = np.log1p(np.clip(pos.data, 0.0, None))
        pos.eliminate_zeros()
        norms = np.sqrt(np.asarray(pos.multiply(pos).sum(axis=0)).ravel())
        n = pos.shape[1]
        k = min(self.neighbours, n - 1)
        neighbours = np.full((n, k), -1, dtype=np.int32)
        similarity = np.zeros((n, k), dtype=np.float32)
        block = 512
        for start in range(0, n, block):
            stop = min(n, start + block)
            co = (pos[:, start:stop].T @ pos).toarray()
            sim = co / (norms[start:stop, None] * norms[None, :] + self.shrinkage)
            sim[np.arange(stop - start), np.arange(start, stop)] = 0.0
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            values = np.take_along_axis(sim, top, axis=1)
            order = np.argsort(-values, axis=1)
            neighbours[start:stop] = np.take_along_axis(top, order, axis=1)
            similarity[start:stop] = np.take_along_axis(values, order, axis=1)
        neighbours[similarity <= 0] = -1
        self.neighbours_, self.similarity_ = neighbours, similarity
        self._matrix = None
        return self

    @property
    def matrix(self) -> sparse.csr_matrix:
        """(tracks x tracks) sparse similarity: row j holds the neighbours of track j."""
        if self._matrix is None:
            if self.neighbours_ is None or self.similarity_ is None:
                raise RuntimeError("ItemCF is not fitted: call fit() or load a saved model")
            n, k = self.neighbours_.shape
            valid = self.neighbours_ >= 0
            rows = np.repeat(np.arange(n), k)[valid.ravel()]
            self._matrix = sparse.csr_matrix(
                (self.similarity_[valid].astype(np.float64), (rows, self.neighbours_[valid])), shape=(n, n)
            )
        return self._matrix

    def scores(self, signals: ListeningSignals) -> np.ndarray:
        v = user_vector(signals, self.catalog)
        r = np.sign(v) * np.log1p(np.abs(v))
        r[r < 0] *= 0.5  # a skip says less about neighbours than a play-through does
        return np.asarray(self.matrix.T @ r).ravel()


@dataclass
class ImplicitALS:
    """Matrix factorization for implicit feedback (Hu, Koren and Volinsky 2008), by alternating least
    squares. Preference p = 1 where the evidence is positive, else 0; confidence c = 1 + alpha * |evidence|,
    so a skip or a rejection is a confident 0 and a much replayed track a confident 1."""

    catalog: Catalog
    factors: int = 32
    regularization: float = 1.0
    alpha: float = 4.0
    iterations: int = 12
    random_state: int = 0
    name: str = "mf"
    item_factors_: np.ndarray | None = field(default=None, repr=False)
    user_factors_: np.ndarray | None = field(default=None, repr=False)
    _gram: np.ndarray | None = field(default=None, repr=False)

    def fit(self, X: sparse.csr_matrix) -> ImplicitALS:
        rng = np.random.default_rng(self.random_state)
        R = sparse.csr_matrix(X, dtype=np.float64)
        R.eliminate_zeros()
        Rt = R.T.tocsr()
        users = rng.normal(0, 0.1, (R.shape[0], self.factors))
        items = rng.normal(0, 0.1, (R.shape[1], self.factors))
        for _ in range(self.iterations):
            users = self._solve(R, items)
            items = self._solve(Rt, users)
        self.user_factors_, self.item_factors_ = users, items
        self._gram = None
        return self

    def _solve(self, R: sparse.csr_matrix, fixed: np.ndarray) -> np.ndarray:
        gram = fixed.T @ fixed
        out = np.zeros((R.shape[0], fixed.shape[1]))
        for u in range(R.shape[0]):
            lo, hi = R.indptr[u], R.indptr[u + 1]
            if lo == hi:
                continue
            out[u] = self._one(gram, fixed[R.indices[lo:hi]], R.data[lo:hi])
        return out

    def _one(self, gram: np.ndarray, Y: np.ndarray, r: np.ndarray) -> np.ndarray:
        c = 1.0 + self.alpha * np.abs(r)
        p = (r > 0).astype(np.float64)
        A = gram + (Y.T * (c - 1.0)) @ Y + self.regularization * np.eye(Y.shape[1])
        return np.linalg.solve(A, Y.T @ (c * p))

    def user_factor(self, v: np.ndarray) -> np.ndarray:
        """Fold a person in: their factor given the item factors (one least-squares solve)."""
        if self.item_factors_ is None:
            raise RuntimeError("ImplicitALS is not fitted: call fit() or load a saved model")
        if self._gram is None:
            self._gram = self.item_factors_.T @ self.item_factors_
        idx = np.flatnonzero(v)
        if idx.size == 0:
            return np.zeros(self.factors)
        return self._one(self._gram, self.item_factors_[idx], v[idx])

    def scores(self, signals: ListeningSignals) -> np.ndarray:
        v = user_vector(signals, self.catalog)
        assert self.item_factors_ is not None
        return self.item_factors_ @ self.user_factor(v)


@dataclass
class BlendAffinity:
    """A collaborative model blended with the content profile; the content share grows for short
    histories, where co-listening evidence is thin."""

    primary: AffinityModel
    content: ContentAffinity
    weight: float = 0.5
    """Content's weight for a long history (standardized scores)."""
    short: float = 20.0
    """Histories with about this many positive plays weigh content twice as much."""
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"{self.primary.name}+content"

    def scores(self, signals: ListeningSignals) -> np.ndarray:
        positive = float(
            np.clip(signals.track_weight, 0, None).sum() + np.clip(signals.artist_weight, 0, None).sum()
        )
        weight = self.weight * (1.0 + self.short / (self.short + positive))
        primary = _standardize(self.primary.scores(signals))
        return primary + weight * _standardize(self.content.scores(signals))


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
