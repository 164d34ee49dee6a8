"""Exploration, logs, reward models, export without pickle, OPE selection and the promotion gate."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.state import FEATURE_NAMES
from assistant.logs.dataset import LogFormatError, LogTable, read_log, write_log
from assistant.music.catalog import Catalog
from assistant.policies.learned import load_learned_policy, save_policy
from assistant.policies.rules import RulePolicy
from learning.batch import simulate
from learning.learner import greedy, make_model, softmax
from learning.logging_policy import ExplorationPolicy, exploration_probabilities
from learning.population import load_population
from learning.training import (
    paired_comparison,
    rounds_from_log,
    rules_distribution,
    train_and_select,
)

ACTIONS = list(Action)


@pytest.fixture(scope="module")
def logged(tiny_catalog: Catalog) -> LogTable:
    run = simulate(400, tiny_catalog, load_population("default"), ExplorationPolicy, seed=11, workers=1)
    assert run.table is not None
    return run.table


# -- exploration ----------------------------------------------------------------------------------
@pytest.mark.parametrize("floor", [0.0, 0.03, 0.1, 0.5])
@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_probability_matching_sums_to_one_and_keeps_the_floor(floor: float, n: int) -> None:
    available = ACTIONS[:n]
    beliefs = {a: float(i == 0) for i, a in enumerate(available)}  # all belief on one prompt
    p = exploration_probabilities(beliefs, available, floor)
    assert set(p) == set(available)
    assert sum(p.values()) == pytest.approx(1.0)
    assert min(p.values()) >= min(floor, 1 / n) - 1e-12
    assert p[available[0]] == max(p.values())


def test_a_prompt_believed_best_with_probability_p_is_asked_about_p_of_the_time() -> None:
    beliefs = {Action.MOOD_QUESTION: 0.05, Action.GENRE_PAIR: 0.25, Action.PLAY_SAMPLE: 0.7}
    p = exploration_probabilities(beliefs, list(beliefs), floor=0.0)
    assert p == pytest.approx(beliefs)
    uniform = exploration_probabilities(beliefs, list(beliefs), uniform=True)
    assert uniform == pytest.approx({a: 1 / 3 for a in beliefs})


def test_logged_propensities_are_the_probabilities_of_the_chosen_prompts(
    logged: LogTable, tiny_catalog: Catalog
) -> None:
    rounds = rounds_from_log(logged, tiny_catalog)
    chosen = rounds.pi_b[np.arange(len(rounds)), rounds.action]
    assert np.allclose(chosen, rounds.pscore)
    assert np.allclose(rounds.pi_b.sum(axis=1), 1.0)
    assert (rounds.pi_b[rounds.available] > 0).all()  # every available prompt kept some chance


def test_the_rule_policy_is_rebuilt_exactly_from_logged_features(
    logged: LogTable, tiny_catalog: Catalog
) -> None:
    rounds = rounds_from_log(logged, tiny_catalog)
    rules = rules_distribution(rounds)
    # The logging policy boosts the rules' own choice, so it is the most probable logged action.
    assert (rules.argmax(axis=1) == rounds.pi_b.argmax(axis=1)).all()


# -- logs -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["log.db", "parquet"])
def test_logs_round_trip_through_sqlite_and_parquet(logged: LogTable, tmp_path, name: str) -> None:  # type: ignore[no-untyped-def]
    back = read_log(write_log(logged, tmp_path / name))
    assert len(back) == len(logged)
    assert back.columns["action"] == logged.columns["action"]
    assert np.allclose(np.nan_to_num(back.features), np.nan_to_num(logged.features), atol=1e-5)
    assert np.array_equal(np.isnan(back.probabilities), np.isnan(logged.probabilities))
    assert [c["status"] for c in back.conversations] == [c["status"] for c in logged.conversations]


def test_the_app_log_exporter_reads_a_simulated_table(logged: LogTable, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.logs.store import export_parquet

    paths = export_parquet(logged.as_store(), tmp_path / "exported")  # type: ignore[arg-type]
    back = read_log(tmp_path / "exported")
    assert paths["turns"].exists() and len(back) == len(logged)


def _broken(table: LogTable, **changes: object) -> LogTable:
    columns = {k: list(v) for k, v in table.columns.items()}
    probabilities = table.probabilities.copy()
    features = table.features.copy()
    first = next(i for i, a in enumerate(columns["action"]) if a is not None)
    if "propensity" in changes:
        columns["propensity"][first] = changes["propensity"]
    if "double" in changes:
        probabilities[first] = np.where(np.isnan(probabilities[first]), np.nan, probabilities[first] * 2)
    if "features" in changes:
        features[first, 3] = np.nan
    return LogTable(table.conversations, columns, features, probabilities, table.feature_names, "bad.db")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"propensity": 0.0}, "propensity outside (0, 1]"),
        ({"double": True}, "do not sum to 1"),
        ({"propensity": 0.5}, "disagrees with the logged probability"),
        ({"features": True}, "missing features"),
    ],
)
def test_a_malformed_log_is_rejected_naming_the_problem(
    logged: LogTable, tiny_catalog: Catalog, change: dict[str, object], message: str
) -> None:
    with pytest.raises(LogFormatError) as error:
        rounds_from_log(_broken(logged, **change), tiny_catalog)
    assert message in str(error.value) and "bad.db" in str(error.value) and "turn" in str(error.value)


def test_unreadable_log_files_say_what_they_are(tmp_path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    with pytest.raises(LogFormatError, match="not a SQLite log"):
        read_log(junk)
    with pytest.raises(LogFormatError, match="no such log"):
        read_log(tmp_path / "absent.db")
    (tmp_path / "half").mkdir()
    with pytest.raises(LogFormatError, match=r"turns\.parquet missing"):
        read_log(tmp_path / "half")


# -- reward models --------------------------------------------------------------------------------
def _tiny_environment(n: int, seed: int, width: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A known best policy: action 1 is best when feature 0 > 0.5, action 2 otherwise; actions are logged
    uniformly at random and rewards are Bernoulli."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, width))
    a = rng.integers(0, 4, n)
    high = x[:, 0] > 0.5
    p = np.full(n, 0.2)
    p[(a == 1) & high] = 0.8
    p[(a == 2) & ~high] = 0.7
    return x, a, (rng.random(n) < p).astype(float)


@pytest.mark.parametrize("kind", ["linear", "trees", "mlp"])
def test_each_learner_recovers_the_known_best_action(kind: str) -> None:
    x, a, r = _tiny_environment(6000, 0)
    model = make_model(kind, 4, random_state=0).fit(x, a, r)
    test, _, _ = _tiny_environment(1000, 1)
    best = greedy(model.predict_all(test), np.ones((1000, 4), bool)).argmax(axis=1)
    truth = np.where(test[:, 0] > 0.5, 1, 2)
    assert (best == truth).mean() > 0.9


@pytest.mark.parametrize("kind", ["linear", "trees", "mlp"])
def test_an_exported_model_scores_like_the_fitted_one_without_pickle(kind: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, a, r = _tiny_environment(3000, 2, len(FEATURE_NAMES))
    model = make_model(kind, len(ACTIONS), random_state=0).fit(x, a, r)
    path = save_policy(tmp_path / "p.npz", kind, model.export(), {})
    policy = load_learned_policy(path)
    expected = model.predict_all(x[:40])
    got = np.array([policy.scores(row, ACTIONS) for row in x[:40]])
    assert np.allclose(got, expected, atol=1e-9)
    assert path.stat().st_size < 5_000_000


def test_greedy_and_softmax_put_mass_only_on_available_actions() -> None:
    q = np.array([[0.9, 0.1, 0.5], [0.2, 0.3, 0.1]])
    available = np.array([[False, True, True], [True, True, False]])
    assert greedy(q, available).tolist() == [[0, 0, 1], [0, 1, 0]]
    s = softmax(q, available, 0.1)
    assert np.allclose(s.sum(axis=1), 1) and (s[~available] == 0).all()


# -- selection and the gate -----------------------------------------------------------------------
def test_models_are_chosen_by_ope_and_the_gate_compares_with_the_current_policy(
    logged: LogTable, tiny_catalog: Catalog
) -> None:
    result = train_and_select(
        logged, tiny_catalog, current=RulePolicy(), kinds=("linear", "trees"), n_bootstrap=100
    )
    assert {c.kind for c in result.candidates} == {"linear", "trees"}
    best = max(c.report.estimates["dr"][0] for c in result.candidates)
    assert result.chosen.report.estimates["dr"][0] == best
    lower = result.chosen.report.lower_bound("dr")
    assert result.promoted == (lower > result.current_report.estimates["dr"][0])
    assert (" > current policy (rules)" in result.reason) == result.promoted
    # The paired comparison is the same DR, taken round by round: its mean is the difference of the values.
    paired = result.paired
    assert paired is not None
    current_dr = result.current_report.estimates["dr"][0]
    assert paired.difference == pytest.approx(result.chosen.report.estimates["dr"][0] - current_dr)
    assert paired.ci[0] <= paired.difference <= paired.ci[1]
    assert 0.0 <= paired.agreement <= 1.0
    assert sum(paired.first_prompt["current"].values()) == pytest.approx(1.0)
    assert result.test is not None and result.q_hat is not None
    same = paired_comparison(result.test, result.pi_e["current"], result.pi_e["current"], result.q_hat)
    assert same.difference == 0.0 and same.ci == (0.0, 0.0) and same.agreement == 1.0
    for c in result.candidates:
        assert set(c.report.diagnostics) >= {"ess", "weight_max"}
        assert sum(c.action_share.values()) == pytest.approx(1.0)
