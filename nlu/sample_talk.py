"""Questions and requests about the samples themselves: "what is this?", "go back to the previous one".

Like option references (nlu/references.py), these mean something only while a sample is playing, and only
the dialogue manager knows what is playing and what played before, so the understanding components leave
them alone and the manager acts on them. Whole turns only: "what is this, jazz?" is not a question about
the track, and "I liked the previous one better, but faster" carries an attribute and is left to the NLU.
"""

from __future__ import annotations

import re

__all__ = ["asks_for_previous_sample", "asks_what_is_playing"]

_LEAD = r"^(?:(?:um+|uh+|hmm+|oh|ok|okay|so|wait|sorry|hey|nice)[\s,]+)*"
_END = r"(?:[\s,]+(?:again|please|then|now))*[\s.!?]*$"
_TRACK = r"(?:(?:this|that)(?: one| song| track| tune| music)?|it|playing(?: now)?)"
_WHAT_IS_PLAYING = re.compile(
    _LEAD
    + r"(?:(?:what|who)(?:'?s| is| was)\s+"
    + _TRACK
    + r"|what (?:song|track|tune) is (?:this|that|it|playing)"
    + r"|what(?:'?s| is) (?:this|that|it) called"
    + r"|who (?:sings|sang|plays|played|is singing|made) (?:this|that|it)"
    + r"|(?:what|which) (?:artist|band|year) is (?:this|that|it)"
    + r"|(?:tell me )?(?:the )?(?:name|title) of (?:this|that|the) (?:song|track)"
    + r")"
    + _END,
    re.IGNORECASE,
)
_PREVIOUS = r"(?:previous|last|other|earlier)"
_PREVIOUS_SAMPLE = re.compile(
    _LEAD
    + r"(?:(?:no|nah|actually)[\s,]+)*"
    + r"(?:(?:(?:can we |could we |let'?s |please )?go )?back(?: to (?:the )?"
    + _PREVIOUS
    + r" (?:one|song|track))?"
    + r"|(?:play |put on |back to )?the "
    + _PREVIOUS
    + r" (?:one|song|track) (?:again|was better)"
    + r"|(?:i )?(?:liked|preferred) the "
    + _PREVIOUS
    + r" (?:one|song|track)(?: better| more)?"
    + r"|(?:play |put on )?the one before(?: that)? again"
    # Bare "the previous one" is clear; bare "the last one" could be this one, so it is left alone.
    + r"|the (?:previous|earlier) (?:one|song|track)"
    + r")"
    + _END,
    re.IGNORECASE,
)


def _whole_turn(text: str) -> str | None:
    cleaned = " ".join(text.strip().split())
    return cleaned if cleaned and len(cleaned) <= 80 else None


def asks_what_is_playing(text: str) -> bool:
    """True for a turn that only asks what the sample is ("what is this?", "who sings this")."""
    cleaned = _whole_turn(text)
    return cleaned is not None and _WHAT_IS_PLAYING.match(cleaned) is not None


def asks_for_previous_sample(text: str) -> bool:
    """True for a turn asking for the sample before this one ("go back", "the last one was better")."""
    cleaned = _whole_turn(text)
    return cleaned is not None and _PREVIOUS_SAMPLE.match(cleaned) is not None
