"""The simulated listener as a gymnasium environment, so any reinforcement-learning library can train or
evaluate a dialogue policy against it.

One episode is one conversation with a freshly drawn listener. An observation is the dialogue state's
feature vector (assistant.dialogue.state.FEATURE_NAMES) at a decision; an action is a prompt type
(assistant.dialogue.actions.ACTIONS, by index). The reward of a step is what the conversation's return
G = 1{accepted} - turn_cost x (user turns) gains between this decision and the next: minus the turns the
person spent answering, plus 1 when they accept. `info["action_mask"]` says which prompts make sense
now (the manager's rules of good manners); an action outside the mask is replaced by the first available
of play-a-sample or the first prompt in the mask, and `info["replaced"]` says so.

The conversation itself runs through the real dialogue manager and understanding, in a helper thread
that hands control back at every decision: the manager calls the policy in the middle of a turn, and the
environment must return an observation at exactly that point.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from assistant.dialogue.actions import ACTIONS, Action
from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.policy import PolicyOutput
from assistant.dialogue.state import FEATURE_NAMES, DialogueState
from assistant.music.catalog import Catalog, load_catalog
from assistant.music.retrieval import Retriever
from learning.episodes import DEFAULT_TURN_COST
from learning.listeners import CachedUnderstander, World, draw_listener
from learning.population import Population, load_population
from learning.simulator import SimulatedUser, run_conversation
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding

__all__ = ["ListenerEnv"]


class _Stop(Exception):
    """Raised inside the conversation thread when the environment is reset or closed mid-conversation."""


class _HandOver:
    """The policy seam: each decision is handed to the environment and waited for."""

    name = "gymnasium"

    def __init__(self, decisions: queue.Queue[Any], actions: queue.Queue[Any]) -> None:
        self.decisions = decisions
        self.actions = actions

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        self.decisions.put(("decide", state.turn, available, features))
        action = self.actions.get()
        if action is None:
            raise _Stop
        return PolicyOutput({a: float(a is action) for a in available})


class ListenerEnv(gym.Env[np.ndarray, np.int64]):
    """A conversation with one simulated listener per episode."""

    metadata = {"render_modes": []}  # noqa: RUF012 - gymnasium declares it as a plain attribute

    def __init__(
        self,
        population: Population | str = "default",
        catalog: Catalog | None = None,
        *,
        turn_cost: float = DEFAULT_TURN_COST,
    ) -> None:
        super().__init__()
        self.population = load_population(population) if isinstance(population, str) else population
        self.catalog = catalog if catalog is not None else load_catalog(None)
        self.turn_cost = turn_cost
        # Every feature is a count, a share, a log-size or a score: -10..1000 holds them all with room.
        self.observation_space = spaces.Box(-10.0, 1000.0, shape=(len(FEATURE_NAMES),), dtype=np.float32)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._world: World | None = None
        self._understander: CachedUnderstander | None = None
        self._retriever: Retriever | None = None
        self._thread: threading.Thread | None = None
        self._decisions: queue.Queue[Any] = queue.Queue()
        self._actions: queue.Queue[Any] = queue.Queue()
        self._available: list[Action] = []
        self._turn = 0
        self._charged = 0
        """User turns already paid for in rewards (the opening turns are paid with the first step)."""
        self._episode = 0

    # -- gymnasium API ----------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._stop_conversation()
        if self._world is None:
            linker = EntityLinker.for_catalog(self.catalog)
            self._world = World(self.catalog)
            self._understander = CachedUnderstander(RuleUnderstanding(linker))
            self._retriever = Retriever(self.catalog, linker)
        draw = [int(x) for x in self.np_random.integers(0, 2**31 - 1, size=3)]
        self._episode += 1
        self._charged = 0
        self._decisions = queue.Queue()
        self._actions = queue.Queue()
        self._thread = threading.Thread(target=self._converse, args=(draw,), daemon=True)
        self._thread.start()
        message = self._decisions.get()
        if message[0] != "decide":  # the conversation ended before any decision (cannot happen today)
            raise RuntimeError("the conversation ended before the assistant had to decide anything")
        observation, info = self._observe(message)
        return observation, info

    def step(self, action: np.int64 | int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._thread is None:
            raise RuntimeError("call reset() before step()")
        chosen = ACTIONS[int(action)]
        replaced = chosen not in self._available
        if replaced:
            chosen = Action.PLAY_SAMPLE if Action.PLAY_SAMPLE in self._available else self._available[0]
        charged = self._charged
        self._actions.put(chosen)
        message = self._decisions.get()
        if message[0] == "decide":
            observation, info = self._observe(message)
            reward = -self.turn_cost * (self._turn - charged)
            self._charged = self._turn
            info["replaced"] = replaced
            return observation, reward, False, False, info
        _, turns, accepted, status = message
        self._thread = None
        reward = float(accepted) - self.turn_cost * (turns - charged)
        info = {
            "replaced": replaced,
            "status": status,
            "turns": turns,
            "action_mask": np.zeros(len(ACTIONS), dtype=bool),
        }
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32), reward, True, False, info

    def close(self) -> None:
        self._stop_conversation()
        super().close()

    # -- the conversation thread ------------------------------------------------------------------
    def _converse(self, draw: list[int]) -> None:
        assert self._world is not None and self._understander is not None
        world, population = self._world, self.population
        listener = draw_listener(world, population, np.random.default_rng(draw[0]))
        user = SimulatedUser(world, population, np.random.default_rng(draw[1]), listener)
        manager = DialogueManager(
            self.catalog,
            self._understander,
            _HandOver(self._decisions, self._actions),
            np.random.default_rng(draw[2]),
            conversation_id=f"gym-{self._episode}",
            retriever=self._retriever,
        )
        try:
            result = run_conversation(manager, user)
        except _Stop:
            return
        self._decisions.put(("end", result.turns, result.status == "accepted", result.status))

    def _observe(self, message: tuple[Any, ...]) -> tuple[np.ndarray, dict[str, Any]]:
        _, turn, available, features = message
        self._turn = int(turn)
        self._available = list(available)
        mask = np.array([a in available for a in ACTIONS], dtype=bool)
        observation = np.array([features[n] for n in FEATURE_NAMES], dtype=np.float32)
        return observation, {"action_mask": mask, "turn": self._turn}

    def _stop_conversation(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._actions.put(None)
            self._thread.join(timeout=5)
        self._thread = None
