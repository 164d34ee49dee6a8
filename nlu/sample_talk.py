"""Turns about the samples themselves: "what is this?", "go back to the previous one", "play it again".

Both understandings read them here, as acts `what_is_playing`, `previous` and `again`; the dialogue manager
knows what is playing and what played before. Whole turns only: "what is this, jazz?" is not a question
about the track, and "I liked the previous one better, but faster" carries an attribute and is a request.
"""

from __future__ import annotations

import re

from nlu.meaning import Act

__all__ = ["asks_again", "asks_for_previous_sample", "asks_what_is_playing", "sample_act"]

_LEAD = (
    r"^(?:(?:um+|uh+|hmm+|oh|ok|okay|so|wait|sorry|hey|nice|hm+|no|nah|actually|can you|could you|please)"
    r"[\s,]+)*"
)
_END = r"(?:[\s,]+(?:again|please|then|now|one more time))*[\s.!?]*$"
_TRACK = r"(?:(?:this|that)(?: one| song| track| tune| music)?|it|playing(?: now)?)"
_WHAT_IS_PLAYING = re.compile(
    _LEAD
    + r"(?:(?:what|who)(?:'?s| is| was)\s+"
    + _TRACK
    + r"|what (?:song|track|tune) is (?:this|that|it|playing)"
    + r"|what(?:'?s| is) (?:this|that|it|the)(?: song| track| tune)? called"
    + r"|who (?:sings|sang|plays|played|is singing|made) (?:this|that|it)"
    + r"|(?:what|which) (?:artist|band|year) is (?:this|that|it)(?: from)?"
    + r"|(?:tell me )?(?:the )?(?:name|title) of (?:this|that|the) (?:song|track)"
    + r")"
    + _END,
    re.IGNORECASE,
)
_PREVIOUS = r"(?:previous|last|other|earlier)"
_PREVIOUS_SAMPLE = re.compile(
    _LEAD
    + r"(?:(?:(?:can we |could we |let'?s |please )?go )?back(?: to (?:the )?"
    + _PREVIOUS
    + r" (?:one|song|track))?"
    + r"|(?:play |put on |back to )?the "
    + _PREVIOUS
    + r" (?:one|song|track) (?:again|was better)"
    + r"|(?:i )?(?:liked|preferred) the "
    + _PREVIOUS
    + r" (?:one|song|track)(?: better| more)?"
    + r"|(?:play |put on |go back to |back to )?the (?:one|song|track) "
    + r"(?:before|before that|before this(?: one)?)"
    + r"(?: again| was better)?"
    # Bare "the previous one" is clear; bare "the last one" could be this one, so it is left alone.
    + r"|(?:play |put on )?the (?:previous|earlier) (?:one|song|track)"
    + r")"
    + _END,
    re.IGNORECASE,
)
_AGAIN = re.compile(
    _LEAD
    + r"(?:(?:play|put on|start|hear)\s+(?:it|this|that|this one|that one|this song|that song)\s+"
    + r"(?:again|one more time|from the (?:start|beginning)|over)"
    + r"|again|one more time|replay(?: it| this| that)?(?: one)?"
    + r"|(?:play|start) it over|start (?:it |this )?over"
    + r"|(?:can i|could i|let me) hear (?:it|this|that)(?: one)? again)"
    + r"(?:[\s,]+(?:please|then|now))*[\s.!?]*$",
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
    """True for a turn asking for the sample before this one ("go back", "play the one before")."""
    cleaned = _whole_turn(text)
    return cleaned is not None and _PREVIOUS_SAMPLE.match(cleaned) is not None


def asks_again(text: str) -> bool:
    """True for a turn asking to hear the sample playing again ("play it again", "one more time")."""
    cleaned = _whole_turn(text)
    return cleaned is not None and _AGAIN.match(cleaned) is not None


def sample_act(text: str) -> Act | None:
    """The act of a turn about the samples (what is playing, the one before, this one again), else None."""
    if asks_what_is_playing(text):
        return Act.WHAT_IS_PLAYING
    if asks_for_previous_sample(text):
        return Act.PREVIOUS
    if asks_again(text):
        return Act.AGAIN
    return None
