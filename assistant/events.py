"""The one stream of typed events that drives the log, the terminal UI and the tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nlu.meaning import Slot, Understanding

__all__ = [
    "AsrResult",
    "ConversationEnded",
    "ConversationStarted",
    "Decision",
    "ErrorEvent",
    "Event",
    "EventSink",
    "NluResult",
    "Playback",
    "Recorder",
    "ReplyEvent",
    "Resolved",
    "TurnStarted",
    "fan_out",
]


@dataclass(frozen=True)
class Event:
    conversation_id: str
    turn: int


@dataclass(frozen=True)
class ConversationStarted(Event):
    policy: str
    catalog: str
    user: str | None = None
    """The profile name; a sink that persists it must anonymize it (the log stores a salted hash)."""
    seed: int | None = None


@dataclass(frozen=True)
class TurnStarted(Event):
    text: str
    """The raw user text; sinks decide whether to keep it (the log keeps it only with --log-text)."""


@dataclass(frozen=True)
class AsrResult(Event):
    text: str
    confidence: float
    engine: str
    loudness: float | None = None
    """Loudness relative to the speaker's own level (1.0 = usual); None for typed input."""
    pitch: float | None = None
    """Pitch relative to the speaker's own level (1.0 = usual)."""


@dataclass(frozen=True)
class NluResult(Event):
    understanding: Understanding


@dataclass(frozen=True)
class Resolved(Event):
    """What the turn meant once the conversation so far was taken into account, when that differs from
    the NluResult: "yes" to "jazz or r&b?" names jazz, "the second one" names r&b, "yes" to "did you
    say jazz?" gives jazz. Only the manager knows what it offered, so without this event a log would
    not say which value the person gave. Emitted after NluResult and before the turn's ReplyEvent."""

    slots: tuple[Slot, ...]
    """The slots as the manager applies them (for a held understanding: as it will apply them once
    confirmed)."""
    reason: str
    """"option_reference" ("the second one"), "accepted_option" (a bare yes to an offered genre or
    artist), "confirmed" (a bare yes to "did you say ...?") or "held" (no slots: the turn's values wait
    for that confirmation, and count only if it comes)."""


@dataclass(frozen=True)
class Decision(Event):
    action: str
    propensity: float
    """Probability the deciding policy gave the chosen action (1.0 for a deterministic policy)."""
    probabilities: dict[str, float]
    """Every available action's probability under the deciding policy."""
    features: dict[str, float]
    """The state features the policy saw."""
    scores: dict[str, float] = field(default_factory=dict)
    """The policy's raw scores (e.g. predicted usefulness), for the 'why' view."""
    policy: str = ""


@dataclass(frozen=True)
class ReplyEvent(Event):
    text: str
    action: str
    empathy: str
    closeness: float
    sample_id: str | None = None


@dataclass(frozen=True)
class Playback(Event):
    track_id: str
    kind: str
    """"sample" for a short preview, "station" when accepted music starts."""
    station: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConversationEnded(Event):
    status: str
    """accepted, abandoned, stopped or unfinished."""
    track_id: str | None = None


@dataclass(frozen=True)
class ErrorEvent(Event):
    stage: str
    code: str
    message: str


EventSink = Callable[[Event], None]


def fan_out(*sinks: EventSink) -> EventSink:
    """One sink that forwards each event to several."""

    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return emit


class Recorder:
    """A sink that keeps every event, for tests and for replay output."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]
