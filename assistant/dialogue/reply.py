"""What the assistant says and does after a turn: the words, the sample or station, and the question after."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.dialogue.closeness import Empathy
from assistant.dialogue.state import Status
from assistant.music.catalog import Track
from nlu.meaning import Understanding

__all__ = ["Reply"]


@dataclass(frozen=True)
class Reply:
    """What the assistant says and does after a turn.

    A sample is presented in two parts: `text` introduces it and `question` ("Did you like it?") is asked
    once the clip has played long enough to judge, or when the person speaks first. Each way in presents
    them so: the voice loop after a few seconds of the clip, the terminal UI after a delay or when the
    person types, replay in order. `said` is the whole reply in the order spoken."""

    text: str
    action: str
    """A prompt type (assistant.dialogue.actions.Action), or "confirm", "repeat", "answer", "close",
    "ended"."""
    sample: Track | None = None
    station: tuple[Track, ...] = ()
    empathy: str = Empathy.NEUTRAL.value
    closeness: float = 0.5
    done: bool = False
    status: str = Status.ACTIVE
    probabilities: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    understanding: Understanding | None = None
    question: str = ""
    """Asked after the sample has been heard for a while ("" when there is nothing to ask after it)."""

    @property
    def said(self) -> str:
        """Everything the reply says, in order: the text, then the question after the sample."""
        return f"{self.text} {self.question}" if self.question else self.text
