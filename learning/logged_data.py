"""Logged bandit feedback plus a candidate policy's action distribution, validated once at the edge.

One round of a log is (position, action taken, reward, probability the logging policy gave that
action). Off-policy evaluation also needs the evaluation policy's distribution over actions `pi_e`,
and the doubly robust family a reward model's predictions `q_hat`. `LoggedBanditData` checks all of
it on construction, so estimators can trust shapes and values; `load_npz` reads the Open Bandit
Dataset layout of ../shared/data/obd (ope_*.npz, synthetic.npz).
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["SUM_TOLERANCE", "LoggedBanditData", "LoggedDataError", "load_npz"]

SUM_TOLERANCE = 1e-6
"""How far a probability distribution's sum may stray from 1 (absolute) before it is rejected."""


class LoggedDataError(ValueError):
    """Logged data that cannot be evaluated: a missing array, a wrong shape or an impossible value."""


@dataclass(frozen=True, eq=False, kw_only=True)
class LoggedBanditData:
    """Logged rounds of a bandit (one decision each) and the evaluation policy to score on them.

    Construction validates everything and stores read-only float/int copies; a bad input raises
    `LoggedDataError` naming the array, its shape and the offending round. `pi_e` takes one of
    three layouts:

    - ``(n_actions, n_positions)``: context-free, the same distribution in every round;
    - ``(n, n_actions)``: per round, one position;
    - ``(n, n_actions, n_positions)``: per round and position.

    `q_hat` (reward model predictions for every action) is ``(n, n_actions)`` or
    ``(n, n_actions, n_positions)``; `pi_b` (the logging policy's full distribution, when logged)
    takes the per-round layouts of `pi_e` and must agree with `pscore`.
    """

    action: np.ndarray
    """Index of the action the logging policy took, shape (n,), integers in [0, n_actions)."""
    reward: np.ndarray
    """Observed reward of the logged action, shape (n,), finite."""
    pscore: np.ndarray
    """Probability the logging policy gave the logged action, shape (n,), in (0, 1]."""
    pi_e: np.ndarray
    """Evaluation policy's action distribution (layouts above); sums to 1 over actions."""
    n_actions: int
    """Number of actions (prompt types)."""
    position: np.ndarray | None = None
    """Slot of the decision when several are shown at once, shape (n,); None means all zeros."""
    q_hat: np.ndarray | None = None
    """Estimated expected reward of every action in every round, for DM and the DR family."""
    pi_b: np.ndarray | None = None
    """Logging policy's full distribution per round, when logged; sharpens the support diagnostic."""

    def __post_init__(self) -> None:
        for name in ("action", "reward", "pscore", "pi_e"):
            if getattr(self, name) is None:
                raise LoggedDataError(f"{name} is missing: it is required")
        if isinstance(self.n_actions, bool) or not isinstance(self.n_actions, int | np.integer):
            raise LoggedDataError(f"n_actions must be an integer, got {self.n_actions!r}")
        if self.n_actions < 1:
            raise LoggedDataError(f"n_actions must be at least 1, got {self.n_actions}")
        object.__setattr__(self, "n_actions", int(self.n_actions))

        action = _index_vector("action", self.action)
        n = action.shape[0]
        if n == 0:
            raise LoggedDataError("action is empty: there are no logged rounds to evaluate on")
        reward = _float_array("reward", self.reward)
        pscore = _float_array("pscore", self.pscore)
        position = (
            np.zeros(n, dtype=np.int64) if self.position is None else _index_vector("position", self.position)
        )
        for name, array in (("reward", reward), ("pscore", pscore), ("position", position)):
            if array.shape != (n,):
                raise LoggedDataError(
                    f"{name} has shape {array.shape} but action has shape {action.shape}: "
                    "every per-round array needs exactly one entry per round"
                )
        _check_range("action", action, 0, self.n_actions, what=f"indices of the {self.n_actions} actions")
        _check_pscore(pscore)

        pi_e = _float_array("pi_e", self.pi_e)
        layout, n_positions = _pi_e_layout(pi_e, n, self.n_actions)
        _check_distribution("pi_e", pi_e, layout)
        _check_range(
            "position",
            position,
            0,
            n_positions,
            what=f"positions of pi_e, whose shape {pi_e.shape} has {n_positions}",
        )

        q_hat = None
        if self.q_hat is not None:
            q_hat = _float_array("q_hat", self.q_hat)
            _check_per_round_shape("q_hat", q_hat, n, self.n_actions, n_positions)
        pi_b = None
        if self.pi_b is not None:
            pi_b = _float_array("pi_b", self.pi_b)
            _check_per_round_shape("pi_b", pi_b, n, self.n_actions, n_positions)
            _check_distribution("pi_b", pi_b, "per_round")
            _check_pi_b_matches_pscore(pi_b, action, position, pscore)

        validated: tuple[tuple[str, np.ndarray | None], ...] = (
            ("action", action),
            ("reward", reward),
            ("pscore", pscore),
            ("position", position),
            ("pi_e", pi_e),
            ("q_hat", q_hat),
            ("pi_b", pi_b),
        )
        for name, value in validated:
            if value is not None:
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def n_rounds(self) -> int:
        """Number of logged rounds n."""
        return int(self.action.shape[0])

    @cached_property
    def context_free(self) -> bool:
        """True when pi_e is one distribution per position, shared by all rounds."""
        return _pi_e_layout(self.pi_e, self.n_rounds, self.n_actions)[0] == "context_free"

    @cached_property
    def n_positions(self) -> int:
        """Number of positions pi_e describes."""
        return _pi_e_layout(self.pi_e, self.n_rounds, self.n_actions)[1]

    @cached_property
    def positions(self) -> np.ndarray:
        """Position of every round, shape (n,) (zeros when none was given)."""
        assert self.position is not None  # set by __post_init__
        return self.position

    @cached_property
    def pi_e_rounds(self) -> np.ndarray:
        """Evaluation policy's distribution at each round's own position, shape (n, n_actions)."""
        return _at_positions(self.pi_e, self.positions, context_free=self.context_free)

    @cached_property
    def q_hat_rounds(self) -> np.ndarray | None:
        """Reward model at each round's own position, shape (n, n_actions); None without q_hat."""
        if self.q_hat is None:
            return None
        return _at_positions(self.q_hat, self.positions, context_free=False)

    @cached_property
    def pi_b_rounds(self) -> np.ndarray | None:
        """Logging distribution at each round's own position, shape (n, n_actions); None if not logged."""
        if self.pi_b is None:
            return None
        return _at_positions(self.pi_b, self.positions, context_free=False)

    @cached_property
    def weights(self) -> np.ndarray:
        """Importance weights w_i = pi_e(a_i | round i, position i) / pscore_i, shape (n,), unclipped."""
        rows = np.arange(self.n_rounds)
        w = self.pi_e_rounds[rows, self.action] / self.pscore
        w.setflags(write=False)
        return w


def load_npz(path: str | Path, *, policy: str | None = None) -> LoggedBanditData:
    """Read logged bandit data in the layout of ../shared/data/obd (ope_*.npz and synthetic.npz).

    Arrays read: action, reward, pscore (required), position, q_hat, pi_b (optional), and the
    evaluation policy: ``pi_e``, or ``pi_e_<policy>`` when the file holds several candidates
    (synthetic.npz has pi_e_egreedy and pi_e_softmax: pass ``policy="egreedy"``). Any problem raises
    `LoggedDataError` whose message starts with the file name.
    """
    path = Path(path)
    if path.is_dir():
        raise LoggedDataError(f"{path}: is a folder, expected an .npz file")
    if not path.is_file():
        raise LoggedDataError(f"{path}: no such file")
    try:
        with path.open("rb") as handle:  # our handle, so a failed np.load leaves no file open
            arrays, pi_e_key = _read_arrays(path, handle, policy)
    except OSError as exc:
        raise LoggedDataError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    pi_e = arrays.pop(pi_e_key)
    try:
        return LoggedBanditData(
            action=arrays["action"],
            reward=arrays["reward"],
            pscore=arrays["pscore"],
            position=arrays.get("position"),
            pi_e=pi_e,
            q_hat=arrays.get("q_hat"),
            pi_b=arrays.get("pi_b"),
            n_actions=_infer_n_actions(arrays, pi_e),
        )
    except LoggedDataError as exc:
        raise LoggedDataError(f"{path}: {exc}") from None


def _read_arrays(path: Path, handle: BinaryIO, policy: str | None) -> tuple[dict[str, np.ndarray], str]:
    magic = handle.read(6)
    if magic == b"\x93NUMPY":
        raise LoggedDataError(
            f"{path}: holds a single .npy array, expected an .npz archive with action, reward, pscore, pi_e"
        )
    if not magic.startswith(b"PK"):
        raise LoggedDataError(f"{path}: not an .npz archive (no zip signature at the start of the file)")
    handle.seek(0)
    try:
        archive = np.load(handle, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise LoggedDataError(f"{path}: not a readable .npz archive ({exc})") from exc
    with archive:
        keys = set(archive.files)
        pi_e_key = _pi_e_key(path, keys, policy)
        missing = sorted({"action", "reward", "pscore"} - keys)
        if missing:
            raise LoggedDataError(
                f"{path}: missing arrays {', '.join(missing)} (found: {', '.join(sorted(keys)) or 'none'})"
            )
        wanted = ["action", "reward", "pscore", pi_e_key] + [
            k for k in ("position", "q_hat", "pi_b") if k in keys
        ]
        arrays: dict[str, np.ndarray] = {}
        for key in wanted:
            try:
                arrays[key] = archive[key]
            except (ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                why = "it holds Python objects, which are never loaded" if "allow_pickle" in str(exc) else exc
                raise LoggedDataError(f"{path}: array {key!r} cannot be read ({why})") from exc
    return arrays, pi_e_key


def _pi_e_key(path: Path, keys: set[str], policy: str | None) -> str:
    candidates = sorted(k.removeprefix("pi_e_") for k in keys if k.startswith("pi_e_"))
    if policy is not None:
        if f"pi_e_{policy}" in keys:
            return f"pi_e_{policy}"
        available = ", ".join(candidates) if candidates else "none (the file has one policy, pi_e)"
        raise LoggedDataError(f"{path}: no evaluation policy {policy!r}; available: {available}")
    if "pi_e" in keys:
        return "pi_e"
    if len(candidates) == 1:
        return f"pi_e_{candidates[0]}"
    if candidates:
        raise LoggedDataError(
            f"{path}: holds {len(candidates)} evaluation policies ({', '.join(candidates)}): "
            f"choose one (policy={candidates[0]!r}, or --policy {candidates[0]} on the command line)"
        )
    raise LoggedDataError(
        f"{path}: missing array pi_e, the evaluation policy's action distribution "
        f"(found: {', '.join(sorted(keys)) or 'none'})"
    )


def _infer_n_actions(arrays: dict[str, np.ndarray], pi_e: np.ndarray) -> int:
    n = np.shape(arrays["action"])[0] if np.ndim(arrays["action"]) else 0
    q_hat = arrays.get("q_hat")
    if pi_e.ndim == 3:
        return int(pi_e.shape[1])
    if q_hat is not None and q_hat.ndim in (2, 3):
        return int(q_hat.shape[1])
    if pi_e.ndim == 2:
        return int(pi_e.shape[1] if pi_e.shape[0] == n else pi_e.shape[0])
    action = np.asarray(arrays["action"])
    return int(action.max()) + 1 if action.size and action.dtype.kind in "iu" else 1


def _float_array(name: str, value: object) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise LoggedDataError(f"{name} must be numeric: {exc}") from None
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise LoggedDataError(
            f"{name} has {int(bad.sum())} non-finite value(s) "
            f"(first: {array[where]} at index {where if len(where) > 1 else where[0]})"
        )
    return array


def _index_vector(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1:
        raise LoggedDataError(
            f"{name} must be one-dimensional (one entry per round), got shape {array.shape}"
        )
    if array.dtype.kind not in "iu":
        raise LoggedDataError(f"{name} must hold integer indices, got dtype {array.dtype}")
    return np.array(array, dtype=np.int64)


def _check_range(name: str, array: np.ndarray, low: int, high: int, *, what: str) -> None:
    bad = (array < low) | (array >= high)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise LoggedDataError(
            f"{name} holds values outside {low}..{high - 1} ({what}): {int(array[first])} at round "
            f"{first} ({int(bad.sum())} round(s) in all)"
        )


def _check_pscore(pscore: np.ndarray) -> None:
    for bad, rule in ((pscore <= 0, "zero or negative"), (pscore > 1, "above 1")):
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise LoggedDataError(
                f"pscore must be a probability in (0, 1]: {pscore[first]:.6g} at round {first} "
                f"({int(bad.sum()):,} round(s) {rule}); it is the logging policy's probability of the "
                "logged action, so it was positive when that action was taken"
            )


def _pi_e_layout(pi_e: np.ndarray, n: int, n_actions: int) -> tuple[str, int]:
    """('context_free' | 'per_round', n_positions) for a pi_e array, or LoggedDataError."""
    expected = (
        f"expected (n_actions, n_positions) = ({n_actions}, P), (n, n_actions) = ({n}, {n_actions}) "
        f"or (n, n_actions, n_positions) = ({n}, {n_actions}, P)"
    )
    if pi_e.ndim == 3:
        if pi_e.shape[:2] != (n, n_actions) or pi_e.shape[2] < 1:
            raise LoggedDataError(f"pi_e has shape {pi_e.shape}; {expected}")
        return "per_round", int(pi_e.shape[2])
    if pi_e.ndim == 2:
        per_round = pi_e.shape == (n, n_actions)
        context_free = pi_e.shape[0] == n_actions and pi_e.shape[1] >= 1
        if per_round and context_free:
            raise LoggedDataError(
                f"pi_e of shape {pi_e.shape} is ambiguous with {n} rounds and {n_actions} actions: "
                f"pass it per round as ({n}, {n_actions}, n_positions)"
            )
        if per_round:
            return "per_round", 1
        if context_free:
            return "context_free", int(pi_e.shape[1])
    raise LoggedDataError(f"pi_e has shape {pi_e.shape}; {expected}")


def _check_per_round_shape(name: str, array: np.ndarray, n: int, n_actions: int, n_positions: int) -> None:
    allowed: list[tuple[int, ...]] = [(n, n_actions, n_positions)]
    if n_positions == 1:
        allowed.insert(0, (n, n_actions))
    if array.shape not in allowed:
        options = " or ".join(str(s) for s in allowed)
        raise LoggedDataError(
            f"{name} has shape {array.shape} but action has shape ({n},), pi_e describes "
            f"{n_actions} actions and {n_positions} position(s): expected {options}"
        )


def _check_distribution(name: str, array: np.ndarray, layout: str) -> None:
    negative = array < 0
    if negative.any():
        where = tuple(int(i) for i in np.argwhere(negative)[0])
        raise LoggedDataError(
            f"{name} holds negative probabilities ({int(negative.sum())} in all; first "
            f"{array[where]:.6g} at index {where})"
        )
    # Actions are axis 0 of a context-free (n_actions, P) array and axis 1 of per-round arrays.
    sums = array.sum(axis=0 if layout == "context_free" else 1)
    off = np.abs(sums - 1.0) > SUM_TOLERANCE
    if not off.any():
        return
    where = tuple(int(i) for i in np.argwhere(off)[0])
    total = sums[where]
    detail = f"sums to {total:.6g} (off by {total - 1:+.3g})"
    if layout == "context_free":
        place = f"{name}[:, {where[0]}] (position {where[0]})"
        scope = f"{int(off.sum())} of {off.size} position(s)"
    else:
        position = where[1] if len(where) > 1 else 0
        place = f"{name} at round {where[0]}, position {position}"
        scope = f"{int(off.sum()):,} of {off.size:,} distribution(s)"
    raise LoggedDataError(
        f"{place} {detail}; {scope} are off by more than {SUM_TOLERANCE:g}: "
        "a policy's probabilities over actions must sum to 1"
    )


def _check_pi_b_matches_pscore(
    pi_b: np.ndarray, action: np.ndarray, position: np.ndarray, pscore: np.ndarray
) -> None:
    rows = _at_positions(pi_b, position, context_free=False)[np.arange(action.shape[0]), action]
    off = ~np.isclose(rows, pscore, rtol=1e-6, atol=1e-12)
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise LoggedDataError(
            f"pi_b disagrees with pscore at round {first}: pi_b gives the logged action "
            f"{rows[first]:.6g}, pscore says {pscore[first]:.6g} ({int(off.sum()):,} round(s) in all)"
        )


def _at_positions(array: np.ndarray, position: np.ndarray, *, context_free: bool) -> np.ndarray:
    """Each round's (n_actions,) slice at its own position, stacked to (n, n_actions)."""
    if context_free:
        out = np.ascontiguousarray(array[:, position].T)
    elif array.ndim == 2:
        out = array
    else:
        out = array[np.arange(array.shape[0]), :, position]
    out.setflags(write=False)
    return out
