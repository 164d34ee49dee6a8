"""What a turn does in the conversation, read the same way by both understandings (applied last).

The attribute slots say what music is wanted; this adds what the turn does with the conversation so far,
so the dialogue manager acts on meanings and never reads the words: choosing among the options just
offered (nlu/references.py), asking about the sample (nlu/sample_talk.py), asking what the catalogue holds,
a command to play, handing the choice over and an artist's own music (nlu/requests.py). Whole-turn
patterns decide for both understandings; the trained model's act head may also find these acts in words
the patterns do not cover, and is then held to what the words can support (a choice must say which).
"""

from __future__ import annotations

import re
from dataclasses import replace

from nlu.meaning import Act, Slot, Understanding
from nlu.references import OPTION_VALUES, read_choice
from nlu.requests import catalogue_topic, hands_over, is_command, own_music_before
from nlu.sample_talk import sample_act

__all__ = ["CONVERSATION_ACTS", "in_conversation"]

CONVERSATION_ACTS = (Act.CHOOSE, Act.PREVIOUS, Act.AGAIN, Act.WHAT_IS_PLAYING, Act.ASK_CATALOGUE)
"""Acts about the conversation itself, resolved by the manager against what it offered or played."""

_LOOSE_OPTION = re.compile(
    r"\b(?:(?P<o1>first|1st)|(?P<o2>second|2nd)|(?P<o3>third|3rd)|(?P<o4>fourth|4th)|(?P<olast>last|latter)"
    r"|(?P<oneither>neither|none of them)|(?P<oboth>both|either))\b",
    re.IGNORECASE,
)
# Words a question about the sample, going back or hearing it again cannot do without: the act head alone
# read "no idea who that is" (an artist suggested) as a question about the sample.
_SAMPLE_WORDS = {
    Act.WHAT_IS_PLAYING: re.compile(r"\b(?:this|playing|song|track|tune|called)\b", re.IGNORECASE),
    Act.PREVIOUS: re.compile(r"\b(?:back|before|previous|earlier|last)\b", re.IGNORECASE),
    Act.AGAIN: re.compile(r"\b(?:again|repeat|replay|once more|over|start)\b", re.IGNORECASE),
}
_LOOSE_TOPIC = re.compile(
    r"\b(?:(?P<genre>genres?|styles?|kinds? of music)|(?P<artist>artists?|bands?|singers?)"
    r"|(?P<era>eras?|decades?|years?)|(?P<anything>catalogue|catalog|collection|library))\b",
    re.IGNORECASE,
)
MAX_LOOSE_WORDS = 8


def in_conversation(text: str, u: Understanding) -> Understanding:
    """`u` with its act set when the turn chooses an option, asks about the sample or the catalogue, and
    with the command, hand-over and own-music marks."""
    u = _conversation_act(text, u)
    artists_own = tuple(
        replace(s, own=True)
        if s.name == "artist" and not s.negated and own_music_before(text[: s.start])
        else s
        for s in u.slots
    )
    return replace(u, slots=artists_own, command=is_command(text), hand_over=hands_over(text))


def _conversation_act(text: str, u: Understanding) -> Understanding:
    if u.act in (Act.STOP, Act.GIVE_UP):
        return u
    act = sample_act(text)
    if act is not None:
        return replace(u, act=act, slots=())
    asked, topic = catalogue_topic(text)
    if asked:
        # "What kinds of rock do you have?" asks within a genre: the genre said stays with the question.
        within = tuple(s for s in u.attributes if s.name == "genre" and not s.negated)
        return replace(u, act=Act.ASK_CATALOGUE, slots=((topic,) if topic else ()) + within)
    attributes = tuple(s for s in u.attributes if not s.negated)
    options = read_choice(text, attributes)
    if options is not None:
        return replace(u, act=Act.CHOOSE, slots=(*options, *attributes))
    if u.act in CONVERSATION_ACTS:
        return _held_to_the_words(text, u, attributes)
    return u


def _held_to_the_words(text: str, u: Understanding, attributes: tuple[Slot, ...]) -> Understanding:
    """The model's act head said a conversation act the whole-turn patterns did not find: kept when the
    words support it (a choice names an option, a short turn; questions about the sample or the catalogue
    carry no attribute), else the best of the other acts."""
    short = len(text.split()) <= MAX_LOOSE_WORDS
    if u.act is Act.CHOOSE and short:
        # A choice says which: an ordinal, "both", "neither". Named by an attribute only in the whole-turn
        # form ("the upbeat one"); "let's go with trap" is a request for trap, whatever was offered.
        found = [m for m in _LOOSE_OPTION.finditer(text)]
        options = tuple(
            Slot("option", _option_value(m), m.start(), m.end())
            for m in found
            if _option_value(m) in OPTION_VALUES
        )
        if options:
            return replace(u, slots=(*options[:1], *attributes))
    elif u.act is Act.ASK_CATALOGUE and not attributes and _LOOSE_TOPIC.search(text):
        # A question about the catalogue names what it asks about: "what have you got for me" is a hello.
        m = _LOOSE_TOPIC.search(text)
        assert m is not None
        topic = next((k for k, v in m.groupdict().items() if v and k != "anything"), None)
        return replace(u, slots=(Slot("topic", topic, m.start(), m.end()),) if topic else ())
    elif u.act in _SAMPLE_WORDS and not attributes and _SAMPLE_WORDS[u.act].search(text):
        return replace(u, slots=())
    return replace(u, act=_best_other_act(u), slots=u.slots)


def _option_value(m: re.Match[str]) -> str:
    name = next(k for k, v in m.groupdict().items() if v)
    return {"oneither": "neither", "oboth": "both"}.get(name, name[1:])


def _best_other_act(u: Understanding) -> Act:
    """The most probable act that is not a conversation act (from the model's per-act probabilities)."""
    scored = [(u.extras.get(f"p_{a.value}", 0.0), a) for a in Act if a not in CONVERSATION_ACTS]
    best = max(scored, key=lambda pa: pa[0])
    if best[0] > 0:
        return best[1]
    return Act.INFORM if u.attributes else Act.UNCLEAR
