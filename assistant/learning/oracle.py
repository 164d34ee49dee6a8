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

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.dialogue.actions import Action
from assistant.dialogue.policy import PolicyOutput, greedy
from assistant.dialogue.state import DialogueState
from assistant.music.catalog import Catalog
from assistant.music.retrieval import Retriever

if TYPE_CHECKING:
    from assistant.learning.simulator import SimulatedUser

__all__ = ["OraclePolicy"]

PLAY_AT = 0.5
"""Play when the listener would accept the next sample with at least this chance."""
SURE_FEEL = (0.45, 0.6)
"""Energy targets in this band may answer the feel question with "doesn't matter" (simulator rule)."""


class OraclePolicy:
    """Peeks at hidden state through `meet(user, affinity)`, called before each conversation."""

    name = "oracle"

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
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
            if track is not None and user.chance_to_accept(track) >= PLAY_AT:
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
