"""A tiny conversation MDP whose policy values are known exactly: the regression environment for
sequential off-policy evaluation and fitted-Q learning.

A listener's taste attribute is either known to the system or not. At each decision the system asks a
guided question, asks an open question, or plays a sample; sometimes the listener takes the initiative
("just play something") and playing is then the only choice. A sample is accepted with a chance that
depends on whether the attribute is known; after an unaccepted decision the listener may leave; after
`horizon` decisions they give up. Every decision costs one user turn (the first also the opening turn),
so the rewards match the app's: success (1 at the accepting step), turns, and G = success - c x turns.

The state the policy sees is (t, known, direct): everything is observable, so the process is Markov
and backward induction gives every tabular policy's exact value and Q-function, and the best policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from learning.trajectories import DEFAULT_TURN_COST, LoggedTrajectories

__all__ = [
    "ACTIONS",
    "ASK",
    "OPEN",
    "PLAY",
    "CellMeanRegressor",
    "ToyConversations",
    "policy_table",
    "uniform_policy",
]

ACTIONS = ("ask", "open", "play")
ASK, OPEN, PLAY = 0, 1, 2

PolicyTable = np.ndarray
"""A tabular policy: shape (horizon, 2, 2, 3), the distribution over ACTIONS at (t, known, direct)."""


@dataclass(frozen=True, kw_only=True)
class ToyConversations:
    """The environment's parameters (chances per decision); defaults give a policy worth learning."""

    horizon: int = 6
    """Decisions before the listener gives up."""
    p_direct: float = 0.15
    """Chance the listener takes the initiative at a decision (only PLAY is available then)."""
    p_answer_ask: float = 0.7
    """Chance a guided question makes the attribute known."""
    p_answer_open: float = 0.45
    """Chance an open question makes the attribute known."""
    p_accept_known: float = 0.75
    """Chance a sample is accepted when the attribute is known."""
    p_accept_unknown: float = 0.25
    """Chance a sample is accepted when it is not."""
    p_accept_direct: float = 0.5
    """Chance a sample the listener asked for is accepted while the attribute is unknown."""
    p_leave: float = 0.1
    """Chance the listener leaves after a decision that did not end the conversation."""
    turn_cost: float = DEFAULT_TURN_COST
    """Price of a turn in G."""

    # --- Exact values -----------------------------------------------------------------------------------

    def accept_chance(self, known: int, direct: int) -> float:
        """Chance a sample played at (known, direct) is accepted."""
        if known:
            return self.p_accept_known
        return self.p_accept_direct if direct else self.p_accept_unknown

    def q_values(self, policy: PolicyTable, objective: str = "G") -> np.ndarray:
        """Exact Q^pi(t, known, direct, a) of `objective` ("G", "success", "turns"): (horizon, 2, 2, 3).

        Unavailable actions (ASK and OPEN at a direct step) get the value they would have if taken, which
        no policy can realize; pi gives them probability 0.
        """
        success, turns = self._q_parts(self._check_policy(policy))
        return {"success": success, "turns": turns, "G": success - self.turn_cost * turns}[objective]

    def value(self, policy: PolicyTable, objective: str = "G") -> float:
        """Exact expected return of `policy` for `objective` from the start of a conversation."""
        q = self.q_values(policy, objective)
        v0 = (np.asarray(policy)[0] * q[0]).sum(axis=-1)  # (known, direct)
        return float((1 - self.p_direct) * v0[0, 0] + self.p_direct * v0[0, 1])

    def optimal_policy(self, objective: str = "G") -> PolicyTable:
        """The deterministic policy maximizing `objective` (ties to the lowest action index)."""
        policy = np.zeros((self.horizon, 2, 2, 3))
        policy[..., PLAY] = 1.0  # a placeholder at steps not yet optimized (only later steps matter)
        for t in range(self.horizon - 1, -1, -1):
            # Q at step t depends on the policy only at steps after t, already optimal.
            q = self.q_values(policy, objective)[t]
            for known in (0, 1):
                policy[t, known, 0] = 0.0
                policy[t, known, 0, int(np.argmax(q[known, 0]))] = 1.0
        return policy

    def _state_values(self, q: np.ndarray, policy: np.ndarray, t: int) -> np.ndarray:
        """V(t, known) before the initiative is drawn: shape (2,)."""
        v = (policy[t] * q[t]).sum(axis=-1)  # (known, direct)
        return (1 - self.p_direct) * v[:, 0] + self.p_direct * v[:, 1]

    def _q_parts(self, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        success = np.zeros((self.horizon, 2, 2, 3))
        turns = np.zeros((self.horizon, 2, 2, 3))
        later_s = np.zeros(2)  # V(t + 1, known)
        later_t = np.zeros(2)
        stay = 1 - self.p_leave
        for t in range(self.horizon - 1, -1, -1):
            cost = 2.0 if t == 0 else 1.0
            for known in (0, 1):
                for direct in (0, 1):
                    p = self.accept_chance(known, direct)
                    for part, later in ((success, later_s), (turns, later_t)):
                        part[t, known, direct, PLAY] = (1 - p) * stay * later[known]
                        for action, p_answer in ((ASK, self.p_answer_ask), (OPEN, self.p_answer_open)):
                            learned = later[1] if known else p_answer * later[1] + (1 - p_answer) * later[0]
                            part[t, known, direct, action] = stay * learned
                    success[t, known, direct, PLAY] += p
                    turns[t, known, direct, :] += cost
            later_s = self._state_values(success, policy, t)
            later_t = self._state_values(turns, policy, t)
        return success, turns

    def _check_policy(self, policy: PolicyTable) -> np.ndarray:
        policy = np.asarray(policy, dtype=np.float64)
        if policy.shape != (self.horizon, 2, 2, 3):
            raise ValueError(f"policy has shape {policy.shape}; expected ({self.horizon}, 2, 2, 3)")
        if (policy < 0).any() or not np.allclose(policy.sum(axis=-1), 1.0):
            raise ValueError("policy must hold distributions over the 3 actions (non-negative, summing to 1)")
        if (policy[:, :, 1, :PLAY] > 0).any():
            raise ValueError(
                "policy gives probability to ASK or OPEN at a direct step, where only PLAY is available"
            )
        return policy

    # --- Logs -------------------------------------------------------------------------------------------

    def simulate(
        self,
        logging_policy: PolicyTable,
        n_episodes: int,
        rng: np.random.Generator,
        *,
        target_policy: PolicyTable | None = None,
        exact_critic: bool = False,
    ) -> LoggedTrajectories:
        """Log `n_episodes` conversations run by `logging_policy`, scored for `target_policy`.

        The log carries rewards G, success and turns, pi_b, features (t, known, direct) and pi_e (the
        target's distribution at every logged state; the logging policy itself when None). With
        `exact_critic` it also carries the target's exact Q-functions as q_hat: a perfect critic.
        """
        logging_policy = self._check_policy(logging_policy)
        target = logging_policy if target_policy is None else self._check_policy(target_policy)
        records: list[np.ndarray] = []  # per step: episode, t, known, direct, action, success
        episodes = np.arange(n_episodes)
        known = np.zeros(n_episodes, dtype=np.int64)
        for t in range(self.horizon):
            m = episodes.shape[0]
            if m == 0:
                break
            direct = (rng.random(m) < self.p_direct).astype(np.int64)
            dist = logging_policy[t, known, direct]
            action = (dist.cumsum(axis=1) > rng.random((m, 1))).argmax(axis=1)
            accept_p = np.where(
                known == 1,
                self.p_accept_known,
                np.where(direct == 1, self.p_accept_direct, self.p_accept_unknown),
            )
            accepted = (action == PLAY) & (rng.random(m) < accept_p)
            records.append(np.stack([episodes, np.full(m, t), known, direct, action, accepted], axis=1))
            answer_p = np.where(
                action == ASK, self.p_answer_ask, np.where(action == OPEN, self.p_answer_open, 0.0)
            )
            known = np.where(rng.random(m) < answer_p, 1, known).astype(np.int64)
            stays = ~accepted & (rng.random(m) >= self.p_leave)
            episodes, known = episodes[stays], known[stays]
        steps = np.concatenate(records)
        steps = steps[np.lexsort((steps[:, 1], steps[:, 0]))]
        episode, position, known_s, direct_s, action, success = (steps[:, j] for j in range(6))
        turns = np.where(position == 0, 2.0, 1.0)
        pi_b = logging_policy[position, known_s, direct_s]
        pi_e = target[position, known_s, direct_s]
        available = np.ones((steps.shape[0], 3), dtype=bool)
        available[direct_s == 1, :PLAY] = False
        q_hat = None
        if exact_critic:
            q_hat = {
                name: np.where(available, self.q_values(target, name)[position, known_s, direct_s], 0.0)
                for name in ("G", "success", "turns")
            }
        return LoggedTrajectories(
            episode=episode,
            action=action,
            pscore=pi_b[np.arange(steps.shape[0]), action],
            available=available,
            rewards={
                "G": success - self.turn_cost * turns,
                "success": success.astype(np.float64),
                "turns": turns,
            },
            pi_e=pi_e,
            pi_b=pi_b,
            features=np.stack([position, known_s, direct_s], axis=1).astype(np.float64),
            q_hat=q_hat,
            turn_cost=self.turn_cost,
        )


def policy_table(horizon: int, choose: Callable[[int, int], tuple[float, float, float]]) -> PolicyTable:
    """A tabular policy from `choose(t, known) -> (p_ask, p_open, p_play)`; direct steps always PLAY."""
    policy = np.zeros((horizon, 2, 2, 3))
    policy[:, :, 1, PLAY] = 1.0
    for t in range(horizon):
        for known in (0, 1):
            policy[t, known, 0] = choose(t, known)
    return policy


def uniform_policy(horizon: int) -> PolicyTable:
    """Every available action equally likely."""
    return policy_table(horizon, lambda t, known: (1 / 3, 1 / 3, 1 / 3))


class CellMeanRegressor:
    """Mean target of every distinct feature row: the exact least-squares fit when states are few.

    Fitted-Q evaluation with it is the certainty-equivalence (tabular model-based) evaluation; a row
    never seen in fitting predicts the overall mean.
    """

    def fit(self, x: np.ndarray, y: np.ndarray) -> CellMeanRegressor:
        x = np.asarray(x, dtype=np.float64)
        self.levels_ = [np.unique(column) for column in x.T]
        keys, _ = self._keys(x)
        cells, inverse = np.unique(keys, return_inverse=True)
        self.cells_ = cells
        self.means_ = np.bincount(inverse, weights=y) / np.bincount(inverse)
        self.fallback_ = float(np.mean(y))
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        keys, known = self._keys(np.asarray(x, dtype=np.float64))
        at = np.minimum(np.searchsorted(self.cells_, keys), self.cells_.shape[0] - 1)
        seen = known & (self.cells_[at] == keys)
        return np.where(seen, self.means_[at], self.fallback_)

    def _keys(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One integer per row (mixed radix over each column's fitted values) and whether all were seen."""
        keys = np.zeros(x.shape[0], dtype=np.int64)
        known = np.ones(x.shape[0], dtype=bool)
        for column, levels in zip(x.T, self.levels_, strict=True):
            at = np.minimum(np.searchsorted(levels, column), levels.shape[0] - 1)
            known &= levels[at] == column
            keys = keys * (levels.shape[0] + 1) + at
        return keys, known
