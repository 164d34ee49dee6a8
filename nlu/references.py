"""Answers that point at one of the options just offered: "the first one", "the latter", "number two".

Which options were offered is known only to the dialogue manager, so the understanding components leave
these alone and the manager resolves them against the question it asked.
"""

from __future__ import annotations

import re

__all__ = ["both_options", "option_reference"]

_FIRST = r"(?:first|1st|former|number one|option one|the one before|earlier one)"
_SECOND = r"(?:second|2nd|number two|option two)"
_THIRD = r"(?:third|3rd|number three|option three)"
_FOURTH = r"(?:fourth|4th|number four|option four)"
# "The last one" is the second of two options but the fourth of four: an index from the end.
_LAST = r"(?:latter|last|later one|final)"
_FILLER = (
    r"(?:um+|uh+|hmm+|er+|well|oh|ok|okay|yeah|yes|i guess|maybe|let'?s (?:go|try)|i'?d (?:say|like|take))"
)
_LEAD = r"^(?:" + _FILLER + r"[\s,]+)*"
_TAIL = r"(?:\s+(?:one|option|thing|choice))?(?:[\s,]+(?:i guess|please|i think|maybe|then|thanks))*[\s.!?]*$"
_PATTERNS = (
    (0, re.compile(_LEAD + r"(?:the\s+)?" + _FIRST + _TAIL, re.IGNORECASE)),
    (1, re.compile(_LEAD + r"(?:the\s+)?" + _SECOND + _TAIL, re.IGNORECASE)),
    (2, re.compile(_LEAD + r"(?:the\s+)?" + _THIRD + _TAIL, re.IGNORECASE)),
    (3, re.compile(_LEAD + r"(?:the\s+)?" + _FOURTH + _TAIL, re.IGNORECASE)),
    (-1, re.compile(_LEAD + r"(?:the\s+)?" + _LAST + _TAIL, re.IGNORECASE)),
)


def option_reference(text: str) -> int | None:
    """The index of the option pointed at (0 the first, 1 the second, ...; -1 the last, as in Python), None
    when the text does not point at one. Whether that option exists is for the caller, who knows how many
    were offered.

    Only whole answers count ("the second one I guess"), so "the first time I heard jazz" is not a choice.
    """
    cleaned = " ".join(text.strip().split())
    if not cleaned or len(cleaned) > 60:
        return None
    for index, pattern in _PATTERNS:
        if pattern.match(cleaned):
            return index
    return None


_BOTH = re.compile(
    _LEAD
    + r"(?:i (?:like|want|love|'?d take|'?ll take) |i'?d like |give me |let'?s (?:do|have) )?"
    + r"(?:both|either|either one|either of them|both of them|a (?:bit|mix) of both|a mix of the two|the two)"
    + r"(?:\s+(?:are|is|sound|sounds|would be|work|works|seem)\s+(?:good|great|fine|ok|okay|nice|cool))?"
    + r"(?:[\s,]+(?:please|i guess|i think|really|actually|then))*[\s.!?]*$",
    re.IGNORECASE,
)


def both_options(text: str) -> bool:
    """ "both sound good", "either one", "a bit of both": the answer takes every option offered. Whether
    that can be done (two genres can, "laid back or upbeat" cannot) is for the caller."""
    cleaned = " ".join(text.strip().split())
    return 0 < len(cleaned) <= 60 and _BOTH.match(cleaned) is not None
