"""Years and decades said in words: "two thousand ten", "nineteen ninety five", "twenty fifteen".

Speech recognizers write numbers as words, and neither the lexicon (which knows "the nineties") nor the
year pattern (digits) read them, so "something from two thousand ten" lost its era. A run of number words
is read as a year either whole, as a cardinal ("two thousand and ten", parsed by text2num), or in the
two-part way years are said ("nineteen ninety five" is 19|95, "twenty ten" is 20|10, "nineteen nineties"
the decade). Only 1900-2039 counts: "twenty one pilots" and "number one" are no years.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from text_to_num import text2num

from nlu.meaning import Slot

__all__ = ["spoken_years", "with_spoken_years"]

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_PLURAL_TENS = {
    "tens": 10,
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}
_NUMBER_WORDS = frozenset([*_UNITS, *_TENS, "hundred", "thousand", "oh", *_PLURAL_TENS])
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?", re.IGNORECASE)
FIRST_YEAR, LAST_YEAR = 1900, 2039


def _cardinal(words: list[str]) -> int | None:
    try:
        return int(text2num(" ".join(words), "en"))
    except ValueError:
        return None


def _year_of(words: list[str]) -> tuple[int, bool] | None:
    """(year, is a decade) of a run of number words, or None when it is no year."""
    whole = _cardinal([w for w in words if w != "and"])
    if whole is not None and FIRST_YEAR <= whole <= LAST_YEAR and "thousand" in words:
        return whole, False
    if len(words) >= 2 and words[0] in ("nineteen", "twenty"):
        century = 1900 if words[0] == "nineteen" else 2000
        rest = words[1:]
        if len(rest) == 1 and rest[0] in _PLURAL_TENS:
            return century + _PLURAL_TENS[rest[0]], True  # "nineteen nineties"
        said_oh = rest[0] == "oh"
        if said_oh and len(rest) == 2:
            rest = rest[1:]  # "nineteen oh five"
        elif said_oh:
            return None
        tail = _cardinal(rest)
        # The second half of a year said in two is two digits ("twenty ten") or "oh" and one: "twenty one"
        # is twenty-one (as in "twenty one pilots"), not 2001.
        if tail is not None and (10 <= tail <= 99 or said_oh) and (century == 1900 or tail <= 39):
            return century + tail, False
    return None


def spoken_years(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decade value "1990s") of every year or decade said in words in `text`."""
    words = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(text)]
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        j = i
        run: list[str] = []
        # A run of number words; "and" only between two of them ("two thousand and ten").
        while j < len(words):
            parts = words[j][2].split("-")
            if all(p in _NUMBER_WORDS for p in parts):
                run.extend(parts)
                j += 1
            elif words[j][2] == "and" and run and j + 1 < len(words) and words[j + 1][2] in _NUMBER_WORDS:
                run.append("and")
                j += 1
            else:
                break
        if run:
            year = _year_of(run)
            if year is not None:
                found.append((words[i][0], words[j - 1][1], f"{year[0] // 10 * 10}s"))
            i = j
        else:
            i += 1
    return found


def with_spoken_years(text: str, found: Sequence[Slot]) -> list[Slot]:
    """`found` with an era slot for each year said in words that no era slot covers yet; a name read
    there ("two thousand ten" as a title) gives way to it."""
    years = spoken_years(text)
    slots = list(found)
    if not years:
        return slots
    for start, end, decade in years:
        if any(s.name == "era" and s.start < end and start < s.end for s in slots):
            continue
        slots = [s for s in slots if not (s.start < end and start < s.end and s.name in ("artist", "track"))]
        if any(s.start < end and start < s.end for s in slots):
            continue
        slots.append(Slot("era", decade, start, end, 0.9))
    slots.sort(key=lambda s: s.start)
    return slots
