"""Affinity from listening history: CF, implicit ALS and content agree with taste, beat popularity on
held-out plays, round-trip through files, fall back sensibly, and personalize a session."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from assistant.music.catalog import Catalog
from assistant.music.constraints import Constraints
from assistant.music.retrieval import Retriever
from assistant.taste.affinity import (
    Personalizer,
    action_affinity,
    history_genre_pair,
    history_summary,
    load_affinity_model,
    ranking_metrics,
    save_models,
    user_affinity,
)
from assistant.taste.evaluation import evaluate, held_out
from assistant.taste.history import HistoryStore
from assistant.taste.models import (
    BlendAffinity,
    ContentAffinity,
    ImplicitALS,
    ItemCF,
    PopularityAffinity,
    signals_matrix,
)
from assistant.taste.signals import REJECT_WEIGHT, ListeningSignals
from assistant.taste.summary import HistorySummary
from assistant.taste.synthetic import Taste, synthetic_histories, taste_utility


@pytest.fixture(scope="session")
def population(tiny_catalog):
    return synthetic_histories(tiny_catalog, 400, np.random.default_rng(0))


@pytest.fixture(scope="session")
def trained(tiny_catalog, population):
    X = signals_matrix([h.signals(tiny_catalog) for h in population], tiny_catalog)
    return {
        "popularity": PopularityAffinity(tiny_catalog).fit(X),
        "content": ContentAffinity(tiny_catalog),
        "cf": ItemCF(tiny_catalog, neighbours=40).fit(X),
        "mf": ImplicitALS(tiny_catalog, factors=16, iterations=8).fit(X),
    }


def listener(catalog: Catalog, taste: Taste, seed: int = 1):
    return synthetic_histories(catalog, 1, np.random.default_rng(seed), tastes=[taste])[0]


def affinity_of(signals: ListeningSignals, model, catalog: Catalog) -> np.ndarray:
    affinity = user_affinity(signals, model, catalog)
    assert affinity is not None, "a listener with plays has affinity"
    return affinity


def pair(retriever: Retriever, constraints: Constraints, affinity: np.ndarray | None) -> set[str]:
    found = history_genre_pair(retriever, constraints, affinity)
    assert found is not None
    return set(found)


@pytest.mark.parametrize("name", ["cf", "mf", "content", "mf+content", "cf+content"])
def test_a_listener_who_only_plays_jazz_gets_jazz_on_top(tiny_catalog, trained, name):
    jazz = listener(tiny_catalog, Taste({"jazz": 1.0}, energy=0.4, era=1995, era_width=30))
    assert {tiny_catalog.tracks[i].genre for i in jazz.track} == {"jazz"}
    base = name.removesuffix("+content")
    model = trained[base] if base == name else BlendAffinity(trained[base], trained["content"])
    affinity = user_affinity(jazz.signals(tiny_catalog), model, tiny_catalog)
    assert affinity is not None and affinity.min() >= 0 and affinity.max() <= 1
    top = np.argsort(-affinity)[:10]
    assert {tiny_catalog.tracks[i].genre for i in top} == {"jazz"}


def test_every_model_beats_the_popularity_baseline_on_held_out_plays(tiny_catalog, trained):
    cases = held_out(synthetic_histories(tiny_catalog, 300, np.random.default_rng(7)), tiny_catalog)
    assert len(cases) > 50
    scores = {name: evaluate(model, cases, tiny_catalog) for name, model in trained.items()}
    baseline = scores.pop("popularity")
    for name, metrics in scores.items():
        assert metrics["ndcg@10"] > baseline["ndcg@10"] + 0.05, name
        assert metrics["recall@20"] > baseline["recall@20"] + 0.05, name
        assert metrics["taste_spearman"] > 0.2, name


@pytest.mark.parametrize(
    ("scores", "relevant", "exclude", "expected"),
    [
        # Relevant track ranked first of ten: full recall, NDCG 1.
        ([9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [0], [], {"recall@10": 1.0, "ndcg@10": 1.0}),
        # Ranked second: NDCG = 1/log2(3).
        ([1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0], [], {"recall@10": 1.0, "ndcg@10": 1 / np.log2(3)}),
        # Already played tracks are left out of the ranking, so the relevant one moves up to first.
        ([1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0], [1], {"recall@10": 1.0, "ndcg@10": 1.0}),
        # Two relevant, one found in the top 10.
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 0.4, 0.3], [0, 11], [], {"recall@10": 0.5}),
    ],
)
def test_ranking_metrics(scores, relevant, exclude, expected):
    got = ranking_metrics(np.array(scores, float), np.array(relevant), np.array(exclude, dtype=int))
    for key, value in expected.items():
        assert got[key] == pytest.approx(value)


@pytest.mark.parametrize("name", ["cf", "mf", "content"])
def test_a_track_turned_down_in_conversations_falls_below_its_peers(tiny_catalog, trained, name):
    jazz = listener(tiny_catalog, Taste({"jazz": 1.0}, energy=0.5, sessions=2))
    signals = jazz.signals(tiny_catalog)
    before = affinity_of(signals, trained[name], tiny_catalog)
    unplayed = np.flatnonzero(signals.track_weight == 0)
    track = int(unplayed[np.argmax(before[unplayed])])  # the best discovery the model would offer
    weights = signals.track_weight.copy()
    weights[track] += 2 * REJECT_WEIGHT  # turned down in two conversations
    rejected = ListeningSignals(weights, signals.artist_weight, signals.n_plays, 0, 0, n_rejects=2)
    after = affinity_of(rejected, trained[name], tiny_catalog)
    peers = [i for i in unplayed if tiny_catalog.tracks[i].genre == "jazz" and i != track]
    assert len(peers) >= 3 and before[track] > np.median(before[peers])
    assert after[track] < np.median(after[peers])


def test_cold_start_means_no_affinity_and_an_empty_summary(tiny_catalog, trained, tmp_path):
    empty = ListeningSignals.none(tiny_catalog)
    assert user_affinity(empty, trained["mf"], tiny_catalog) is None
    personalizer = Personalizer(HistoryStore(tmp_path / "h.db"), tiny_catalog, trained["cf"])
    assert personalizer.profile("nobody") == (None, HistorySummary())
    assert personalizer.profile(None) == (None, HistorySummary())


def test_ship_and_load_the_models_and_fall_back_to_content_for_another_catalogue(
    tiny_catalog, trained, tmp_path
):
    save_models(tmp_path, tiny_catalog, trained["cf"], trained["mf"], "mf+content", {"mf+content": 0.25}, {})
    for path in tmp_path.glob("*.npz"):
        with np.load(path, allow_pickle=False) as data:  # plain arrays, no pickled objects
            assert all(data[k].dtype != object for k in data.files)
    signals = listener(tiny_catalog, Taste({"rock": 0.5, "jazz": 0.5})).signals(tiny_catalog)
    for name in ("cf", "mf"):
        loaded = load_affinity_model(tiny_catalog, name, tmp_path)
        assert loaded.name == name
        assert np.allclose(loaded.scores(signals), trained[name].scores(signals), atol=1e-4)
    default = load_affinity_model(tiny_catalog, "default", tmp_path)
    assert isinstance(default, BlendAffinity) and default.weight == 0.25
    assert json.loads((tmp_path / "models.json").read_text())["default"] == "mf+content"
    # Same ids, different music (a regenerated catalogue): the stored models do not apply.
    renamed = Catalog.from_tracks(
        [
            t.__class__(**{**t.to_dict(), "genres": (), "title": t.title + " (live)"})
            for t in tiny_catalog.tracks
        ]
    )
    warnings: list[str] = []
    fallback = load_affinity_model(renamed, "default", tmp_path, warn=warnings.append)
    assert isinstance(fallback, ContentAffinity) and "content profile" in warnings[0]


def test_als_folds_in_a_known_listener_close_to_the_factor_learned_in_training(
    tiny_catalog, population, trained
):
    mf = trained["mf"]
    u = 5
    folded = mf.user_factor(
        np.asarray(signals_matrix([population[u].signals(tiny_catalog)], tiny_catalog).todense()).ravel()
    )
    learned = mf.user_factors_[u]
    cosine = folded @ learned / (np.linalg.norm(folded) * np.linalg.norm(learned))
    assert cosine > 0.98


# -- genre pairs from taste -----------------------------------------------------------------------
def test_genre_pair_suggestions_come_from_the_listeners_taste_within_the_constraints(tiny_catalog, trained):
    retriever = Retriever(tiny_catalog)
    fan = listener(tiny_catalog, Taste({"jazz": 0.6, "classical": 0.4}, energy=0.4, era=1995, era_width=30))
    affinity = affinity_of(fan.signals(tiny_catalog), trained["mf"], tiny_catalog)
    assert pair(retriever, Constraints(), affinity) == {"jazz", "classical"}
    # Once jazz is chosen, the pair refines it into jazz subgenres.
    assert pair(retriever, Constraints(genres=("jazz",)), affinity) == {
        "bebop",
        "smooth jazz",
    }
    # Turned down once, jazz is not suggested again.
    avoided = history_genre_pair(retriever, Constraints(avoid_genres=("jazz",)), affinity)
    assert avoided is not None and "jazz" not in avoided and avoided[0] == "classical"
    assert history_genre_pair(retriever, Constraints(), None) is None


def test_action_affinity_scores_what_each_prompt_would_put_forward(tiny_catalog, trained):
    retriever = Retriever(tiny_catalog)
    fan = listener(tiny_catalog, Taste({"jazz": 1.0}, energy=0.4, era=1995, era_width=30))
    affinity = affinity_of(fan.signals(tiny_catalog), trained["mf"], tiny_catalog)
    jazz_artist = next(t.artist for t in tiny_catalog.tracks if t.genre == "jazz")
    rock_artist = next(t.artist for t in tiny_catalog.tracks if t.genre == "rock" and t.artist != jazz_artist)
    liked = action_affinity(
        retriever, Constraints(), affinity, pair=("jazz", "classical"), artist=jazz_artist
    )
    other = action_affinity(retriever, Constraints(), affinity, pair=("rock", "hip hop"), artist=rock_artist)
    assert liked["genre_pair"] > other["genre_pair"]
    assert liked["artist_suggestion"] > other["artist_suggestion"]
    assert liked["play_sample"] > 0.9  # with no constraints, the sample played is a favourite
    cold = action_affinity(retriever, Constraints(), None, pair=("jazz", "classical"), artist=jazz_artist)
    assert set(cold.values()) == {0.0}


def test_history_summary_reports_plays_and_how_concentrated_the_taste_is(tiny_catalog):
    focused = listener(tiny_catalog, Taste({"rock": 1.0}))
    broad = listener(tiny_catalog, Taste({"rock": 0.3, "jazz": 0.3, "hip hop": 0.4}))
    f = history_summary(focused.signals(tiny_catalog), tiny_catalog)
    b = history_summary(broad.signals(tiny_catalog), tiny_catalog)
    assert f.n_plays == len(focused) and f.top_genre_share > 0.9
    assert b.top_genre_share < f.top_genre_share


# -- synthetic histories --------------------------------------------------------------------------
def test_synthetic_histories_follow_the_given_long_term_taste_and_are_seeded(tiny_catalog):
    tastes = [Taste({"electronic": 1.0}, energy=0.8), Taste({"classical": 1.0}, energy=0.2)]
    a = synthetic_histories(tiny_catalog, 2, np.random.default_rng(4), tastes=tastes)
    b = synthetic_histories(tiny_catalog, 2, np.random.default_rng(4), tastes=tastes)
    assert np.array_equal(a[0].track, b[0].track) and np.array_equal(a[1].ms_played, b[1].ms_played)
    for history, genre in zip(a, ("electronic", "classical"), strict=True):
        genres = [tiny_catalog.tracks[i].genre for i in history.track]
        assert genres.count(genre) / len(genres) > 0.8
        assert np.all(np.diff(history.timestamp) >= 0)
    # Liked tracks are played through more often than disliked ones: durations carry the signal.
    everyone = synthetic_histories(tiny_catalog, 100, np.random.default_rng(5))
    skip_share = np.mean(np.concatenate([h.ms_played < 30_000 for h in everyone]))
    assert 0.05 < skip_share < 0.4
    with pytest.raises(ValueError, match="one per user"):
        synthetic_histories(tiny_catalog, 3, np.random.default_rng(0), tastes=tastes)


def test_taste_utility_without_a_scene_ignores_co_listening(tiny_catalog):
    plain = taste_utility(Taste({"jazz": 1.0}, scene=(0.0,) * 6), tiny_catalog)
    assert plain.argmax() in [i for i, t in enumerate(tiny_catalog.tracks) if t.genre == "jazz"]


# -- a session with a profile ---------------------------------------------------------------------
def test_a_session_with_a_profile_personalizes_and_a_cold_start_still_works(
    tiny_catalog, tiny_catalog_csv, tmp_path, monkeypatch
):
    from cli.common import build_session

    monkeypatch.setenv("TUNETALK_HOME", str(tmp_path))
    fan = listener(tiny_catalog, Taste({"jazz": 1.0}, energy=0.3))
    with HistoryStore(tmp_path / "history.db") as store:
        store.add_plays("kim", fan.rows(tiny_catalog))
    args = argparse.Namespace(
        catalog=tiny_catalog_csv, seed=0, policy="rules", nlu="rules", user="kim",
        log=tmp_path / "log.db", no_log=False, log_text=False,
    )  # fmt: skip
    session = build_session(args)
    manager = session.new_conversation()
    assert manager.affinity is not None and manager.state.history.n_plays == len(fan)
    reply = manager.step("help me find music")
    features = manager.state.features()
    assert features["has_history"] == 1.0 and features["history_affinity_top"] > 0
    for text in ["no", "no", "yes", "yes", "yes"]:
        if reply.done:
            break
        reply = manager.step(text)
    # Cold start: another profile with nothing stored.
    cold = build_session(argparse.Namespace(**{**vars(args), "user": "newcomer"})).new_conversation()
    assert cold.affinity is None and cold.state.history == HistorySummary()
    assert cold.step("something upbeat").text
    assert session.log is not None
    session.log.close()


def test_the_shipped_models_cover_the_demo_catalogue_and_are_small(demo_catalog):
    from assistant.taste.affinity import MODEL_DIR

    if not (MODEL_DIR / "models.json").exists():
        pytest.skip("no trained affinity models in assets/affinity (scripts/train_affinity.py)")
    meta = json.loads((MODEL_DIR / "models.json").read_text())
    warnings: list[str] = []
    model = load_affinity_model(demo_catalog, warn=warnings.append)
    assert model.name == meta["default"] and not warnings, (
        f"assets/affinity was trained on another version of the catalogue ({warnings}): "
        "retrain with .venv/bin/python scripts/train_affinity.py"
    )
    for path in MODEL_DIR.iterdir():
        assert path.stat().st_size < 5 * 1024 * 1024, path
    fan = listener(demo_catalog, Taste({"jazz": 1.0}, energy=0.3, era=1965))
    top = np.argsort(-affinity_of(fan.signals(demo_catalog), model, demo_catalog))[:10]
    assert sum(demo_catalog.tracks[i].genre == "jazz" for i in top) >= 8
