"""What simulated listeners say: their fixed phrase lists, and how the assistant's words are read back."""

from __future__ import annotations

import re

import numpy as np

from assistant.music.constraints import ACTIVITY_SAID
from nlu.lexicon import ACTIVITIES

__all__ = [
    "ACCEPT",
    "ACCEPT_STRONG",
    "ACCEPT_WEAK",
    "ACTIVITY_OF_SAID",
    "ACTIVITY_SAID_RE",
    "ACTIVITY_WORDS",
    "CALMER",
    "DECADE_WORDS",
    "DONT_KNOW",
    "FEEL_WORDS",
    "FILLERS",
    "GREETINGS",
    "LAID_BACK",
    "MORE_UPBEAT",
    "NEWER",
    "NO",
    "NOTHING_PARTICULAR",
    "NO_PREFERENCE",
    "OLDER",
    "QUIT",
    "REJECT",
    "SIMULATED_ACTIVITIES",
    "STOP",
    "UPBEAT",
    "described_era",
    "pick",
]


# -- phrases --------------------------------------------------------------------------------------
GREETINGS = (
    "help me find music",
    "hi",
    "find me some music",
    "I need some music",
    "recommend something",
    "hey, help me find something to listen to",
    "play some music",
    "help me find some music",
)


DONT_KNOW = ("I don't know", "not sure", "no idea", "hmm, not sure", "surprise me", "dunno", "I'm not sure")


NO_PREFERENCE = ("doesn't matter", "I don't mind", "no preference", "anything is fine", "either is fine")


NOTHING_PARTICULAR = ("nothing in particular", "no, nothing specific", "not in particular")


LAID_BACK = ("something laid back", "laid back", "chill please", "something calm", "mellow", "relaxed please")


UPBEAT = ("something upbeat", "upbeat", "upbeat please", "energetic", "something lively", "high energy")


MORE_UPBEAT = ("something more upbeat", "more energy please", "livelier", "no, something more energetic")


CALMER = (
    "calmer",
    "something more chill",
    "too loud",
    "softer please",
    "no, something calmer",
    "more relaxed",
)


OLDER = ("older", "something older", "no, older", "older please", "more old school")


NEWER = ("newer", "something more recent", "more recent please", "no, newer")


ACCEPT_WEAK = ("hmm, ok", "ok", "fine", "alright")


ACCEPT = ("yes", "I like it", "that's good", "yes please", "sounds good", "yeah")


ACCEPT_STRONG = ("YES!", "I love it", "Brilliant, I love it", "perfect", "love it!", "that's the one")


REJECT = ("no", "nope", "not that", "not for me", "skip", "next", "something else", "nah", "not feeling it")


NO = ("no", "not really", "no thanks", "nah")


QUIT = ("forget it", "never mind", "this isn't working", "I give up")


STOP = ("stop", "bye", "I'm done", "that's enough")


DECADE_WORDS = {
    1950: ("the fifties", "the 50s"),
    1960: ("the sixties", "the 60s"),
    1970: ("the seventies", "the 70s"),
    1980: ("the eighties", "the 80s"),
    1990: ("the nineties", "the 90s"),
    2000: ("the 2000s", "the noughties"),
    2010: ("the 2010s", "the twenty tens"),
    2020: ("the 2020s", "this decade"),
}


SIMULATED_ACTIVITIES = (
    "commute",
    "cooking",
    "dinner",
    "focus",
    "party",
    "relax",
    "running",
    "sleep",
    "workout",
)
"""What simulated listeners may be doing: fixed when the populations were written, so an activity the
understanding learns later (hiking: "outdoors") does not change who the simulated listeners are."""


ACTIVITY_WORDS = {a: tuple(ACTIVITIES[a][:3]) for a in SIMULATED_ACTIVITIES}


FILLERS = ("uh", "um", "the", "a", "and", "so", "oh")


# How the assistant words energy when it describes a station (assistant.music.constraints.describe).
FEEL_WORDS = {"laid back": 0.28, "upbeat": 0.82, "mid-tempo": 0.5}


# A station's activity as assistant.music.constraints.describe words it ("for the commute").
ACTIVITY_OF_SAID = {said: activity for activity, said in ACTIVITY_SAID.items()}


ACTIVITY_SAID_RE = re.compile(
    r"\bfor (" + "|".join(re.escape(s) for s in sorted(ACTIVITY_OF_SAID, key=len, reverse=True)) + r")\b"
)


def pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def described_era(lowered: str) -> tuple[int, int] | None:
    decade = re.search(r"from the (\d{4})s", lowered)
    if decade:
        return int(decade.group(1)), int(decade.group(1)) + 9
    before = re.search(r"from before (\d{4})", lowered)
    if before:
        return 1900, int(before.group(1)) - 1
    after = re.search(r"from after (\d{4})", lowered)
    if after:
        return int(after.group(1)) + 1, 2100
    return None
