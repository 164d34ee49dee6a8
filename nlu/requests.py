"""How a turn asks: a command to play, the choice handed over, an artist's own music, a catalogue question.

Read from the words the same way by both understandings (nlu/turns.py applies them last), so the
dialogue manager never looks at the text:
- a command ("play ...", "put on ...", "queue up ..."): the person wants music now;
- the choice handed over ("just play something", "play anything", "surprise me", "you pick"); with a
  command, or before anything was asked, that means play now;
- an artist's own music ("some songs by X", "add in some X", "more of X", "how about X?"), against music
  like theirs ("something like X");
- a question about what the catalogue holds ("what genres do you have?", "which artists are there?"),
  with the kind of thing asked about as a `topic` slot.
"""

from __future__ import annotations

import re

from nlu.meaning import Slot

__all__ = ["catalogue_topic", "hands_over", "is_command", "own_music_before"]

_OPENERS = r"(?:please|just|can you|could you|would you|now|ok(?:ay)?|hey|then|so|whatever|anything)"
_COMMAND = re.compile(rf"^\W*(?:{_OPENERS}\W+)*(?:play|put on|queue up)\b", re.IGNORECASE)
_HANDS_OVER = re.compile(
    r"^\W*(?:(?:please|just|ok(?:ay)?|now|hey|then|so|whatever|anything)\W+)*(?:play|put on)\s+(?:me\s+)?"
    r"(?:anything|something|whatever)(?:\s+(?:at all|you like|you want|random|already|then))?"
    r"\W*(?:please\W*)?$",
    re.IGNORECASE,
)
_HANDS_OVER_WITHOUT_COMMAND = re.compile(
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
# "what genres do you have", "which artists are there", "what kind of music have you got", "what's in
# the catalogue": a question about a kind of thing, not a request for one value ("do you have any jazz?").
_TOPIC_WORDS = {
    "genre": r"genres?|styles?|(?:kinds?|types?|sorts?|styles?) of [\w&' -]+?|music styles?",
    "artist": r"artists?|bands?|singers?|musicians?|groups?|who",
    "era": r"eras?|decades?|years?|periods?|time periods?",
    "mood": r"moods?|feels?|vibes?",
    "activity": r"activities|occasions?",
}
_HAVE = (
    r"(?:do you (?:have|know|carry|play|got)|have you got|you got|are there|is there"
    r"|can i (?:choose|pick|ask for)"
    r"(?: from)?|can you play|does (?:it|the catalogue|this) have|are (?:in|on) (?:here|there|the catalogue)"
    r"|(?:is|are) available|you have|there are|in (?:the|your) (?:catalogue|catalog|collection|library))"
)
_OPENING = r"^\W*(?:(?:so|ok(?:ay)?|um+|uh+|hey|and|well)\W+)*"
_ASK = re.compile(
    _OPENING + r"(?:what|which)\s+(?:(?:other|kind of|kinds of|sort of)\s+)?"
    r"(?P<topic>" + "|".join(f"(?P<{k}>{v})" for k, v in _TOPIC_WORDS.items()) + r")"
    r"(?:\s+of\s+music)?\s+(?:"
    + _HAVE
    + r")\b.*$"
    + r"|"
    + _OPENING
    + r"(?:what(?:'?s| is| do you have) in (?:the|your) "
    r"(?:catalogue|catalog|collection|library)|what (?:music )?(?:do you have|have you got|is there)"
    r"|what can i (?:choose|pick) from|what(?:'s| is) available|show me what you(?:'ve| have) got)\W*$",
    re.IGNORECASE,
)
_WHO = re.compile(
    _OPENING + r"who (?:do you have|have you got|is (?:in|on) (?:here|there))\W*$",
    re.IGNORECASE,
)
MAX_CHARS = 100


def is_command(text: str) -> bool:
    """ "play ...", "put on ...", "queue up ...", after a few openers ("ok just play ...")."""
    return _COMMAND.match(text) is not None


def hands_over(text: str) -> bool:
    """ "just play something", "play anything", "surprise me", "you pick": the choice is the assistant's."""
    return _HANDS_OVER.match(text) is not None or _HANDS_OVER_WITHOUT_COMMAND.match(text) is not None


def own_music_before(before: str) -> bool:
    """Do the words before an artist's name ask for their own music ("songs by", "some", "more of")?"""
    return _OWN_MUSIC_BEFORE.search(before) is not None


def catalogue_topic(text: str) -> tuple[bool, Slot | None]:
    """(is this a question about what the catalogue holds, the `topic` slot if it names one)."""
    if not text or len(text) > MAX_CHARS:
        return False, None
    if _WHO.match(text.strip()):
        return True, Slot("topic", "artist", text.lower().find("who"), text.lower().find("who") + 3)
    m = _ASK.match(text.strip())
    if m is None:
        return False, None
    for topic in _TOPIC_WORDS:
        if m.group(topic):
            offset = len(text) - len(text.lstrip())
            return True, Slot("topic", topic, offset + m.start(topic), offset + m.end(topic))
    return True, None
