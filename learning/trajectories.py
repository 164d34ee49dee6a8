"""Logged conversations as trajectories of policy decisions, and an evaluation policy, validated at the edge.

One step is one decision of the dialogue policy; one episode is one conversation. The steps of all
episodes are flattened into per-step arrays (episodes contiguous, steps in order), which is the layout
the sequential off-policy estimators (`learning.sequential_ope`) and fitted-Q evaluation
read. `LoggedTrajectories` checks everything on construction and names the array, its shape and the
offending step or episode in its message, so the estimators can trust shapes and values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import numpy as np

from learning.logged_data import SUM_TOLERANCE, LoggedDataError

__all__ = ["DEFAULT_TURN_COST", "OBJECTIVE", "LoggedDataError", "LoggedTrajectories"]

DEFAULT_TURN_COST = 0.05
"""Price of one user turn in the objective G = 1{accepted} - turn_cost x (user turns)."""

OBJECTIVE = "G"
"""The reward every trajectory log carries: the conversation's objective, summed over its steps."""

_G_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False, kw_only=True)
class LoggedTrajectories:
    """Flattened steps of n logged episodes and the evaluation policy pi_e to score on them.

    Construction validates everything and stores read-only float/int/bool copies; a bad input raises
    `LoggedDataError` naming the array, its shape and the offending step or episode. The discount is
    1: conversations always end. After its last step an episode stays in an absorbing state (reward 0,
    importance ratio 1), which is how the weighted estimators treat episodes of different lengths.

    A step where only one action is available (the person asked for something directly) has
    probability 1 under every policy, so it must have pscore 1 and its importance ratio is 1.

    Rewards follow the app's objective: "success" is 1 at the last step of an accepted conversation
    and 0 elsewhere; "turns" counts the user turns from this decision up to the next one (step 0 also
    counts the opening turn(s)); "G" = success - turn_cost x turns, checked when all three are given.
    """

    episode: np.ndarray
    """Episode id of every step, shape (n_steps,), integers; each episode's steps contiguous, in order."""
    action: np.ndarray
    """Index of the action the logging policy took, shape (n_steps,), integers in [0, n_actions)."""
    pscore: np.ndarray
    """Probability the logging policy gave the logged action, shape (n_steps,), in (0, 1]."""
    available: np.ndarray
    """Actions the policy could choose at each step, (n_steps, n_actions), bool; the logged one among them."""
    rewards: Mapping[str, np.ndarray]
    """Per-step reward of each objective, {name: (n_steps,)}; "G" is required, "success" and "turns" usual."""
    pi_e: np.ndarray
    """Evaluation policy's distribution at each step, (n_steps, n_actions): sums to 1, 0 where unavailable."""
    pi_b: np.ndarray | None = None
    """Logging policy's full distribution at each step, when logged; must agree with pscore."""
    features: np.ndarray | None = None
    """State features of each step, (n_steps, d), for fitted-Q evaluation."""
    q_hat: Mapping[str, np.ndarray] | None = None
    """A critic's return-to-go of each action at each step under pi_e, {objective: (n_steps, n_actions)}."""
    turn_cost: float = DEFAULT_TURN_COST
    """Price of a turn in G; with "success" and "turns" given, G must equal success - turn_cost x turns."""

    def __post_init__(self) -> None:
        for name in ("episode", "action", "pscore", "available", "rewards", "pi_e"):
            if getattr(self, name) is None:
                raise LoggedDataError(f"{name} is missing: it is required")
        turn_cost = self.turn_cost
        if isinstance(turn_cost, bool) or not isinstance(turn_cost, int | float | np.number):
            raise LoggedDataError(f"turn_cost must be a number, got {turn_cost!r}")
        if not (math.isfinite(turn_cost) and turn_cost >= 0):
            raise LoggedDataError(f"turn_cost must be a finite number >= 0, got {turn_cost!r}")

        episode = _index_vector("episode", self.episode)
        n = episode.shape[0]
        if n == 0:
            raise LoggedDataError("episode is empty: there are no logged steps to evaluate on")
        _check_contiguous(episode)
        available = _available(self.available, n)
        n_actions = available.shape[1]
        action = _index_vector("action", self.action)
        _check_length("action", action, n)
        _check_action(action, available)
        pscore = _float_array("pscore", self.pscore)
        _check_length("pscore", pscore, n)
        _check_pscore(pscore, available)

        pi_e = _float_array("pi_e", self.pi_e)
        _check_policy("pi_e", pi_e, available)
        pi_b = None
        if self.pi_b is not None:
            pi_b = _float_array("pi_b", self.pi_b)
            _check_policy("pi_b", pi_b, available)
            logged = pi_b[np.arange(n), action]
            off = ~np.isclose(logged, pscore, rtol=1e-6, atol=1e-12)
            if off.any():
                first = int(np.flatnonzero(off)[0])
                raise LoggedDataError(
                    f"pi_b disagrees with pscore at step {first} (episode {int(episode[first])}): pi_b gives "
                    f"the logged action {logged[first]:.6g}, pscore says {pscore[first]:.6g} "
                    f"({int(off.sum()):,} step(s) in all)"
                )

        rewards = _rewards(self.rewards, n, float(turn_cost))
        features = None
        if self.features is not None:
            features = _float_array("features", self.features)
            if features.ndim != 2 or features.shape[0] != n or features.shape[1] < 1:
                raise LoggedDataError(
                    f"features has shape {features.shape} but there are {n} steps: expected ({n}, d), d >= 1"
                )
        q_hat = None
        if self.q_hat is not None:
            q_hat = _q_hat(self.q_hat, rewards, n, n_actions)

        for value in (episode, action, pscore, available, pi_e, pi_b, features):
            if value is not None:
                value.setflags(write=False)
        object.__setattr__(self, "episode", episode)
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "pscore", pscore)
        object.__setattr__(self, "available", available)
        object.__setattr__(self, "pi_e", pi_e)
        object.__setattr__(self, "pi_b", pi_b)
        object.__setattr__(self, "features", features)
        object.__setattr__(self, "rewards", MappingProxyType(rewards))
        object.__setattr__(self, "q_hat", None if q_hat is None else MappingProxyType(q_hat))
        object.__setattr__(self, "turn_cost", float(turn_cost))

    # --- Shape ---------------------------------------------------------------------------------------------

    @property
    def n_steps(self) -> int:
        """Number of logged steps (policy decisions) over all episodes."""
        return int(self.episode.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions (prompt types)."""
        return int(self.available.shape[1])

    @cached_property
    def episode_starts(self) -> np.ndarray:
        """Index of each episode's first step, shape (n_episodes,), in the order the episodes appear."""
        starts = np.flatnonzero(np.r_[True, self.episode[1:] != self.episode[:-1]])
        return _read_only(starts)

    @property
    def n_episodes(self) -> int:
        """Number of episodes (conversations) n."""
        return int(self.episode_starts.shape[0])

    @cached_property
    def episode_lengths(self) -> np.ndarray:
        """Number of steps of each episode, shape (n_episodes,)."""
        return _read_only(np.diff(np.r_[self.episode_starts, self.n_steps]))

    @cached_property
    def episode_index(self) -> np.ndarray:
        """Ordinal 0..n_episodes-1 of each step's episode, shape (n_steps,)."""
        return _read_only(np.repeat(np.arange(self.n_episodes), self.episode_lengths))

    @cached_property
    def step_index(self) -> np.ndarray:
        """Position t of each step within its episode (0 for the first), shape (n_steps,)."""
        return _read_only(np.arange(self.n_steps) - np.repeat(self.episode_starts, self.episode_lengths))

    @cached_property
    def is_last(self) -> np.ndarray:
        """True at each episode's last step, shape (n_steps,)."""
        last = np.zeros(self.n_steps, dtype=bool)
        last[self.episode_starts + self.episode_lengths - 1] = True
        return _read_only(last)

    # --- Importance weights --------------------------------------------------------------------------------

    @cached_property
    def ratios(self) -> np.ndarray:
        """Per-decision importance ratios pi_e(a_t | s_t) / pscore_t, shape (n_steps,)."""
        return _read_only(self.pi_e[np.arange(self.n_steps), self.action] / self.pscore)

    @cached_property
    def cumulative_weights(self) -> np.ndarray:
        """rho_t = product of the ratios of steps 0..t of the same episode, shape (n_steps,)."""
        rho = np.array(self.ratios)
        # One pass per position t (vectorized over episodes): memory stays O(n_steps) whatever the
        # longest episode, and the products are taken left to right as the definition reads.
        order = np.argsort(self.step_index, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(self.step_index))]
        for t in range(1, bounds.shape[0] - 1):
            steps = order[bounds[t] : bounds[t + 1]]
            rho[steps] *= rho[steps - 1]
        return _read_only(rho)

    @cached_property
    def previous_weights(self) -> np.ndarray:
        """rho_{t-1} (1 at an episode's first step), shape (n_steps,)."""
        prev = np.empty(self.n_steps)
        prev[1:] = self.cumulative_weights[:-1]
        prev[self.episode_starts] = 1.0
        return _read_only(prev)

    @cached_property
    def final_weights(self) -> np.ndarray:
        """Each episode's cumulative weight at its last step (its trajectory weight), shape (n_episodes,)."""
        return _read_only(self.cumulative_weights[self.is_last])

    # --- Rewards and the critic ----------------------------------------------------------------------------

    @property
    def objectives(self) -> tuple[str, ...]:
        """Names of the rewards the log carries, "G" first."""
        return tuple(self.rewards)

    def reward(self, objective: str = OBJECTIVE) -> np.ndarray:
        """Per-step reward of `objective`, shape (n_steps,); LoggedDataError naming those there are."""
        if objective not in self.rewards:
            raise LoggedDataError(
                f"objective {objective!r} is not in the logged rewards (have: {', '.join(self.rewards)})"
            )
        return self.rewards[objective]

    def returns(self, objective: str = OBJECTIVE) -> np.ndarray:
        """Each episode's observed return (sum of its rewards), shape (n_episodes,)."""
        return np.add.reduceat(self.reward(objective), self.episode_starts)

    def state_values(self, objective: str = OBJECTIVE) -> np.ndarray | None:
        """v_hat(s_t) = sum_a pi_e(a | s_t) q_hat(s_t, a), shape (n_steps,); None without that critic."""
        if self.q_hat is None or objective not in self.q_hat:
            return None
        return np.einsum("ij,ij->i", self.pi_e, self.q_hat[objective])

    def logged_values(self, objective: str = OBJECTIVE) -> np.ndarray | None:
        """q_hat(s_t, a_t) of the logged action, shape (n_steps,); None without that critic."""
        if self.q_hat is None or objective not in self.q_hat:
            return None
        return self.q_hat[objective][np.arange(self.n_steps), self.action]

    def same_log(self, other: LoggedTrajectories) -> bool:
        """True when `other` holds the same logged steps: episodes, actions, pscore, available, rewards."""
        if self.n_steps != other.n_steps or self.available.shape != other.available.shape:
            return False
        if set(self.rewards) != set(other.rewards):
            return False
        return (
            np.array_equal(self.episode, other.episode)
            and np.array_equal(self.action, other.action)
            and np.array_equal(self.pscore, other.pscore)
            and np.array_equal(self.available, other.available)
            and all(np.array_equal(self.rewards[k], other.rewards[k]) for k in self.rewards)
        )


# --- Validation helpers ------------------------------------------------------------------------------------


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _float_array(name: str, value: object) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise LoggedDataError(f"{name} must be numeric: {exc}") from None
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        place = f"step {where[0]}" + (f", action {where[1]}" if len(where) > 1 else "")
        raise LoggedDataError(
            f"{name} has {int(bad.sum())} non-finite value(s) (first: {array[where]} at {place})"
        )
    return array


def _index_vector(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1:
        raise LoggedDataError(f"{name} must be one-dimensional (one entry per step), got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise LoggedDataError(f"{name} must hold integers, got dtype {array.dtype}")
    return np.array(array, dtype=np.int64)


def _check_length(name: str, array: np.ndarray, n: int) -> None:
    if array.shape != (n,):
        raise LoggedDataError(
            f"{name} has shape {array.shape} but episode has shape ({n},): "
            "every per-step array needs exactly one entry per step"
        )


def _check_contiguous(episode: np.ndarray) -> None:
    starts = np.flatnonzero(np.r_[True, episode[1:] != episode[:-1]])
    ids = episode[starts]
    unique, first, counts = np.unique(ids, return_index=True, return_counts=True)
    if unique.shape[0] == ids.shape[0]:
        return
    repeated = unique[counts > 1]
    ep = int(repeated[np.argmin(first[counts > 1])])
    runs = starts[ids == ep]
    ends = np.r_[starts[1:], episode.shape[0]][ids == ep] - 1
    spans = ", ".join(f"steps {int(a)}-{int(b)}" for a, b in zip(runs[:3], ends[:3], strict=True))
    raise LoggedDataError(
        f"episode {ep} appears in {runs.shape[0]} separate runs ({spans}): the steps of an episode "
        f"must be contiguous ({repeated.shape[0]:,} episode(s) split in all)"
    )


def _available(value: object, n: int) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 2 or array.shape[0] != n or array.shape[1] < 1:
        raise LoggedDataError(
            f"available has shape {array.shape} but there are {n} steps: expected ({n}, n_actions)"
        )
    if array.dtype != np.bool_ and (array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all()):
        raise LoggedDataError(
            f"available must be boolean (or 0/1), got dtype {array.dtype} with other values"
        )
    available = np.array(array, dtype=bool)
    none = ~available.any(axis=1)
    if none.any():
        first = int(np.flatnonzero(none)[0])
        raise LoggedDataError(
            f"available has no action at step {first} ({int(none.sum()):,} step(s) in all): "
            "every step offers at least the action that was taken"
        )
    return available


def _check_action(action: np.ndarray, available: np.ndarray) -> None:
    n_actions = available.shape[1]
    bad = (action < 0) | (action >= n_actions)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise LoggedDataError(
            f"action holds values outside 0..{n_actions - 1} (indices of the {n_actions} actions of "
            f"available): {int(action[first])} at step {first} ({int(bad.sum())} step(s) in all)"
        )
    taken = available[np.arange(action.shape[0]), action]
    if not taken.all():
        first = int(np.flatnonzero(~taken)[0])
        raise LoggedDataError(
            f"action {int(action[first])} at step {first} is not available there "
            f"({int((~taken).sum()):,} step(s) in all): the logged action must be one the policy could take"
        )


def _check_pscore(pscore: np.ndarray, available: np.ndarray) -> None:
    for bad, rule in ((pscore <= 0, "zero or negative"), (pscore > 1, "above 1")):
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise LoggedDataError(
                f"pscore must be a probability in (0, 1]: {pscore[first]:.6g} at step {first} "
                f"({int(bad.sum()):,} step(s) {rule}); it is the logging policy's probability of the "
                "logged action, so it was positive when that action was taken"
            )
    forced = available.sum(axis=1) == 1
    off = forced & (np.abs(pscore - 1.0) > SUM_TOLERANCE)
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise LoggedDataError(
            f"pscore is {pscore[first]:.6g} at step {first}, where only one action is available "
            f"({int(off.sum()):,} step(s) in all): a step with one choice has probability 1 under any policy"
        )


def _check_policy(name: str, pi: np.ndarray, available: np.ndarray) -> None:
    n, n_actions = available.shape
    if pi.shape != (n, n_actions):
        raise LoggedDataError(
            f"{name} has shape {pi.shape} but available has shape {available.shape}: "
            f"expected ({n}, {n_actions}), one distribution over actions per step"
        )
    negative = pi < 0
    if negative.any():
        step, a = (int(i) for i in np.argwhere(negative)[0])
        raise LoggedDataError(
            f"{name} holds negative probabilities ({int(negative.sum())} in all; first "
            f"{pi[step, a]:.6g} at step {step}, action {a})"
        )
    outside = (pi > 0) & ~available
    if outside.any():
        step, a = (int(i) for i in np.argwhere(outside)[0])
        raise LoggedDataError(
            f"{name} gives probability {pi[step, a]:.6g} to action {a} at step {step}, where it is not "
            f"available ({int(outside.any(axis=1).sum()):,} step(s) in all): a policy can only choose "
            "among the available actions"
        )
    sums = pi.sum(axis=1)
    off = np.abs(sums - 1.0) > SUM_TOLERANCE
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise LoggedDataError(
            f"{name} at step {first} sums to {sums[first]:.6g} (off by {sums[first] - 1:+.3g}); "
            f"{int(off.sum()):,} of {n:,} step(s) are off by more than {SUM_TOLERANCE:g}: "
            "a policy's probabilities over the available actions must sum to 1"
        )


def _rewards(value: object, n: int, turn_cost: float) -> dict[str, np.ndarray]:
    if not isinstance(value, Mapping):
        raise LoggedDataError(
            f"rewards must be a mapping of objective name to per-step rewards, got {type(value).__name__}"
        )
    if OBJECTIVE not in value:
        have = ", ".join(repr(k) for k in value) or "none"
        raise LoggedDataError(f"rewards has no {OBJECTIVE!r} (the objective; have: {have})")
    out: dict[str, np.ndarray] = {}
    for key in [OBJECTIVE, *(k for k in value if k != OBJECTIVE)]:
        if not isinstance(key, str) or not key:
            raise LoggedDataError(f"reward names must be non-empty strings, got {key!r}")
        array = _float_array(f"rewards[{key!r}]", value[key])
        _check_length(f"rewards[{key!r}]", array, n)
        array.setflags(write=False)
        out[key] = array
    if "success" in out and "turns" in out:
        implied = out["success"] - turn_cost * out["turns"]
        off = ~np.isclose(out[OBJECTIVE], implied, rtol=_G_TOLERANCE, atol=_G_TOLERANCE)
        if off.any():
            first = int(np.flatnonzero(off)[0])
            raise LoggedDataError(
                f"rewards['G'] at step {first} is {out[OBJECTIVE][first]:.6g} but success - {turn_cost:g} x "
                f"turns is {implied[first]:.6g} ({int(off.sum()):,} step(s) in all): G must equal "
                "success - turn_cost x turns (pass turn_cost= if the price of a turn differs)"
            )
    return out


def _q_hat(value: object, rewards: Mapping[str, np.ndarray], n: int, n_actions: int) -> dict[str, np.ndarray]:
    if not isinstance(value, Mapping):
        raise LoggedDataError(
            "q_hat must be a mapping of objective name to (n_steps, n_actions) arrays, "
            f"got {type(value).__name__}"
        )
    out: dict[str, np.ndarray] = {}
    for key, array_like in value.items():
        if key not in rewards:
            raise LoggedDataError(
                f"q_hat has a critic for {key!r}, which is not among the rewards ({', '.join(rewards)})"
            )
        array = _float_array(f"q_hat[{key!r}]", array_like)
        if array.shape != (n, n_actions):
            raise LoggedDataError(
                f"q_hat[{key!r}] has shape {array.shape}: expected ({n}, {n_actions}), "
                "the critic's value of every action at every step"
            )
        array.setflags(write=False)
        out[key] = array
    return out
