"""Retrieval that reads candidates from the catalogue's indexes gives exactly what scoring every track
gives: the same statistics, samples, suggestions and stations, for random requests, on the demo
catalogue, a store-backed copy of it, and a bigger generated catalogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.music.catalog import Catalog, load_catalog
from assistant.music.constraints import Constraints
from assistant.music.ranking import top_indices
from assistant.music.retrieval import Retriever
from assistant.music.store import open_store, write_store
from nlu.lexicon import ACTIVITY_PROFILE, GENRES


def _random_constraints(catalog: Catalog, rng: np.random.Generator) -> Constraints:
    def maybe(p: float) -> bool:
        return bool(rng.random() < p)

    artists = list(catalog.artist_names)
    genres = sorted(GENRES)
    artist = str(rng.choice(artists)) if maybe(0.3) else None
    lo = int(rng.integers(1955, 2020))
    return Constraints(
        genres=tuple(str(g) for g in rng.choice(genres, size=int(rng.integers(1, 3)), replace=False))
        if maybe(0.6)
        else (),
        avoid_genres=(str(rng.choice(genres)),) if maybe(0.2) else (),
        energy=float(rng.random()) if maybe(0.5) else None,
        valence=float(rng.random()) if maybe(0.3) else None,
        era=(lo, lo + int(rng.integers(0, 15))) if maybe(0.4) else None,
        activity=str(rng.choice(sorted(ACTIVITY_PROFILE))) if maybe(0.2) else None,
        artist=artist,
        more_artists=(str(rng.choice(artists)),) if artist and maybe(0.3) else (),
        artist_own=bool(artist) and maybe(0.5),
        avoid_artists=(str(rng.choice(artists)),) if maybe(0.2) else (),
        tempo=float(rng.integers(60, 180)) if maybe(0.2) else None,
    )


def _same_answers(catalog: Catalog, n_requests: int, seed: int) -> None:
    fast, full = Retriever(catalog), Retriever(catalog, candidates=False)
    rng = np.random.default_rng(seed)
    ids = [t.id for t in catalog.tracks[:: max(1, len(catalog) // 50)]]
    for _ in range(n_requests):
        c = _random_constraints(catalog, rng)
        offered = [str(x) for x in rng.choice(ids, size=int(rng.integers(0, 4)), replace=False)]
        rejected = offered[: int(rng.integers(0, len(offered) + 1))]
        affinity = rng.random(len(catalog)) if rng.random() < 0.2 else None
        assert fast.stats(c, offered) == full.stats(c, offered), c
        args = (c, offered, rejected, affinity)
        assert fast.next_sample(*args) == full.next_sample(*args)
        draw = int(rng.integers(1000))
        surprise = fast.next_sample(*args, np.random.default_rng(draw))
        assert surprise == full.next_sample(*args, np.random.default_rng(draw))
        assert fast.genre_pair(c, rejected, affinity) == full.genre_pair(c, rejected, affinity), c
        assert fast.suggest_artist(c, rejected, affinity) == full.suggest_artist(c, rejected, affinity), c
        seed_track = fast.next_sample(c, ())
        if seed_track is not None:
            assert fast.station(seed_track) == full.station(seed_track)


def test_the_demo_catalogue_answers_the_same_both_ways() -> None:
    _same_answers(load_catalog(), 300, seed=1)


def test_a_stored_catalogue_answers_the_same_both_ways(tmp_path: Path) -> None:
    write_store(load_catalog(), tmp_path / "store", key="test")
    _same_answers(open_store(tmp_path / "store"), 150, seed=2)


def test_the_tiny_catalogue_answers_the_same_both_ways(tiny_catalog: Catalog) -> None:
    _same_answers(tiny_catalog, 300, seed=3)


def test_a_bigger_generated_catalogue_answers_the_same_both_ways() -> None:
    from benchmarks.bench_catalog import generate_catalog

    _same_answers(generate_catalog(20_000, seed=4), 120, seed=4)


def test_ties_are_listed_in_catalogue_order() -> None:
    values = np.array([0.2, 0.9, 0.5, 0.9, 0.5, 0.5, 0.1])
    assert top_indices(values, 4).tolist() == [1, 3, 2, 4]
    assert top_indices(values, 10).tolist() == [1, 3, 2, 4, 5, 0, 6]


@pytest.mark.parametrize("k", [1, 3, 7])
def test_top_of_a_subset_in_order_is_the_top_of_the_whole(k: int) -> None:
    rng = np.random.default_rng(k)
    values = rng.integers(0, 5, 200).astype(float)
    whole = top_indices(values, k)
    keep = np.flatnonzero(values >= values[whole[-1]])
    assert keep[top_indices(values[keep], k)].tolist() == whole.tolist()


def test_broad_requests_on_a_big_catalogue_rank_exactly_from_the_most_popular_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where more tracks may fit than are scored one by one (EXACT_UP_TO, lowered here so a 20k
    catalogue has such requests), rankings come from the most popular tracks down, still exactly;
    the candidate statistics are estimated from a sample."""
    from assistant.music import ranking, retrieval
    from benchmarks.bench_catalog import generate_catalog

    monkeypatch.setattr(ranking, "EXACT_UP_TO", 1_000)
    monkeypatch.setattr(retrieval, "STATS_SAMPLE", 1_000)
    monkeypatch.setattr(ranking, "POPULAR_FIRST_ABOVE", 2_000)
    catalog = generate_catalog(20_000, seed=5)
    fast, full = Retriever(catalog), Retriever(catalog, candidates=False)
    rng = np.random.default_rng(5)
    broad = estimated_count = exact_count = 0
    for _ in range(80):
        c = _random_constraints(catalog, rng)
        if not fast._weights(c) or not fast._broad(c):
            continue
        broad += 1
        offered = [catalog.tracks[int(i)].id for i in rng.integers(0, len(catalog), 3)]
        assert fast.next_sample(c, offered, offered[:1]) == full.next_sample(c, offered, offered[:1])
        assert fast.genre_pair(c) == full.genre_pair(c)
        assert fast.suggest_artist(c, offered[:2]) == full.suggest_artist(c, offered[:2])
        estimated, exact = fast.stats(c, offered), full.stats(c, offered)
        if exact.n_candidates >= 3_000:  # a sample of 1,000 says little about a handful of fits
            estimated_count += estimated.n_candidates
            exact_count += exact.n_candidates
            assert estimated.energy_spread == pytest.approx(exact.energy_spread, abs=0.03)
            assert estimated.genre_entropy == pytest.approx(exact.genre_entropy, abs=0.2)
    assert broad >= 20
    assert estimated_count == pytest.approx(exact_count, rel=0.05)
