"""Logged conversations as episodes: every user turn is charged once, and rewards sum to each return G."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.dialogue.actions import ACTIONS, Action
from assistant.logs.dataset import LogFormatError, LogTable
from assistant.music.catalog import Catalog
from assistant.policies.rules import RulePolicy, RuleSettings
from learning.batch import simulate
from learning.episodes import episodes_from_log
from learning.logging_policy import ExplorationPolicy
from learning.population import load_population
from learning.replayed_policies import distribution_on_steps


@pytest.fixture(scope="module")
def logged(tiny_catalog: Catalog) -> LogTable:
    run = simulate(300, tiny_catalog, load_population("default"), ExplorationPolicy, seed=4, workers=1)
    assert run.table is not None
    return run.table


def test_per_step_rewards_sum_to_each_conversations_return(logged: LogTable) -> None:
    ep = episodes_from_log(logged)
    assert ep.n_episodes == len(logged.conversations)
    per_episode_g = np.bincount(ep.episode, weights=ep.reward, minlength=ep.n_episodes)
    assert np.allclose(per_episode_g, ep.returns())
    per_episode_turns = np.bincount(ep.episode, weights=ep.turns, minlength=ep.n_episodes)
    assert np.array_equal(per_episode_turns, ep.total_turns)
    # The return is the product's objective: 1 for accepted music, minus 0.05 a user turn.
    by_id = {c["id"]: c for c in logged.conversations}
    for e in range(ep.n_episodes):
        record = by_id[ep.conversation_ids[e]]
        assert ep.returns()[e] == pytest.approx((record["status"] == "accepted") - 0.05 * record["n_turns"])


def test_steps_are_the_decisions_in_order_and_success_sits_on_the_last(logged: LogTable) -> None:
    ep = episodes_from_log(logged)
    decisions = sum(a is not None for a in logged.columns["action"])
    assert len(ep) == decisions
    assert np.all(np.diff(ep.episode) >= 0)
    assert np.all(ep.step[ep.starts] == 0)
    assert np.all(ep.success[~ep.last] == 0)
    assert np.array_equal(ep.success[ep.last].astype(bool), ep.accepted)
    assert np.allclose(ep.pi_b.sum(axis=1), 1.0)
    assert np.allclose(ep.pi_b[np.arange(len(ep)), ep.action], ep.pscore)
    assert np.all(ep.available[np.arange(len(ep)), ep.action])


def test_a_direct_request_is_a_step_with_one_choice(logged: LogTable) -> None:
    table = LogTable.concat([logged])
    # Mark one logged sample decision as asked for by the person: no policy chose it.
    rows = [i for i, a in enumerate(table.columns["action"]) if a == Action.PLAY_SAMPLE.value]
    table.columns["policy"][rows[0]] = "user_request"
    ep = episodes_from_log(table)
    forced = np.flatnonzero(ep.forced)
    assert len(forced) == 1
    assert ep.available[forced[0]].sum() == 1
    assert ep.available[forced[0], ACTIONS.index(Action.PLAY_SAMPLE)]


def test_subsets_keep_whole_conversations(logged: LogTable) -> None:
    ep = episodes_from_log(logged)
    keep = np.arange(ep.n_episodes) % 3 == 0
    part = ep.subset(keep)
    assert part.n_episodes == keep.sum()
    assert np.allclose(part.returns(), ep.returns()[keep])
    assert len(part) == np.isin(ep.episode, np.flatnonzero(keep)).sum()


def test_turn_cost_reprices_without_changing_the_conversations(logged: LogTable) -> None:
    ep = episodes_from_log(logged)
    free = ep.with_turn_cost(0.0)
    assert np.allclose(free.returns(), ep.accepted.astype(float))
    assert np.allclose(ep.with_turn_cost(0.1).returns(), ep.accepted - 0.1 * ep.total_turns)


def test_a_log_without_decisions_is_refused() -> None:
    with pytest.raises(LogFormatError, match="no conversation with a decision"):
        episodes_from_log(LogTable.empty())


@pytest.mark.parametrize(
    "settings",
    [RuleSettings(), RuleSettings(open_first=False, questions_before_sample=1, rejects_before_asking=1)],
)
def test_rules_rebuilt_from_the_log_choose_what_they_chose_live(
    tiny_catalog: Catalog, settings: RuleSettings
) -> None:
    """The rules decide from what the features record, so replaying them on logged steps reproduces
    their live choices exactly (what off-policy evaluation of the rules relies on)."""
    policy = RulePolicy(settings)
    run = simulate(120, tiny_catalog, load_population("default"), lambda: policy, seed=9, workers=1)
    assert run.table is not None
    ep = episodes_from_log(run.table)
    replayed = distribution_on_steps(policy, ep)
    assert np.array_equal(replayed.argmax(axis=1), ep.action)
