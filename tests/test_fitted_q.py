"""Fitted-Q iteration: a tiny world with a known best policy; exports predict what the libraries do."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.dialogue.actions import ACTIONS, Action
from learning.episodes import Episodes
from learning.fitted_q import BACKENDS, FittedQ, greedy_available

ASK = ACTIONS.index(Action.MOOD_QUESTION)
PLAY = ACTIONS.index(Action.PLAY_SAMPLE)


def tiny_world(n: int, p_now: float, p_after: float, seed: int = 0) -> Episodes:
    """Two possible moves at the start: play now (accepted with p_now, one turn) or ask first (one turn),
    then play knowing more (accepted with p_after, one more turn). Logged under a 50/50 policy."""
    rng = np.random.default_rng(seed)
    episode, step, features, action, pscore, available, success, turns = [], [], [], [], [], [], [], []
    accepted, total = [], []
    for e in range(n):
        ask = rng.random() < 0.5
        first_available = np.zeros(len(ACTIONS), bool)
        first_available[[ASK, PLAY]] = True
        episode.append(e)
        step.append(0)
        features.append([0.0, 1.0])  # known_mood, turn
        action.append(ASK if ask else PLAY)
        pscore.append(0.5)
        available.append(first_available)
        if ask:
            success.append(0.0)
            turns.append(2.0)  # the opening turn and the answer
            ok = rng.random() < p_after
            episode.append(e)
            step.append(1)
            features.append([1.0, 2.0])
            action.append(PLAY)
            pscore.append(1.0)
            only_play = np.zeros(len(ACTIONS), bool)
            only_play[PLAY] = True
            available.append(only_play)
            success.append(float(ok))
            turns.append(1.0)
            total.append(3)
        else:
            ok = rng.random() < p_now
            success.append(float(ok))
            turns.append(2.0)
            total.append(2)
        accepted.append(ok)
    pi_b = np.zeros((len(action), len(ACTIONS)))
    pi_b[np.arange(len(action)), action] = pscore
    pi_b[np.array(step) == 0, ASK] = 0.5
    pi_b[np.array(step) == 0, PLAY] = 0.5
    return Episodes(
        [f"e{e}" for e in range(n)],
        np.array(episode),
        np.array(step),
        np.array(features, dtype=np.float32),
        ("known_mood", "turn"),
        np.array(action),
        np.array(pscore),
        pi_b,
        np.array(available),
        np.zeros(len(action), bool),
        np.array(success),
        np.array(turns),
        np.array(accepted),
        np.array(total),
    )


def first_choice(model: FittedQ) -> int:
    start = np.array([[0.0, 1.0]], dtype=np.float32)
    mask = np.zeros((1, len(ACTIONS)), bool)
    mask[0, [ASK, PLAY]] = True
    return int(model.distribution(start, mask).argmax())


@pytest.mark.parametrize("backend", BACKENDS)
def test_asks_first_when_the_answer_is_worth_a_turn(backend: str) -> None:
    world = tiny_world(3000, p_now=0.3, p_after=0.9)
    model = FittedQ(len(ACTIONS), backend=backend, n_iterations=3, n_trees=30, min_samples_leaf=20).fit(world)
    assert first_choice(model) == ASK
    # Q(start, ask) ~ 0.9 - 0.05 x 3 turns, Q(start, play) ~ 0.3 - 0.05 x 2: the value, not just the order.
    q = model.q_all(np.array([[0.0, 1.0]], dtype=np.float32))[0]
    assert q[ASK] == pytest.approx(0.9 - 0.15, abs=0.05)
    assert q[PLAY] == pytest.approx(0.3 - 0.10, abs=0.05)


@pytest.mark.parametrize("backend", BACKENDS)
def test_plays_at_once_when_asking_gains_less_than_a_turn(backend: str) -> None:
    # Asking lifts acceptance by 0.03 but costs a turn worth 0.05: play now.
    world = tiny_world(3000, p_now=0.6, p_after=0.63)
    model = FittedQ(len(ACTIONS), backend=backend, n_iterations=3, n_trees=30, min_samples_leaf=20).fit(world)
    assert first_choice(model) == PLAY


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_exported_table_predicts_what_the_library_predicts(backend: str) -> None:
    world = tiny_world(800, p_now=0.3, p_after=0.9, seed=3)
    rng = np.random.default_rng(0)
    world.features = rng.normal(size=world.features.shape).astype(np.float32)
    model = FittedQ(len(ACTIONS), backend=backend, n_iterations=2, n_trees=20, min_samples_leaf=5).fit(world)
    assert model.export_drift_ <= 1e-6
    x = rng.normal(size=(300, 2)).astype(np.float32)
    pairs = np.repeat(x, len(ACTIONS), axis=0)
    one_hot = np.tile(np.eye(len(ACTIONS), dtype=np.float32), (len(x), 1))
    joint = np.hstack([pairs, one_hot])
    assert np.allclose(model.trees_.predict(joint), model.model_.predict(joint), atol=1e-6)


def test_greedy_choice_never_leaves_the_available_prompts() -> None:
    q = np.array([[5.0, 1.0, 0.0], [0.0, 2.0, 9.0]])
    available = np.array([[False, True, True], [True, True, False]])
    assert greedy_available(q, available).argmax(axis=1).tolist() == [1, 1]


def test_an_unknown_backend_is_named() -> None:
    with pytest.raises(ValueError, match="unknown regressor backend 'catboost'"):
        FittedQ(len(ACTIONS), backend="catboost").fit(tiny_world(50, 0.3, 0.9))
