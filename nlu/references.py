"""Answers that pick among the options just offered: "the second one", "the upbeat one", "neither", "both".

Both understandings read them here, as act `choose` with `option` slots ("1", "2", "3", "4", "last",
"both", "neither") and, for "the upbeat one", the attribute slots that name the option. Which options
were offered is known only to the dialogue manager, which resolves the choice against its question.

Only whole answers count ("the second one I guess", "the second one, the upbeat one"), so "the first
time I heard jazz" is no choice and "neither, I want jazz" stays a request for jazz.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlu.meaning import Slot

__all__ = ["OPTION_VALUES", "both_options", "option_reference", "read_choice"]

OPTION_VALUES: tuple[str, ...] = ("1", "2", "3", "4", "last", "both", "neither")

_ORDINALS = (
    ("1", r"first|1st|former|number one|option one|earlier one"),
    ("2", r"second|2nd|number two|option two"),
    ("3", r"third|3rd|number three|option three"),
    ("4", r"fourth|4th|number four|option four"),
    # "The last one" is the second of two options but the fourth of four: an index from the end.
    ("last", r"latter|last|later one|final"),
)
_FILLER = (
    r"(?:um+|uh+|hmm+|er+|well|oh|ok|okay|yeah|yes|so|i guess|maybe|let'?s (?:go|try|do|have)|let'?s go with"
    r"|i'?d (?:say|like|take|go with)|i'?ll (?:take|have|go with|pick)|i (?:want|choose|pick|prefer)"
    r"|go with|give me|i think|probably|definitely|actually)"
)
_LEAD = r"^(?:" + _FILLER + r"[\s,]+)*"
_ONE = r"(?:\s+(?:one|option|thing|choice|please))?"
_TAIL = (
    r"(?:[\s,]+(?:i guess|please|i think|maybe|then|thanks|thank you|for sure|sounds good|to me|for me))*"
    r"[\s.!?]*$"
)
_BOTH = (
    r"(?:i (?:like|want|love|'?d take|'?ll take) |i'?d like |give me |let'?s (?:do|have) )?"
    r"(?:both|either|either one|either of them|both of them|a (?:bit|mix) of both|a mix of the two|the two)"
    r"(?:\s+(?:are|is|sound|sounds|would be|work|works|seem)\s+(?:good|great|fine|ok|okay|nice|cool))?"
)
_NEITHER = r"(?:neither of them|neither of those|neither one|neither|none of them|none of those|none)"


def _reference(named: bool) -> str:
    """One reference: an ordinal, "both"/"either", "neither", or "the X one" where X is an attribute the
    understanding found (each marked by one \\x00, so the pattern does not depend on which words name it).
    Group names only in the copy used to read values (a pattern may not repeat a name)."""

    def group(name: str) -> str:
        return f"?P<{name}>" if named else "?:"

    ordinals = "|".join(f"({group('o' + value)}{words})" for value, words in _ORDINALS)
    return (
        rf"(?<!\w)(?:(?:(?:the|that|this)\s+)?({group('ordinal')}{ordinals}){_ONE}"
        rf"|({group('both')}{_BOTH})|({group('neither')}{_NEITHER})"
        rf"|(?:the|that|this)\s+({group('attribute')}\x00(?:\s+\x00)*)\s+(?:one|option|kind|stuff|music))(?!\w)"
    )


_REFERENCE_RE = re.compile(_reference(named=True), re.IGNORECASE)
_JOINT = r"(?:[\s,]+(?:i mean|sorry|or|and|like)?[\s,]*)"
_WHOLE = re.compile(
    _LEAD + _reference(named=False) + r"(?:" + _JOINT + _reference(named=False) + r")*" + _TAIL, re.IGNORECASE
)
MAX_CHARS = 80


def read_choice(text: str, attributes: Sequence[Slot] = ()) -> tuple[Slot, ...] | None:
    """The option slots of a turn that only picks among offered options, or None when it is not such a
    turn. `attributes` are the attribute slots already found in `text`: "the upbeat one" is a choice
    named by its attribute (no option slot; its mood slot names the option), "the second one, the upbeat
    one" has both. "both" and "neither" are option values of their own."""
    if not text or len(text) > MAX_CHARS:
        return None
    masked = list(text)
    for slot in attributes:
        if slot.end > slot.start and not slot.negated:
            masked[slot.start : slot.end] = ["\x00"] * (slot.end - slot.start)
    # One placeholder per attribute, so the pattern sees "the \x00 one" whatever the words were.
    collapsed, index = _collapse("".join(masked))
    if not _WHOLE.match(collapsed):
        return None
    slots: list[Slot] = []
    for m in _REFERENCE_RE.finditer(collapsed):
        value, group = _value(m)
        if value is None or group is None:
            continue
        start, end = index[m.start(group)], index[m.end(group) - 1] + 1
        slots.append(Slot("option", value, start, end))
    named = any(m.group("attribute") for m in _REFERENCE_RE.finditer(collapsed))
    return tuple(slots) if slots or named else None


def _value(m: re.Match[str]) -> tuple[str | None, str | None]:
    if m.group("ordinal"):
        value = next(v for v, _ in _ORDINALS if m.group(f"o{v}"))
        return value, "ordinal"
    if m.group("both"):
        return "both", "both"
    if m.group("neither"):
        return "neither", "neither"
    return None, None


def _collapse(masked: str) -> tuple[str, list[int]]:
    """`masked` with each run of \\x00 as one \\x00, and for every character kept its offset in `masked`."""
    out: list[str] = []
    index: list[int] = []
    for i, c in enumerate(masked):
        if c == "\x00" and out and out[-1] == "\x00":
            continue
        out.append(c)
        index.append(i)
    return "".join(out), index


def option_reference(text: str) -> int | None:
    """The index an answer points at (0 the first, 1 the second, ...; -1 the last, as in Python), None
    when it points at no single option. Whether that option exists is for the caller."""
    slots = read_choice(" ".join(text.strip().split()))
    values = [s.value for s in slots or () if s.value not in ("both", "neither")]
    if not values:
        return None
    return -1 if values[0] == "last" else int(values[0]) - 1


def both_options(text: str) -> bool:
    """ "both sound good", "either one", "a bit of both": the answer takes every option offered."""
    slots = read_choice(" ".join(text.strip().split()))
    return bool(slots) and all(s.value == "both" for s in slots or ())
