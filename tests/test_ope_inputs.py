"""Off-policy evaluation at the public edge: bad arrays and bad files are rejected with precise messages
naming what is wrong (and the file)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from learning.logged_data import LoggedDataError, load_npz
from learning.ope import (
    InverseProbabilityWeighting,
)
from tests.bandit_logs import hand_data

# --- Validation at the public edge -------------------------------------------------------------------------

BAD_INPUTS = [
    # (case, overrides of the hand log, message fragment)
    ("no rounds", {"action": np.array([], dtype=int)}, "action is empty"),
    ("required array missing", {"pscore": None}, "pscore is missing"),
    ("float actions", {"action": np.array([0.0, 1.0, 0.0, 1.0])}, "action must hold integer indices"),
    ("action out of range", {"action": np.array([0, 1, 2, 1])}, "action holds values outside 0..1"),
    ("negative action", {"action": np.array([0, -1, 0, 1])}, "-1 at round 1"),
    ("reward too short", {"reward": np.ones(3)}, "reward has shape (3,) but action has shape (4,)"),
    ("reward not finite", {"reward": np.array([1.0, np.nan, 0, 1])}, "reward has 1 non-finite value"),
    ("zero propensity", {"pscore": np.array([0.5, 0.0, 0.25, 0.5])}, "(0, 1]: 0 at round 1"),
    ("negative propensity", {"pscore": np.array([0.5, 0.5, -0.1, 0.5])}, "-0.1 at round 2"),
    ("propensity above 1", {"pscore": np.array([0.5, 0.5, 1.5, 0.5])}, "1.5 at round 2 (1 round(s) above 1)"),
    ("propensity infinite", {"pscore": np.array([0.5, np.inf, 0.25, 0.5])}, "pscore has 1 non-finite"),
    (
        "position out of range",
        {"position": np.array([0, 1, 0, 0])},
        "position holds values outside 0..0 (positions of pi_e, whose shape (2, 1) has 1)",
    ),
    ("pi_e wrong shape", {"pi_e": np.full((3, 1), 1 / 3)}, "pi_e has shape (3, 1); expected"),
    (
        "context-free pi_e not summing to 1",
        {"pi_e": np.array([[0.65], [0.25]])},
        "pi_e[:, 0] (position 0) sums to 0.9 (off by -0.1)",
    ),
    (
        "per-round pi_e not summing to 1",
        {"pi_e": np.array([[0.75, 0.25], [0.75, 0.25], [0.9, 0.3], [0.75, 0.25]])},
        "pi_e at round 2, position 0 sums to 1.2 (off by +0.2); 1 of 4",
    ),
    ("negative pi_e", {"pi_e": np.array([[1.25], [-0.25]])}, "pi_e holds negative probabilities"),
    ("pi_e not finite", {"pi_e": np.array([[np.nan], [0.25]])}, "pi_e has 1 non-finite value"),
    (
        "ambiguous square pi_e",
        {
            "pi_e": np.full((2, 2), 0.5),
            "action": np.array([0, 1]),
            "reward": np.ones(2),
            "pscore": np.ones(2),
        },
        "ambiguous with 2 rounds and 2 actions",
    ),
    ("q_hat wrong shape", {"q_hat": np.zeros((4, 3))}, "q_hat has shape (4, 3) but action has shape (4,)"),
    (
        "q_hat not finite",
        {"q_hat": np.array([[0.8, np.inf]] + [[0.8, 0.4]] * 3)},
        "q_hat has 1 non-finite value",
    ),
    (
        "pi_b disagrees with pscore",
        {"pi_b": np.tile([0.5, 0.5], (4, 1))},
        "pi_b disagrees with pscore at round 2: pi_b gives the logged action 0.5, pscore says 0.25",
    ),
    ("n_actions not an integer", {"n_actions": 2.0}, "n_actions must be an integer"),
]


@pytest.mark.parametrize(("case", "overrides", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_rejected_with_a_precise_message(
    case: str, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(LoggedDataError) as caught:
        hand_data(**overrides)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def write_npz(path: Path, **arrays: Any) -> Path:
    np.savez(path, **arrays)
    return path


def good_arrays() -> dict[str, Any]:
    return {
        "action": np.array([0, 1, 0, 1]),
        "reward": np.array([1, 0, 1, 1]),
        "pscore": np.array([0.5, 0.5, 0.25, 0.5]),
        "position": np.zeros(4, dtype=int),
        "pi_e": np.array([[0.75], [0.25]]),
    }


def test_load_npz_reads_a_good_file(tmp_path: Path) -> None:
    data = load_npz(write_npz(tmp_path / "good.npz", **good_arrays()))
    assert (data.n_rounds, data.n_actions, data.n_positions) == (4, 2, 1)
    assert InverseProbabilityWeighting().estimate(data) == pytest.approx(1.25)


BAD_FILES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("missing file", lambda d: d / "absent.npz", "absent.npz: no such file"),
    ("a folder", lambda d: d, "is a folder, expected an .npz file"),
    ("text file", lambda d: _write_text(d / "notes.npz", "hello"), "notes.npz: not an .npz archive"),
    ("single .npy array", lambda d: _write_npy(d / "one.npz"), "holds a single .npy array"),
    ("truncated archive", lambda d: _truncated(d / "cut.npz"), "cut.npz: "),
    (
        "missing keys",
        lambda d: write_npz(d / "partial.npz", action=np.zeros(4, dtype=int), pi_e=np.ones((1, 1))),
        "partial.npz: missing arrays pscore, reward (found: action, pi_e)",
    ),
    (
        "no evaluation policy",
        lambda d: write_npz(d / "nopi.npz", **{k: v for k, v in good_arrays().items() if k != "pi_e"}),
        "nopi.npz: missing array pi_e",
    ),
    (
        "several policies, none chosen",
        lambda d: write_npz(
            d / "two.npz",
            **{k: v for k, v in good_arrays().items() if k != "pi_e"},
            pi_e_a=np.array([[1.0], [0.0]]),
            pi_e_b=np.array([[0.0], [1.0]]),
        ),
        "two.npz: holds 2 evaluation policies (a, b): choose one",
    ),
    (
        "pickled object array",
        lambda d: write_npz(d / "objects.npz", **{**good_arrays(), "reward": np.array([1, None, 0, 1])}),
        "objects.npz: array 'reward' cannot be read",
    ),
    (
        "bad contents",
        lambda d: write_npz(d / "zero.npz", **{**good_arrays(), "pscore": np.array([0.5, 0.0, 0.25, 0.5])}),
        "zero.npz: pscore must be a probability in (0, 1]",
    ),
]


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _write_npy(path: Path) -> Path:
    with path.open("wb") as handle:
        np.save(handle, np.zeros(3))
    return path


def _truncated(path: Path) -> Path:
    write_npz(path, **good_arrays())
    path.write_bytes(path.read_bytes()[:200])
    return path


@pytest.mark.parametrize(("case", "make", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_is_rejected_naming_the_file(
    tmp_path: Path, case: str, make: Callable[[Path], Path], message: str
) -> None:
    with pytest.raises(LoggedDataError) as caught:
        load_npz(make(tmp_path))
    assert message in str(caught.value)


def test_unknown_policy_lists_the_available_ones(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "one.npz", **good_arrays())
    with pytest.raises(LoggedDataError, match="no evaluation policy 'softmax'; available: none"):
        load_npz(path, policy="softmax")
