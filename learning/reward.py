"""Prompt usefulness: the reward of every logged decision, computed from the log alone after a
conversation ends (no annotator, no simulator internals).

The exact rule (also in docs/policy.md). A decision's *answer window* is the user turns after it up to
and including the turn that led to the next decision (so repairs and confirmations in between count),
or to the end of the conversation. Let T be the track the conversation ended on.

- A conversation that did not end in acceptance gives 0 to every decision.
- play_sample: 1 when it is the conversation's last decision and T is the sample it played (accepted).
- offer_station: 1 when it is the conversation's last decision (the station was accepted).
- The values a turn gave are the slots the manager applied in context, when the log records them (the
  "resolved" key of the turn's understanding): a bare "yes" to a genre pair gives the first genre
  offered, a bare "yes" to an artist suggestion gives that artist, pointing at an option ("the second
  one", "the former") after a genre pair or mood question gives that option, a "yes" to "did you say
  ...?" gives the value held for confirmation, and the turn whose value was held for that question gives
  nothing itself (so a misheard value the person declines earns nothing). They replace the turn's NLU
  slots. A turn without the key gives its NLU slots.
- A question earns 1 when some value the person gave in its answer window, of the attribute the
  question gathers, matches T:
    mood_question     -> mood/tempo values; match = T's energy on the same side as the value's target
                         (laid back: energy < 0.5; upbeat: >= 0.5; "more upbeat"/"calmer": above/below
                         the sample playing then; valence-only moods ("happy"): valence side);
    genre_pair        -> genre values; match = same genre, subgenre or family (retrieval fit >= 0.5);
    era_question      -> era values; match = retrieval fit >= 0.5 (within about 6 years of the period;
                         "older"/"newer" relative to the sample playing then);
    activity_question -> activity values; match = retrieval fit >= 0.5 (energy and genres of the activity);
    artist_suggestion -> artist values; match = T by that artist or similar (retrieval fit >= 0.5);
    open_question     -> any of the above attributes, any one matching is enough.
- Logs written before the manager recorded resolved values: a bare "yes" (act accept, no slots, no
  "resolved" key) to a genre pair or an artist suggestion names no value and the log does not say which
  options were offered, so the first sample played after the answer stands in for the accepted option:
  its genre or subgenre (resp. artist, as above) must match T. "The second one" earns 0 in such logs.
- "I don't know", "no", or an answer naming nothing of that attribute earns 0.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from assistant.dialogue.actions import Action
from assistant.logs.dataset import LogTable, conversation_bounds
from assistant.music.catalog import Catalog, Track
from assistant.music.constraints import Constraints, apply_slot
from assistant.music.retrieval import Retriever
from nlu.lexicon import MOOD_PROFILE
from nlu.meaning import Slot

__all__ = ["GATHERED_SLOTS", "MATCH_AT", "PromptUsefulness", "prompt_usefulness"]

MATCH_AT = 0.5
"""A value matches a track when the track's retrieval fit to that value alone is at least this."""

GATHERED_SLOTS: dict[str, frozenset[str]] = {
    Action.MOOD_QUESTION: frozenset({"mood", "tempo"}),
    Action.GENRE_PAIR: frozenset({"genre"}),
    Action.FEEL_AND_GENRE: frozenset({"mood", "tempo", "genre"}),
    Action.ERA_QUESTION: frozenset({"era"}),
    Action.ACTIVITY_QUESTION: frozenset({"activity"}),
    Action.ARTIST_SUGGESTION: frozenset({"artist", "track"}),
    Action.OPEN_QUESTION: frozenset({"mood", "tempo", "genre", "era", "activity", "artist", "track"}),
}
_CLOSING = (Action.PLAY_SAMPLE.value, Action.OFFER_STATION.value)


class PromptUsefulness:
    """Computes the reward of every decision in a log, against the catalogue the log was made with."""

    def __init__(self, catalog: Catalog, retriever: Retriever | None = None) -> None:
        self.catalog = catalog
        self.retriever = retriever or Retriever(catalog)
        self._fits: dict[tuple[str, str, str | None], np.ndarray | None] = {}

    # -- value matching ---------------------------------------------------------------------------
    def slot_matches(self, slot: Slot, track: Track, reference: Track | None = None) -> bool:
        """Does a value the person gave fit the track? `reference` is the sample playing then."""
        if slot.name in ("mood", "tempo"):
            return self._mood_matches(slot, track, reference)
        if slot.name == "track":
            named = next((t for t in self.catalog.tracks if t.title == slot.value), None)
            return named is not None and (named.id == track.id or named.artist == track.artist)
        key = (
            slot.name,
            slot.value,
            reference.id if reference and slot.value in ("older", "newer") else None,
        )
        if key not in self._fits:
            c = apply_slot(Constraints(), slot, reference)
            usable = c != Constraints() and not (
                c.artist is not None and c.artist not in self.catalog.artist_names
            )
            self._fits[key] = self.retriever._compute_match(c) if usable else None
        fit = self._fits[key]
        return fit is not None and float(fit[self.catalog.index[track.id]]) >= MATCH_AT

    @staticmethod
    def _mood_matches(slot: Slot, track: Track, reference: Track | None) -> bool:
        value = slot.value
        if value in ("more_upbeat", "more_laid_back", "faster", "slower"):
            up = value in ("more_upbeat", "faster")
            if reference is None:
                return (track.energy >= 0.5) == up
            if value in ("faster", "slower") and reference.tempo > 0 and track.tempo > 0:
                return (track.tempo > reference.tempo) == up
            return (track.energy > reference.energy) == up
        if slot.name == "tempo":
            if value in ("fast", "slow"):
                return (track.energy >= 0.5) == (value == "fast")
            try:
                return track.tempo > 0 and abs(track.tempo - float(value)) <= 20
            except ValueError:
                return False
        energy, valence = MOOD_PROFILE.get(value, (None, None))
        if energy is not None:
            return (track.energy >= 0.5) == (energy >= 0.5)
        if valence is not None:
            return (track.valence >= 0.5) == (valence >= 0.5)
        return False

    # -- the rule ---------------------------------------------------------------------------------
    def __call__(self, table: LogTable) -> np.ndarray:
        """Reward per turn row: 0/1 on decision rows, NaN on rows without a decision."""
        rewards = np.full(len(table), np.nan)
        status = {c["id"]: (c["status"], c["track_id"]) for c in table.conversations}
        cols = table.columns
        actions, samples, understandings = cols["action"], cols["sample_id"], cols["understanding"]
        for conversation_id, start, end in conversation_bounds(table):
            decisions = [i for i in range(start, end) if actions[i] is not None]
            if not decisions:
                continue
            rewards[decisions] = 0.0
            outcome, track_id = status.get(conversation_id, ("unknown", None))
            track = self.catalog.get(track_id) if track_id else None
            if outcome != "accepted" or track is None:
                continue
            for k, i in enumerate(decisions):
                action = actions[i]
                last = k == len(decisions) - 1
                if action in _CLOSING:
                    if last and (action == Action.OFFER_STATION or samples[i] == track_id):
                        rewards[i] = 1.0
                    continue
                window_end = decisions[k + 1] + 1 if not last else end
                reference = self._playing(samples, start, i)
                rewards[i] = float(
                    self._question_useful(
                        action, understandings, samples, i, window_end, end, track, reference
                    )
                )
        return rewards

    def _playing(self, samples: list[Any], start: int, i: int) -> Track | None:
        for j in range(i, start - 1, -1):
            if samples[j]:
                return self.catalog.get(samples[j])
        return None

    def _question_useful(
        self,
        action: str,
        understandings: list[str],
        samples: list[Any],
        i: int,
        window_end: int,
        end: int,
        track: Track,
        reference: Track | None,
    ) -> bool:
        wanted = GATHERED_SLOTS.get(action)
        if not wanted:
            return False
        bare_yes = False
        for j in range(i + 1, window_end):
            u = json.loads(understandings[j])
            # What the manager made of the turn in context is what the person gave: the NLU slots of
            # "yes" or "the second one" name nothing, and a held value counts once confirmed.
            given = u["resolved"] if "resolved" in u else u.get("slots", ())
            # An attribute said as unwanted ("no more punk") was not gathered as something to match.
            slots = [Slot.from_dict(s) for s in given if s.get("name") in wanted and not s.get("negated")]
            if any(self.slot_matches(s, track, reference) for s in slots):
                return True
            if "resolved" not in u and not u.get("slots") and u.get("act") == "accept":
                bare_yes = True
        if bare_yes and action in (Action.GENRE_PAIR, Action.ARTIST_SUGGESTION):
            # A log from before resolved values were recorded: the accepted option is not in it, so the
            # first sample played under it stands in for it.
            stand_in = next(
                (self.catalog.get(samples[j]) for j in range(window_end - 1, end) if samples[j]), None
            )
            if stand_in is None:
                return False
            if action == Action.GENRE_PAIR:
                return stand_in.genre == track.genre or stand_in.subgenre == track.subgenre
            return self.slot_matches(Slot("artist", stand_in.artist, 0, 0, linked=True), track)
        return False


def prompt_usefulness(table: LogTable, catalog: Catalog) -> np.ndarray:
    """Reward per turn row (see the module docstring for the exact rule); NaN where no decision was made."""
    return PromptUsefulness(catalog)(table)
