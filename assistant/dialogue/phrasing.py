"""Phrasing: the words of each move, in several variants, at three empathy levels.

Wording only; what to say is decided elsewhere. A variant is drawn with the seeded generator handed in,
so a replay with the same seed says the same thing.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.dialogue.actions import Action
from assistant.dialogue.closeness import Empathy
from assistant.music.catalog import Track

__all__ = [
    "HELP_TEXT",
    "SAMPLE_QUESTIONS",
    "WELCOME",
    "Phraser",
    "describe_track",
    "listed_options",
    "sample_question",
]

S, N, E = Empathy.SUPPORTIVE, Empathy.NEUTRAL, Empathy.ENTHUSIASTIC

WELCOME = "Hi, I'm tunetalk. Tell me what you'd like to hear, or just say \"help me find music\"."
HELP_TEXT = (
    'You can tell me a genre ("jazz"), a mood ("something laid back"), an era ("from the nineties"), '
    'an activity ("for a workout") or an artist ("something like ..."). When I play a sample, say yes '
    'if you like it, no or skip if not, or "older", "more upbeat" to steer; ask "what is this?" or say "go '
    'back" for the one before. Say stop to finish.'
)

PROMPTS: dict[Action, dict[Empathy, list[str]]] = {
    Action.OPEN_QUESTION: {
        S: [
            "No rush. Is there anything at all you're in the mood for?",
            "Let's figure it out together. Do you have anything in mind?",
        ],
        N: [
            "Do you have anything in mind?",
            "What would you like to hear?",
            "Any idea what you're in the mood for?",
        ],
        E: [
            "Let's find you something great! Anything in mind?",
            "Ooh, music time! What are you in the mood for?",
        ],
    },
    Action.MOOD_QUESTION: {
        S: [
            "Maybe we can start with the feel of it. Something laid back? Or more upbeat?",
            "Let's take it one step at a time: calm and laid back, or upbeat?",
        ],
        N: [
            "Something laid back? Or more upbeat?",
            "Are you after something laid back, or more upbeat?",
            "Chilled out or high energy?",
        ],
        E: ["Something laid back? Or more upbeat?", "Feeling laid back, or ready for something upbeat?"],
    },
    Action.GENRE_PAIR: {
        S: [
            "Maybe a different style would suit you. May I suggest some {a}? Or perhaps {b}?",
            "How about trying {a}, or maybe {b}?",
        ],
        N: [
            "May I suggest some {a}? Or perhaps {b}?",
            "How about {a}? Or would {b} be better?",
            "Would you like {a}, or {b}?",
        ],
        E: ["May I suggest some {a}? Or perhaps {b}?", "I've got great {a} and {b}. Which one?"],
    },
    Action.FEEL_AND_GENRE: {
        S: [
            "Let's narrow it down together. Something laid back, or upbeat? And maybe {a}, or {b}?",
            "Two quick things: calm or upbeat? And would {a} or {b} suit you?",
        ],
        N: [
            "Something laid back, or upbeat? And maybe {a}, or {b}?",
            "Laid back or upbeat? And how about {a}, or {b}?",
        ],
        E: ["Laid back or upbeat? And {a}, or {b}? Your call!"],
    },
    Action.ERA_QUESTION: {
        S: [
            "Would it help to pick a time? Something recent, or older?",
            "Maybe the era matters: something new, or a classic from a few decades back?",
        ],
        N: [
            "Something recent, or older?",
            "Any particular era? New releases, or something older?",
            "Which decade are you thinking of, or doesn't it matter?",
        ],
        E: ["Something fresh, or a throwback?", "New stuff, or something older?"],
    },
    Action.ACTIVITY_QUESTION: {
        S: [
            "Tell me what you're doing and I'll match it: working out, relaxing, focusing, a party?",
            "What's the music for? Working, relaxing, a workout, dinner?",
        ],
        N: [
            "What are you up to? Working out, relaxing, focusing, a party?",
            "Is this for anything in particular, like a workout, studying or dinner?",
        ],
        E: ["What's the occasion? Workout, party, focus, chilling out?"],
    },
    Action.ARTIST_SUGGESTION: {
        S: [
            "Let me try another way: how about something like {artist}?",
            "Would something in the style of {artist} suit you better?",
        ],
        N: ["How about something like {artist}?", "Do you like {artist}? I could play something like that."],
        E: ["You might love {artist}. Want something like that?"],
    },
    Action.PLAY_SAMPLE: {
        S: [
            "Let's try something a bit different. Here's \"{title}\" by {artist}, "
            "{feel} {subgenre} from {year}. "
            "Any better?",
            "Here's another direction: \"{title}\" by {artist} ({subgenre}, {year}). How's this one?",
        ],
        N: [
            'How about this? "{title}" by {artist}, {subgenre} from {year}. Did you like it?',
            'Here\'s "{title}" by {artist} ({subgenre}, {year}). What do you think?',
            'Try this: "{title}" by {artist}. Did you like it?',
        ],
        E: [
            'I think you\'ll like this one: "{title}" by {artist}! What do you think?',
            'This could be it: "{title}" by {artist}, {feel} {subgenre}. Did you like it?',
        ],
    },
    Action.OFFER_STATION: {
        S: [
            "Maybe a station would be easier: shall I play a mix of {desc} and you skip what you don't like?",
            "How about I just start a station of {desc}? We can steer it as it plays.",
        ],
        N: ["Shall I start a station of {desc}?", "Want me to put on a station of {desc}?"],
        E: ["Sounds like {desc} is your thing. Shall I start a station?"],
    },
}

ACKS: dict[str, dict[Empathy, list[str]]] = {
    "understood": {
        S: ["Thanks, that helps: {desc}.", "Okay, {desc}. Let's see."],
        N: ["{Desc}, got it.", "Okay, {desc}.", "Right, {desc}."],
        E: ["{Desc}, great choice!", "Ooh, {desc}. Nice!"],
    },
    # After a complaint or a negative turn: the same number of variants per level as "understood", so the
    # seeded draw is the same whichever is said, and no praise ("great choice!" right after "too loud").
    "understood_plain": {
        S: ["Thanks, that helps: {desc}.", "Okay, {desc}. Let's see."],
        N: ["{Desc}, got it.", "Okay, {desc}.", "Right, {desc}."],
        E: ["{Desc}, coming up.", "Okay, {desc} then."],
    },
    # A move from the sample ("too loud", "older"), said as the move (same counts as "understood").
    "steered": {
        S: ["Sorry about that. Let's try {desc}.", "Okay, {desc}. Let's see."],
        N: ["Okay, {desc}.", "Right, {desc}.", "{Desc} it is."],
        E: ["Sure, {desc}.", "{Desc}, coming up."],
    },
    "understood_without": {
        S: ["So: {desc}.", "That leaves {desc}."],
        N: ["So, {desc}.", "That leaves {desc}.", "So {desc} then."],
        E: ["So {desc} it is!", "Then {desc} it is!"],
    },
    "rejected": {
        S: ["Sorry that one missed.", "I hear you, not that one.", "Fair enough, let's keep looking."],
        N: ["Okay, not that one.", "No problem.", "Alright, let's try something else."],
        E: ["No problem!", "Sure, plenty more where that came from!"],
    },
    "skipped": {
        S: ["Skipping that one."],
        N: ["Skipping."],
        E: ["Next one coming up!"],
    },
    "dont_know": {
        S: ["No worries, we'll narrow it down together."],
        N: ["That's fine."],
        E: ["No problem at all!"],
    },
    "unclear": {
        S: ["Sorry, I didn't catch that.", "Sorry, I didn't quite understand."],
        N: ["Sorry, I didn't catch that.", "Hmm, I didn't get that."],
        E: ["Sorry, I missed that."],
    },
    "silent": {
        S: ["I didn't hear anything."],
        N: ["I didn't hear anything."],
        E: ["I didn't hear anything."],
    },
    "relaxed": {
        S: ["I couldn't find an exact match, so here's the closest I have."],
        N: ["Nothing matches exactly, so here's the closest."],
        E: ["Nothing matches exactly, but this is close."],
    },
    "unknown_artist": {
        S: ["I don't have {artist} in the catalogue, sorry."],
        N: ["I don't know {artist}, but let's find something close."],
        E: ["I don't have {artist}, but I can find something in that spirit."],
    },
    "unwanted": {
        S: ["Understood, no {what}."],
        N: ["Okay, no {what}."],
        E: ["Got it, no {what} then."],
    },
    "missing_genre": {
        S: ["I don't have any {genre} in this catalogue, sorry."],
        N: ["I don't have any {genre} here, sorry."],
        E: ["Sadly there's no {genre} in this catalogue."],
    },
    "not_a_genre": {
        S: ["I can't search for {what} music, sorry."],
        N: ["I can't look for {what} music, sorry."],
        E: ["I'm afraid I can't look for {what} music."],
    },
    "declined_confirmation": {
        S: ["Sorry, my mistake."],
        N: ["Sorry about that."],
        E: ["Oops, my mistake."],
    },
}

CLOSINGS: dict[str, dict[Empathy, list[str]]] = {
    "accepted": {
        S: ['Glad we found it. Starting a station based on "{title}" by {artist}.'],
        N: [
            'Great. Starting a station based on "{title}" by {artist}.',
            'Okay! Playing "{title}" by {artist}, with more like it after.',
        ],
        E: [
            'Brilliant! Starting a station based on "{title}" by {artist}. Enjoy!',
            'Yes! Here\'s "{title}" by {artist}, and more like it. Enjoy!',
        ],
    },
    "stopped": {
        S: ["Okay, stopping here. Sorry we didn't find it this time. Come back any time."],
        N: ["Okay, stopping here. Come back any time."],
        E: ["Okay, stopping here. See you next time!"],
    },
    "abandoned": {
        S: ["I'm sorry I couldn't find the right thing this time. Come back any time and we'll try again."],
        N: ["Sorry I couldn't find it this time. Come back any time."],
        E: ["Okay, let's try again another time!"],
    },
}

CONFIRM = "{value}, did I get that right?"

SAMPLE_QUESTIONS: tuple[str, ...] = (
    "Did you like it?",
    "What do you think?",
    "Any better?",
    "How's this one?",
    "Do you like it?",
)
"""The questions that end a sample's wording: asked after the clip has been heard (Reply.question)."""


def sample_question(prompt: str) -> tuple[str, str]:
    """A sample's wording split into the presentation and the question asked after the clip:
    'How about this? "X" by Y. Did you like it?' -> ('How about this? "X" by Y.', "Did you like it?")."""
    for question in SAMPLE_QUESTIONS:
        if prompt.endswith(" " + question):
            return prompt[: -len(question) - 1], question
    return prompt, ""


# The words the closed questions use for their options -> the value each one means. The variants list
# the options in different orders ("Working out, relaxing, ..." / "Workout, party, ..."), so "the second
# one" can only be resolved against the words actually said.
_OPTION_WORDS: dict[Action, dict[str, str]] = {
    Action.MOOD_QUESTION: {
        "laid back": "laid_back",
        "calm": "laid_back",
        "chilled out": "laid_back",
        "upbeat": "upbeat",
        "high energy": "upbeat",
    },
    Action.ERA_QUESTION: {
        "recent": "newer",
        "new": "newer",
        "fresh": "newer",
        "older": "older",
        "a classic": "older",
        "throwback": "older",
    },
    Action.ACTIVITY_QUESTION: {
        "working out": "workout",
        "workout": "workout",
        "relaxing": "relax",
        "chilling out": "relax",
        "focusing": "focus",
        "focus": "focus",
        "studying": "focus",
        "working": "focus",
        "party": "party",
        "dinner": "dinner",
    },
}
_OPTION_PATTERNS = {
    action: re.compile(r"\b(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")\b")
    for action, words in _OPTION_WORDS.items()
}


def listed_options(action: Action, text: str) -> tuple[str, ...]:
    """The values a closed question's wording offers, in the order it says them ("Something recent, or
    older?" -> ("newer", "older")); () for an open question or a wording that lists none."""
    pattern = _OPTION_PATTERNS.get(action)
    if pattern is None:
        return ()
    words = _OPTION_WORDS[action]
    values = (words[m.group(1)] for m in pattern.finditer(text.lower()))
    return tuple(dict.fromkeys(values))  # "calm and laid back" is one option


class Phraser:
    """Fills templates; the random generator picks among variants."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._last_prompt = ""

    def _pick(self, variants: list[str], slots: dict[str, object], avoid: str = "") -> str:
        index = int(self.rng.integers(len(variants)))
        desc = str(slots.get("desc", ""))
        filled = [v.format(**slots, Desc=desc[:1].upper() + desc[1:]) for v in variants]
        if filled[index] == avoid and len(variants) > 1:
            # The draw is kept (every later draw of a seeded conversation stays the same); only the
            # wording moves on, so a question asked again is not asked word for word.
            return filled[(index + 1) % len(variants)]
        return filled[index]

    def prompt(self, action: Action, level: Empathy, **slots: object) -> str:
        self._last_prompt = self._pick(PROMPTS[action][level], slots, avoid=self._last_prompt)
        return self._last_prompt

    def ack(self, kind: str, level: Empathy, **slots: object) -> str:
        return self._pick(ACKS[kind][level], slots)

    def closing(self, kind: str, level: Empathy, **slots: object) -> str:
        return self._pick(CLOSINGS[kind][level], slots)

    @staticmethod
    def confirm(value: str) -> str:
        return CONFIRM.format(value=value[:1].upper() + value[1:])


def describe_track(track: Track) -> str:
    """What a sample is, when asked: 'That's "Tin Dagger" by MC Luvisia, bright upbeat boom bap from 1998.'"""
    kind = " ".join(w for w in (track.mood, track.subgenre) if w)
    return f'That\'s "{track.title}" by {track.artist}, {kind} from {track.year}.'
