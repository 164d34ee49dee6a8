"""Logged conversations as episodes of decisions: what whole-conversation learning and evaluation read.

A conversation's return is G = 1{accepted} - turn_cost x (user turns). Decision k of a conversation is
made after user turn tau_k; the user turns it is charged for are the ones up to the next decision
(tau_{k+1} - tau_k), or to the end of the conversation for the last one, and the first decision also
carries the turns before it (the opening, or a confirmation the policy did not choose). So per-step
rewards sum to exactly G, and repair or confirmation turns, which never call the policy, are still
priced: they land on the decision whose prompt they followed.

A turn where the person asked for something directly ("play something by X", "go back") is logged as a
decision of policy "user_request" with probability 1: no policy chose it, and every policy would have
done the same. Such a step keeps exactly one available action, so its importance ratio is 1 under any
evaluation policy and fitted-Q has no choice to make there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.logs.dataset import ACTION_NAMES, LogFormatError, LogTable, conversation_bounds

__all__ = [
    "DEFAULT_TURN_COST",
    "OBJECTIVES",
    "USER_REQUEST",
    "Episodes",
    "check_decisions",
    "episodes_from_log",
]
SUM_TOLERANCE = 1e-3
"""Logged probabilities are rounded to 6 decimals, so their sum may stray this far from 1."""

DEFAULT_TURN_COST = 0.05
"""The product's price of a user turn in units of success: five turns are worth five points."""
OBJECTIVES = ("G", "success", "turns")
USER_REQUEST = "user_request"
"""The policy name a decision is logged under when the person asked for it directly."""


@dataclass
class Episodes:
    """Decision steps of many conversations, flattened; a conversation's steps are contiguous, in order."""

    conversation_ids: list[str]
    episode: np.ndarray
    """(n_steps,) index into conversation_ids."""
    step: np.ndarray
    """(n_steps,) position of the decision within its conversation (0 for the first)."""
    features: np.ndarray
    """(n_steps, n_features) float32: the logged state features, in `feature_names` order."""
    feature_names: tuple[str, ...]
    action: np.ndarray
    """(n_steps,) index into ACTION_NAMES."""
    pscore: np.ndarray
    """(n_steps,) probability the logging policy gave the logged action."""
    pi_b: np.ndarray
    """(n_steps, n_actions): the logging distribution, 0 on actions that were not available."""
    available: np.ndarray
    """(n_steps, n_actions) bool: what the policy could have chosen (only the logged action on a forced
    step)."""
    forced: np.ndarray
    """(n_steps,) bool: the person asked for it; no policy chose this step."""
    success: np.ndarray
    """(n_steps,) 1.0 on the last step of a conversation the person accepted, else 0."""
    turns: np.ndarray
    """(n_steps,) user turns charged to the step (see the module docstring)."""
    accepted: np.ndarray
    """(n_episodes,) bool."""
    total_turns: np.ndarray
    """(n_episodes,) user turns of each conversation."""
    turn_cost: float = DEFAULT_TURN_COST
    usefulness: np.ndarray | None = None
    """(n_steps,) prompt usefulness of each decision, when computed: a signal, not the objective."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Conversations left out and why (no decision; still running)."""

    def __len__(self) -> int:
        return len(self.action)

    @property
    def n_episodes(self) -> int:
        return len(self.conversation_ids)

    @property
    def reward(self) -> np.ndarray:
        """Per-step reward of the objective G (sums to each conversation's G)."""
        return self.success - self.turn_cost * self.turns

    def rewards(self) -> dict[str, np.ndarray]:
        return {"G": self.reward, "success": self.success, "turns": self.turns}

    @property
    def last(self) -> np.ndarray:
        """(n_steps,) bool: the step is its conversation's last decision."""
        out = np.ones(len(self.episode), dtype=bool)
        out[:-1] = self.episode[1:] != self.episode[:-1]
        return out

    @property
    def starts(self) -> np.ndarray:
        """(n_episodes,) index of each conversation's first step."""
        return np.flatnonzero(np.r_[True, self.episode[1:] != self.episode[:-1]])

    def returns(self) -> np.ndarray:
        """(n_episodes,) observed G of each conversation."""
        return self.accepted.astype(np.float64) - self.turn_cost * self.total_turns

    def subset(self, episodes: np.ndarray) -> Episodes:
        """The conversations whose indices are in `episodes` (a boolean mask over episodes or indices)."""
        keep_episode = np.zeros(self.n_episodes, dtype=bool)
        keep_episode[episodes] = True
        rows = keep_episode[self.episode]
        kept = np.flatnonzero(keep_episode)
        renumber = np.full(self.n_episodes, -1, dtype=np.int64)
        renumber[kept] = np.arange(len(kept))
        return Episodes(
            [self.conversation_ids[i] for i in kept],
            renumber[self.episode[rows]],
            self.step[rows],
            self.features[rows],
            self.feature_names,
            self.action[rows],
            self.pscore[rows],
            self.pi_b[rows],
            self.available[rows],
            self.forced[rows],
            self.success[rows],
            self.turns[rows],
            self.accepted[kept],
            self.total_turns[kept],
            self.turn_cost,
            None if self.usefulness is None else self.usefulness[rows],
            dict(self.dropped),
        )

    def with_turn_cost(self, turn_cost: float) -> Episodes:
        """The same conversations priced differently (the trade-off report trains with several costs)."""
        return Episodes(**{**self.__dict__, "turn_cost": float(turn_cost)})


def episodes_from_log(
    table: LogTable, *, turn_cost: float = DEFAULT_TURN_COST, usefulness: np.ndarray | None = None
) -> Episodes:
    """Every finished conversation of a log with at least one decision, as an episode.

    `usefulness` (per log row, e.g. from learning.reward.prompt_usefulness) is carried along for
    the decision rows. Raises LogFormatError when the log has no decision at all."""
    actions = table.columns["action"]
    policies = table.columns["policy"]
    turns_col = table.columns["turn"]
    index = {a: i for i, a in enumerate(ACTION_NAMES)}
    status = {c["id"]: c.get("status") for c in table.conversations}
    ids: list[str] = []
    rows: list[int] = []
    episode: list[int] = []
    step: list[int] = []
    charged: list[float] = []
    success: list[float] = []
    accepted: list[bool] = []
    total: list[int] = []
    dropped = {"no decision": 0, "not finished": 0}
    for conversation_id, start, end in conversation_bounds(table):
        outcome = status.get(conversation_id)
        if outcome in (None, "active"):
            dropped["not finished"] += 1
            continue
        decided = [i for i in range(start, end) if actions[i] is not None]
        if not decided:
            dropped["no decision"] += 1
            continue
        n_turns = max(int(turns_col[i]) for i in range(start, end))
        taus = [int(turns_col[i]) for i in decided]
        e = len(ids)
        ids.append(conversation_id)
        accepted.append(outcome == "accepted")
        total.append(n_turns)
        for k, i in enumerate(decided):
            after = (taus[k + 1] if k + 1 < len(taus) else n_turns) - taus[k]
            before = taus[0] if k == 0 else 0
            rows.append(i)
            episode.append(e)
            step.append(k)
            charged.append(float(after + before))
            success.append(float(k == len(decided) - 1 and outcome == "accepted"))
    if not rows:
        raise LogFormatError(f"{table.source}: no conversation with a decision (nothing to learn from)")
    where = np.asarray(rows)
    unknown = sorted({actions[i] for i in rows if actions[i] not in index})
    if unknown:
        raise LogFormatError(f"{table.source}: unknown action(s) {', '.join(unknown)}")
    action = np.array([index[actions[i]] for i in rows], dtype=np.int64)
    propensity = np.array([table.columns["propensity"][i] for i in rows], dtype=np.float64)
    probabilities = table.probabilities[where].astype(np.float64)
    check_decisions(table, where, action, propensity, probabilities, table.features[where])
    available = ~np.isnan(probabilities)
    forced = np.array([policies[i] == USER_REQUEST for i in rows], dtype=bool)
    # Logged probabilities are rounded to 6 decimals; the propensity is exact. Keep it and rescale the
    # others around it so every row is a distribution that agrees with its propensity.
    pi_b = np.nan_to_num(probabilities, nan=0.0)
    steps = np.arange(len(action))
    pi_b[steps, action] = 0.0
    others = pi_b.sum(axis=1, keepdims=True)
    pi_b = np.where(others > 0, pi_b * (1.0 - propensity)[:, None] / np.where(others > 0, others, 1.0), 0.0)
    pi_b[steps, action] = propensity
    # A forced step offers only what was asked for, whatever else the manager listed as available.
    available[forced] = False
    available[forced, action[forced]] = True
    features = table.features[where]
    if not np.isfinite(features).all():
        bad = int(np.flatnonzero(~np.isfinite(features).all(axis=1))[0])
        raise LogFormatError(
            f"{table.source}: decision with missing features (conversation {ids[episode[bad]]}, "
            f"turn {turns_col[rows[bad]]})"
        )
    return Episodes(
        ids,
        np.asarray(episode, dtype=np.int64),
        np.asarray(step, dtype=np.int64),
        features.astype(np.float32),
        tuple(table.feature_names),
        action,
        propensity,
        pi_b,
        available,
        forced,
        np.asarray(success),
        np.asarray(charged),
        np.asarray(accepted, dtype=bool),
        np.asarray(total, dtype=np.int64),
        float(turn_cost),
        None if usefulness is None else np.asarray(usefulness, dtype=np.float64)[where],
        {k: v for k, v in dropped.items() if v},
    )


def check_decisions(
    table: LogTable,
    where: np.ndarray,
    action: np.ndarray,
    propensity: np.ndarray,
    probabilities: np.ndarray,
    features: np.ndarray,
) -> None:
    def row(k: int) -> str:
        i = where[k]
        return f"conversation {table.columns['conversation_id'][i]}, turn {table.columns['turn'][i]}"

    """The logged decisions can be learned from: propensities in (0, 1], probabilities that sum to one and
    agree with the propensity, features present. Raises LogFormatError naming the first bad row."""
    source = table.source
    bad = np.flatnonzero(~np.isfinite(propensity) | (propensity <= 0) | (propensity > 1))
    if bad.size:
        k = bad[0]
        raise LogFormatError(
            f"{source}: {bad.size} decision(s) with a propensity outside (0, 1], first at {row(k)} "
            f"({propensity[k]}); off-policy evaluation divides by it"
        )
    sums = np.nansum(probabilities, axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > SUM_TOLERANCE)
    if bad.size:
        k = bad[0]
        raise LogFormatError(
            f"{source}: {bad.size} decision(s) whose action probabilities do not sum to 1, first at {row(k)} "
            f"(sum {sums[k]:.6f})"
        )
    chosen = probabilities[np.arange(len(action)), action]
    bad = np.flatnonzero(np.isnan(chosen) | (np.abs(chosen - propensity) > 1e-4))
    if bad.size:
        k = bad[0]
        raise LogFormatError(
            f"{source}: {bad.size} decision(s) whose propensity disagrees with the logged probability of the "
            f"chosen action, first at {row(k)} ({propensity[k]} vs {chosen[k]})"
        )
    bad = np.flatnonzero(~np.isfinite(features).all(axis=1))
    if bad.size:
        raise LogFormatError(
            f"{source}: {bad.size} decision(s) with missing features, first at {row(bad[0])}"
        )
