"""The simulated listener as a gymnasium environment: it passes gymnasium's checks and pays out G."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from assistant.dialogue.actions import ACTIONS, Action
from assistant.music.catalog import Catalog
from learning.environment import ListenerEnv


@pytest.fixture
def env(tiny_catalog: Catalog) -> ListenerEnv:
    environment = ListenerEnv("default", tiny_catalog)
    yield environment
    environment.close()


def test_gymnasium_accepts_it(env: ListenerEnv) -> None:
    check_env(env, skip_render_check=True)


def play(env: ListenerEnv, seed: int, choose) -> tuple[float, dict, int]:
    _, info = env.reset(seed=seed)
    total, steps, done = 0.0, 0, False
    while not done:
        _, reward, done, truncated, info = env.step(choose(info["action_mask"]))
        assert not truncated
        total += reward
        steps += 1
    return total, info, steps


def test_the_rewards_of_an_episode_add_up_to_its_return(env: ListenerEnv) -> None:
    for seed in range(6):
        total, info, _ = play(env, seed, lambda mask: ACTIONS.index(Action.PLAY_SAMPLE))
        assert total == pytest.approx((info["status"] == "accepted") - 0.05 * info["turns"])


def test_the_same_seed_meets_the_same_listener(env: ListenerEnv) -> None:
    first = [play(env, 7, lambda mask: int(np.flatnonzero(mask)[0])) for _ in range(2)]
    assert first[0][0] == first[1][0] and first[0][1]["turns"] == first[1][1]["turns"]


def test_a_prompt_that_makes_no_sense_now_is_replaced_and_said(env: ListenerEnv) -> None:
    _, info = env.reset(seed=1)
    mask = info["action_mask"]
    not_available = int(np.flatnonzero(~mask)[0])
    _, _, _, _, info = env.step(not_available)
    assert info["replaced"] is True


def test_reset_in_the_middle_of_a_conversation_starts_a_new_one(env: ListenerEnv) -> None:
    env.reset(seed=2)
    env.step(ACTIONS.index(Action.MOOD_QUESTION))
    observation, info = env.reset(seed=3)
    assert observation.shape == env.observation_space.shape
    assert info["turn"] == 1
