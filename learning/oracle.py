"""The oracle: a prompt chooser that peeks at the simulated listener's hidden state. Evaluation only.

No real policy can do this; it shows how much any policy could gain with the same prompts, retriever and
phrasing, so a learned policy's result reads against the headroom it had. It knows what the listener
wants, what they can put into words, and how likely they are to accept the next sample, and it chooses:
1. play the next sample when the listener would more likely than not accept it;
2. otherwise ask the first question, in order of how much the answer moves the match (genre, then feel,
   then period, then activity), that this listener can answer and that is not answered yet: a genre pair
   only when one of the two fits or they would say their genre instead, the open question only when
   they can answer it and name their genre, the feel question only when they can choose and have a
   side, the period only when they have one, the activity only when they are doing something;
3. an artist suggestion when they know the artist and the artist's music fits;
4. otherwise play a sample.
It is a strong reference, not a proof of optimality: a policy that reads the same hidden state more
cleverly could do better still.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.dialogue.actions import ACTIONS, Action
from assistant.dialogue.policy import PolicyOutput, greedy
from assistant.dialogue.state import DialogueState
from assistant.music.catalog import Catalog
from assistant.music.retrieval import Retriever

if TYPE_CHECKING:
    from learning.simulator import SimulatedUser

__all__ = ["OraclePolicy", "PlanningOracle"]

ACTIONS_INDEX = {a: i for i, a in enumerate(ACTIONS)}

PLAY_AT = 0.5
"""Play when the listener would accept the next sample with at least this chance."""
SURE_FEEL = (0.45, 0.6)
"""Energy targets in this band may answer the feel question with "doesn't matter" (simulator rule)."""


class OraclePolicy:
    """Peeks at hidden state through `meet(user, affinity)`, called before each conversation."""

    name = "oracle"

    def __init__(self, catalog: Catalog, play_at: float = PLAY_AT) -> None:
        self.catalog = catalog
        self.play_at = play_at
        self.retriever = Retriever(catalog)
        self._user: SimulatedUser | None = None
        self._affinity: np.ndarray | None = None

    def meet(self, user: SimulatedUser, affinity: np.ndarray | None) -> None:
        self._user = user
        self._affinity = affinity

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        choice = self._choose(state, available)
        return greedy({a: float(a is choice) for a in available}, available)

    def _choose(self, state: DialogueState, available: Sequence[Action]) -> Action:
        user = self._user
        if user is None:
            raise RuntimeError("the oracle must meet the listener first (evaluation only)")
        me = user.reveal()
        k, taste = me.knowledge, me.taste
        known = state.constraints.known()
        play = Action.PLAY_SAMPLE in available
        if play:
            track = self.retriever.next_sample(
                state.constraints, state.offered, state.rejected, self._affinity
            )
            if track is not None and user.chance_to_accept(track) >= self.play_at:
                return Action.PLAY_SAMPLE
        if not known["genre"]:
            pair = state.proposals.get(Action.GENRE_PAIR, ())
            fits = len(pair) == 2 and max(user.label_fit(label) for label in pair) >= 0.6
            if Action.GENRE_PAIR in available and ((k.chooses_between_two and fits) or k.knows_genre):
                return Action.GENRE_PAIR
            if Action.OPEN_QUESTION in available and k.answers_open and k.knows_genre:
                return Action.OPEN_QUESTION
        if (
            Action.MOOD_QUESTION in available
            and not known["mood"]
            and k.chooses_between_two
            and not SURE_FEEL[0] <= taste.energy <= SURE_FEEL[1]
        ):
            return Action.MOOD_QUESTION
        if Action.ERA_QUESTION in available and not known["era"] and taste.era is not None:
            return Action.ERA_QUESTION
        if Action.ACTIVITY_QUESTION in available and not known["activity"] and taste.activity is not None:
            return Action.ACTIVITY_QUESTION
        artist = state.proposals.get(Action.ARTIST_SUGGESTION, ())
        if Action.ARTIST_SUGGESTION in available and artist and artist[0] in k.familiar:
            ids = np.flatnonzero(self.catalog.artist_ids == self.catalog.artist_names.index(artist[0]))
            if ids.size and float(np.sort(me.utility[ids])[-3:].mean()) >= 0.7:
                return Action.ARTIST_SUGGESTION
        if play:
            return Action.PLAY_SAMPLE
        return available[0]


class _Steered:
    """A policy seam for copies of a conversation: the first decision is the given prompt, the rest are
    the heuristic oracle's; `seen` records what was available at the first decision."""

    name = "oracle"

    def __init__(self, base: OraclePolicy, first: Action | None) -> None:
        self.base = base
        self.first = first
        self.seen: list[Action] | None = None

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        if self.seen is None:
            self.seen = list(available)
            if self.first is not None and self.first in available:
                return greedy({a: float(a is self.first) for a in available}, available)
        return self.base.decide(state, available, features)


def _quiet(_event: object) -> None:
    return None


class PlanningOracle(OraclePolicy):
    """The stronger bound: at every turn it tries each prompt the assistant could make on copies of the
    conversation and of the listener, plays each copy to its end with the heuristic oracle, and makes
    the prompt whose copies ended with the highest mean return G. The copies' listener draws their words
    afresh (a new random stream per copy), so the plan uses what the listener is, not the dice they are
    about to throw. Costly (every turn simulates the rest of the conversation `rollouts` times per
    prompt), so it is run on fewer listeners than the other arms."""

    name = "oracle"

    def __init__(self, catalog: Catalog, rollouts: int = 4, turn_cost: float = 0.05, seed: int = 0) -> None:
        super().__init__(catalog)
        self.rollouts = rollouts
        self.turn_cost = turn_cost
        self.seed = seed
        self._count = 0

    def run(self, manager: Any, user: SimulatedUser) -> Any:
        """Hold one conversation (replaces learning.simulator.run_conversation)."""
        from learning.simulator import ConversationResult

        self._count += 1
        self.meet(user, manager.affinity)
        real = _Steered(self, None)
        manager.policy = real
        actions: list[str] = []
        text = user.opening()
        turns = 0
        while True:
            turns += 1
            choice = self._plan(manager, user, text, turns)
            real.seen, real.first = None, choice
            reply = manager.step(text, asr_confidence=user.asr_confidence)
            if reply.action in {a.value for a in Action}:
                actions.append(reply.action)
            if reply.done:
                break
            text = user.respond(reply)
        track = reply.sample
        satisfied = None
        if track is not None and reply.status == "accepted":
            satisfied = float(user.reveal().utility[manager.catalog.index[track.id]])
        return ConversationResult(reply.status, turns, track.id if track else None, tuple(actions), satisfied)

    def _plan(self, manager: Any, user: SimulatedUser, text: str, turn: int) -> Action | None:
        probe = self._copy(manager, user, None, None)
        probe[0].step(text, asr_confidence=user.asr_confidence)
        available = probe[0].policy.seen
        if not available or len(available) == 1:
            return available[0] if available else None
        values = {}
        for action in available:
            total = 0.0
            for r in range(self.rollouts):
                rng = np.random.default_rng([self.seed, self._count, turn, ACTIONS_INDEX[action], r])
                copy_manager, copy_user = self._copy(manager, user, action, rng)
                total += self._finish(copy_manager, copy_user, text)
            values[action] = total / self.rollouts
        return max(available, key=lambda a: (values[a], -ACTIONS_INDEX[a]))

    def _copy(
        self, manager: Any, user: SimulatedUser, first: Action | None, rng: np.random.Generator | None
    ) -> tuple[Any, SimulatedUser]:
        shared = [
            manager.catalog, manager.understander, manager.retriever, manager.emit, manager.policy,
            manager.affinity, user._world, user._population, user._me, self,
        ]  # fmt: skip
        memo = {id(x): x for x in shared if x is not None}
        copy_manager, copy_user = copy.deepcopy((manager, user), memo)
        copy_manager.emit = _quiet
        copy_manager.policy = _Steered(self, first)
        if rng is not None:
            copy_user._rng = rng
        return copy_manager, copy_user

    def _finish(self, manager: Any, user: SimulatedUser, text: str) -> float:
        """Play a copy to its end; the return from this turn on (accepted, minus the turns it took)."""
        turns = 0
        saved = self._user
        self.meet(user, manager.affinity)
        try:
            while True:
                turns += 1
                reply = manager.step(text, asr_confidence=user.asr_confidence)
                if reply.done:
                    return float(reply.status == "accepted") - self.turn_cost * turns
                text = user.respond(reply)
        finally:
            self._user = saved
