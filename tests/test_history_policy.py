"""Listening history in the learned dialogue policy: simulated listeners' histories, the history genre pair,
per-prompt affinity features in the learner, and which policy a conversation gets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.policy import PolicyOutput
from assistant.dialogue.state import ACTION_AFFINITY_FEATURES, FEATURE_NAMES, DialogueState
from assistant.music.catalog import Catalog
from assistant.policies.learned import LearnedPolicy, load_learned_policy, save_policy
from assistant.policies.rules import RulePolicy
from assistant.policies.store import load_policy
from assistant.taste.affinity import load_affinity_model
from assistant.taste.models import ContentAffinity
from assistant.taste.summary import HistorySummary
from learning.learner import greedy, make_model, put_forward
from learning.listeners import World, draw_listener
from learning.listening import draw_history, history_rng
from learning.population import load_population, population_from_dict
from learning.training import ACTION_COLUMNS
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding


@pytest.fixture(scope="module")
def demo_world(demo_catalog: Catalog) -> World:
    return World(demo_catalog)


# -- simulated listeners' histories ---------------------------------------------------------------
def test_histories_follow_the_listeners_long_term_taste(demo_catalog: Catalog, demo_world: World) -> None:
    """The genre a listener plays most is one of their long-term favourites far more often than chance
    (3 favourites of 15 genres: 20 %), and usually the one that weighs most."""
    population = load_population("default")
    model = ContentAffinity(demo_catalog)
    in_favourites = top_is_heaviest = n = 0
    for i in range(120):
        listener = draw_listener(demo_world, population, np.random.default_rng([7, i, 0]))
        drawn = draw_history(demo_world, listener, population, history_rng(7, i), model)
        if drawn is None:
            continue
        n += 1
        genres = Counter(demo_catalog.tracks[t].genre for t in drawn.history.track)
        top = genres.most_common(1)[0][0]
        taste = listener.taste
        in_favourites += top in taste.long_term
        top_is_heaviest += top == taste.long_term[int(np.argmax(taste.long_term_weights))]
    assert 80 <= n <= 110  # about 80 % have a history (population history.share)
    assert in_favourites / n > 0.9
    assert top_is_heaviest / n > 0.6  # chance among the three favourites: 1/3


def test_affinity_from_a_history_prefers_the_favourite_genres_and_is_all_the_assistant_gets(
    demo_catalog: Catalog, demo_world: World
) -> None:
    population = load_population("default")
    model = load_affinity_model(demo_catalog)
    lifts = []
    for i in range(30):
        listener = draw_listener(demo_world, population, np.random.default_rng([8, i, 0]))
        drawn = draw_history(demo_world, listener, population, history_rng(8, i), model)
        if drawn is None:
            continue
        assert drawn.affinity is not None and drawn.affinity.shape == (len(demo_catalog),)
        assert drawn.summary.n_plays == len(drawn.history)  # the summary counts plays, nothing hidden
        favourite = np.isin(
            demo_world.family_ids, [demo_world.families.index(g) for g in listener.taste.long_term]
        )
        lifts.append(drawn.affinity[favourite].mean() - drawn.affinity[~favourite].mean())
    assert np.mean(lifts) > 0.25


def test_without_history_share_every_listener_is_a_cold_start(
    demo_catalog: Catalog, demo_world: World
) -> None:
    population = population_from_dict({"history": {"share": 0.0}}, "no-history.json")
    listener = draw_listener(demo_world, population, np.random.default_rng(1))
    assert (
        draw_history(demo_world, listener, population, history_rng(1, 0), ContentAffinity(demo_catalog))
        is None
    )


def test_histories_leave_the_listeners_themselves_unchanged(demo_catalog: Catalog) -> None:
    """History comes from its own random stream: the same seed meets the same listeners with or without
    it, so arms that read histories and arms that do not stay paired."""
    from learning.batch import simulate

    population = load_population("default")
    runs = [
        simulate(30, demo_catalog, population, RulePolicy, seed=5, workers=1, record=False, history=h)
        for h in (False, True)
    ]
    openings = [[r.actions[0] if r.actions else None for r in run.results] for run in runs]
    assert openings[0] == openings[1]  # the rules open the same way with every listener either way


# -- the manager --------------------------------------------------------------------------------------
class _AlwaysPair:
    name = "always-pair"

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        choice = Action.GENRE_PAIR if Action.GENRE_PAIR in available else available[0]
        self.features = features
        return PolicyOutput({a: float(a is choice) for a in available})


def _manager(catalog: Catalog, policy: object, affinity: np.ndarray | None) -> DialogueManager:
    return DialogueManager(
        catalog,
        RuleUnderstanding(EntityLinker.for_catalog(catalog)),
        policy,  # type: ignore[arg-type]
        np.random.default_rng(0),
        affinity=affinity,
        history=HistorySummary(n_plays=100, top_genre_share=0.5) if affinity is not None else None,
    )


def test_with_history_the_genre_pair_comes_from_what_the_person_plays(tiny_catalog: Catalog) -> None:
    genres = sorted(set(tiny_catalog.genre_names))
    loved = (genres[-1], genres[-2])  # not the pair the catalogue alone would suggest first
    affinity = np.array([0.95 if t.genre in loved else 0.1 for t in tiny_catalog.tracks])
    affinity += np.linspace(0, 0.01, len(affinity))  # no ties
    policy = _AlwaysPair()
    reply = _manager(tiny_catalog, policy, affinity).step("help me find music")
    assert reply.action == "genre_pair"
    assert set(loved) <= set(reply.text.lower().replace("?", "").split()) or all(
        g in reply.text for g in loved
    )
    # Offered as a question; which of the genre-pair wordings is the seed's draw.
    assert reply.text.endswith("?")
    # The per-prompt affinity features were filled in: the pair put forward is what the person loves.
    # (the pair's value is fit x affinity, and with nothing said yet every track fits 0.5)
    assert policy.features["affinity_genre_pair"] > 0.4 and policy.features["affinity_play_sample"] > 0.9


def test_a_cold_start_keeps_the_catalogue_genre_pair_and_no_affinity_features(tiny_catalog: Catalog) -> None:
    policy = _AlwaysPair()
    manager = _manager(tiny_catalog, policy, None)
    reply = manager.step("help me find music")
    expected = manager.retriever.genre_pair(manager.state.constraints, (), None)
    assert expected is not None and reply.action == "genre_pair"
    assert manager.state.pending_options == expected
    assert all(policy.features[name] == 0.0 for name in ACTION_AFFINITY_FEATURES.values())


# -- the learner --------------------------------------------------------------------------------------
def _history_environment(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples are useful exactly when what they would play has high affinity; otherwise the mood question
    is. Only the per-prompt affinity feature tells the two apart."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(FEATURE_NAMES))) * 0.1
    column = FEATURE_NAMES.index(ACTION_AFFINITY_FEATURES["play_sample"])
    x[:, column] = rng.random(n)
    a = rng.choice([list(Action).index(Action.PLAY_SAMPLE), list(Action).index(Action.MOOD_QUESTION)], n)
    sample = a == list(Action).index(Action.PLAY_SAMPLE)
    p = np.where(sample, np.where(x[:, column] > 0.6, 0.85, 0.1), 0.5)
    return x, a, (rng.random(n) < p).astype(float)


def test_put_forward_reads_each_prompts_own_affinity_column() -> None:
    x = np.zeros((3, len(FEATURE_NAMES)))
    x[:, FEATURE_NAMES.index("affinity_genre_pair")] = [0.1, 0.2, 0.3]
    actions = np.array(
        [list(Action).index(a) for a in (Action.GENRE_PAIR, Action.MOOD_QUESTION, Action.GENRE_PAIR)]
    )
    assert put_forward(x, actions, ACTION_COLUMNS).tolist() == pytest.approx([0.1, 0.0, 0.3])


@pytest.mark.parametrize(("kind", "bar"), [("trees", 0.9), ("linear", 0.9), ("mlp", 0.7)])
def test_learners_use_the_affinity_of_what_a_prompt_puts_forward(
    kind: str, bar: float, tmp_path: Path
) -> None:
    """(The small MLP, stopped early on noisy rewards, learns the threshold less sharply.)"""
    x, a, r = _history_environment(6000, 0)
    model = make_model(kind, len(Action), random_state=0, action_columns=ACTION_COLUMNS).fit(x, a, r)
    test, _, _ = _history_environment(800, 1)
    available = np.zeros((800, len(Action)), bool)
    available[:, [list(Action).index(Action.PLAY_SAMPLE), list(Action).index(Action.MOOD_QUESTION)]] = True
    best = greedy(model.predict_all(test), available).argmax(axis=1)
    high = test[:, FEATURE_NAMES.index("affinity_play_sample")] > 0.65
    low = test[:, FEATURE_NAMES.index("affinity_play_sample")] < 0.55
    sample = list(Action).index(Action.PLAY_SAMPLE)
    assert (best[high] == sample).mean() > bar and (best[low] != sample).mean() > bar
    # Exported with the policy's action features, the run-time scorer agrees with the fitted model.
    meta = {"name": "learned+history", "action_features": ACTION_AFFINITY_FEATURES}
    policy = load_learned_policy(save_policy(tmp_path / "h.npz", kind, model.export(), meta))
    assert policy.name == "learned+history"
    got = np.array([policy.scores(row, list(Action)) for row in test[:30]])
    assert np.allclose(got, model.predict_all(test[:30]), atol=1e-6)


# -- which policy a conversation gets -----------------------------------------------------------------
def _policy_file(tmp_path: Path, name: str, meta_name: str) -> Path:
    rng = np.random.default_rng(0)
    x, a = rng.random((300, len(FEATURE_NAMES))), rng.integers(0, len(Action), 300)
    model = make_model("trees", len(Action), max_iter=3).fit(x, a, (rng.random(300) < 0.5).astype(float))
    return save_policy(tmp_path / name, "trees", model.export(), {"name": meta_name})


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    import assistant.policies.store as store

    learned = _policy_file(tmp_path, "learned.npz", "learned")
    history = _policy_file(tmp_path, "learned_history.npz", "learned+history")
    monkeypatch.setattr(store, "SHIPPED_POLICY", learned)
    monkeypatch.setattr(store, "HISTORY_POLICY", history)
    return {"learned": learned, "history": history}


def test_a_person_with_history_gets_learned_plus_history_others_get_learned(shipped: dict[str, Path]) -> None:
    with_history = load_policy("auto", history=True, warn=pytest.fail)
    without = load_policy("auto", warn=pytest.fail)
    assert isinstance(with_history, LearnedPolicy) and with_history.name == "learned+history"
    assert isinstance(without, LearnedPolicy) and without.name == "learned"
    assert load_policy("learned+history", warn=pytest.fail).name == "learned+history"
    assert isinstance(load_policy("rules", history=True), RulePolicy)  # an explicit choice is kept


def test_without_a_learned_history_file_history_users_get_learned(shipped: dict[str, Path]) -> None:
    shipped["history"].unlink()
    assert load_policy("auto", history=True, warn=pytest.fail).name == "learned"


def test_a_corrupt_learned_history_file_falls_back_to_learned_with_a_warning(
    shipped: dict[str, Path],
) -> None:
    shipped["history"].write_bytes(b"not a policy at all")
    warnings: list[str] = []
    policy = load_policy("auto", history=True, warn=warnings.append)
    assert policy.name == "learned"
    assert len(warnings) == 1 and "learned_history.npz" in warnings[0] and "without history" in warnings[0]
    warnings.clear()
    assert load_policy("learned+history", warn=warnings.append).name == "learned"
    assert warnings


def test_a_session_picks_the_policy_per_conversation_by_history(
    shipped: dict[str, Path], tiny_catalog: Catalog, tmp_path: Path
) -> None:
    from assistant.taste.affinity import Personalizer
    from assistant.taste.history import HistoryStore
    from cli.common import Session

    store = HistoryStore(tmp_path / "history.db")
    track = tiny_catalog.tracks[0]
    csv = tmp_path / "plays.csv"
    csv.write_text(
        f"timestamp,artist,track,ms_played\n2024-01-01T10:00:00,{track.artist},{track.title},200000\n"
    )
    store.import_file("ann", csv, tiny_catalog)
    session = Session(
        tiny_catalog,
        RuleUnderstanding(EntityLinker.for_catalog(tiny_catalog)),
        load_policy("auto", warn=pytest.fail),
        None,
        0,
        personalizer=Personalizer(store, tiny_catalog, ContentAffinity(tiny_catalog)),
    )
    session.user = "ann"
    assert session.new_conversation().policy.name == "learned+history"
    session.user = "bob"  # no history stored
    assert session.new_conversation().policy.name == "learned"
    session.policy_choice = "rules"
    session.policy = RulePolicy()
    session.user = "ann"
    assert isinstance(session.new_conversation().policy, RulePolicy)


def test_a_log_written_before_the_affinity_features_reads_them_as_a_cold_start(
    tiny_catalog: Catalog, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    from assistant.logs.dataset import read_log, write_log
    from learning.batch import simulate

    run = simulate(8, tiny_catalog, load_population("default"), RulePolicy, seed=2, workers=1)
    assert run.table is not None
    folder = write_log(run.table, tmp_path / "log")
    turns = pq.read_table(folder / "turns.parquet")
    old = turns.drop_columns([f"f_{name}" for name in ACTION_AFFINITY_FEATURES.values()])
    pq.write_table(old, folder / "turns.parquet")
    table = read_log(folder)
    decided = np.array([a is not None for a in table.columns["action"]])
    columns = [FEATURE_NAMES.index(name) for name in ACTION_AFFINITY_FEATURES.values()]
    assert decided.any() and (table.features[decided][:, columns] == 0).all()
    assert np.allclose(table.features[decided][:, :40], run.table.features[decided][:, :40])


def test_rounds_count_the_decisions_still_to_come_for_the_turn_discount_experiment(
    tiny_catalog: Catalog,
) -> None:
    from learning.batch import simulate
    from learning.logging_policy import ExplorationPolicy
    from learning.training import rounds_from_log

    run = simulate(12, tiny_catalog, load_population("default"), ExplorationPolicy, seed=4, workers=1)
    assert run.table is not None
    rounds = rounds_from_log(run.table, tiny_catalog)
    for c in np.unique(rounds.conversation):
        mine = rounds.remaining[rounds.conversation == c]
        assert mine.tolist() == list(range(len(mine) - 1, -1, -1))  # in turn order, the last one 0
