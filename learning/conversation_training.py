"""From logged conversations to a promoted policy: fitted-Q candidates, trajectory OPE, the promotion gate.

1. The conversations are split, whole, into training (75 %) and held-out (25 %) sets.
2. Each tree library fits fitted-Q on the training conversations (learning.fitted_q).
3. Every candidate's greedy policy, and the current policy, are evaluated on the held-out conversations
   by trajectory-level off-policy evaluation (learning.sequential_ope): importance sampling per
   decision, doubly robust with a fitted-Q-evaluation critic cross-fitted on the held-out conversations,
   and their weighted forms, for G, success and turns, with intervals from a bootstrap over
   conversations. The candidate with the highest estimate of G by the gate's estimator is chosen.
4. The gate: the chosen candidate replaces the current policy only when the lower end of the 95 %
   interval of G(candidate) - G(current), estimated on the same held-out conversations, is above zero,
   and its estimated success is not more than one point lower. The report says which way it went and why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.dialogue.actions import ACTIONS
from assistant.dialogue.policy import Policy
from learning.episodes import Episodes
from learning.fitted_q import FittedQ, greedy_available
from learning.fqe import with_fitted_critic
from learning.fqe_bootstrap import BootstrapFQE
from learning.replayed_policies import distribution_on_steps
from learning.sequential_ope import TrajectoryOPEReport, evaluate_trajectories, paired_difference
from learning.trajectories import LoggedTrajectories

__all__ = [
    "GATE_ESTIMATOR",
    "SUCCESS_MARGIN",
    "TRADEOFF_COSTS",
    "Candidate",
    "GateDecision",
    "TrainingResult",
    "evaluate_on_episodes",
    "gate",
    "tradeoff",
    "train_fitted_q",
    "trajectories",
]

GATE_ESTIMATOR = "fqe-boot"
"""The estimator whose paired interval gates promotion: fitted-Q evaluation with the critics refitted on
bootstrap resamples of the held-out conversations. In the ground-truth study (docs/policy.md, "Which
estimator to trust") it had the smallest RMSE among the estimators whose intervals covered the simulated
on-policy value; the importance-weighted estimators were biased low because a conversation-long weight
leaves a handful of effective samples."""
BOOTSTRAP_REPLICATES = 30
"""Refits of the critics when the gate's estimator is the bootstrapped fitted-Q evaluation."""
SUCCESS_MARGIN = 0.01
"""A candidate may cost at most this much estimated success (one point) to be promoted."""


@dataclass
class Candidate:
    backend: str
    model: FittedQ
    fit_seconds: float
    report: Any
    """The TrajectoryOPEReport on the held-out conversations."""
    action_share: dict[str, float]
    """How often its greedy policy picks each prompt on the held-out decisions."""


@dataclass(frozen=True)
class GateDecision:
    promoted: bool
    reason: str
    estimator: str
    difference: dict[str, tuple[float, float, float]]
    """Per objective (G, success, turns): candidate minus current, (value, ci_lo, ci_hi), paired on the
    same held-out conversations."""


@dataclass
class TrainingResult:
    n_conversations: int
    n_steps: int
    n_train: int
    n_test: int
    candidates: list[Candidate]
    chosen: Candidate
    current_name: str
    current_report: Any
    gate: GateDecision
    logged_value: dict[str, float]
    """The logging policy's own mean G, success and turns on the held-out conversations."""
    timings: dict[str, float] = field(default_factory=dict)
    test: Episodes | None = None
    pi_e: dict[str, np.ndarray] = field(default_factory=dict)


def trajectories(
    episodes: Episodes, pi_e: np.ndarray, *, fqe_iterations: int = 10, seed: int = 0
) -> LoggedTrajectories:
    """The episodes in the OPE library's layout, evaluating `pi_e`, with a fitted-Q-evaluation critic
    for G, success and turns cross-fitted on these episodes (two folds by conversation)."""
    data = LoggedTrajectories(
        episode=episodes.episode,
        action=episodes.action,
        pscore=episodes.pscore,
        available=episodes.available,
        rewards=episodes.rewards(),
        pi_e=pi_e,
        pi_b=episodes.pi_b,
        features=episodes.features,
        turn_cost=episodes.turn_cost,
    )
    return with_fitted_critic(data, n_iterations=fqe_iterations, random_state=seed)


def evaluate_on_episodes(
    episodes: Episodes, pi_e: np.ndarray, *, n_bootstrap: int = 1000, seed: int = 0, fqe_iterations: int = 10
) -> TrajectoryOPEReport:
    """Trajectory OPE of one policy (its distribution on the logged steps) for G, success and turns."""
    data = trajectories(episodes, pi_e, fqe_iterations=fqe_iterations, seed=seed)
    return evaluate_trajectories(data, n_bootstrap=n_bootstrap, random_state=seed)


def gate(
    candidate: LoggedTrajectories,
    current: LoggedTrajectories,
    *,
    estimator: str = GATE_ESTIMATOR,
    n_bootstrap: int = 1000,
    seed: int = 0,
    replicates: int = BOOTSTRAP_REPLICATES,
    engine: Any = None,
) -> GateDecision:
    """Promote only if G(candidate) - G(current), paired on the same held-out conversations, is above
    zero at the lower end of its interval and success is not estimated lower by more than SUCCESS_MARGIN.
    Both arguments are the held-out conversations with each policy's distribution and critic
    (`trajectories`). With "fqe-boot" the critics are refitted on `replicates` resamples of the
    conversations (learning.fqe_bootstrap); any other name is an estimator of
    learning.sequential_ope, resampled `n_bootstrap` times with the critics held fixed."""
    difference: dict[str, tuple[float, float, float]] = {}
    for objective in ("G", "success", "turns"):
        if estimator == "fqe-boot":
            boot = BootstrapFQE(n_replicates=replicates, random_state=seed, engine=engine).fit(
                {"candidate": candidate, "current": current}, objective
            )
            paired_fqe = boot.difference("candidate", "current")
            difference[objective] = (paired_fqe.value, *paired_fqe.ci)
            continue
        paired = paired_difference(
            candidate, current, estimator, objective, n_bootstrap=n_bootstrap, random_state=seed
        )
        difference[objective] = (paired.value, paired.ci[0], paired.ci[1])
    g, s = difference["G"], difference["success"]
    better = g[1] > 0.0
    keeps_success = s[0] >= -SUCCESS_MARGIN
    promoted = better and keeps_success
    if promoted:
        reason = (
            f"promoted: G gains {g[0]:+.4f} [{g[1]:+.4f}, {g[2]:+.4f}] over the current policy (lower bound "
            f"above zero), success {s[0]:+.4f}"
        )
    elif not better:
        reason = (
            f"not promoted: the lower bound of the G gain {g[0]:+.4f} [{g[1]:+.4f}, {g[2]:+.4f}] "
            "is not above zero"
        )
    else:
        reason = f"not promoted: estimated success {s[0]:+.4f} is more than {SUCCESS_MARGIN:.2f} lower"
    return GateDecision(promoted, reason, estimator, difference)


def _point_estimator(estimator: str) -> str:
    """The report's estimator whose point a gate estimator stands on (the bootstrapped FQE's is FQE's)."""
    return "dm" if estimator == "fqe-boot" else estimator


def _prefixed(say: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    return lambda message: say(f"{prefix}: {message}")


def _share(pi: np.ndarray) -> dict[str, float]:
    return {a.value: float(v) for a, v in zip(ACTIONS, pi.mean(axis=0), strict=True) if v > 0}


def train_fitted_q(
    episodes: Episodes,
    *,
    current: Policy,
    backends: Sequence[str] = ("sklearn", "lightgbm", "xgboost"),
    test_fraction: float = 0.25,
    seed: int = 0,
    n_iterations: int = 10,
    n_bootstrap: int = 1000,
    estimator: str = GATE_ESTIMATOR,
    action_columns: np.ndarray | None = None,
    model_options: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Any = None,
    gate_replicates: int = BOOTSTRAP_REPLICATES,
) -> TrainingResult:
    """Fit a fitted-Q candidate per tree library, choose by OPE on held-out conversations, gate it.
    `engine` (learning.engines): where the gate's bootstrap replicates run (default local); a distributed
    one also fits the lightgbm candidate with Ray Train."""
    say = progress or (lambda _message: None)
    timings: dict[str, float] = {}
    rng = np.random.default_rng([seed, 5])
    held_out = rng.random(episodes.n_episodes) < test_fraction
    train, test = episodes.subset(~held_out), episodes.subset(held_out)
    say(
        f"{episodes.n_episodes:,} conversations, {len(episodes):,} decisions; "
        f"{test.n_episodes:,} conversations held out"
    )
    candidates: list[Candidate] = []
    pi: dict[str, np.ndarray] = {}
    data: dict[str, LoggedTrajectories] = {}
    for backend in backends:
        t = time.perf_counter()
        model = FittedQ(
            len(ACTIONS),
            backend=backend,
            n_iterations=n_iterations,
            random_state=seed,
            action_columns=action_columns,
            engine=engine,
            **(model_options or {}),
        )
        model.fit(train, progress=_prefixed(say, backend))
        fit_seconds = time.perf_counter() - t
        pi[backend] = greedy_available(model.q_all(test.features), test.available)
        t = time.perf_counter()
        data[backend] = trajectories(test, pi[backend], seed=seed)
        report = evaluate_trajectories(data[backend], n_bootstrap=n_bootstrap, random_state=seed)
        timings[f"fit_{backend}"] = fit_seconds
        timings[f"ope_{backend}"] = time.perf_counter() - t
        candidates.append(Candidate(backend, model, fit_seconds, report, _share(pi[backend])))
        value = report.value(_point_estimator(estimator), "G")
        say(f"{backend}: G by {_point_estimator(estimator)} {value:.4f} (fitted in {fit_seconds:.0f} s)")
    t = time.perf_counter()
    pi["current"] = distribution_on_steps(current, test)
    data["current"] = trajectories(test, pi["current"], seed=seed)
    current_report = evaluate_trajectories(data["current"], n_bootstrap=n_bootstrap, random_state=seed)
    timings["ope_current"] = time.perf_counter() - t
    point = _point_estimator(estimator)
    chosen = max(candidates, key=lambda c: c.report.value(point, "G"))
    t = time.perf_counter()
    decision = gate(
        data[chosen.backend],
        data["current"],
        estimator=estimator,
        n_bootstrap=n_bootstrap,
        seed=seed,
        replicates=gate_replicates,
        engine=engine,
    )
    timings["gate"] = time.perf_counter() - t
    say(decision.reason)
    returns = test.returns()
    logged = {
        "G": float(returns.mean()),
        "success": float(test.accepted.mean()),
        "turns": float(test.total_turns.mean()),
    }
    return TrainingResult(
        episodes.n_episodes,
        len(episodes),
        len(train),
        len(test),
        candidates,
        chosen,
        current.name,
        current_report,
        decision,
        logged,
        timings,
        test,
        pi,
    )


TRADEOFF_COSTS = (0.0, 0.025, 0.05, 0.1)
"""Turn costs the report trains at, so the price of a turn is a visible choice, not a hidden one."""


def tradeoff(
    episodes: Episodes,
    *,
    backend: str = "sklearn",
    costs: Sequence[float] = TRADEOFF_COSTS,
    test_fraction: float = 0.25,
    seed: int = 0,
    n_iterations: int = 10,
    n_bootstrap: int = 200,
    estimator: str = GATE_ESTIMATOR,
    action_columns: np.ndarray | None = None,
    model_options: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Fitted-Q trained at each turn cost on the same training conversations; its success and turns
    estimated off-policy on the same held-out ones (the split of `train_fitted_q`)."""
    say = progress or (lambda _message: None)
    rng = np.random.default_rng([seed, 5])
    held_out = rng.random(episodes.n_episodes) < test_fraction
    train, test = episodes.subset(~held_out), episodes.subset(held_out)
    points = []
    for cost in costs:
        model = FittedQ(
            len(ACTIONS),
            backend=backend,
            n_iterations=n_iterations,
            random_state=seed,
            action_columns=action_columns,
            **(model_options or {}),
        ).fit(train.with_turn_cost(cost))
        pi = greedy_available(model.q_all(test.features), test.available)
        report = evaluate_on_episodes(test.with_turn_cost(cost), pi, n_bootstrap=n_bootstrap, seed=seed)
        name = _point_estimator(estimator)
        point = {
            "turn_cost": float(cost),
            "success": report.value(name, "success"),
            "turns": report.value(name, "turns"),
            "G": report.value(name, "G"),
            "G_at_0.05": report.value(name, "success") - 0.05 * report.value(name, "turns"),
        }
        say(f"turn cost {cost:g}: success {point['success']:.3f}, turns {point['turns']:.2f}")
        points.append(point)
    return points
