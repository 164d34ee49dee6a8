"""Rhythm and harmony tables: drum grids, bass rhythms, how each style plays its chords, chord
progressions, chord qualities and scales. Every rhythm is a 16-step bar, one per level from calmest
(level 0) to most driving (level 3)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "BASS_RHYTHMS",
    "CHORD_PARTS",
    "DRUM_PATTERNS",
    "MAJOR_SCALE",
    "MINOR_SCALE",
    "PROGRESSIONS",
    "QUALITY",
    "STEPS",
    "ChordPart",
]

STEPS = 16
"""Sixteenth notes per bar: every rhythm below is a 16-character string, "x" a hit, "o" a soft one."""

DRUM_TABLE = """
four    0 kick x.......x....... hat ..o.......o.....
four    1 kick x...x...x...x... hat ..x...x...x...x. clap ....o.......o...
four    2 kick x...x...x...x... hat o.x.o.x.o.x.o.x. clap ....x.......x...
four    3 kick x...x...x...x... hat xoxoxoxoxoxoxoxo open ..x...x...x...x. clap ....x.......x...
rock    0 kick x.......x....... rim ....o.......o... hat x...x...x...x...
rock    1 kick x.......x.x..... snare ....x.......x... hat x.x.x.x.x.x.x.x.
rock    2 kick x.....x.x.x..... snare ....x.......x... hat x.x.x.x.x.x.x.x. crash x...............
rock    3 kick x.x...x.x.x...x. snare ....x.......x.ox hat xxxxxxxxxxxxxxxx crash x.......x.......
pop     0 kick x.......x....... shaker o.o.o.o.o.o.o.o.
pop     1 kick x.......x....... clap ....x.......x... shaker o.o.o.o.o.o.o.o.
pop     2 kick x...x...x...x... snare ....x.......x... hat x.x.x.x.x.x.x.x.
pop     3 kick x...x...x.x.x... snare ....x.......x... hat xoxoxoxoxoxoxoxo crash x...............
metal   0 kick x............... snare ........x....... hat x...x...x...x...
metal   1 kick x.......x.x..... snare ....x.......x... hat x.x.x.x.x.x.x.x.
metal   2 kick x.x.x.x.x.x.x.x. snare ....x.......x... ride x.x.x.x.x.x.x.x. crash x...............
metal   3 kick xxxxxxxxxxxxxxxx snare ..x...x...x...x. crash x...x...x...x...
punk    0 kick x.......x....... snare ....x.......x... hat x...x...x...x...
punk    1 kick x...x...x...x... snare ....x.......x... hat x.x.x.x.x.x.x.x.
punk    2 kick x.x...x.x.x...x. snare ....x.......x... hat x.x.x.x.x.x.x.x. crash x...............
punk    3 kick x.x.x.x.x.x.x.x. snare ..x...x...x...x. hat xxxxxxxxxxxxxxxx crash x.......x.......
boombap 0 kick x.........x..... rim ....o.......o... hat x...x...x...x...
boombap 1 kick x.........x..... snare ....x.......x... hat x.x.x.x.x.x.x.x.
boombap 2 kick x......x..x..... snare ....x.......x... hat x.x.x.x.x.x.x.x. open ..............x.
boombap 3 kick x.x....x..x..x.. snare ....x..o....x... hat xoxoxoxoxoxoxoxo open ......x.......x.
rnb     0 kick x.........x..... rim ....o.......o... shaker o.o.o.o.o.o.o.o.
rnb     1 kick x......x..x..... clap ....x.......x... hat x.x.x.x.x.x.x.x.
rnb     2 kick x......x..x..... clap ....x.......x... hat xoxoxoxoxoxoxoxo
rnb     3 kick x..x...x..x..x.. clap ....x.......x... hat xxxxxxxxxxxxxxxx open ......x.......x.
trap    0 kick x............... snare ........o....... hat x...x...x...x...
trap    1 kick x......x........ snare ........x....... hat x.x.x.x.x.x.x.x.
trap    2 kick x......x..x..... snare ........x....... hat xxxxxxxxxxxxxxxx
trap    3 kick x..x...x..x..x.. snare ........x....... hat xxxxxxxxxxxxxxxx roll ............x...
dnb     0 kick x.........x..... rim ....o.......o... ride x...x...x...x...
dnb     1 kick x.........x..... snare ....x.......x... hat x.x.x.x.x.x.x.x.
dnb     2 kick x.........x..... snare ....x..o.o..x... hat x.x.x.x.x.x.x.x.
dnb     3 kick x.....x...x..... snare ....x..o.o..x..o hat xxxxxxxxxxxxxxxx
jazz    0 brush x...x...x...x... ride x.......x.......
jazz    1 brush x...x...x...x... ride x...x.x.x...x.x. pedal ....x.......x...
jazz    2 ride x...x.x.x...x.x. pedal ....x.......x... kick o.......o....... rim ......o.......o.
jazz    3 ride x.x.x.x.x.x.x.x. pedal ....x.......x... kick o...o...o...o... rim ..o....o..o...o.
shuffle 0 kick x.......x....... rim ....o.......o... hat x...x...x...x...
shuffle 1 kick x.......x....... snare ....x.......x... hat x.x.x.x.x.x.x.x.
shuffle 2 kick x...x...x...x... snare ....x.......x... hat x.x.x.x.x.x.x.x.
shuffle 3 kick x...x...x...x... snare ..o.x.o...o.x.o. ride x.x.x.x.x.x.x.x.
country 0 kick x.......x....... brush ....x.......x...
country 1 kick x.......x....... snare ....x.......x... hat x.x.x.x.x.x.x.x.
country 2 kick x...x...x...x... snare ..x...x...x...x. hat x.x.x.x.x.x.x.x.
country 3 kick x...x...x...x... snare oxoxoxoxoxoxoxox hat x.x.x.x.x.x.x.x.
folk    0
folk    1 shaker o...o...o...o...
folk    2 kick x.......x....... tamb ....x.......x...
folk    3 kick x...x...x...x... tamb ..x...x...x...x. clap ....x.......x...
stomp   0
stomp   1 kick x.......x.......
stomp   2 kick x...x...x...x...
stomp   3 kick x...x...x...x... clap ....x.......x...
onedrop 0 kick ........x....... rim ........x....... hat x...x...x...x...
onedrop 1 kick ........x....... rim ........x....... hat x.x.x.x.x.x.x.x.
onedrop 2 kick x...x...x...x... rim ........x....... hat x.x.x.x.x.x.x.x.
onedrop 3 kick x...x...x...x... rim ....x.......x... hat xxxxxxxxxxxxxxxx
salsa   0 clave x..x..x...x.x... conga ......x.......x.
salsa   1 clave x..x..x...x.x... conga ..o...x...o...x. shaker o.o.o.o.o.o.o.o.
salsa   2 clave x..x..x...x.x... conga ..o.o.x...o.o.x. cowbell x...x...x...x...
salsa   3 clave x..x..x...x.x... conga o.o.o.x.o.o.o.x. cowbell x.x.x.x.x.x.x.x. kick ...x.......x....
dembow  0 kick x.......x....... snare ......x.......x.
dembow  1 kick x...x...x...x... snare ...x..x....x..x.
dembow  2 kick x...x...x...x... snare ...x..x....x..x. hat x.x.x.x.x.x.x.x.
dembow  3 kick x...x...x...x... snare ...x..x....x..x. hat xxxxxxxxxxxxxxxx clap ....x.......x...
bossa   0 rim x..x..x...x..x..
bossa   1 rim x..x..x...x..x.. kick x......xx......x shaker o.o.o.o.o.o.o.o.
bossa   2 rim x..x..x...x..x.. kick x......xx......x shaker oooooooooooooooo
bossa   3 rim x..x..x...x..x.. kick x......xx......x hat x.x.x.x.x.x.x.x. shaker oooooooooooooooo
funk    0 kick x.........x..... snare ....o.......o... hat x.x.x.x.x.x.x.x.
funk    1 kick x.x.......x..x.. snare ....x..o.o..x... hat xoxoxoxoxoxoxoxo
funk    2 kick x.x...x...x..x.. snare ....x..o.o..x..o hat xxxxxxxxxxxxxxxx
funk    3 kick x.x...x...x..x.. snare ....x..o.o..x..o hat xxxxxxxxxxxxxxxx tamb oooooooooooooooo
motown  0 kick x.......x....... snare ....o.......o... tamb ....x.......x...
motown  1 kick x...x...x...x... snare x...x...x...x... tamb ....x.......x...
motown  2 kick x...x...x...x... snare x...x...x...x... hat x.x.x.x.x.x.x.x. tamb x.x.x.x.x.x.x.x.
motown  3 kick x...x...x...x... snare x...x...x...x... hat x.x.x.x.x.x.x.x. tamb xxxxxxxxxxxxxxxx
"""
"""Drum grids: style, level, then instrument and its 16 steps. Read into DRUM_PATTERNS."""


def _drum_patterns(table: str) -> dict[str, list[dict[str, str]]]:
    patterns: dict[str, list[dict[str, str]]] = {}
    for line in table.strip().splitlines():
        style, level, *rest = line.split()
        bar = dict(zip(rest[::2], rest[1::2], strict=True))
        levels = patterns.setdefault(style, [])
        if any(len(steps) != STEPS for steps in bar.values()) or int(level) != len(levels):
            raise ValueError(f"drum table line {line!r}: levels 0..3 in order, {STEPS} steps each")
        levels.append(bar)
    return patterns


DRUM_PATTERNS = _drum_patterns(DRUM_TABLE)

BASS_RHYTHMS: dict[str, list[str]] = {
    "none": ["", "", "", ""],
    "picked": ["x.......x.......", "x...x...x...x...", "x.x.x.x.x.x.x.x.", "x.x.x.x.x.x.x.x."],
    "synth": ["x...............", "x.......x.......", "..x...x...x...x.", "x.xxx.xxx.xxx.xx"],
    "walking": ["x.......x.......", "x...x...x...x...", "x...x...x...x...", "x...x...x.x.x..."],
    "upright": ["x.......x.......", "x.......x...x...", "x...x...x...x...", "x...x.x.x...x.x."],
    "sub": ["x...............", "x.......x.......", "x.....x...x.....", "x.....x.x.x...x."],
    "808": ["x...............", "x......x........", "x......x..x.....", "x..x...x..x..x.."],
    "reggae": ["x.......x.......", "x..x......x.....", "x..x..x...x.x...", "x.xx..x.x.x.x..."],
    "dub": ["x...............", "x.....x.........", "x.....x...x.....", "x..x..x...x.x..."],
    "tumbao": ["......x.......x.", "...x..x....x..x.", "...x..x....x..x.", "...x..x.x..x..x."],
    "pedal": ["x...............", "x...x...x...x...", "x.x.x.x.x.x.x.x.", "xxxxxxxxxxxxxxxx"],
    "boogie": ["x.......x.......", "x...x...x...x...", "x.x.x.x.x.x.x.x.", "x.x.x.x.x.x.x.x."],
    "boomchick": ["x.......x.......", "x.......x.......", "x...x...x...x...", "x...x...x...x..."],
    "continuo": ["x.......x.......", "x...x...x...x...", "x.x.x.x.x.x.x.x.", "x.x.x.x.x.x.x.x."],
    "slap": ["x.........x.....", "x..x..x...x..x..", "x.xx..x.x.x..xx.", "x.xx.xx.x.xxx.x."],
    "drone": ["x...............", "x...............", "x.......x.......", "x.......x......."],
}


class ChordPart(NamedTuple):
    """How a palette plays its harmony."""

    instrument: str
    rhythms: tuple[str, ...]
    """One 16-step bar per level, calm to driving."""
    arpeggio: bool
    """One chord tone per hit, cycling up the chord (else every tone at once, strummed for guitars)."""
    ring: bool
    """Notes sound until the next hit (else short, staccato)."""


CHORD_TABLE = """
power       power       chord ring  x............... x.......x....... x.x.x.x.x.x.x.x. xxxxxxxxxxxxxxxx
strum       guitar      chord ring  x.......x....... x...x...x...x... x.x.x.x.x.x.x.x. x.xxx.xxx.xxx.xx
nylon       nylon       chord ring  x.......x....... x..x..x...x..x.. x..x..x...x..x.. x.xx.x.x.xx.x.x.
slide       guitar      arp   ring  x.......x....... x...x...x...x... x.x.x.x.x.x.x.x. x.x.x.x.x.x.x.x.
comp        piano       chord ring  x............... x.....x......... x..x....x.x..... x..x..x..x.x..x.
piano       piano       chord ring  x............... x.......x....... x...x...x...x... x.x.x.x.x.x.x.x.
rhodes      rhodes      chord ring  x............... x.......x....... x.....x...x..... x..x..x...x..x..
arp         piano       arp   ring  x.......x....... x...x...x...x... x.x.x.x.x.x.x.x. xxxxxxxxxxxxxxxx
harpsichord harpsichord arp   ring  x...x...x...x... x.x.x.x.x.x.x.x. xxxxxxxxxxxxxxxx xxxxxxxxxxxxxxxx
marimba     marimba     arp   short x...x...x...x... x.x.x.x.x.x.x.x. xxxxxxxxxxxxxxxx xxxxxxxxxxxxxxxx
pad         pad         chord ring  x............... x............... x.......x....... x...x...x...x...
stab        stab        chord short x............... x.......x....... ..x...x...x...x. x.xx.x.xx.x.xx.x
bell        bell        arp   ring  x.......x....... x...x...x...x... x.x.x.x.x.x.x.x. x.xxx.xxx.xxx.xx
skank       organ       chord short ....x.......x... ..x...x...x...x. ..x...x...x...x. ..x.x.x...x.x.x.
montuno     piano       arp   short x.......x....... x..x..x...x..x.. x.xx.x.xx.x.xx.x x.xx.x.xx.x.xx.x
chop        guitar      chord short x.......x....... ..x...x...x...x. .xx.x.xx.xx.x.xx xxxxxxxxxxxxxxxx
"""
"""Part name, instrument, chord or arp, ring or short, then the rhythm of levels 0..3."""
CHORD_PARTS: dict[str, ChordPart] = {
    name: ChordPart(instrument, tuple(rhythms), style == "arp", ring == "ring")
    for name, instrument, style, ring, *rhythms in (line.split() for line in CHORD_TABLE.strip().splitlines())
}

# Chord progressions, one chord per bar: (semitones above the tonic, quality), for major (False) and
# minor (True) keys. Qualities: "M", "m", "7" (dominant), "M7", "m7".
PROGRESSIONS: dict[str, dict[bool, list[list[tuple[int, str]]]]] = {
    "pop": {
        False: [
            [(0, "M"), (7, "M"), (9, "m"), (5, "M")],
            [(0, "M"), (5, "M"), (7, "M"), (5, "M")],
            [(0, "M"), (9, "m"), (5, "M"), (7, "M")],
        ],
        True: [
            [(0, "m"), (8, "M"), (3, "M"), (10, "M")],
            [(0, "m"), (5, "m"), (8, "M"), (7, "m")],
            [(0, "m"), (10, "M"), (8, "M"), (10, "M")],
        ],
    },
    "rock": {
        False: [[(0, "M"), (10, "M"), (5, "M"), (0, "M")], [(0, "M"), (5, "M"), (7, "M"), (5, "M")]],
        True: [[(0, "m"), (10, "M"), (8, "M"), (10, "M")], [(0, "m"), (5, "m"), (10, "M"), (0, "m")]],
    },
    "jazz": {
        False: [[(2, "m7"), (7, "7"), (0, "M7"), (9, "m7")], [(0, "M7"), (9, "m7"), (2, "m7"), (7, "7")]],
        True: [[(0, "m7"), (5, "m7"), (10, "7"), (3, "M7")], [(0, "m7"), (8, "M7"), (2, "m7"), (7, "7")]],
    },
    "blues": {
        False: [[(0, "7"), (5, "7"), (0, "7"), (7, "7")]],
        True: [[(0, "m7"), (5, "m7"), (0, "m7"), (7, "7")]],
    },
    "baroque": {
        False: [[(0, "M"), (5, "M"), (7, "M"), (0, "M")], [(0, "M"), (7, "M"), (9, "m"), (4, "m")]],
        True: [[(0, "m"), (5, "m"), (7, "M"), (0, "m")], [(0, "m"), (8, "M"), (5, "m"), (7, "M")]],
    },
    "modal": {
        False: [[(0, "M"), (0, "M"), (5, "M"), (0, "M")], [(0, "M"), (10, "M"), (0, "M"), (5, "M")]],
        True: [[(0, "m"), (0, "m"), (10, "M"), (0, "m")], [(0, "m"), (3, "M"), (0, "m"), (8, "M")]],
    },
    "metal": {
        False: [[(0, "M"), (10, "M"), (8, "M"), (0, "M")]],
        True: [[(0, "m"), (1, "M"), (0, "m"), (10, "M")], [(0, "m"), (8, "M"), (10, "M"), (0, "m")]],
    },
    "drone": {
        False: [[(0, "M"), (0, "M"), (5, "M"), (5, "M")], [(0, "M"), (0, "M"), (9, "m"), (9, "m")]],
        True: [[(0, "m"), (0, "m"), (8, "M"), (8, "M")], [(0, "m"), (0, "m"), (5, "m"), (5, "m")]],
    },
}
QUALITY: dict[str, tuple[int, ...]] = {
    "M": (0, 4, 7),
    "m": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "M7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
}
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
