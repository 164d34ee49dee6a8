"""The oracle peeks at the simulated listener's hidden state: it bounds what any policy could do."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.state import DialogueState
from assistant.music.catalog import Catalog
from assistant.policies.rules import RulePolicy
from learning.ab import run_arm
from learning.oracle import OraclePolicy, PlanningOracle
from learning.population import load_population


def test_it_refuses_to_decide_without_meeting_the_listener(tiny_catalog: Catalog) -> None:
    with pytest.raises(RuntimeError, match="evaluation only"):
        OraclePolicy(tiny_catalog).decide(DialogueState(), [Action.PLAY_SAMPLE], {})


def test_knowing_the_listener_beats_the_rules_on_the_same_listeners(tiny_catalog: Catalog) -> None:
    population = load_population("default")
    arms = {
        name: run_arm(name, make, 300, tiny_catalog, population, seed=21, workers=1)
        for name, make in (("rules", RulePolicy), ("oracle", lambda: OraclePolicy(tiny_catalog)))
    }
    g = {name: float(np.mean(arm.success - 0.05 * arm.turns)) for name, arm in arms.items()}
    assert g["oracle"] > g["rules"] + 0.05
    assert arms["oracle"].turns.mean() < arms["rules"].turns.mean()


def test_the_planning_oracle_tries_prompts_on_copies_that_leave_no_trace(tiny_catalog: Catalog) -> None:
    """Only the real turns are logged, and planning beats both the rules and the heuristic oracle."""
    population = load_population("default")
    planned = run_arm(
        "planning", lambda: PlanningOracle(tiny_catalog, rollouts=2), 80, tiny_catalog, population,
        seed=21, workers=1, record=True,
    )  # fmt: skip
    assert planned.table is not None
    assert len(planned.table) == int(planned.turns.sum())
    assert len(planned.table.conversations) == 80
    rules = run_arm("rules", RulePolicy, 80, tiny_catalog, population, seed=21, workers=1)
    g = {arm.name: float(np.mean(arm.success - 0.05 * arm.turns)) for arm in (planned, rules)}
    assert g["planning"] > g["rules"] + 0.05
