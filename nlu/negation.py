"""Attributes said as unwanted: "I don't like jazz", "no more country please", "I'm not into Blondie".

Neither understanding has a notion of scope, so both read "I don't like jazz" as jazz; acted on, that plays
jazz. A negation cue earlier in the same clause, with only a few words and no change of mind between it and
the attribute, marks the slot negated; the dialogue manager then steers away from it. The clause ends at
punctuation, so "no, more like Radiohead" and "no, I want jazz" keep their attribute, and words that turn
the sentence round ("no I want jazz", "not sure, maybe jazz", "not too fast", which "too" already turns
round) stop the cue from reaching it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from nlu.meaning import Act, Understanding

__all__ = ["negated_at", "negated_before", "with_negation"]

_CUE = re.compile(
    r"\b(?:don'?t (?:like|want|need|love)|do not (?:like|want|need)|not (?:really )?into"
    r"|not a (?:big )?fan of|no more|anything but|tired of|sick of|done with|i'?m (?:so )?over|enough of"
    r"|enough|rather not|not|no|never|hate|without|except|nothing)\b",
    re.IGNORECASE,
)
_TURN_ROUND = re.compile(
    r"\b(?:but|instead|want|like|love|prefer|rather|need|play|give|how about|and|or|so|just|then|only|too"
    r"|maybe|perhaps|sure|know|mind|idea|more like|see|seeing|hear|hearing|get|getting|find|found"
    r"|is|are|was|were)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,.;:!?]")
_TOO = re.compile(r"too\b", re.IGNORECASE)
# After the attribute: "not upbeat enough" and "no Earth, Wind & Fire?" ask for more of it, not less.
_WANTS_MORE_AFTER = re.compile(r"(?:[\s/]+\w+)?\s*(?:enough\b|\?)", re.IGNORECASE)
# "it's not ambient", "two were not fun": a complaint about what was played, which wanted the attribute.
_COPULA_BEFORE = re.compile(r"(?:\b(?:is|are|was|were|be|been)|'s)\s+(?:really\s+|very\s+)?$", re.IGNORECASE)
# "won't be complete without X", "can't get enough of X": two negations make a wish.
_EARLIER_NEGATION = re.compile(r"n't\b|\b(?:not|never|wont|cant|isnt|dont|aint)\b", re.IGNORECASE)
# "please add not afraid from eminem": a title that starts with a negation.
_TITLE_BEFORE = re.compile(r"\b(?:add|play|put on)\s+$", re.IGNORECASE)
# "there is no Outkast on this list": a complaint about what is missing.
_THERE_IS_BEFORE = re.compile(r"\bthere(?:'s|\s+is|\s+are)\s+$", re.IGNORECASE)
# After the attribute: "jazz isn't my thing", "country doesn't fit", "metal is not for me".
_UNWANTED_AFTER = re.compile(
    r"(?:\s+(?:music|songs|stuff|tracks))?\s*(?:\s(?:is|are|was|were)\s*(?:n't|\snot)|'s\s+not|'re\s+not)"
    r"\s+(?:really\s+|quite\s+|exactly\s+)?(?:my\s+(?:thing|style|taste|cup of tea|jam|vibe|kind of music)"
    r"|for me|doing it for me|what i want|what i'm after)\b"
    r"|(?:\s+(?:music|songs|stuff|tracks))?\s+(?:does|do|did)\s*(?:n't|\snot)\s+(?:really\s+)?"
    r"(?:fit|work|suit|do it for me)\b",
    re.IGNORECASE,
)
MAX_GAP_WORDS = 4


def negated_before(before: str) -> bool:
    """Does a negation cue reach the end of `before` (the text up to an attribute)?"""
    clause = _CLAUSE_END.split(before)[-1]
    cues = list(_CUE.finditer(clause))
    if not cues:
        return False
    cue, head = cues[-1], clause[: cues[-1].start()]
    gap = clause[cue.end() :]
    if len(gap.split()) > MAX_GAP_WORDS or _TURN_ROUND.search(gap) is not None:
        return False
    word = cue.group(0).lower()
    if word == "not" and _COPULA_BEFORE.search(head):
        return False
    if word == "no" and _THERE_IS_BEFORE.search(head):
        return False
    if word in ("not", "never", "no") and re.search(r"\bby\s+$", gap):
        return False  # "I'm not alone by Calvin Harris": the negation was in a title
    if word == "enough" and gap.lstrip().lower().startswith("for"):
        return False  # "good enough for my party"
    if word in ("without", "enough", "enough of") and _EARLIER_NEGATION.search(head):
        return False
    # Inside quotes ("A Little Party Never Killed Nobody") or right after "add": part of a title.
    return head.count('"') % 2 == 0 and _TITLE_BEFORE.search(head) is None


def negated_at(text: str, start: int, end: int) -> bool:
    """Is the attribute at text[start:end] said as unwanted?"""
    if _TOO.match(text, start) or _WANTS_MORE_AFTER.match(text, end):
        return False  # "too" already turned it round; "not upbeat enough" wants it
    return negated_before(text[:start]) or _UNWANTED_AFTER.match(text, end) is not None


def with_negation(text: str, u: Understanding) -> Understanding:
    """`u` with its negated slots marked. "no more country please" is not a request to stop: a stop or give-up
    whose attribute is negated is a rejection of it."""
    if not u.slots:
        return u
    slots = tuple(replace(s, negated=True) if negated_at(text, s.start, s.end) else s for s in u.slots)
    if slots == u.slots:
        return u
    act = Act.REJECT if u.act in (Act.STOP, Act.GIVE_UP) and any(s.negated for s in slots) else u.act
    return replace(u, act=act, slots=slots)
