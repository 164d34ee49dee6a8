"""What an utterance means: the one interface every understanding component implements."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "CONFIRM_BELOW",
    "ENGLISH",
    "REFERENCE_SLOTS",
    "SLOT_NAMES",
    "Act",
    "Slot",
    "Understander",
    "Understanding",
]


class Act(StrEnum):
    """Dialogue acts a user turn can perform."""

    GREET = "greet"  # "hi", "help me find music": opens a conversation
    INFORM = "inform"  # states a preference: "something upbeat", "rock", "from the nineties"
    ACCEPT = "accept"  # "yes", "I love it", "play it"
    REJECT = "reject"  # "no", "not that", "I don't like it"
    REQUEST_ALTERNATIVE = "request_alternative"  # "something else", "another one", "different"
    SKIP = "skip"  # "skip", "next"
    DONT_KNOW = "dont_know"  # "no idea", "anything", "surprise me"
    HELP = "help"  # "what can I say?", "how does this work"
    STOP = "stop"  # "stop", "quit", "goodbye": ends the session on purpose
    GIVE_UP = "give_up"  # "forget it", "I give up": ends the session unsatisfied
    UNCLEAR = "unclear"  # nothing usable was understood
    # Turns about the conversation itself rather than the music wanted; the dialogue manager resolves them
    # against what it offered or played.
    CHOOSE = (
        "choose"  # "the second one", "the upbeat one", "neither", "both": picks among the options offered
    )
    PREVIOUS = "previous"  # "go back", "play the one before": the sample before this one, again
    AGAIN = "again"  # "play it again", "once more": the sample playing, from the start
    WHAT_IS_PLAYING = "what_is_playing"  # "what is this?", "who sings this": the name of the sample
    ASK_CATALOGUE = "ask_catalogue"  # "what genres do you have?": what the catalogue holds


# Slot names and their normalized values:
#   artist   canonical catalogue artist name when linked, else the span as heard
#   track    canonical catalogue title when linked, else the span
#   genre    canonical genre/subgenre label of the lexicon ("rock", "alternative rock", "hip hop")
#   era      a decade "1990s", or a relative move "older" / "newer"
#   mood     "laid_back", "upbeat", "happy", "sad", or relative "more_upbeat" / "more_laid_back"
#   activity "workout", "focus", "party", "sleep", "relax", "commute", "dinner", "cooking", "running"
#   tempo    "slow", "fast", "faster", "slower", or a number of beats per minute ("120")
#   vocals   "instrumental", "vocal", or who sings: "female", "male" (no catalogue says; answered honestly)
#   popularity "popular" ("hits", "something popular") or "obscure" ("deep cuts")
#   theme    what songs are about: "christmas music", "songs about love", ... (not searchable)
SLOT_NAMES: tuple[str, ...] = (
    "artist",
    "track",
    "genre",
    "era",
    "mood",
    "activity",
    "tempo",
    "vocals",
    "popularity",
    "theme",
)
"""Attributes of the music wanted: what the tagger labels and the dialogue turns into constraints."""
# Slots that point into the conversation instead (read from the words, never tagged):
#   option   which offered option a choose turn takes: "1", "2", "3", "4", "last", "both" or "neither"
#   topic    what a catalogue question asks about: "genre", "artist", "era", "mood" or "activity"
REFERENCE_SLOTS: tuple[str, ...] = ("option", "topic")
ENGLISH = "English"

CONFIRM_BELOW = 0.45
"""Below this understanding confidence (NLU x speech recognition), the dialogue confirms attributes before
using them. Here, not in the dialogue manager, because the NLU evaluation counts what would be asked back."""


@dataclass(frozen=True)
class Slot:
    """One attribute found in an utterance, with the character span it came from."""

    name: str
    value: str
    """Normalized value (see the table above)."""
    start: int
    end: int
    confidence: float = 1.0
    linked: bool = False
    """True when `value` was matched to an entity of the loaded catalogue."""
    negated: bool = False
    """Said as unwanted: "I don't like jazz", "no more country", "not into Blondie" (nlu/negation.py)."""
    own: bool = False
    """An artist whose own music is asked for ("songs by X", "some X", "more of X"), not music like
    theirs ("something like X"); nlu/requests.py."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for flag in ("negated", "own"):
            if not data[flag]:
                del data[flag]  # the usual case; logs written before the flag existed look the same
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Slot:
        return cls(
            name=str(data["name"]),
            value=str(data["value"]),
            start=int(data["start"]),
            end=int(data["end"]),
            confidence=float(data.get("confidence", 1.0)),
            linked=bool(data.get("linked", False)),
            negated=bool(data.get("negated", False)),
            own=bool(data.get("own", False)),
        )


@dataclass(frozen=True)
class Understanding:
    """The meaning of one user turn."""

    act: Act
    slots: tuple[Slot, ...] = ()
    sentiment: float = 0.0
    """Graded feeling in [-1, 1]: "Hmm, OK" < "Yes" < "YES!" < "Brilliant, I love it"."""
    confidence: float = 1.0
    """How sure the component is of the whole frame, in [0, 1]."""
    source: str = "rules"
    """Which component produced it ("rules", "model", ...)."""
    extras: dict[str, float] = field(default_factory=dict)
    """Component-specific scores (e.g. per-act probabilities) for the 'why' view; never required."""
    command: bool = False
    """A command to play ("play ...", "put on ..."): the person wants music now, not a question."""
    hand_over: bool = False
    """The choice is handed over ("just play something", "surprise me", "you pick"). With a command, or
    before anything was asked, that means play now; as an answer to a question it is "I don't know"."""
    language: str = ENGLISH
    """The language the turn seems to be in (nlu/language.py): names are not counted, so "play some Los
    Lobos" is English."""

    @property
    def attributes(self) -> tuple[Slot, ...]:
        """The slots that describe the music wanted (SLOT_NAMES), without option or topic references."""
        return tuple(s for s in self.slots if s.name in SLOT_NAMES)

    def values(self, name: str) -> list[str]:
        return [s.value for s in self.slots if s.name == name]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "act": self.act.value,
            "slots": [s.to_dict() for s in self.slots],
            "sentiment": round(self.sentiment, 4),
            "confidence": round(self.confidence, 4),
            "source": self.source,
        }
        # Only when set: most turns are plain English requests, and logs written before these existed
        # read the same.
        if self.command:
            data["command"] = True
        if self.hand_over:
            data["hand_over"] = True
        if self.language != ENGLISH:
            data["language"] = self.language
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Understanding:
        return cls(
            act=Act(data["act"]),
            slots=tuple(Slot.from_dict(s) for s in data.get("slots", ())),
            sentiment=float(data.get("sentiment", 0.0)),
            confidence=float(data.get("confidence", 1.0)),
            source=str(data.get("source", "rules")),
            command=bool(data.get("command", False)),
            hand_over=bool(data.get("hand_over", False)),
            language=str(data.get("language", ENGLISH)),
        )


@runtime_checkable
class Understander(Protocol):
    """Maps user text to meaning. Implementations must never raise on any string."""

    name: str

    def understand(self, text: str) -> Understanding: ...
