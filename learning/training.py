"""From logs to a promoted policy: decision rounds, reward models, OPE model selection, the promotion gate.

Each logged decision is one bandit round: context = state features, action = prompt type, reward =
prompt usefulness (reward.py), pscore = the logged propensity, position 0. Candidates are fitted on the
training conversations and judged by off-policy evaluation (learning.ope) on held-out
conversations; the reward model that DM/DR use there is cross-fitted on the held-out rounds themselves
(two folds), so no candidate is judged by its own predictions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.dialogue.policy import Policy
from assistant.dialogue.state import ACTION_AFFINITY_FEATURES, FEATURE_NAMES
from assistant.logs.dataset import ACTION_NAMES, LogFormatError, LogTable
from assistant.music.catalog import Catalog
from assistant.policies.rules import RulePolicy
from learning.episodes import check_decisions
from learning.learner import UsefulnessModel, greedy, make_model
from learning.replayed_policies import distribution_from_features
from learning.reward import prompt_usefulness

__all__ = [
    "ACTION_COLUMNS",
    "GATE_ESTIMATOR",
    "Candidate",
    "PairedComparison",
    "Rounds",
    "TrainingResult",
    "paired_comparison",
    "policy_distribution",
    "rounds_from_log",
    "rules_distribution",
    "train_and_select",
]

GATE_ESTIMATOR = "dr"
"""Estimator whose point selects the model and whose lower bound gates promotion (doubly robust)."""
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}
ACTION_COLUMNS = np.array(
    [_F[ACTION_AFFINITY_FEATURES[a]] if a in ACTION_AFFINITY_FEATURES else -1 for a in ACTION_NAMES]
)
"""Per prompt type, the state feature with the affinity of what it would put forward (-1: none): the
learners' (state, action) history input. All 0 in logs of listeners without history, so harmless there."""


@dataclass
class Rounds:
    """Decision rounds of a log, as arrays."""

    features: np.ndarray
    action: np.ndarray
    reward: np.ndarray
    pscore: np.ndarray
    pi_b: np.ndarray
    """Logging distribution per round, 0 on actions that were not available."""
    available: np.ndarray
    conversation: np.ndarray
    """Index of the conversation the round belongs to (for splits that keep conversations whole)."""
    remaining: np.ndarray
    """How many decisions of the same conversation come after this one (0 for the last)."""

    def __len__(self) -> int:
        return len(self.action)

    def subset(self, mask: np.ndarray) -> Rounds:
        return Rounds(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def rounds_from_log(table: LogTable, catalog: Catalog) -> Rounds:
    """Decision rounds with rewards; a malformed log raises LogFormatError naming the row and problem."""
    actions = table.columns["action"]
    rows = np.array([a is not None for a in actions], dtype=bool)
    if not rows.any():
        raise LogFormatError(f"{table.source}: no decisions in the log (nothing to learn from)")
    index = {a: i for i, a in enumerate(ACTION_NAMES)}
    where = np.flatnonzero(rows)
    unknown = sorted({actions[i] for i in where if actions[i] not in index})
    if unknown:
        raise LogFormatError(f"{table.source}: unknown action(s) {', '.join(unknown)}")
    action = np.array([index[actions[i]] for i in where], dtype=np.int64)
    propensity = np.array([table.columns["propensity"][i] for i in where], dtype=np.float64)
    probabilities = table.probabilities[where].astype(np.float64)
    features = table.features[where]
    check_decisions(table, where, action, propensity, probabilities, features)
    reward = prompt_usefulness(table, catalog)[where]
    ids = table.columns["conversation_id"]
    _, conversation = np.unique(np.array([ids[i] for i in where]), return_inverse=True)
    available = ~np.isnan(probabilities)
    # Logged probabilities are rounded; the propensity is exact. Keep it, and rescale the others around it.
    pi_b = np.nan_to_num(probabilities, nan=0.0)
    rows = np.arange(len(action))
    pi_b[rows, action] = 0.0
    others = pi_b.sum(axis=1, keepdims=True)
    pi_b = np.where(others > 0, pi_b * (1.0 - propensity)[:, None] / np.where(others > 0, others, 1.0), 0.0)
    pi_b[rows, action] = propensity
    # Decisions are logged in turn order within a conversation: count the later ones.
    order = np.arange(len(conversation))
    last = np.zeros(int(conversation.max()) + 1, dtype=np.int64)
    np.maximum.at(last, conversation, order)
    first = np.full(len(last), len(order), dtype=np.int64)
    np.minimum.at(first, conversation, order)
    contiguous = bool(np.all(last - first + 1 == np.bincount(conversation)))
    remaining = last[conversation] - order if contiguous else _remaining_by_turn(table, where, conversation)
    return Rounds(
        features.astype(np.float32), action, reward, propensity, pi_b, available, conversation, remaining
    )


def _remaining_by_turn(table: LogTable, where: np.ndarray, conversation: np.ndarray) -> np.ndarray:
    """Later decisions per round when a log's rows are not grouped by conversation."""
    turns = np.array([table.columns["turn"][i] for i in where], dtype=np.int64)
    out = np.zeros(len(where), dtype=np.int64)
    for c in np.unique(conversation):
        rows = np.flatnonzero(conversation == c)
        ranks = np.argsort(np.argsort(turns[rows], kind="stable"), kind="stable")
        out[rows] = len(rows) - 1 - ranks
    return out


# -- what a policy would have done in each logged round -------------------------------------------
def rules_distribution(rounds: Rounds, policy: RulePolicy | None = None) -> np.ndarray:
    """The rule policy's choice in every logged round, rebuilt from the features (it uses nothing else)."""
    return distribution_from_features(policy or RulePolicy(), rounds.features, rounds.available)


def policy_distribution(policy: Policy, rounds: Rounds) -> np.ndarray:
    """pi_e over the logged rounds for a policy that decides from features (learned) or the rules."""
    return distribution_from_features(policy, rounds.features, rounds.available)


# -- training and selection -----------------------------------------------------------------------
@dataclass
class Candidate:
    kind: str
    model: UsefulnessModel
    fit_seconds: float
    report: Any
    """The OPEReport on held-out rounds."""
    action_share: dict[str, float]
    """How often the candidate would pick each prompt on the held-out rounds."""


@dataclass(frozen=True)
class PairedComparison:
    """The chosen candidate against the current policy on the same held-out rounds.

    The gate compares the candidate's lower bound with the current policy's point value, as specified;
    both are estimated on the same rounds, so their errors are correlated and the per-round difference
    is the sharper measure of how much better the candidate is. Reported beside the gate, not instead."""

    difference: float
    """Mean per-round DR value of the candidate minus that of the current policy."""
    ci: tuple[float, float]
    """Percentile-bootstrap 95 % interval, resampling whole conversations (rounds of one conversation
    are not independent)."""
    agreement: float
    """Share of held-out rounds where both put their probability on the same prompt."""
    first_prompt: dict[str, dict[str, float]]
    """Per policy ("chosen", "current"), the share of each prompt on first-turn rounds."""


@dataclass
class TrainingResult:
    n_conversations: int
    n_rounds: int
    n_train: int
    n_test: int
    candidates: list[Candidate]
    chosen: Candidate
    current_name: str
    current_report: Any
    logging_value: float
    """The logging policy's own mean reward on the held-out rounds (what OPE of it should recover)."""
    promoted: bool
    reason: str
    reward_by_action: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    test: Rounds | None = None
    """The held-out rounds, with the cross-fitted reward predictions below."""
    q_hat: np.ndarray | None = None
    pi_e: dict[str, np.ndarray] = field(default_factory=dict)
    """Each candidate's and the current policy's action distribution on the held-out rounds."""
    paired: PairedComparison | None = None


def paired_comparison(
    rounds: Rounds,
    pi_candidate: np.ndarray,
    pi_current: np.ndarray,
    q_hat: np.ndarray,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> PairedComparison:
    """Candidate minus current, per round, by doubly robust estimation; CI by a conversation bootstrap."""
    from learning.ope import DoublyRobust

    dr = DoublyRobust()
    diff = dr.round_rewards(_bandit_data(rounds, pi_candidate, q_hat)) - dr.round_rewards(
        _bandit_data(rounds, pi_current, q_hat)
    )
    _, conversation = np.unique(rounds.conversation, return_inverse=True)
    sums = np.bincount(conversation, weights=diff)
    counts = np.bincount(conversation).astype(np.float64)
    rng = np.random.default_rng([seed, 11])
    n = len(sums)
    boot = np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        pick = rng.integers(0, n, n)
        boot[b] = sums[pick].sum() / counts[pick].sum()
    lo, hi = np.percentile(boot, [2.5, 97.5])
    first = rounds.features[:, _F["turn"]] == 1

    def share(pi_e: np.ndarray) -> dict[str, float]:
        if not first.any():
            return {}
        return {a: float(v) for a, v in zip(ACTION_NAMES, pi_e[first].mean(axis=0), strict=True) if v > 0}

    return PairedComparison(
        float(diff.mean()),
        (float(lo), float(hi)),
        float(np.mean(pi_candidate.argmax(axis=1) == pi_current.argmax(axis=1))),
        {"chosen": share(pi_candidate), "current": share(pi_current)},
    )


def _critic(rounds: Rounds, seed: int) -> np.ndarray:
    """Cross-fitted reward predictions q_hat (n, n_actions) for DM/DR: two folds by conversation."""
    fold = (rounds.conversation * 2654435761 + seed) % 2
    q = np.zeros((len(rounds), len(ACTION_NAMES)))
    for f in (0, 1):
        train, test = fold != f, fold == f
        model = make_model(
            "trees", len(ACTION_NAMES), random_state=seed, max_iter=150, action_columns=ACTION_COLUMNS
        )
        model.fit(rounds.features[train], rounds.action[train], rounds.reward[train])
        q[test] = model.predict_all(rounds.features[test])
    return q


def _bandit_data(rounds: Rounds, pi_e: np.ndarray, q_hat: np.ndarray) -> Any:
    """The held-out rounds in the OPE library's layout, evaluating `pi_e`."""
    from learning.logged_data import LoggedBanditData

    return LoggedBanditData(
        action=rounds.action,
        reward=rounds.reward,
        pscore=rounds.pscore,
        pi_e=pi_e,
        n_actions=len(ACTION_NAMES),
        q_hat=q_hat,
        pi_b=rounds.pi_b,
    )


def _ope(rounds: Rounds, pi_e: np.ndarray, q_hat: np.ndarray, n_bootstrap: int, seed: int) -> Any:
    from learning.ope import evaluate

    return evaluate(
        _bandit_data(rounds, pi_e, q_hat), n_bootstrap=n_bootstrap, random_state=seed, reward_range=(0.0, 1.0)
    )


def train_and_select(
    table: LogTable,
    catalog: Catalog,
    *,
    current: Policy,
    kinds: Sequence[str] = ("linear", "trees", "mlp"),
    test_fraction: float = 0.25,
    seed: int = 0,
    n_bootstrap: int = 1000,
    progress: Callable[[str], None] | None = None,
    turn_discount: float = 1.0,
) -> TrainingResult:
    """Fit every kind of reward model, judge each greedy policy by OPE on held-out conversations, pick the
    best by the DR estimate, and promote it only if its DR lower bound beats the current policy's DR value.

    `turn_discount` < 1 (an experiment, not the published reward): the models are fitted to prompt
    usefulness discounted by how many decisions the conversation still took after the prompt
    (usefulness x discount^later, drawn as a 0/1 label with that chance so the classifiers apply), so a
    useful prompt close to the accepted music counts more than one far from it. OPE and the gate still
    judge every candidate on the published, undiscounted usefulness."""
    say = progress or (lambda _message: None)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    rounds = rounds_from_log(table, catalog)
    timings["rewards"] = time.perf_counter() - t
    n_conv = int(rounds.conversation.max()) + 1
    rng = np.random.default_rng(seed)
    held_out = rng.random(n_conv) < test_fraction
    test_mask = held_out[rounds.conversation]
    train, test = rounds.subset(~test_mask), rounds.subset(test_mask)
    target = train.reward
    if turn_discount < 1.0:
        keep = np.random.default_rng([seed, 7]).random(len(train)) < turn_discount**train.remaining
        target = train.reward * keep
    say(f"{len(rounds):,} decisions from {n_conv:,} conversations; {len(test):,} held out")
    t = time.perf_counter()
    q_hat = _critic(test, seed)
    timings["critic"] = time.perf_counter() - t
    candidates: list[Candidate] = []
    distributions: dict[str, np.ndarray] = {}
    for kind in kinds:
        say(f"fitting {kind}")
        t = time.perf_counter()
        model = make_model(kind, len(ACTION_NAMES), random_state=seed, action_columns=ACTION_COLUMNS)
        model.fit(train.features, train.action, target)
        fit_seconds = time.perf_counter() - t
        pi_e = greedy(model.predict_all(test.features), test.available)
        distributions[kind] = pi_e
        report = _ope(test, pi_e, q_hat, n_bootstrap, seed)
        share = dict(zip(ACTION_NAMES, map(float, pi_e.mean(axis=0)), strict=True))
        candidates.append(Candidate(kind, model, fit_seconds, report, share))
        timings[f"fit_{kind}"] = fit_seconds
    t = time.perf_counter()
    distributions["current"] = policy_distribution(current, test)
    current_report = _ope(test, distributions["current"], q_hat, n_bootstrap, seed)
    timings["ope"] = time.perf_counter() - t
    chosen = max(candidates, key=lambda c: c.report.estimates[GATE_ESTIMATOR][0])
    lower = chosen.report.lower_bound(GATE_ESTIMATOR)
    current_value = current_report.estimates[GATE_ESTIMATOR][0]
    promoted = lower > current_value
    reason = (
        f"{chosen.kind}: {GATE_ESTIMATOR.upper()} lower bound {lower:.4f} "
        f"{'>' if promoted else '<='} current policy ({current.name}) value {current_value:.4f}"
    )
    paired = paired_comparison(
        test,
        distributions[chosen.kind],
        distributions["current"],
        q_hat,
        n_bootstrap=n_bootstrap,
        seed=seed,
    )
    reward_by_action = {
        a: float(rounds.reward[rounds.action == i].mean())
        for i, a in enumerate(ACTION_NAMES)
        if (rounds.action == i).any()
    }
    return TrainingResult(
        n_conv,
        len(rounds),
        len(train),
        len(test),
        candidates,
        chosen,
        current.name,
        current_report,
        float(test.reward.mean()),
        promoted,
        reason,
        reward_by_action,
        timings,
        test,
        q_hat,
        distributions,
        paired,
    )
