"""Fitted-Q evaluation: a critic of an evaluation policy learned from logged trajectories.

Le, Voloshin and Yue, "Batch Policy Learning under Constraints", ICML 2019. Starting from Q_0 = 0, each
iteration regresses r_t + v_k(s_{t+1}) on (state features, action) over the logged steps, where
v_k(s) = sum_a pi_e(a | s) Q_k(s, a) and v_k = 0 after an episode's last step; after K iterations Q_K
is the expected return-to-go of the logged action followed by pi_e, for up to K decisions. The critic
feeds the direct method and the doubly robust estimators of `learning.sequential_ope`, which
is why it is cross-fitted: the q_hat of an episode comes from a critic fitted on the other folds'
episodes, so DR never corrects a critic with the very residuals that critic was fitted to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol, Self

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from learning.trajectories import OBJECTIVE, LoggedDataError, LoggedTrajectories

__all__ = ["FittedQEvaluation", "Regressor", "default_regressor", "with_fitted_critic"]


class Regressor(Protocol):
    """What fitted-Q evaluation needs of a regressor (any scikit-learn regressor qualifies)."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> Any: ...

    def predict(self, x: np.ndarray) -> np.ndarray: ...


def default_regressor(seed: int) -> Regressor:
    """Gradient-boosted trees (scikit-learn's HistGradientBoostingRegressor), deterministic for a seed."""
    # No early stopping: its validation split would make the critic depend on a second random draw.
    return HistGradientBoostingRegressor(
        max_iter=100, learning_rate=0.1, early_stopping=False, random_state=seed
    )


class FittedQEvaluation:
    """Fitted-Q evaluation of the data's pi_e, cross-fitted over episode folds (scikit-learn style).

    Parameters are stored by the constructor and used by `fit`, which returns self. After fitting:

    - ``q_hat_`` (n_steps, n_actions): Q(s_t, a) for every available action at every logged step
      (0 on unavailable actions), each from the critic fitted without that step's episode's fold;
    - ``initial_values_`` (n_episodes,): v_hat at each episode's first step; ``value_`` their mean, the
      direct-method estimate of pi_e's value;
    - ``fold_of_episode_`` (n_episodes,): which fold each episode was held out in;
    - ``iteration_values_`` (n_iterations,): after each iteration, the critics' mean v at the first steps
      of their own training episodes; it stops moving once n_iterations covers the episodes' length.

    `make_regressor(seed)` builds a fresh regressor per iteration and fold (default
    `default_regressor`); `n_threads` caps the OpenMP/BLAS threads while fitting (None leaves them be).
    """

    def __init__(
        self,
        *,
        n_iterations: int = 10,
        folds: int = 2,
        random_state: int | None = 0,
        make_regressor: Callable[[int], Regressor] | None = None,
        n_threads: int | None = 1,
    ) -> None:
        self.n_iterations = n_iterations
        self.folds = folds
        self.random_state = random_state
        self.make_regressor = make_regressor
        self.n_threads = n_threads

    def fit(self, data: LoggedTrajectories, objective: str = OBJECTIVE) -> Self:
        """Fit the critic of `data.pi_e` for `objective` on `data` (which must carry features)."""
        self._check_params(data)
        # Many small tree fits: on a shared machine OpenMP threads that wait for a busy core make each
        # fit dozens of times slower, so the thread count is a parameter (None: the libraries' default).
        if self.n_threads is None:
            return self._fit(data, objective)
        with threadpool_limits(limits=self.n_threads):
            return self._fit(data, objective)

    def _fit(self, data: LoggedTrajectories, objective: str) -> Self:
        reward = data.reward(objective)
        if data.features is None:
            raise LoggedDataError(
                "fitted-Q evaluation needs per-step state features: "
                "build the LoggedTrajectories with features="
            )
        make = self.make_regressor or default_regressor
        rng = np.random.default_rng(self.random_state)
        n_ep = data.n_episodes
        fold_of_episode = np.empty(n_ep, dtype=np.int64)
        fold_of_episode[rng.permutation(n_ep)] = np.arange(n_ep) % self.folds
        fold_of_step = fold_of_episode[data.episode_index]
        seeds = rng.integers(0, 2**31 - 1, size=(self.folds, self.n_iterations))

        inputs = _Inputs(data)
        q_hat = np.zeros((data.n_steps, data.n_actions))
        history = np.zeros((self.folds, self.n_iterations))
        for fold in range(self.folds):
            held_out = fold_of_step == fold
            train = ~held_out if self.folds > 1 else np.ones(data.n_steps, dtype=bool)
            model = self._fit_fold(inputs, reward, np.flatnonzero(train), make, seeds[fold], history[fold])
            predict = np.flatnonzero(held_out)
            rows, cols = np.nonzero(data.available[predict])
            q_hat[predict[rows], cols] = model.predict(inputs.rows(predict[rows], cols))

        self.q_hat_ = q_hat
        self.initial_values_ = np.einsum("ij,ij->i", data.pi_e, q_hat)[data.episode_starts]
        self.value_ = float(self.initial_values_.mean())
        self.fold_of_episode_ = fold_of_episode
        self.iteration_values_ = history.mean(axis=0)
        return self

    def _fit_fold(
        self,
        inputs: _Inputs,
        reward: np.ndarray,
        train: np.ndarray,
        make: Callable[[int], Regressor],
        seeds: np.ndarray,
        history: np.ndarray,
    ) -> Regressor:
        data = inputs.data
        x = inputs.rows(train, data.action[train])
        following = train + 1  # the next step of the same episode, where there is one
        has_next = ~data.is_last[train]
        firsts = train[data.step_index[train] == 0]
        target = reward[train]
        model: Regressor | None = None
        for k in range(self.n_iterations):
            model = make(int(seeds[k]))
            model.fit(x, target)
            history[k] = inputs.policy_values(model, firsts).mean() if firsts.size else np.nan
            if k + 1 < self.n_iterations:
                target = reward[train].copy()
                target[has_next] += inputs.policy_values(model, following[has_next])
        assert model is not None  # n_iterations >= 1 is checked
        return model

    def _check_params(self, data: LoggedTrajectories) -> None:
        for name, low in (("n_iterations", 1), ("folds", 1), ("n_threads", 1)):
            value = getattr(self, name)
            if name == "n_threads" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.folds > data.n_episodes:
            raise ValueError(
                f"folds ({self.folds}) exceeds the number of episodes ({data.n_episodes}): "
                "every fold needs one"
            )


class _Inputs:
    """Regressor inputs: a step's features followed by a one-hot of the action."""

    def __init__(self, data: LoggedTrajectories) -> None:
        assert data.features is not None
        self.data = data
        self.features = data.features
        self.eye = np.eye(data.n_actions)

    def rows(self, steps: np.ndarray, actions: np.ndarray) -> np.ndarray:
        return np.hstack([self.features[steps], self.eye[actions]])

    def policy_values(self, model: Regressor, steps: np.ndarray) -> np.ndarray:
        """v(s) = sum_a pi_e(a | s) Q(s, a) at `steps`, predicting only where pi_e is positive."""
        pi = self.data.pi_e[steps]
        rows, cols = np.nonzero(pi > 0)
        q = np.asarray(model.predict(self.rows(steps[rows], cols)), dtype=np.float64)
        return np.bincount(rows, weights=pi[rows, cols] * q, minlength=steps.shape[0])


def with_fitted_critic(
    data: LoggedTrajectories,
    objectives: Sequence[str] = ("G", "success", "turns"),
    *,
    n_iterations: int = 10,
    folds: int = 2,
    random_state: int | None = 0,
    make_regressor: Callable[[int], Regressor] | None = None,
    n_threads: int | None = 1,
) -> LoggedTrajectories:
    """`data` with q_hat from cross-fitted fitted-Q evaluation for every objective in `objectives`.

    When G, success and turns are all asked for, G's critic is success's minus turn_cost times turns's
    rather than a third fit: the Bellman evaluation operator is linear in the reward, so that is the
    same function, and every estimator then reports G = success - turn_cost x turns exactly.
    """
    fitted: dict[str, np.ndarray] = {}
    derive_g = OBJECTIVE in objectives and "success" in objectives and "turns" in objectives
    for objective in objectives:
        if derive_g and objective == OBJECTIVE:
            continue
        fqe = FittedQEvaluation(
            n_iterations=n_iterations,
            folds=folds,
            random_state=random_state,
            make_regressor=make_regressor,
            n_threads=n_threads,
        )
        fitted[objective] = fqe.fit(data, objective).q_hat_
    if derive_g:
        fitted[OBJECTIVE] = fitted["success"] - data.turn_cost * fitted["turns"]
    merged = dict(data.q_hat or {})
    merged.update(fitted)
    return dataclasses.replace(data, q_hat=merged)
