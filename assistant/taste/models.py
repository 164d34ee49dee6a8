"""Affinity models: from a person's listening signals to a score per catalogue track.

Three models turn a person's history (`ListeningSignals`) into a score per track:
- item-to-item collaborative filtering over co-listening (Linden, Smith and York 2003, "Amazon.com
  recommendations: item-to-item collaborative filtering"): cosine similarity between items' listening
  vectors across users, a person's score for a track being the similarity-weighted sum of what they played;
- a learned embedding: implicit-feedback matrix factorization by alternating least squares with
  confidence weights (Hu, Koren and Volinsky 2008, "Collaborative filtering for implicit feedback
  datasets"); a person not seen in training is folded in with one least-squares solve;
- a content profile (genre, subgenre, artist, energy, era of what they play through), which needs no
  training and serves a new person or a catalogue the trained models do not cover.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy import sparse

from assistant.music.catalog import Catalog
from assistant.taste.signals import ListeningSignals

__all__ = [
    "ARTIST_SHARE",
    "OWN_NEGATIVE_WEIGHT",
    "OWN_WEIGHT",
    "AffinityModel",
    "BlendAffinity",
    "ContentAffinity",
    "ImplicitALS",
    "ItemCF",
    "PopularityAffinity",
    "affinity_from_scores",
    "catalog_fingerprint",
    "signals_matrix",
    "user_vector",
]


ARTIST_SHARE = 0.5
"""Weight of a play of a track the catalogue lacks, spread over the catalogue tracks of its artist."""


OWN_WEIGHT = 1.0
"""How far a person's own liking of a track lifts it (in standard deviations of the model's scores)."""


OWN_NEGATIVE_WEIGHT = 3.0
"""How far their own rejection of a track sinks it: a track someone turned down should not come back
just because people with similar taste like it."""


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
