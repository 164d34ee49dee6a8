"""The dialogue manager: one user turn in, one reply out, from the meaning of the turn alone.

It reads what the understanding made of a turn (nlu/meaning.py: act, slots, command, hand-over, language)
and never the words: choices are resolved against the options it offered, questions about the samples and
the catalogue against what it played and holds, and attributes change the constraints. What to say next is
decided by the conversation it extends (assistant/dialogue/conversation.py). Pure: everything it needs is
handed in, so the same manager runs under the terminal UI, the voice loop, replay, the simulator and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.dialogue.actions import Action
from assistant.dialogue.answers import catalogue_answer, relative_said, unsearchable_said
from assistant.dialogue.conversation import STATION_SIZE, Conversation
from assistant.dialogue.phrasing import describe_track
from assistant.dialogue.reply import Reply
from assistant.dialogue.state import Status
from assistant.events import ErrorEvent, NluResult, ReplyEvent, TurnStarted
from assistant.music.catalog import Track
from assistant.music.constraints import (
    RELATIVE_VALUES,
    Constraints,
    apply_slot,
    avoid_slot,
    describe,
    is_decade,
    join_names,
    join_slot,
)
from nlu.lexicon import is_genre_word
from nlu.meaning import CONFIRM_BELOW, ENGLISH, Act, Slot, Understanding

__all__ = ["STATION_SIZE", "DialogueManager", "Reply"]

UNCLEAR_BEFORE_MOVING_ON = 4
"""After this many turns in a row that were not understood, the assistant moves on rather than re-ask."""
# Which attribute a question asks about, so "I don't know" can mark it as "no preference".
QUESTION_ATTRIBUTE = {
    Action.MOOD_QUESTION: "mood",
    Action.GENRE_PAIR: "genre",
    Action.ERA_QUESTION: "era",
    Action.ACTIVITY_QUESTION: "activity",
    Action.ARTIST_SUGGESTION: "artist",
    # Feel and genre at once: "I don't know" or "either is fine" waives the feel; the genres it offered are
    # what "the second one" picks (_options) and what "no" turns down (_decline_suggestion).
    Action.FEEL_AND_GENRE: "mood",
}
_QUESTIONS = (Action.OPEN_QUESTION, Action.MOOD_QUESTION, Action.ERA_QUESTION, Action.ACTIVITY_QUESTION)
# Questions that offer options, so "the second one" can be resolved against what was said.
_OPTIONS_ASKED = (
    Action.GENRE_PAIR,
    Action.MOOD_QUESTION,
    Action.ERA_QUESTION,
    Action.ACTIVITY_QUESTION,
    Action.FEEL_AND_GENRE,
)
_PAIRS = (Action.GENRE_PAIR, Action.FEEL_AND_GENRE)
"""Prompts that offer two genres."""
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
_REACTIONS = (Act.ACCEPT, Act.REJECT, Act.SKIP, Act.REQUEST_ALTERNATIVE, Act.INFORM, Act.DONT_KNOW)
_COMPLAINTS = (Act.REJECT, Act.SKIP, Act.REQUEST_ALTERNATIVE)
# Attributes a catalogue may or may not have the data for; without it they are said, not searched.
_TRAITS = ("vocals", "popularity")


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


class DialogueManager(Conversation):
    """Runs one conversation. Create a new manager per conversation."""

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
        listed, self._listed = self._listed, None
        about_samples = self._about_samples(u)
        if about_samples is not None:
            return about_samples
        if u.act is Act.ASK_CATALOGUE:
            return self._answer_catalogue(u)
        # The understanding has already dropped names read from foreign words; say why.
        language_note = None
        if u.language != ENGLISH and not u.attributes:
            return self._repair(
                u, lead=f"Sorry, I only understand English for now (that sounded like {u.language})."
            )
        if u.language != ENGLISH:
            heard = " and ".join(s.value.replace("_", " ") for s in u.attributes)
            language_note = f"I only understand English for now, but I caught {heard}."
        resolved = self._resolve_choice(u, listed)
        if resolved is None:
            return self._repair(u, lead=self._no_such_option(listed))
        u = resolved
        self._play_command = u.command
        # "Surprise me" before anything was asked hands the choice over; as an answer it is "I don't know".
        self._hands_over = u.hand_over and (u.command or self._last_prompt is None)
        confidence = u.confidence * (1.0 if asr_confidence is None else max(0.0, min(1.0, asr_confidence)))
        sentiment = self._with_prosody(u.sentiment, loudness, pitch)
        u = replace(u, sentiment=sentiment)
        if state.turn == 1 and any(not s.negated for s in u.attributes):
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

    # -- the turn in context ------------------------------------------------------------------------
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

    def _options(self, listed: tuple[str, tuple[str, ...]] | None) -> tuple[str | None, tuple[str, ...]]:
        """(the attribute the options are values of, the options) a choice can pick from now: what an
        answer about the catalogue just listed, else what the last question offered."""
        if listed is not None:
            return listed
        last = self.state.last_action
        if last in _OPTIONS_ASKED:
            kind = "genre" if last in _PAIRS else QUESTION_ATTRIBUTE[last]
            return kind, self.state.pending_options
        return QUESTION_ATTRIBUTE.get(last) if last is not None else None, ()

    def _resolve_choice(
        self, u: Understanding, listed: tuple[str, tuple[str, ...]] | None
    ) -> Understanding | None:
        """A choice ("the second one", "the upbeat one", "both", "neither") as the values it picks: "the
        second one" after "jazz or r&b?" is r&b. None when it points at an option that was not offered
        ("the third one" after two): acting on it would choose something the person did not."""
        if u.act is not Act.CHOOSE:
            return u
        kind, options = self._options(None if self.state.held is not None else listed)
        if self.state.held is not None:
            # With a value held, the question pending is "did I get that right?": nothing to point at.
            kind, options = None, ()
        picks = u.values("option")
        attributes = u.attributes
        if "neither" in picks:
            if attributes:
                # "Neither, I want jazz": what is wanted instead is the answer.
                return replace(u, act=Act.INFORM, slots=attributes)
            # "Neither" turns down every option, as "no" does; with a sample playing, it is a no to it.
            return replace(u, act=Act.REJECT, slots=())
        if "both" in picks:
            if kind == "genre" and len(options) == 2 and self.state.last_action in _PAIRS:
                # "Both sound good" to "jazz or r&b?": either will do, so both are kept.
                slots = tuple(Slot("genre", option, 0, 0, linked=True) for option in options)
                return self._chosen(u, slots)
            # To "laid back or upbeat?" (or "which decade?") either is fine: no preference, as a yes to the
            # question is; with nothing asked it says as little as "I don't know".
            return replace(u, act=Act.ACCEPT if kind is not None else Act.DONT_KNOW, slots=())
        named = [s for s in attributes if kind is not None and s.name == kind and s.value in options]
        if named:
            # "The upbeat one", "the second one, the upbeat one": the option named outright.
            return self._chosen(u, (replace(named[0], start=0, end=0, linked=kind in ("genre", "artist")),))
        ordinal = next((p for p in picks if p not in ("both", "neither")), None)
        if ordinal is None:
            # Named by an attribute that was not among the options: a request for it, as said.
            return replace(u, act=Act.INFORM, slots=attributes) if attributes else replace(u, act=Act.UNCLEAR)
        index = -1 if ordinal == "last" else int(ordinal) - 1
        if kind is None or not -len(options) <= index < len(options):
            return None
        slot = Slot(kind, options[index], 0, 0, linked=kind in ("genre", "artist"))
        return self._chosen(u, (slot,))

    def _chosen(self, u: Understanding, slots: tuple[Slot, ...]) -> Understanding:
        self._resolved(slots, "option_reference")
        # The words matched a closed pattern, so the reading is as sure as the hearing was.
        return replace(u, act=Act.INFORM, slots=slots, confidence=max(u.confidence, 0.9))

    def _no_such_option(self, listed: tuple[str, tuple[str, ...]] | None) -> str:
        _, options = self._options(listed)
        offered = len(options) if self.state.last_action is not Action.PLAY_SAMPLE or listed else 0
        if offered == 0 and self.state.last_action is Action.ARTIST_SUGGESTION:
            offered = 1
        if offered == 1:
            return "I only suggested the one."
        if offered > 1:
            return f"There were just {_COUNT_WORDS.get(offered, str(offered))}."
        return "Sorry, which one do you mean?"

    def _about_samples(self, u: Understanding) -> Reply | None:
        """ "What is this?" while a sample plays gets its name, and the question again; "go back to the
        previous one" plays the one before again; "play it again" plays this one from the start."""
        if u.act not in (Act.WHAT_IS_PLAYING, Act.PREVIOUS, Act.AGAIN):
            return None
        state = self.state
        state.held = None
        playing = state.last_action is Action.PLAY_SAMPLE
        current = self.catalog.get(state.current_sample) if playing and state.current_sample else None
        latest = self.catalog.get(state.offered[-1]) if state.offered else None
        if u.act is Act.WHAT_IS_PLAYING:
            if current is None:
                return self._repair(u, lead="Nothing is playing right now.")
            return self._repair(u, lead=describe_track(current))
        if u.act is Act.AGAIN:
            if latest is None:
                return self._repair(u, lead="I haven't played anything yet.")
            self._requested = latest
            return self._decide(u, ["Sure."])
        if current is None:
            # A question came after the samples: "the one before" is the last one played.
            if latest is None:
                return self._repair(u, lead="I haven't played anything yet.")
            self._requested = latest
            return self._decide(u, ["Sure."])
        earlier = [self.catalog.get(t) for t in reversed(state.offered) if t != current.id]
        previous = next((t for t in earlier if t is not None), None)
        if previous is None:
            return self._repair(u, lead="This is the first one I've played.")
        if current.id not in state.rejected:
            state.rejected.append(current.id)
        state.rejected = [t for t in state.rejected if t != previous.id]
        self._requested = previous
        return self._decide(u, ["Sure."])

    def _answer_catalogue(self, u: Understanding) -> Reply:
        """ "What genres do you have?": the answer from the loaded catalogue, listing what can be picked
        ("I have rock, jazz, ... Which one?"), so "the second one" or a name answers it."""
        state = self.state
        closeness, level = self._closeness()
        text, kind, options = catalogue_answer(self.catalog, u.first("topic"), u.first("genre"))
        self._listed = (kind, options)
        sample = self.catalog.get(state.current_sample) if state.current_sample else None
        self.emit(ReplyEvent(self.conversation_id, state.turn, text, "answer", level.value, closeness))
        return Reply(text, "answer", sample, (), level.value, closeness, False, state.status, understanding=u)

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
            complaint = u.sentiment < 0 or act in _COMPLAINTS
            acks.extend(self._apply_slots(u.slots, sample, complaint))
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
        if last in _PAIRS:
            state.constraints = replace(
                state.constraints, avoid_genres=(*state.constraints.avoid_genres, *state.pending_options)
            )
        elif last is Action.ARTIST_SUGGESTION:
            state.constraints = replace(
                state.constraints, avoid_artists=(*state.constraints.avoid_artists, *state.pending_options)
            )
        elif last in QUESTION_ATTRIBUTE:
            state.unknown.add(QUESTION_ATTRIBUTE[last])

    def _apply_slots(self, slots: Sequence[Slot], sample: Track | None, complaint: bool = False) -> list[str]:
        """The constraints after a turn's attributes, and what to say about them. After a complaint the
        acknowledgement carries no praise ("Ooh, upbeat punk. Nice!" right after "too loud"), and a move
        relative to the sample ("calmer", "older") is said as the move, not as the whole search."""
        state = self.state
        acks: list[str] = []
        before = state.constraints
        constraints = before
        unknown: list[str] = []
        missing: list[str] = []
        not_genres: list[str] = []  # tagged as a genre, but no style of music ("seductive")
        unsearchable: list[Slot] = []  # vocals, popularity or themes this catalogue cannot look for
        named: dict[str, str] = {}  # kind -> the value it was last given in this turn
        unwanted: list[str] = []
        relative: list[str] = []
        for slot in slots:
            if slot.negated:
                constraints, said = _steer_away(constraints, slot, slots, sample)
                if said and said not in unwanted:
                    unwanted.append(said)
                continue
            if slot.name == "theme" or (
                slot.name in _TRAITS and not self.catalog.knows(slot.name, slot.value)
            ):
                unsearchable.append(slot)
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
            if slot.value in RELATIVE_VALUES:
                relative.append(slot.value)
            if slot.name == "artist":
                constraints = replace(apply_slot(constraints, slot, sample), artist_own=slot.own)
            else:
                constraints = apply_slot(constraints, slot, sample)
            state.unknown.discard({"tempo": "mood"}.get(slot.name, slot.name))
        if unknown:
            acks.append(self._ack("unknown_artist", artist=join_names(unknown, "or")))
        if missing:
            acks.append(self._ack("missing_genre", genre=join_names(missing, "or")))
        if not_genres:
            acks.append(self._ack("not_a_genre", what=join_names(not_genres, "or")))
        if unsearchable:
            acks.append(unsearchable_said(unsearchable))
        if unwanted:
            acks.append(self._ack("unwanted", what=join_names(unwanted, "or")))
        if constraints != before:
            state.constraints = constraints
            state.rejects_in_a_row = 0
            anything_left = (
                any(constraints.known().values())
                or constraints.instrumental is not None
                or constraints.popular is not None
            )
            if unwanted and not anything_left:
                pass  # "No more country" with nothing else asked for: "That leaves music" says nothing.
            elif relative and len(relative) == len(named):
                # Every value said moves from the sample ("too loud", "older"): say the move.
                acks.append(self._ack("steered", desc=relative_said(relative)))
            elif describe(constraints) != describe(before) or not unwanted:
                # After "Okay, no jazz." another "Okay, upbeat music." sounds like an echo: say what is left.
                kind = "understood_without" if unwanted else "understood_plain" if complaint else "understood"
                acks.append(self._ack(kind, desc=describe(constraints)))
        return acks

    def _track_named(self, title: str) -> Track | None:
        return self.catalog.track_named(title)  # by the catalogue's title index, not a scan
