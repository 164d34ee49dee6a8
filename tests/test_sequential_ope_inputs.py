"""Sequential OPE at the public edge: every malformed log is rejected with a precise message naming
the array, its shape and the first offending step or episode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from learning.trajectories import LoggedDataError
from tests.trajectory_logs import (
    hand_data,
)

# --- Validation at the public edge ------------------------------------------------------------------------

_HAND = hand_data()
_SUCCESS, _TURNS = _HAND.rewards["success"], _HAND.rewards["turns"]


def _rewards(**changes: Any) -> dict[str, Any]:
    rewards: dict[str, Any] = {"G": _SUCCESS - 0.05 * _TURNS, "success": _SUCCESS, "turns": _TURNS}
    rewards.update(changes)
    return rewards


BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("no steps", {"episode": np.array([], dtype=int)}, "episode is empty"),
    ("required array missing", {"pscore": None}, "pscore is missing: it is required"),
    ("float episode ids", {"episode": np.array([0.0, 0, 1, 2, 2, 2])}, "episode must hold integers"),
    ("episode not a vector", {"episode": np.zeros((6, 1), dtype=int)}, "episode must be one-dimensional"),
    (
        "episode split in two runs",
        {"episode": np.array([10, 10, 11, 10, 12, 12])},
        "episode 10 appears in 2 separate runs (steps 0-1, steps 3-3): the steps of an episode must be",
    ),
    (
        "action too short",
        {"action": np.array([0, 1, 1, 0, 1])},
        "action has shape (5,) but episode has shape (6,)",
    ),
    ("float actions", {"action": np.array([0.0, 1, 1, 0, 1, 0])}, "action must hold integers"),
    ("action out of range", {"action": np.array([0, 2, 1, 0, 1, 0])}, "action holds values outside 0..1"),
    (
        "unavailable action taken",
        {"action": np.array([0, 1, 1, 0, 0, 0])},
        "action 0 at step 4 is not available",
    ),
    ("zero propensity", {"pscore": np.array([0.5, 0.0, 0.5, 0.5, 1, 0.75])}, "(0, 1]: 0 at step 1"),
    (
        "propensity above 1",
        {"pscore": np.array([0.5, 1.5, 0.5, 0.5, 1, 0.75])},
        "1.5 at step 1 (1 step(s) above 1)",
    ),
    (
        "propensity not finite",
        {"pscore": np.array([0.5, np.nan, 0.5, 0.5, 1, 0.75])},
        "pscore has 1 non-finite",
    ),
    (
        "forced step with pscore below 1",
        {"pscore": np.array([0.5, 0.25, 0.5, 0.5, 0.5, 0.75]), "pi_b": None},
        "pscore is 0.5 at step 4, where only one action is available",
    ),
    (
        "available wrong shape",
        {"available": np.ones((5, 2), dtype=bool)},
        "available has shape (5, 2) but there are 6",
    ),
    (
        "available not boolean",
        {"available": np.full((6, 2), 2)},
        "available must be boolean (or 0/1), got dtype int64",
    ),
    (
        "no action available",
        {"available": np.array([[1, 1], [0, 0], [1, 1], [1, 1], [0, 1], [1, 1]])},
        "available has no action at step 1",
    ),
    (
        "pi_e wrong shape",
        {"pi_e": np.full((6, 3), 1 / 3)},
        "pi_e has shape (6, 3) but available has shape (6, 2)",
    ),
    (
        "pi_e on an unavailable action",
        {"pi_e": np.array([[0.8, 0.2], [0.5, 0.5], [0.8, 0.2], [0.8, 0.2], [0.5, 0.5], [0.5, 0.5]])},
        "pi_e gives probability 0.5 to action 0 at step 4, where it is not available",
    ),
    (
        "pi_e not summing to 1",
        {"pi_e": np.array([[0.8, 0.2], [0.6, 0.5], [0.8, 0.2], [0.8, 0.2], [0.0, 1.0], [0.5, 0.5]])},
        "pi_e at step 1 sums to 1.1 (off by +0.1); 1 of 6 step(s)",
    ),
    (
        "negative pi_e",
        {"pi_e": np.array([[1.2, -0.2], [0.5, 0.5], [0.8, 0.2], [0.8, 0.2], [0.0, 1.0], [0.5, 0.5]])},
        "pi_e holds negative probabilities (1 in all; first -0.2 at step 0, action 1)",
    ),
    (
        "pi_e not finite",
        {"pi_e": np.array([[np.nan, 0.2], [0.5, 0.5], [0.8, 0.2], [0.8, 0.2], [0.0, 1.0], [0.5, 0.5]])},
        "pi_e has 1 non-finite value(s) (first: nan at step 0, action 0)",
    ),
    (
        "pi_b disagrees with pscore",
        {"pi_b": np.array([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.0, 1.0], [0.75, 0.25]])},
        "pi_b disagrees with pscore at step 1 (episode 10): pi_b gives the logged action 0.5, pscore says",
    ),
    ("rewards not a mapping", {"rewards": [1.0] * 6}, "rewards must be a mapping of objective name"),
    (
        "no objective G",
        {"rewards": {"success": _SUCCESS}},
        "rewards has no 'G' (the objective; have: 'success')",
    ),
    ("reward too short", {"rewards": _rewards(turns=_TURNS[:5])}, "rewards['turns'] has shape (5,)"),
    (
        "reward not finite",
        {"rewards": _rewards(G=np.r_[np.inf, (_SUCCESS - 0.05 * _TURNS)[1:]])},
        "rewards['G'] has 1 non-finite value(s) (first: inf at step 0)",
    ),
    (
        "G is not success minus priced turns",
        {"rewards": _rewards(G=_SUCCESS - 0.1 * _TURNS)},
        "rewards['G'] at step 0 is -0.2 but success - 0.05 x turns is -0.1",
    ),
    ("features wrong shape", {"features": np.zeros(6)}, "features has shape (6,) but there are 6 steps"),
    (
        "critic for an unknown objective",
        {"q_hat": {"utility": np.zeros((6, 2))}},
        "q_hat has a critic for 'utility'",
    ),
    (
        "critic wrong shape",
        {"q_hat": {"G": np.zeros((6, 3))}},
        "q_hat['G'] has shape (6, 3): expected (6, 2)",
    ),
    ("critic not a mapping", {"q_hat": np.zeros((6, 2))}, "q_hat must be a mapping of objective name"),
    ("negative turn cost", {"turn_cost": -0.05}, "turn_cost must be a finite number >= 0"),
    ("turn cost not a number", {"turn_cost": "0.05"}, "turn_cost must be a number"),
]


@pytest.mark.parametrize(("case", "overrides", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_rejected_with_a_precise_message(
    case: str, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(LoggedDataError) as caught:
        hand_data(**overrides)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_turn_cost_is_a_parameter() -> None:
    data = hand_data(rewards=_rewards(G=_SUCCESS - 0.1 * _TURNS), turn_cost=0.1)
    assert data.turn_cost == 0.1
