"""Eras: decades as people say them ("the nineties", "'90s", "nineteen nineties") and relative eras."""

from __future__ import annotations

_DECADE_WORDS = {
    1950: ["fifties", "50s", "'50s", "1950s", "nineteen fifties", "fiftys"],
    1960: ["sixties", "60s", "'60s", "1960s", "nineteen sixties", "sixtys"],
    1970: ["seventies", "70s", "'70s", "1970s", "nineteen seventies", "seventys"],
    1980: ["eighties", "80s", "'80s", "1980s", "nineteen eighties", "eightys"],
    1990: ["nineties", "90s", "'90s", "1990s", "nineteen nineties", "ninetys"],
    2000: [
        "2000s",
        "two thousands",
        "noughties",
        "aughts",
        "the two thousands",
        "early two thousands",
        "naughties",
        "00s",
    ],
    2010: ["2010s", "twenty tens", "tens", "twenty-tens", "10s", "the last decade"],
    2020: ["2020s", "twenty twenties", "this decade", "20s"],
}
DECADES: dict[str, list[str]] = {f"{d}s": forms for d, forms in _DECADE_WORDS.items()}

ERA_RELATIVE: dict[str, list[str]] = {
    "older": [
        "older",
        "old",
        "old school",
        "old-school",
        "oldies",
        "vintage",
        "retro",
        "classic stuff",
        "earlier",
        "from back in the day",
        "back in the day",
        "less recent",
        "throwback",
        "throwbacks",
        "nostalgic",
        "nostalgia",
        "classic",
        "classics",
        "a classic",
        "the classics",
    ],
    "newer": [
        "newer",
        "new",
        "recent",
        "more recent",
        "modern",
        "latest",
        "current",
        "contemporary stuff",
        "fresh",
        "new stuff",
        "newer stuff",
        "nowadays",
        "this year",
        "brand new",
        "less old",
        "new school",
        "new-school",
    ],
}
