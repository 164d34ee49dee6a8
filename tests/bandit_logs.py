"""Bandit logs the OPE tests share: one small enough to compute every estimator by hand, and where the
Open Bandit Dataset files are (../shared/data/obd)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import pytest

from learning.logged_data import LoggedBanditData
from tests.conftest import SHARED_DATA, needs_shared_data

OBD = SHARED_DATA / "obd"
OPE_FILES = [
    "ope_bts_from_random_men.npz",
    "ope_bts_from_random_women.npz",
    "ope_random_from_bts_men.npz",
    "ope_random_from_bts_women.npz",
]
DEGENERATE = "ope_random_from_bts_women.npz"
NAMES = ["ipw", "snipw", "dm", "dr", "sndr"]

F = TypeVar("F", bound=Callable[..., Any])


def shared_data(test: F) -> F:
    """Reads ../shared/data; skipped, with the reason, where that folder is absent."""
    return cast(F, pytest.mark.shared_data(needs_shared_data(test)))


# --- A log small enough to compute by hand -------------------------------------------------------------
# Two actions, one position. pi_e = (0.75, 0.25) everywhere; q_hat = (0.8, 0.4) everywhere.
#   round  action  reward  pscore   w = pi_e[a] / pscore   r - q_hat[a]
#     0      0       1      0.5        1.5                     0.2
#     1      1       0      0.5        0.5                    -0.4
#     2      0       1      0.25       3.0                     0.2
#     3      1       1      0.5        0.5                     0.6
# mean(w) = 11/8, mean(w r) = 5/4, dm_i = 0.75 * 0.8 + 0.25 * 0.4 = 0.7, mean(w (r - q)) = 1/4.
# Clipped at lambda = 1: w = (1, 0.5, 1, 0.5), mean(w) = 3/4, mean(w r) = 5/8, mean(w (r - q)) = 1/8.


def hand_data(**overrides: Any) -> LoggedBanditData:
    arrays: dict[str, Any] = {
        "action": np.array([0, 1, 0, 1]),
        "reward": np.array([1.0, 0.0, 1.0, 1.0]),
        "pscore": np.array([0.5, 0.5, 0.25, 0.5]),
        "pi_e": np.array([[0.75], [0.25]]),
        "q_hat": np.tile([0.8, 0.4], (4, 1)),
        "n_actions": 2,
    }
    arrays.update(overrides)
    return LoggedBanditData(**arrays)
