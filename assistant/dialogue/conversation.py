"""One conversation's state and how it acts: the next prompt from the policy, its words, repair, closing.

The dialogue manager (assistant/dialogue/manager.py) reads each turn's meaning and changes the state; what
is said and done next is decided here: the policy picks a prompt among those that make sense, the phraser
words it, and every decision and reply goes out on the event stream. Pure: no audio, no model loading, no
clock; everything is handed in, so the same code runs under the terminal UI, the voice loop, replay, the
simulator and the tests.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import numpy as np

from assistant.dialogue.actions import Action
from assistant.dialogue.closeness import Empathy, empathy_for, goal_closeness
from assistant.dialogue.phrasing import HELP_TEXT, Phraser, listed_options, sample_question
from assistant.dialogue.policy import Policy, PolicyOutput, available_actions
from assistant.dialogue.reply import Reply
from assistant.dialogue.state import DialogueState, Status
from assistant.events import (
    ConversationEnded,
    ConversationStarted,
    Decision,
    EventSink,
    Playback,
    ReplyEvent,
    Resolved,
)
from assistant.music.catalog import Catalog, Track
from assistant.music.constraints import Constraints, describe, describe_era
from assistant.music.retrieval import CANDIDATE_THRESHOLD, Retriever
from assistant.taste.summary import HistorySummary
from nlu.meaning import Slot, Understander, Understanding

__all__ = ["STATION_SIZE", "Conversation", "new_conversation_id"]

STATION_SIZE = 10


def _noop(_event: object) -> None:
    return None


def new_conversation_id() -> str:
    """A conversation id unique across runs, machines and seeds. Never drawn from the dialogue's random
    generator: the seed decides behaviour only, so two runs with the same seed are two conversations in
    the log, not one."""
    return uuid.uuid4().hex


class Conversation:
    """The state of one conversation and the moves that answer a turn. Create one per conversation."""

    def __init__(
        self,
        catalog: Catalog,
        understander: Understander,
        policy: Policy,
        rng: np.random.Generator,
        *,
        emit: EventSink | None = None,
        conversation_id: str | None = None,
        retriever: Retriever | None = None,
        user: str | None = None,
        affinity: np.ndarray | None = None,
        history: HistorySummary | None = None,
        seed: int | None = None,
    ) -> None:
        self.catalog = catalog
        self.understander = understander
        self.policy = policy
        self.rng = rng
        self.emit: EventSink = emit or _noop
        self.retriever = retriever or Retriever(catalog)
        self.conversation_id = conversation_id or new_conversation_id()
        self.user = user
        self.affinity = affinity
        self.seed = seed
        self.state = DialogueState(history=history or HistorySummary())
        self.phraser = Phraser(rng)
        self._started = False
        self._last_prompt: tuple[Action, dict[str, object]] | None = None
        self._requested: Track | None = None
        """A track the person named, to be played next whatever the policy prefers."""
        self._play_command = False
        """The last turn was a command to play ("play ...", "put on ..."), not an answer."""
        self._hands_over = False
        """The last turn handed the choice over ("just play something", "surprise me" first): play now."""
        self._listed: tuple[str, tuple[str, ...]] | None = None
        """What an answer about the catalogue just listed (kind, values), so "the second one" can pick it."""

    # -- public -----------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.state.status != Status.ACTIVE

    def finish(self) -> None:
        """Mark a conversation that ended without a decision (input ran out, window closed)."""
        if not self.done and self._started:
            self.state.status = Status.UNFINISHED
            self.emit(ConversationEnded(self.conversation_id, self.state.turn, Status.UNFINISHED))

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self.emit(
                ConversationStarted(
                    self.conversation_id, 0, self.policy.name, self.catalog.name, self.user, self.seed
                )
            )

    def _resolved(self, slots: tuple[Slot, ...], reason: str) -> None:
        """Tell the log what the turn came to mean in context: the NluResult alone would not say which
        offered option the person chose, so the reward could not credit the question that offered it."""
        self.emit(Resolved(self.conversation_id, self.state.turn, slots, reason))

    # -- deciding and acting ----------------------------------------------------------------------
    def _decide(self, u: Understanding, acks: list[str]) -> Reply:
        state = self.state
        c = state.constraints
        stats = self.retriever.stats(c, state.offered)
        state.candidates = stats
        self._update_history_view()
        pair = self._history_pair(c) or self.retriever.genre_pair(c, state.rejected, self.affinity)
        if (
            pair is not None
            and state.last_action in (Action.GENRE_PAIR, Action.FEEL_AND_GENRE)
            and set(pair) == set(state.pending_options)
        ):
            # The same two were offered just now and passed over (the person talked about something else):
            # offering them again word for word sounds like a loop, so the next two are offered instead.
            pair = self.retriever.genre_pair(c, state.rejected, self.affinity, exclude=pair) or pair
        artist = self.retriever.suggest_artist(c, state.rejected, self.affinity)
        if self.affinity is not None:
            from assistant.taste.affinity import action_affinity  # scipy-backed module: only with a history

            state.action_affinity = action_affinity(
                self.retriever, c, self.affinity, offered=state.offered, rejected=state.rejected,
                pair=pair, artist=artist,
            )  # fmt: skip
        if pair is not None:
            stats = replace(
                stats, pair_coverage=self.retriever.pair_coverage(c, pair, state.rejected, self.affinity)
            )
            state.candidates = stats
        state.proposals = {
            Action.GENRE_PAIR: tuple(pair or ()),
            Action.ARTIST_SUGGESTION: (artist,) if artist else (),
        }
        can_sample = len(state.offered) < len(self.catalog)
        available = available_actions(
            state, can_pair=pair is not None, can_suggest_artist=artist is not None, can_sample=can_sample
        )
        features = state.features()
        requested, self._requested = self._requested, None
        play_artist = (self._play_command or c.artist_own) and c.artist is not None and c.artist_linked
        if (requested is not None or play_artist or self._hands_over) and can_sample:
            # The person asked for a specific track, told us to play an artist ("play something like X") or
            # handed the choice over ("just play something"): mixed initiative overrides the policy, which
            # would otherwise ask another question.
            output = PolicyOutput({Action.PLAY_SAMPLE: 1.0}, {Action.PLAY_SAMPLE: 1.0})
            policy_name = "user_request"
        else:
            output = self.policy.decide(state, available, features)
            policy_name = self.policy.name
        action = self._sample_action(output)
        probabilities = {a.value: round(float(p), 6) for a, p in output.probabilities.items()}
        self.emit(
            Decision(
                self.conversation_id,
                state.turn,
                action.value,
                float(output.probabilities[action]),
                probabilities,
                features,
                {a.value: float(s) for a, s in output.scores.items()},
                policy_name,
            )
        )
        closeness, level = self._closeness()
        slots: dict[str, object] = {}
        track: Track | None = None
        replayed = False
        state.pending_options = ()
        if action is Action.PLAY_SAMPLE:
            surprise = self.rng if self._hands_over and not any(c.known().values()) else None
            track = requested or self.retriever.next_sample(
                c, state.offered, state.rejected, self.affinity, surprise=surprise
            )
            if track is None:  # cannot happen while can_sample; keep the conversation sane regardless
                action = Action.OFFER_STATION
            else:
                nothing_fits = stats.n_candidates == 0 and stats.top_match < CANDIDATE_THRESHOLD
                # With nothing asked for yet, every track is an equally good guess, not a poor match.
                if requested is None and nothing_fits and any(c.known().values()):
                    acks.append(self._ack("relaxed", level))
                elif requested is None and c.era is not None and not c.era[0] <= track.year <= c.era[1]:
                    acks.append(self._outside_era(c.era, track))
                replayed = track.id in state.offered
                state.offered.append(track.id)
                slots = self._track_slots(track)
        if action in (Action.GENRE_PAIR, Action.FEEL_AND_GENRE) and pair:
            # "The second one" after feel-and-genre points at the genres, the options named last.
            state.pending_options = pair
            slots = {"a": pair[0], "b": pair[1]}
        elif action is Action.ARTIST_SUGGESTION and artist:
            state.pending_options = (artist,)
            slots = {"artist": artist}
        elif action is Action.OFFER_STATION:
            slots = {"desc": self._station_description()}
        state.current_sample = track.id if track else None
        if track is not None:
            state.questions_in_a_row = 0
            state.last_sample_turn = state.turn
        else:
            state.questions_in_a_row += 1
        self._listed = None
        state.asked[action] += 1
        state.last_action = action
        self._last_prompt = (action, slots)
        if track is not None and track is requested and replayed:
            # Played before and asked for again ("go back", "again"): say which, not "how about this?".
            prompt = f'Here\'s "{track.title}" by {track.artist} again. Do you like it?'
        else:
            prompt = self._phrase(action, level, slots)
        # A sample's question is asked once the clip has been heard, not as it starts (Reply.question).
        presented, question = sample_question(prompt) if track is not None else (prompt, "")
        text = " ".join([*(a for a in acks if a), presented])
        said = f"{text} {question}" if question else text
        self.emit(
            ReplyEvent(
                self.conversation_id,
                state.turn,
                said,
                action.value,
                level.value,
                closeness,
                track.id if track else None,
            )
        )
        if track is not None:
            self.emit(Playback(self.conversation_id, state.turn, track.id, "sample"))
        return Reply(
            text,
            action.value,
            track,
            (),
            level.value,
            closeness,
            False,
            state.status,
            probabilities,
            {a.value: round(float(s), 6) for a, s in output.scores.items()},
            u,
            question,
        )

    def _phrase(self, action: Action, level: Empathy, slots: dict[str, object]) -> str:
        """The words of a prompt. A closed question's variants list their options in different orders, so
        the options of the variant said are what "the second one" will point at."""
        if action is Action.PLAY_SAMPLE and level is Empathy.SUPPORTIVE and len(self.state.offered) == 1:
            # The supportive wordings ("something a bit different ... any better?") answer a miss; the
            # first sample has none to answer.
            level = Empathy.NEUTRAL
        prompt = self.phraser.prompt(action, level, **slots)
        if action in (Action.MOOD_QUESTION, Action.ERA_QUESTION, Action.ACTIVITY_QUESTION):
            self.state.pending_options = listed_options(action, prompt)
        return prompt

    def _sample_action(self, output: PolicyOutput) -> Action:
        actions = list(output.probabilities)
        p = np.array([output.probabilities[a] for a in actions], dtype=np.float64)
        p = p / p.sum()
        # One draw per decision whatever the policy, so seeded runs stay comparable across policies.
        u = self.rng.random()
        index = int(np.searchsorted(np.cumsum(p), u, side="right"))
        return actions[min(index, len(actions) - 1)]

    @staticmethod
    def _track_slots(track: Track) -> dict[str, object]:
        return {
            "title": track.title,
            "artist": track.artist,
            "subgenre": track.subgenre,
            "genre": track.genre,
            "year": track.year,
            "feel": track.mood,
        }

    def _station_description(self) -> str:
        c = self.state.constraints
        if any(c.known().values()):
            return describe(c)
        seed = self.retriever.next_sample(c, (), self.state.rejected, self.affinity)
        return f"music like {seed.artist}" if seed else "popular music"

    def _outside_era(self, era: tuple[int, int], track: Track) -> str:
        """Era fit is soft, so when the period asked for has run out the nearest track is offered; say so
        rather than confirm "from before 1998" and play 2002. Fixed words, no random draw: what the
        generator draws must not depend on wording, or seeded simulations would change with it."""
        # The track about to be offered is not in `offered` yet.
        earlier = (self.catalog.get(t) for t in self.state.offered)
        more = any(t is not None and era[0] <= t.year <= era[1] for t in earlier)
        return (
            f"I have nothing {'more ' if more else ''}that fits {describe_era(era)}, "
            f"so here's the nearest, from {track.year}."
        )

    def _history_pair(self, c: Constraints) -> tuple[str, str] | None:
        """With listening history, the genre pair is the two genres the person plays most among what fits
        ("May I suggest some alternative rock? Or perhaps electronic music?"); None for a cold start."""
        if self.affinity is None:
            return None
        from assistant.taste.affinity import history_genre_pair

        return history_genre_pair(self.retriever, c, self.affinity)

    def _update_history_view(self) -> None:
        if self.affinity is None:
            return
        fit = self.retriever.match(self.state.constraints)
        top = np.argsort(fit)[::-1][:10]
        self.state.history = replace(
            self.state.history,
            affinity_top=float(self.affinity[top].max()),
            affinity_mean_top10=float(self.affinity[top].mean()),
        )

    # -- repair, confirmation, closing ------------------------------------------------------------
    def _closeness(self) -> tuple[float, Empathy]:
        state = self.state
        match = state.candidates.top_match if state.candidates else 0.5
        n_known = sum(state.constraints.known().values())
        closeness = goal_closeness(state.sentiment_mean, state.confidences, match, n_known)
        return closeness, empathy_for(closeness)

    def _ack(self, kind: str, level: Empathy | None = None, **slots: object) -> str:
        return self.phraser.ack(kind, level or self._closeness()[1], **slots)

    def _repair(self, u: Understanding, help_text: bool = False, lead: str | None = None) -> Reply:
        """Not understood, or asked for help: say so and ask the pending question again, rather than
        move on as if an answer had been given. `lead` replaces what is said before the question."""
        state = self.state
        state.repairs += 1
        if self._last_prompt is None:
            lead = lead or (
                HELP_TEXT if help_text else self._ack("unclear" if u.confidence > 0 else "silent")
            )
            return self._decide(u, [lead])
        closeness, level = self._closeness()
        action, slots = self._last_prompt
        given_lead = lead is not None
        if lead is None and help_text:
            lead = HELP_TEXT
        elif lead is None:
            lead = self._ack("unclear" if u.confidence > 0 else "silent", level)
            if state.unclear_in_a_row >= 2:
                lead += ' You can say things like "something upbeat", "jazz", "yes" or "skip".'
        if action is Action.PLAY_SAMPLE:
            # A lead of our own (what the track is) has just named it; do not name it twice.
            prompt = (
                "Do you like it?" if given_lead else 'Did you like "{title}" by {artist}?'.format(**slots)
            )
        else:
            prompt = self._phrase(action, level, slots)
        text = f"{lead} {prompt}"
        self.emit(
            ReplyEvent(
                self.conversation_id, state.turn, text, "repeat", level.value, closeness, state.current_sample
            )
        )
        sample = self.catalog.get(state.current_sample) if state.current_sample else None
        return Reply(text, "repeat", sample, (), level.value, closeness, False, state.status, understanding=u)

    def _confirm(self, u: Understanding) -> Reply:
        state = self.state
        state.held = u
        state.repairs += 1
        # Nothing of this turn is applied until the person confirms it: a misheard value they decline
        # must not be credited to the question, so the log says this turn gave nothing (yet).
        self._resolved((), "held")
        closeness, level = self._closeness()
        names = [s.value.replace("_", " ") for s in u.slots]
        text = self.phraser.confirm(" and ".join(names))
        self.emit(ReplyEvent(self.conversation_id, state.turn, text, "confirm", level.value, closeness))
        return Reply(text, "confirm", None, (), level.value, closeness, False, state.status, understanding=u)

    def _end(self, status: str, track: Track | None = None) -> Reply:
        state = self.state
        state.status = status
        closeness, level = self._closeness()
        station: tuple[Track, ...] = ()
        if status == Status.ACCEPTED and track is not None:
            state.accepted_track = track.id
            station = tuple(self.retriever.station(track, STATION_SIZE))
            text = self.phraser.closing("accepted", level, title=track.title, artist=track.artist)
        else:
            text = self.phraser.closing(status, level)
        self.emit(
            ReplyEvent(
                self.conversation_id,
                state.turn,
                text,
                "close",
                level.value,
                closeness,
                track.id if track else None,
            )
        )
        if station:
            self.emit(
                Playback(
                    self.conversation_id, state.turn, station[0].id, "station", tuple(t.id for t in station)
                )
            )
        self.emit(ConversationEnded(self.conversation_id, state.turn, status, track.id if track else None))
        return Reply(text, "close", track, station, level.value, closeness, True, status)
