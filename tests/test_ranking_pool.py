"""Past the pool cap (catalogues bigger than POOL_CAP only), a ranking is taken from the fits found so far
and the most popular POOL_SAMPLE of the rest: deterministic, close to exact ranking, and never used on a
catalogue the cap does not exceed (the exact tests in test_retrieval_scale.py cover those)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.music import ranking, retrieval
from assistant.music.catalog import Catalog
from assistant.music.retrieval import Retriever
from tests.test_retrieval_scale import _random_constraints


@pytest.fixture(scope="module")
def generated() -> Catalog:
    from benchmarks.bench_catalog import generate_catalog

    return generate_catalog(20_000, seed=6)


def test_capped_rankings_are_deterministic_and_close_to_exact(
    generated: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "POOL_SAMPLE", 1_500)
    monkeypatch.setattr(retrieval, "POOL_SAMPLE", 1_500)
    capped, again, exact = Retriever(generated), Retriever(generated), Retriever(generated)
    capped.pool_cap = again.pool_cap = 3_000
    exact.pool_cap = None
    rng = np.random.default_rng(6)
    sampled = 0
    overlaps = []
    for _ in range(60):
        c = _random_constraints(generated, rng)
        if not capped._weights(c):
            continue
        rows, scores = capped._ranked(c, (), None, 10)
        rows_again, _ = again._ranked(c, (), None, 10)
        true_rows, true_scores = exact._ranked(c, (), None, 10)
        assert rows.tolist() == rows_again.tolist(), c
        assert len(rows) == len(true_rows)
        assert scores[0] <= true_scores[0] + 1e-12  # never better than exact
        assert scores[0] >= true_scores[0] - 0.05, c  # the best is close to the exact best
        if rows.tolist() != true_rows.tolist():
            sampled += 1
        overlaps.append(len(set(rows.tolist()) & set(true_rows.tolist())) / len(true_rows))
    assert sampled >= 5  # the cap was reached (17 of the 58 requests on this seed)
    assert float(np.mean(overlaps)) >= 0.7  # 0.89 on this seed


def test_the_cap_leaves_the_spotify_catalogue_exact() -> None:
    assert ranking.POOL_CAP > 32_833  # the Spotify CSV's rows (28k tracks): its rankings stay exact
