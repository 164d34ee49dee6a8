"""The dialogue manager: one user turn in, one reply out. Pure: no audio, no model loading, no clock.

Everything it needs is handed in (catalogue, understanding, policy, random generator, event sink), so the
same manager runs under the terminal UI, the voice loop, transcript replay, the simulator and the tests.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.dialogue.actions import Action
from assistant.dialogue.closeness import Empathy, empathy_for, goal_closeness
from assistant.dialogue.phrasing import HELP_TEXT, Phraser, describe_track, listed_options
from assistant.dialogue.policy import Policy, PolicyOutput, available_actions
from assistant.dialogue.state import DialogueState, Status
from assistant.events import (
    ConversationEnded,
    ConversationStarted,
    Decision,
    ErrorEvent,
    EventSink,
    NluResult,
    Playback,
    ReplyEvent,
    Resolved,
    TurnStarted,
)
from assistant.music.catalog import Catalog, Track
from assistant.music.constraints import (
    Constraints,
    apply_slot,
    avoid_slot,
    describe,
    describe_era,
    is_decade,
    join_names,
    join_slot,
)
from assistant.music.retrieval import CANDIDATE_THRESHOLD, Retriever
from assistant.taste.summary import HistorySummary
from nlu.language import other_language
from nlu.lexicon import is_genre_word
from nlu.meaning import CONFIRM_BELOW, Act, Slot, Understander, Understanding
from nlu.references import both_options, option_reference
from nlu.sample_talk import asks_for_previous_sample, asks_what_is_playing

__all__ = ["DialogueManager", "Reply", "new_conversation_id"]

STATION_SIZE = 10
UNCLEAR_BEFORE_MOVING_ON = 4
"""After this many turns in a row that were not understood, the assistant moves on rather than re-ask."""
# Which attribute a question asks about, so "I don't know" can mark it as "no preference".
QUESTION_ATTRIBUTE = {
    Action.MOOD_QUESTION: "mood",
    Action.GENRE_PAIR: "genre",
    Action.ERA_QUESTION: "era",
    Action.ACTIVITY_QUESTION: "activity",
    Action.ARTIST_SUGGESTION: "artist",
}
_QUESTIONS = (Action.OPEN_QUESTION, Action.MOOD_QUESTION, Action.ERA_QUESTION, Action.ACTIVITY_QUESTION)
_PLAY_COMMAND = re.compile(
    r"^\W*(?:(?:please|just|can you|could you|would you|now|ok(?:ay)?|hey)\W+)*(?:play|put on|queue up)\b",
    re.IGNORECASE,
)
# "just play something", "play anything": the person hands the choice over and wants music now, not a
# question. "surprise me" and "you pick" say the same as a first turn; as an answer to a question they are
# "I don't know" (simulated listeners say them so, and the policy learned what to ask next).
_HANDS_OVER = re.compile(
    r"^\W*(?:(?:please|just|ok(?:ay)?|now|hey|then|so|whatever|anything)\W+)*(?:play|put on)\s+(?:me\s+)?"
    r"(?:anything|something|whatever)(?:\s+(?:at all|you like|you want|random|already|then))?"
    r"\W*(?:please\W*)?$",
    re.IGNORECASE,
)
_HANDS_OVER_FIRST = re.compile(
    r"^\W*(?:just\s+)?(?:surprise me|you (?:pick|choose|decide)|dealer'?s choice)\W*(?:please\W*)?$",
    re.IGNORECASE,
)
# Right before an artist's name, words that ask for their own music ("some songs by X", "add in some X",
# "more of X") rather than music like theirs ("something like X").
_OWN_MUSIC_BEFORE = re.compile(
    r"\b(?:by|from|of|play|put on|add|add in|some|more|any|how about|what about)\s+"
    r"(?:(?:some|more|of|songs?|music|tracks?|stuff|by|from)\s+)*$",
    re.IGNORECASE,
)
# Questions that offer options, so "the second one" can be resolved against what was said.
_OPTIONS_ASKED = (Action.GENRE_PAIR, Action.MOOD_QUESTION, Action.ERA_QUESTION, Action.ACTIVITY_QUESTION)
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
_REACTIONS = (Act.ACCEPT, Act.REJECT, Act.SKIP, Act.REQUEST_ALTERNATIVE, Act.INFORM, Act.DONT_KNOW)


def _steer_away(
    c: Constraints, slot: Slot, slots: Sequence[Slot], sample: Track | None
) -> tuple[Constraints, str | None]:
    """ "I don't like jazz", "not into Blondie": the constraints steered away (never towards), and what to
    say was left out (None for a feel: the new feel is said instead). "Like X but not X" keeps X as the
    sound to look for and leaves out only X's own tracks."""
    liked_now = any(s.name == slot.name and s.value == slot.value and not s.negated for s in slots)
    if liked_now and slot.name == "artist":
        avoided = c.avoid_artists if slot.value in c.avoid_artists else (*c.avoid_artists, slot.value)
        return replace(c, avoid_artists=avoided), None
    said = (
        slot.value.replace("_", " ") if slot.name in ("genre", "artist", "track") and not liked_now else None
    )
    return avoid_slot(c, slot, sample), said


@dataclass(frozen=True)
class Reply:
    """What the assistant says and does after a turn."""

    text: str
    action: str
    """A prompt type (assistant.dialogue.actions.Action), or "confirm", "repeat", "close", "ended"."""
    sample: Track | None = None
    station: tuple[Track, ...] = ()
    empathy: str = Empathy.NEUTRAL.value
    closeness: float = 0.5
    done: bool = False
    status: str = Status.ACTIVE
    probabilities: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    understanding: Understanding | None = None


def _noop(_event: object) -> None:
    return None


def new_conversation_id() -> str:
    """A conversation id unique across runs, machines and seeds. Never drawn from the dialogue's random
    generator: the seed decides behaviour only, so two runs with the same seed are two conversations in
    the log, not one."""
    return uuid.uuid4().hex


class DialogueManager:
    """Runs one conversation. Create a new manager per conversation."""

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
        self._text = ""
        """The last turn as typed or heard: slot offsets point into it."""

    # -- public -----------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.state.status != Status.ACTIVE

    def step(
        self,
        text: str,
        *,
        asr_confidence: float | None = None,
        loudness: float | None = None,
        pitch: float | None = None,
    ) -> Reply:
        """Take one user turn and return the reply. After the conversation ends, says so and does nothing."""
        if self.done:
            return Reply("This conversation has ended.", "ended", done=True, status=self.state.status)
        self._start()
        state = self.state
        state.turn += 1
        self.emit(TurnStarted(self.conversation_id, state.turn, text))
        u = self._understand(text)
        self.emit(NluResult(self.conversation_id, state.turn, u))
        about_samples = self._about_samples(text, u)
        if about_samples is not None:
            return about_samples
        # The understanding has already dropped names read from foreign words; say why.
        language = other_language(text) if not any(s.linked for s in u.slots) else None
        language_note = None
        if language is not None and not u.slots:
            return self._repair(
                u, lead=f"Sorry, I only understand English for now (that sounded like {language})."
            )
        if language is not None:
            heard = " and ".join(s.value.replace("_", " ") for s in u.slots)
            language_note = f"I only understand English for now, but I caught {heard}."
        resolved = self._resolve_option_reference(text, u)
        if resolved is None:
            return self._repair(u, lead=self._no_such_option())
        if resolved is not u:
            self._resolved(resolved.slots, "option_reference")
        u = resolved
        self._play_command = bool(_PLAY_COMMAND.match(text or ""))
        self._hands_over = bool(_HANDS_OVER.match(text or "")) or (
            self._last_prompt is None and bool(_HANDS_OVER_FIRST.match(text or ""))
        )
        self._text = text or ""
        confidence = u.confidence * (1.0 if asr_confidence is None else max(0.0, min(1.0, asr_confidence)))
        sentiment = self._with_prosody(u.sentiment, loudness, pitch)
        u = replace(u, sentiment=sentiment)
        if state.turn == 1 and any(not s.negated for s in u.slots):
            state.opened_with_request = True
        state.last_act = u.act
        state.confidences.append(confidence)
        if u.act in _REACTIONS:
            state.sentiments.append(sentiment)

        acks: list[str] = [language_note] if language_note else []
        if state.held is not None:
            held, state.held = state.held, None
            if u.act is Act.ACCEPT and not u.slots:
                u = replace(held, act=Act.INFORM if held.act is Act.ACCEPT else held.act)
                state.confidences[-1] = 1.0  # confirmed by the person
                self._resolved(u.slots, "confirmed")
            elif u.act is Act.REJECT and not u.slots:
                return self._decide(u, [self._ack("declined_confirmation")])
        elif u.slots and confidence < CONFIRM_BELOW and u.act not in (Act.STOP, Act.GIVE_UP):
            return self._confirm(u)
        return self._interpret(u, acks)

    def finish(self) -> None:
        """Mark a conversation that ended without a decision (input ran out, window closed)."""
        if not self.done and self._started:
            self.state.status = Status.UNFINISHED
            self.emit(ConversationEnded(self.conversation_id, self.state.turn, Status.UNFINISHED))

    # -- understanding ----------------------------------------------------------------------------
    def _start(self) -> None:
        if not self._started:
            self._started = True
            self.emit(
                ConversationStarted(
                    self.conversation_id, 0, self.policy.name, self.catalog.name, self.user, self.seed
                )
            )

    def _understand(self, text: str) -> Understanding:
        try:
            return self.understander.understand(text)
        except Exception as exc:
            self.emit(
                ErrorEvent(
                    self.conversation_id, self.state.turn, "nlu", "nlu-failed", f"{type(exc).__name__}: {exc}"
                )
            )
            return Understanding(Act.UNCLEAR, confidence=0.0, source="error")

    def _resolve_option_reference(self, text: str, u: Understanding) -> Understanding | None:
        """ "The second one" after "jazz or r&b?" means r&b: only the manager knows what was offered.
        None when the turn points at an option that was not offered ("the third one" after two, "the
        second one" after one artist): the NLU reads such turns as anything from accept to unclear, and
        acting on that would choose something the person did not."""
        last = self.state.last_action
        if u.slots or u.act in (Act.STOP, Act.GIVE_UP, Act.HELP) or self.state.held is not None:
            # With a value held, the question pending is "did I get that right?": nothing to point at.
            return u
        options = self.state.pending_options if last in _OPTIONS_ASKED else ()
        if last is Action.GENRE_PAIR and len(options) == 2 and both_options(text):
            # "Both sound good" to "jazz or r&b?": either will do, so both are kept, as "jazz or r&b" is.
            slots = tuple(Slot("genre", option, 0, 0, linked=True) for option in options)
            return replace(u, act=Act.INFORM, slots=slots, confidence=max(u.confidence, 0.9))
        index = option_reference(text)
        if index is None or last is None:
            return u
        if not -len(options) <= index < len(options):
            return None
        slot = Slot(QUESTION_ATTRIBUTE[last], options[index], 0, 0, linked=last is Action.GENRE_PAIR)
        # The words matched a closed pattern, so the reading is as sure as the hearing was.
        return replace(u, act=Act.INFORM, slots=(slot,), confidence=max(u.confidence, 0.9))

    def _no_such_option(self) -> str:
        offered = len(self.state.pending_options) if self.state.last_action is not Action.PLAY_SAMPLE else 0
        if offered == 1:
            return "I only suggested the one."
        if offered > 1:
            return f"There were just {_COUNT_WORDS.get(offered, str(offered))}."
        return "Sorry, which one do you mean?"

    def _about_samples(self, text: str, u: Understanding) -> Reply | None:
        """ "What is this?" while a sample plays gets its name, and the question again; "go back to the
        previous one" plays the one before again. The NLU reads these as help or a request for something
        else, which would drop the track being asked about."""
        state = self.state
        if state.last_action is not Action.PLAY_SAMPLE or state.held is not None:
            return None
        current = self.catalog.get(state.current_sample) if state.current_sample else None
        if current is None:
            return None
        if asks_what_is_playing(text):
            return self._repair(u, lead=describe_track(current))
        if not asks_for_previous_sample(text):
            return None
        earlier = [self.catalog.get(t) for t in reversed(state.offered) if t != current.id]
        previous = next((t for t in earlier if t is not None), None)
        if previous is None:
            return self._repair(u, lead="This is the first one I've played.")
        if current.id not in state.rejected:
            state.rejected.append(current.id)
        state.rejected = [t for t in state.rejected if t != previous.id]
        self._requested = previous
        return self._decide(u, ["Sure."])

    def _resolved(self, slots: tuple[Slot, ...], reason: str) -> None:
        """Tell the log what the turn came to mean in context: the NluResult alone would not say which
        offered option the person chose, so the reward could not credit the question that offered it."""
        self.emit(Resolved(self.conversation_id, self.state.turn, slots, reason))

    @staticmethod
    def _with_prosody(sentiment: float, loudness: float | None, pitch: float | None) -> float:
        """Spoken text has no capitals or "!": saying it louder or higher than usual carries intensity."""
        if loudness is None and pitch is None:
            return sentiment
        lift = 0.6 * max(-0.5, min(1.0, (loudness or 1.0) - 1.0)) + 0.4 * max(
            -0.5, min(1.0, (pitch or 1.0) - 1.0)
        )
        return max(-1.0, min(1.0, sentiment * (1.0 + lift)))

    # -- interpreting the turn --------------------------------------------------------------------
    def _interpret(self, u: Understanding, acks: list[str]) -> Reply:
        state = self.state
        last = state.last_action
        sample = self.catalog.get(state.current_sample) if state.current_sample else None
        act = u.act
        if act is Act.STOP:
            return self._end(Status.STOPPED)
        if act is Act.GIVE_UP:
            return self._end(Status.ABANDONED)
        if act is Act.UNCLEAR:
            state.unclear_in_a_row += 1
            if state.unclear_in_a_row % UNCLEAR_BEFORE_MOVING_ON == 0:
                # Repeating the same question forever helps nobody: move the conversation along instead.
                return self._decide(u, [self._ack("unclear"), "Let's try it another way."])
            return self._repair(u)
        state.unclear_in_a_row = 0
        if act is Act.HELP:
            return self._repair(u, help_text=True)

        if act is Act.ACCEPT and not u.slots:
            if last is Action.PLAY_SAMPLE and sample is not None:
                return self._end(Status.ACCEPTED, sample)
            if last is Action.OFFER_STATION:
                seed = (
                    self.retriever.next_sample(
                        state.constraints, state.rejected, state.rejected, self.affinity
                    )
                    or sample
                )
                if seed is not None:
                    return self._end(Status.ACCEPTED, seed)
            if last is Action.GENRE_PAIR and state.pending_options:
                u = replace(u, slots=(Slot("genre", state.pending_options[0], 0, 0),))
                self._resolved(u.slots, "accepted_option")
            elif last is Action.ARTIST_SUGGESTION and state.pending_options:
                u = replace(u, slots=(Slot("artist", state.pending_options[0], 0, 0, linked=True),))
                self._resolved(u.slots, "accepted_option")
            elif last in QUESTION_ATTRIBUTE:
                # "Yes" to "laid back or upbeat?" says either is fine.
                state.unknown.add(QUESTION_ATTRIBUTE[last])
        if act is Act.ACCEPT and u.slots and last is Action.PLAY_SAMPLE and sample is not None:
            return self._end(Status.ACCEPTED, sample)

        declined = act in (Act.REJECT, Act.SKIP, Act.REQUEST_ALTERNATIVE)
        steering = bool(u.slots) and act in (Act.INFORM, Act.GREET)
        if last is Action.PLAY_SAMPLE and sample is not None and (declined or steering):
            state.rejected.append(sample.id)
            state.rejects_in_a_row += 1
            if not u.slots:
                acks.append(self._ack("skipped" if act is Act.SKIP else "rejected"))
        elif declined and not u.slots:
            self._decline_suggestion(last)
            # "No" to a question means no preference; "no" to a suggestion turns the suggestion down.
            acks.append(self._ack("dont_know" if last in _QUESTIONS else "rejected"))
        if act is Act.DONT_KNOW:
            state.dont_know_count += 1
            if last in QUESTION_ATTRIBUTE:
                state.unknown.add(QUESTION_ATTRIBUTE[last])
            acks.append(self._ack("dont_know"))
        if u.slots:
            acks.extend(self._apply_slots(u.slots, sample))
        self._count_reply(last, u, declined or steering)
        return self._decide(u, acks)

    def _count_reply(self, last: Action | None, u: Understanding, turned_down: bool) -> None:
        """What the reply to the last prompt revealed: an answer, no answer, or a direction away from a
        sample. These feed the policy's view of how the conversation is going for this person."""
        state = self.state
        gave = any(not s.negated for s in u.slots)
        if last is Action.PLAY_SAMPLE:
            if turned_down and gave:
                state.directions += 1
        elif last is not None and last is not Action.OFFER_STATION:
            if gave:
                state.answered += 1
                state.unanswered_in_a_row = 0
            else:
                state.unanswered_in_a_row += 1

    def _decline_suggestion(self, last: Action | None) -> None:
        state = self.state
        if last is Action.GENRE_PAIR:
            state.constraints = replace(
                state.constraints, avoid_genres=(*state.constraints.avoid_genres, *state.pending_options)
            )
        elif last is Action.ARTIST_SUGGESTION:
            state.constraints = replace(
                state.constraints, avoid_artists=(*state.constraints.avoid_artists, *state.pending_options)
            )
        elif last in QUESTION_ATTRIBUTE:
            state.unknown.add(QUESTION_ATTRIBUTE[last])

    def _apply_slots(self, slots: Sequence[Slot], sample: Track | None) -> list[str]:
        state = self.state
        acks: list[str] = []
        before = state.constraints
        constraints = before
        unknown: list[str] = []
        missing: list[str] = []
        not_genres: list[str] = []  # tagged as a genre, but no style of music ("christmas", "seductive")
        named: dict[str, str] = {}  # kind -> the value it was last given in this turn
        unwanted: list[str] = []
        for slot in slots:
            if slot.negated:
                constraints, said = _steer_away(constraints, slot, slots, sample)
                if said and said not in unwanted:
                    unwanted.append(said)
                continue
            if slot.name == "artist" and slot.value not in self.catalog.artist_names:
                if slot.value not in unknown:
                    unknown.append(slot.value)
                continue
            if slot.name == "genre" and not self.retriever.has_genre(slot.value):
                # Searching for a genre the catalogue lacks would only make every track fit worse.
                heard = missing if is_genre_word(slot.value) else not_genres
                if slot.value not in heard:
                    heard.append(slot.value)
                continue
            # A decade after "older" in the same turn ("classics from the 80s") says which older: it
            # replaces the relative era instead of widening it.
            earlier_era = named.get("era") if slot.name == "era" else None
            vague_era = earlier_era is not None and not is_decade(earlier_era) and is_decade(slot.value)
            joined = join_slot(constraints, slot) if slot.name in named and not vague_era else None
            if joined is not None:
                constraints = joined
                continue
            if slot.name == "track":
                track = self._track_named(slot.value)
                if track is not None and track.id not in state.offered:
                    self._requested = track
                    constraints = apply_slot(
                        constraints, Slot("artist", track.artist, 0, 0, linked=True), sample
                    )
                continue
            named[slot.name] = slot.value
            if slot.name == "artist":
                own = _OWN_MUSIC_BEFORE.search(self._text[: slot.start]) is not None
                constraints = replace(apply_slot(constraints, slot, sample), artist_own=own)
            else:
                constraints = apply_slot(constraints, slot, sample)
            state.unknown.discard({"tempo": "mood"}.get(slot.name, slot.name))
        if unknown:
            acks.append(self._ack("unknown_artist", artist=join_names(unknown, "or")))
        if missing:
            acks.append(self._ack("missing_genre", genre=join_names(missing, "or")))
        if not_genres:
            acks.append(self._ack("not_a_genre", what=join_names(not_genres, "or")))
        if unwanted:
            acks.append(self._ack("unwanted", what=join_names(unwanted, "or")))
        if constraints != before:
            state.constraints = constraints
            state.rejects_in_a_row = 0
            if describe(constraints) != describe(before) or not unwanted:
                # After "Okay, no jazz." another "Okay, upbeat music." sounds like an echo: say what is left.
                kind = "understood_without" if unwanted else "understood"
                acks.append(self._ack(kind, desc=describe(constraints)))
        return acks

    def _track_named(self, title: str) -> Track | None:
        return self.catalog.track_named(title)  # by the catalogue's title index, not a scan

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
            and state.last_action is Action.GENRE_PAIR
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
                state.offered.append(track.id)
                slots = self._track_slots(track)
        if action is Action.GENRE_PAIR and pair:
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
        state.asked[action] += 1
        state.last_action = action
        self._last_prompt = (action, slots)
        if track is not None and track is requested and track.id in state.offered[:-1]:
            # Played before and asked for again ("go back"): say which, not "how about this?".
            prompt = f'Here\'s "{track.title}" by {track.artist} again. Do you like it?'
        else:
            prompt = self._phrase(action, level, slots)
        text = " ".join([*(a for a in acks if a), prompt])
        self.emit(
            ReplyEvent(
                self.conversation_id,
                state.turn,
                text,
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
