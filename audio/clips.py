"""Short music previews synthesized from a track's features (pure numpy), cached as WAV outside the repo.

What a listener should hear follows the features:
- tempo sets the beat grid (capped to 50..200 BPM so the grid stays playable);
- energy sets the rhythm density (hits per beat for drums, notes per beat for bass, chords and melody),
  the loudness (target RMS), and the brightness (harmonics per note and a low-pass on the mix);
- valence picks major or minor harmony and melody;
- genre and subgenre pick the instrument palette: four-on-the-floor and saw stabs for house, distorted
  power chords for rock and metal, walking bass and brushes for jazz, Karplus-Strong guitars for folk,
  offbeat skank for reggae, clave and congas for salsa, strings and piano without drums for classical,
  pads without drums for ambient. Unknown labels (a real catalogue's "edm", "k-pop") fall back to a
  related palette or to one chosen from the features.
The random generator is seeded from the track id, so a track always sounds the same. `clip_path` keys its
cache file by a hash of the features that shape the sound plus SYNTH_VERSION, so a change to either
makes a fresh clip and never serves a stale one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import wave
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from assistant.music.catalog import Track
    from audio.sound import Sound

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_SECONDS",
    "PALETTES",
    "SYNTH_VERSION",
    "ClipPlan",
    "Palette",
    "clip_cache_dir",
    "clip_path",
    "clip_sound",
    "load_clip",
    "palette_for",
    "plan_clip",
    "synthesize_clip",
]

SYNTH_VERSION = 2
"""Bump when the sound of any clip changes: cached clips of older versions are then never used."""
DEFAULT_RATE = 22050
DEFAULT_SECONDS = 8.0
STEPS = 16
"""Sixteenth notes per bar: every rhythm below is a 16-character string, "x" a hit, "o" a soft one."""


# ----------------------------------------------------------------------------------------------------
# Palettes


@dataclass(frozen=True)
class Palette:
    """The instruments and idioms of one style."""

    drums: str | None
    """A key of DRUM_PATTERNS, or None for no drums (classical, ambient, solo folk)."""
    bass: str
    """A key of BASS_RHYTHMS ("none" for no bass line)."""
    chords: str
    """A key of CHORD_PARTS: how the harmony is played."""
    lead: str
    """An instrument for the melody, or "none"."""
    harmony: str = "pop"
    """A key of PROGRESSIONS."""
    swing: float = 0.0
    """0 straight, 1 full triplet swing of the off-beat eighths."""
    drive: float = 0.0
    """Distortion of the chord instrument (power chords)."""
    reverb: float = 0.15
    bright: float = 1.0
    """Multiplies the brightness that energy gives (lo-fi is darker, techno brighter)."""
    extras: tuple[str, ...] = ()
    """"vinyl" crackle, "echo" (dub delay)."""


PALETTES: dict[str, Palette] = {
    "alternative rock": Palette("rock", "picked", "power", "distorted", "rock", drive=0.55),
    "indie rock": Palette("rock", "picked", "strum", "square", "pop", drive=0.1),
    "classic rock": Palette("rock", "picked", "power", "distorted", "rock", swing=0.15, drive=0.35),
    "hard rock": Palette("rock", "picked", "power", "distorted", "rock", drive=0.85),
    "dance pop": Palette("four", "synth", "stab", "square", "pop", bright=1.1),
    "synth-pop": Palette("four", "synth", "pad", "square", "pop"),
    "indie pop": Palette("pop", "picked", "strum", "bell", "pop"),
    "house": Palette("four", "synth", "piano", "none", "pop", bright=1.1),
    "techno": Palette("four", "synth", "stab", "none", "modal", bright=1.2, reverb=0.1),
    "ambient": Palette(None, "drone", "pad", "bell", "drone", reverb=0.6, bright=0.8),
    "drum and bass": Palette("dnb", "sub", "pad", "bell", "modal", bright=1.15),
    "boom bap": Palette("boombap", "upright", "rhodes", "none", "jazz", swing=0.35),
    "trap": Palette("trap", "808", "bell", "none", "modal"),
    "lo-fi hip hop": Palette("boombap", "upright", "rhodes", "piano", "jazz", swing=0.5, bright=0.6,
                             extras=("vinyl",)),
    "neo soul": Palette("boombap", "sub", "rhodes", "sine", "jazz", swing=0.4),
    "contemporary r&b": Palette("rnb", "sub", "pad", "sine", "jazz"),
    "bebop": Palette("jazz", "walking", "comp", "sax", "jazz", swing=1.0, reverb=0.2),
    "smooth jazz": Palette("rnb", "sub", "rhodes", "sax", "jazz", swing=0.15, reverb=0.25),
    "cool jazz": Palette("jazz", "walking", "comp", "flute", "jazz", swing=1.0, reverb=0.25),
    "baroque": Palette(None, "continuo", "harpsichord", "strings", "baroque", reverb=0.35),
    "romantic": Palette(None, "none", "arp", "strings", "pop", reverb=0.5),
    "minimalism": Palette(None, "drone", "marimba", "none", "drone", reverb=0.35),
    "indie folk": Palette("folk", "upright", "strum", "sine", "pop", reverb=0.3),
    "americana": Palette("country", "upright", "strum", "pluck", "rock", swing=0.2),
    "outlaw country": Palette("country", "boomchick", "strum", "steel", "rock", swing=0.45),
    "country pop": Palette("rock", "picked", "strum", "steel", "pop"),
    "heavy metal": Palette("metal", "pedal", "power", "distorted", "metal", drive=1.0),
    "thrash metal": Palette("metal", "pedal", "power", "distorted", "metal", drive=1.2, bright=1.1),
    "roots reggae": Palette("onedrop", "reggae", "skank", "organ", "pop"),
    "dub": Palette("onedrop", "dub", "skank", "none", "modal", reverb=0.35, extras=("echo",)),
    "salsa": Palette("salsa", "tumbao", "montuno", "brass", "pop"),
    "reggaeton": Palette("dembow", "sub", "stab", "pluck", "modal"),
    "bossa nova": Palette("bossa", "upright", "nylon", "flute", "jazz", reverb=0.25),
    "delta blues": Palette("stomp", "none", "slide", "harp", "blues", swing=1.0, reverb=0.2),
    "chicago blues": Palette("shuffle", "boogie", "power", "harp", "blues", swing=1.0, drive=0.3),
    "funk": Palette("funk", "slap", "chop", "brass", "blues", swing=0.1),
    "motown": Palette("motown", "picked", "piano", "brass", "pop"),
    "pop punk": Palette("punk", "picked", "power", "square", "pop", drive=0.7),
    "hardcore punk": Palette("punk", "picked", "power", "distorted", "metal", drive=1.0, bright=1.1),
}  # fmt: skip

# Labels of real catalogues (Spotify's genres and subgenres) and families, mapped onto the palettes above.
PALETTE_ALIASES: dict[str, str] = {
    "album rock": "classic rock",
    "permanent wave": "alternative rock",
    "electropop": "synth-pop",
    "post-teen pop": "dance pop",
    "indie poptimism": "indie pop",
    "big room": "house",
    "electro house": "house",
    "progressive electro house": "house",
    "pop edm": "dance pop",
    "gangster rap": "boom bap",
    "hip hop": "boom bap",
    "southern hip hop": "trap",
    "hip pop": "contemporary r&b",
    "urban contemporary": "contemporary r&b",
    "new jack swing": "funk",
    "tropical": "reggaeton",
    "latin pop": "dance pop",
    "latin hip hop": "reggaeton",
    # families
    "rock": "alternative rock",
    "pop": "dance pop",
    "electronic": "house",
    "edm": "house",
    "rap": "boom bap",
    "r&b": "contemporary r&b",
    "jazz": "cool jazz",
    "classical": "romantic",
    "folk": "indie folk",
    "country": "country pop",
    "metal": "heavy metal",
    "reggae": "roots reggae",
    "latin": "reggaeton",
    "blues": "chicago blues",
    "soul": "motown",
    "punk": "pop punk",
}


def palette_for(track: Track) -> str:
    """The palette name for a track: its subgenre, else its genre, else one chosen from its features."""
    for label in (track.subgenre, track.genre, *track.genres):
        label = (label or "").strip().lower()
        if label in PALETTES:
            return label
        if label in PALETTE_ALIASES:
            return PALETTE_ALIASES[label]
    # A genre we know nothing about: pick by how it sounds on paper.
    if track.acousticness >= 0.6 and track.energy < 0.45:
        return "indie folk"
    if track.energy >= 0.8:
        return "alternative rock"
    if track.danceability >= 0.7:
        return "dance pop"
    return "indie pop"


# ----------------------------------------------------------------------------------------------------
# Rhythms: one list of four 16-step bars per style, from calmest (level 0) to most driving (level 3).

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


# ----------------------------------------------------------------------------------------------------
# The plan: every musical decision, made from the track alone


@dataclass(frozen=True)
class ClipPlan:
    """What a track's clip will sound like; `synthesize_clip` renders exactly this."""

    palette: str
    bpm: float
    tonic: int
    """Pitch class of the key (0 = C)."""
    minor: bool
    level: int
    """Rhythm density 0 (sparse) .. 3 (busy), from energy."""
    energy: float
    brightness: float
    """Low-pass cutoff of the mix in Hz."""
    target_rms: float
    progression: tuple[tuple[int, str], ...] = field(default=())
    seed: int = 0

    @property
    def seconds_per_step(self) -> float:
        return 60.0 / self.bpm / 4.0


def _seed(track_id: str) -> int:
    return int.from_bytes(hashlib.sha256(track_id.encode("utf-8")).digest()[:8], "little")


def plan_clip(track: Track) -> ClipPlan:
    """Decide tempo, key, mode, density, loudness and brightness of a track's clip from its features."""
    name = palette_for(track)
    palette = PALETTES[name]
    energy = min(max(float(track.energy), 0.0), 1.0)
    valence = min(max(float(track.valence), 0.0), 1.0)
    seed = _seed(track.id)
    rng = np.random.default_rng(seed)
    tempo = float(track.tempo)
    if not math.isfinite(tempo) or tempo <= 0:
        tempo = 70.0 + 90.0 * energy  # unknown tempo: guess from energy
    bpm = min(max(tempo, 50.0), 200.0)
    level = 0 if energy < 0.3 else 1 if energy < 0.55 else 2 if energy < 0.78 else 3
    minor = valence < 0.5
    options = PROGRESSIONS[palette.harmony][minor]
    progression = tuple(options[int(rng.integers(len(options)))])
    # Brightness: a low-pass from about 1.3 kHz (calm) to 10 kHz (driving); happier is a little brighter.
    tilt = 0.15 + 0.75 * energy + 0.1 * valence
    brightness = float(min(10_500.0, 650.0 * 2.0 ** (4.0 * tilt) * palette.bright))
    target_rms = float(10 ** ((-29.0 + 19.0 * energy) / 20.0))  # -29 dBFS calm .. -10 dBFS loud
    return ClipPlan(
        palette=name,
        bpm=round(bpm, 3),
        tonic=int(rng.integers(12)),
        minor=minor,
        level=level,
        energy=energy,
        brightness=brightness,
        target_rms=target_rms,
        progression=progression,
        seed=seed,
    )


# ----------------------------------------------------------------------------------------------------
# Sound sources

TABLE_SIZE = 2048


@lru_cache(maxsize=256)
def _table(kind: str, harmonics: int) -> np.ndarray:
    """One band-limited cycle of a waveform with `harmonics` partials, peak-normalized."""
    k = np.arange(1, harmonics + 1, dtype=np.float64)
    if kind == "saw":
        amps = 1.0 / k
    elif kind == "square":
        amps = np.where(k % 2 == 1, 1.0 / k, 0.0)
    elif kind == "soft":  # triangle-like: flute, sine-ish leads
        amps = np.where(k % 2 == 1, 1.0 / k**2, 0.0)
        amps[1:2] += 0.15
    elif kind == "organ":
        amps = np.zeros_like(k)
        for h, a in ((1, 1.0), (2, 0.7), (3, 0.5), (4, 0.35), (6, 0.25), (8, 0.2)):
            if h <= harmonics:
                amps[h - 1] = a
    elif kind == "reed":  # sax, harmonica, brass: strong mid partials
        amps = 1.0 / k * (1.0 + 1.5 * np.exp(-((k - 4.0) ** 2) / 6.0))
    elif kind == "piano":
        amps = 1.0 / k**1.6
    else:  # "sine"
        amps = np.zeros_like(k)
        amps[0] = 1.0
    spectrum = np.zeros(TABLE_SIZE // 2 + 1, dtype=np.complex128)
    spectrum[1 : harmonics + 1] = amps * -1j
    wave_ = np.fft.irfft(spectrum, n=TABLE_SIZE)
    return (wave_ / (np.max(np.abs(wave_)) or 1.0)).astype(np.float32)


def _osc(kind: str, freq: float, n: int, rate: int, max_harmonics: int, vibrato: float = 0.0) -> np.ndarray:
    harmonics = max(1, min(max_harmonics, int(0.45 * rate / max(freq, 1.0))))
    table = _table(kind, harmonics)
    t = np.arange(n, dtype=np.float64)
    if vibrato:
        inst = freq * (1.0 + vibrato * np.sin(2 * np.pi * 5.2 * t / rate))
        phase = np.cumsum(inst) / rate
    else:
        phase = t * (freq / rate)
    index = ((phase - np.floor(phase)) * TABLE_SIZE).astype(np.int32) & (TABLE_SIZE - 1)
    return table[index]


def _envelope(n: int, rate: int, attack: float, decay: float, sustain: float, release: float) -> np.ndarray:
    t = np.arange(n, dtype=np.float32) / rate
    env = sustain + (1.0 - sustain) * np.exp(-np.maximum(t - attack, 0.0) / max(decay, 1e-3))
    a = max(1, int(attack * rate))
    env[:a] *= np.linspace(0.0, 1.0, min(a, n), dtype=np.float32)
    r = min(n, max(1, int(release * rate)))
    env[-r:] *= np.linspace(1.0, 0.0, r, dtype=np.float32)
    return env


@lru_cache(maxsize=160)
def _pluck(period: int, n: int, damping: float, rate: int) -> np.ndarray:
    """Karplus-Strong plucked string: a noise burst in a delay line of `period` samples, averaged and
    damped each pass. Computed one period at a time (each period depends only on the one before)."""
    rng = np.random.default_rng(period * 7919 + rate)
    out = np.zeros(n + 1, dtype=np.float64)  # out[0] is a silent sample before the pluck
    burst = rng.uniform(-1.0, 1.0, period)
    burst -= burst.mean()
    out[1 : period + 1] = burst[: min(period, n)]
    gain = 0.5 * damping
    k = period + 1
    while k < n + 1:
        end = min(k + period, n + 1)
        out[k:end] = gain * (out[k - period : end - period] + out[k - period - 1 : end - period - 1])
        k = end
    return out[1:].astype(np.float32)


@lru_cache(maxsize=4)
def _drum_kit(rate: int) -> dict[str, np.ndarray]:
    """One-shot percussion samples, the same for every clip (a drum kit does not change per song)."""
    rng = np.random.default_rng(1234)

    def t(seconds: float) -> np.ndarray:
        return np.arange(int(seconds * rate), dtype=np.float64) / rate

    def noise(seconds: float) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, int(seconds * rate))

    def highpass(x: np.ndarray, times: int = 1) -> np.ndarray:
        for _ in range(times):
            x = np.diff(x, prepend=0.0)
        return x / (np.max(np.abs(x)) or 1.0)

    def lowpass(x: np.ndarray, width: int) -> np.ndarray:
        return np.convolve(x, np.ones(width) / width, mode="same")

    kit: dict[str, np.ndarray] = {}
    tk = t(0.35)
    sweep = 48.0 + 110.0 * np.exp(-tk / 0.035)
    kit["kick"] = np.sin(2 * np.pi * np.cumsum(sweep) / rate) * np.exp(-tk / 0.22)
    ts = t(0.25)
    kit["snare"] = 0.75 * highpass(noise(0.25)) * np.exp(-ts / 0.09) + 0.5 * np.sin(
        2 * np.pi * 185.0 * ts
    ) * np.exp(-ts / 0.06)
    kit["hat"] = highpass(noise(0.07), 2) * np.exp(-t(0.07) / 0.018)
    kit["open"] = highpass(noise(0.35), 2) * np.exp(-t(0.35) / 0.12)
    tr = t(0.9)
    metal = np.sum(
        [np.sign(np.sin(2 * np.pi * f * tr)) for f in (317.0, 421.0, 593.0, 767.0, 1043.0)], axis=0
    )
    kit["ride"] = 0.25 * highpass(metal, 2) * np.exp(-tr / 0.45) + 0.2 * highpass(noise(0.9), 2) * np.exp(
        -tr / 0.3
    )
    kit["crash"] = highpass(noise(1.2), 1) * np.exp(-t(1.2) / 0.5)
    tb = t(0.22)
    kit["brush"] = lowpass(noise(0.22), 6) * np.sin(np.pi * tb / 0.22) ** 2
    tr2 = t(0.05)
    kit["rim"] = (np.sin(2 * np.pi * 1700 * tr2) + 0.6 * np.sin(2 * np.pi * 420 * tr2)) * np.exp(-tr2 / 0.012)
    tc = t(0.18)
    clap = highpass(noise(0.18)) * np.exp(-tc / 0.05)
    for delay in (0.008, 0.017):
        d = int(delay * rate)
        clap[d:] += 0.7 * highpass(noise(0.18))[: len(clap) - d] * np.exp(-tc[: len(clap) - d] / 0.01)
    kit["clap"] = clap / np.max(np.abs(clap))
    tcl = t(0.08)
    kit["clave"] = np.sin(2 * np.pi * 2500 * tcl) * np.exp(-tcl / 0.02)
    tco = t(0.3)
    kit["conga"] = np.sin(2 * np.pi * np.cumsum(210 + 60 * np.exp(-tco / 0.02)) / rate) * np.exp(-tco / 0.11)
    tcb = t(0.25)
    bell = np.sign(np.sin(2 * np.pi * 545 * tcb)) + np.sign(np.sin(2 * np.pi * 815 * tcb))
    kit["cowbell"] = 0.5 * highpass(bell) * np.exp(-tcb / 0.07)
    tsh = t(0.09)
    kit["shaker"] = highpass(noise(0.09), 2) * np.sin(np.pi * tsh / 0.09) ** 3
    tta = t(0.2)
    jingle = np.sum([np.sin(2 * np.pi * f * tta) for f in (5200.0, 6900.0, 8300.0)], axis=0)
    kit["tamb"] = (0.6 * highpass(noise(0.2), 2) + 0.25 * jingle) * np.exp(-tta / 0.06)
    kit["pedal"] = 0.6 * highpass(noise(0.05), 2) * np.exp(-t(0.05) / 0.01)
    kit["roll"] = kit["hat"]
    return {name: (s / (np.max(np.abs(s)) or 1.0)).astype(np.float32) for name, s in kit.items()}


DRUM_GAIN = {
    "kick": 1.0, "snare": 0.7, "hat": 0.28, "open": 0.25, "ride": 0.3, "crash": 0.3, "brush": 0.22,
    "rim": 0.35, "clap": 0.55, "clave": 0.35, "conga": 0.55, "cowbell": 0.25, "shaker": 0.18, "tamb": 0.2,
    "pedal": 0.2, "roll": 0.22,
}  # fmt: skip

# Tonal instruments: (waveform, most harmonics, attack s, decay s, sustain level, release s, vibrato)
VOICES: dict[str, tuple[str, int, float, float, float, float, float]] = {
    "power": ("saw", 24, 0.005, 0.6, 0.55, 0.04, 0.0),
    "distorted": ("saw", 20, 0.01, 0.5, 0.7, 0.05, 0.004),
    "square": ("square", 18, 0.01, 0.3, 0.5, 0.06, 0.0),
    "sine": ("soft", 6, 0.03, 0.4, 0.7, 0.12, 0.005),
    "flute": ("soft", 8, 0.05, 0.5, 0.75, 0.12, 0.006),
    "sax": ("reed", 16, 0.04, 0.5, 0.7, 0.08, 0.005),
    "harp": ("reed", 14, 0.03, 0.4, 0.6, 0.08, 0.008),
    "brass": ("reed", 18, 0.03, 0.25, 0.6, 0.06, 0.003),
    "organ": ("organ", 8, 0.005, 0.15, 0.8, 0.03, 0.0),
    "strings": ("saw", 16, 0.18, 0.8, 0.8, 0.25, 0.006),
    "pad": ("saw", 10, 0.45, 1.5, 0.8, 0.6, 0.0),
    "stab": ("saw", 16, 0.004, 0.12, 0.2, 0.05, 0.0),
    "piano": ("piano", 14, 0.003, 0.45, 0.12, 0.15, 0.0),
    "rhodes": ("soft", 6, 0.004, 0.7, 0.25, 0.2, 0.0),
    "bell": ("sine", 1, 0.002, 0.5, 0.0, 0.2, 0.0),
    "marimba": ("sine", 1, 0.002, 0.18, 0.0, 0.05, 0.0),
    "steel": ("soft", 8, 0.06, 0.6, 0.7, 0.2, 0.009),
    "bass": ("saw", 6, 0.005, 0.25, 0.55, 0.04, 0.0),
    "sub": ("sine", 1, 0.005, 0.6, 0.6, 0.06, 0.0),
    "upright": ("soft", 5, 0.01, 0.3, 0.25, 0.06, 0.0),
}
PLUCKED = {"guitar": 0.996, "nylon": 0.993, "harpsichord": 0.998, "pluck": 0.994}
"""Karplus-Strong instruments and how long they ring (damping per pass)."""
BASS_VOICE: dict[str, str] = {
    "picked": "bass", "synth": "bass", "walking": "upright", "upright": "upright", "sub": "sub", "808": "sub",
    "reggae": "sub", "dub": "sub", "tumbao": "upright", "pedal": "bass", "boogie": "bass",
    "boomchick": "upright", "continuo": "bass", "slap": "bass", "drone": "sub",
}  # fmt: skip


def _midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


# ----------------------------------------------------------------------------------------------------
# Rendering


@dataclass
class _Mix:
    rate: int
    n: int
    buses: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, bus: str, sound: np.ndarray, at: float, gain: float) -> None:
        start = round(at * self.rate)
        if start >= self.n or gain == 0.0:
            return
        target = self.buses.setdefault(bus, np.zeros(self.n, dtype=np.float32))
        if start < 0:
            sound, start = sound[-start:], 0
        end = min(self.n, start + len(sound))
        target[start:end] += gain * sound[: end - start]


def _step_time(plan: ClipPlan, swing: float, bar: int, step: int) -> float:
    """Seconds from the clip start to a 16th-note step, with the off-beats swung toward triplets."""
    beat, sub = divmod(step, 4)
    offsets = (0.0, 0.25 + swing * (1 / 3 - 0.25), 0.5 + swing * (2 / 3 - 0.5), 0.75 + swing * (5 / 6 - 0.75))
    return (bar * 4 + beat + offsets[sub]) * 4 * plan.seconds_per_step


def _hits(pattern: str) -> list[tuple[int, float]]:
    return [(i, 1.0 if c == "x" else 0.55) for i, c in enumerate(pattern) if c in "xo"]


def _voice(name: str, midi: float, seconds: float, plan: ClipPlan, rate: int, velocity: float) -> np.ndarray:
    freq = _midi_hz(midi)
    if name in PLUCKED:
        period = max(2, round(rate / freq - 0.5))  # the averaging filter adds half a sample of delay
        n = int(min(seconds + 0.15, 1.6) * rate)
        damping = PLUCKED[name] - (0.004 if plan.energy < 0.3 else 0.0)
        out = _pluck(period, n, damping, rate).copy()
        fade = min(len(out), int(0.02 * rate))
        out[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        return out * velocity
    kind, most, attack, decay, sustain, release, vibrato = VOICES[name]
    # Brighter (more energetic) clips get more partials per note.
    harmonics = max(1, round(most * (0.35 + 0.65 * min(plan.brightness / 8000.0, 1.0))))
    n = int((seconds + release) * rate)
    if n <= 0:
        return np.zeros(0, dtype=np.float32)
    sound = _osc(kind, freq, n, rate, harmonics, vibrato)
    if name == "pad":  # a second, detuned oscillator makes it wide and soft
        sound = 0.5 * (sound + _osc(kind, freq * 1.006, n, rate, harmonics))
    elif name == "bell":
        sound = sound + 0.35 * _osc("sine", freq * 2.76, n, rate, 1) * np.exp(
            -np.arange(n, dtype=np.float32) / (0.12 * rate)
        )
    elif name == "marimba":
        sound = sound + 0.3 * _osc("sine", freq * 3.93, n, rate, 1)
    elif name == "rhodes":
        sound = sound * (1.0 + 0.15 * np.sin(2 * np.pi * 4.5 * np.arange(n) / rate)).astype(np.float32)
    env = _envelope(n, rate, attack, decay, sustain, min(release, n / rate))
    return sound * env * velocity


def _voiced(tonic: int, root: int, quality: str, low: int = 52) -> list[int]:
    """Close-voiced chord tones at or above MIDI note `low`."""
    base = low + (tonic + root - low) % 12
    return [base + interval for interval in QUALITY.get(quality, QUALITY["M"])]


def _render_drums(mix: _Mix, plan: ClipPlan, palette: Palette, bars: int, rng: np.random.Generator) -> None:
    if palette.drums is None:
        return
    kit = _drum_kit(mix.rate)
    pattern = DRUM_PATTERNS[palette.drums][plan.level]
    push = 0.75 + 0.5 * plan.energy  # harder playing when more energetic
    for instrument, steps in pattern.items():
        gain = DRUM_GAIN[instrument] * push
        hits = _hits(steps)
        for bar in range(bars):
            for step, velocity in hits:
                at = _step_time(plan, palette.swing, bar, step) + float(rng.normal(0.0, 0.003))
                v = velocity * float(rng.uniform(0.85, 1.0))
                mix.add("drums", kit[instrument], at, gain * v)
                if instrument == "roll":  # trap hi-hat roll: 32nd notes through the beat
                    for k in range(1, 8):
                        mix.add("drums", kit["hat"], at + k * plan.seconds_per_step / 2, gain * v * 0.8)


def _render_bass(mix: _Mix, plan: ClipPlan, palette: Palette, bars: int, rng: np.random.Generator) -> None:
    rhythm = BASS_RHYTHMS[palette.bass][plan.level]
    if not rhythm:
        return
    voice = BASS_VOICE[palette.bass]
    hits = _hits(rhythm)
    scale = MINOR_SCALE if plan.minor else MAJOR_SCALE
    low = 28 if palette.bass in ("808", "sub", "dub") else 36
    for bar in range(bars):
        root, quality = plan.progression[bar % len(plan.progression)]
        tones = QUALITY.get(quality, QUALITY["M"])
        base = low + (plan.tonic + root - low) % 12
        for i, (step, velocity) in enumerate(hits):
            note = base
            if palette.bass == "walking":  # chord tones and passing notes, one per beat
                note = base + (tones[i % len(tones)] if i % 2 == 0 else scale[int(rng.integers(len(scale)))])
            elif palette.bass == "boogie":
                note = base + (0, tones[1], 7, 9, 10, 9, 7, tones[1])[i % 8]
            elif palette.bass in ("boomchick", "tumbao", "reggae"):
                note = base + (0, 7)[i % 2]
            elif plan.level == 3 and palette.bass in ("picked", "synth", "slap") and i % 2 == 1:
                note = base + 12
            nxt = hits[i + 1][0] if i + 1 < len(hits) else STEPS
            length = max(1, nxt - step) * plan.seconds_per_step
            if voice == "sub":
                length = max(length, 2 * plan.seconds_per_step)
            at = _step_time(plan, palette.swing, bar, step)
            mix.add("bass", _voice(voice, note, length * 0.95, plan, mix.rate, velocity), at, 0.55)


def _render_chords(mix: _Mix, plan: ClipPlan, palette: Palette, bars: int, rng: np.random.Generator) -> None:
    instrument, rhythms, arpeggio, ring = CHORD_PARTS[palette.chords]
    hits = _hits(rhythms[plan.level])
    low = 40 if instrument == "power" else 55 if instrument in ("bell", "marimba", "harpsichord") else 50
    cache: dict[tuple[float, float], np.ndarray] = {}
    for bar in range(bars):
        root, quality = plan.progression[bar % len(plan.progression)]
        third = None
        if instrument == "power":
            # Root, fifth and octave are distorted; the chord's third is doubled on a clean voice an
            # octave up, so major and minor stay audible (the distorted root's fifth harmonic alone
            # would always suggest a major third).
            base = low + (plan.tonic + root - low) % 12
            tones = [base, base + 7, base + 12]
            third = base + 12 + QUALITY.get(quality, QUALITY["M"])[1]
        else:
            tones = _voiced(plan.tonic, root, quality, low)
        if arpeggio:
            tones = tones + [tones[0] + 12] + ([tones[1] + 12] if plan.level >= 2 else [])
        for i, (step, velocity) in enumerate(hits):
            nxt = hits[i + 1][0] if i + 1 < len(hits) else STEPS
            span = (nxt - step) * plan.seconds_per_step
            length = span if ring else min(span, plan.seconds_per_step) * 0.9
            if instrument == "power" and plan.level >= 2:
                length = plan.seconds_per_step * 0.9  # palm-muted chugs
            at = _step_time(plan, palette.swing, bar, step)
            notes = [tones[i % len(tones)]] if arpeggio else tones
            if third is not None:
                mix.add("thirds", _voice("organ", third, length, plan, mix.rate, velocity), at, 1.0)
            for j, note in enumerate(notes):
                key = (note, round(length, 3))
                if key not in cache:
                    cache[key] = _voice(instrument, note, length, plan, mix.rate, 1.0)
                strum = 0.012 * j if instrument in ("guitar", "nylon") else 0.0
                mix.add(
                    "chords",
                    cache[key],
                    at + strum,
                    velocity * float(rng.uniform(0.8, 1.0)) / len(notes) ** 0.5,
                )


def _render_lead(mix: _Mix, plan: ClipPlan, palette: Palette, bars: int, rng: np.random.Generator) -> None:
    if palette.lead == "none":
        return
    scale = MINOR_SCALE if plan.minor else MAJOR_SCALE
    per_bar = (2, 4, 6, 8)[plan.level]
    grid = STEPS // per_bar if per_bar in (2, 4, 8) else None
    # The tonic's octave: C4 (60) up to B4, so melodies sit around the top of the treble staff.
    home = 60 + plan.tonic
    degree = 0
    for bar in range(bars):
        root, quality = plan.progression[bar % len(plan.progression)]
        chord = {(root + i) % 12 for i in QUALITY.get(quality, QUALITY["M"])}
        if grid is not None:
            steps = list(range(0, STEPS, grid))
        else:
            steps = sorted(int(s) for s in rng.choice(STEPS // 2, size=per_bar, replace=False) * 2)
        for i, step in enumerate(steps):
            if i > 0 and rng.random() < 0.2:
                continue  # a rest
            degree = int(np.clip(degree + int(rng.choice((-2, -1, -1, 1, 1, 2, 0))), -3, 9))
            octave, index = divmod(degree, len(scale))
            pitch = scale[index] + 12 * octave
            if step % 4 == 0:  # strong beats land on a chord tone
                while pitch % 12 not in chord:
                    pitch -= 1
            note = home + pitch
            nxt = steps[i + 1] if i + 1 < len(steps) else STEPS
            length = (nxt - step) * plan.seconds_per_step * 0.9
            at = _step_time(plan, palette.swing, bar, step)
            mix.add("lead", _voice(palette.lead, note, length, plan, mix.rate, 1.0), at, 0.8)


@lru_cache(maxsize=8)
def _room(rate: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Spectrum of a 1.6 s room (decaying noise, slightly darkened) at FFT `size`, and its frequencies."""
    rng = np.random.default_rng(99)
    seconds = 1.6
    n = int(seconds * rate)
    ir = rng.normal(0.0, 1.0, n) * np.exp(-np.arange(n) / rate / (seconds / 5.0))
    ir = np.convolve(ir, np.ones(4) / 4, mode="same")
    ir /= np.sqrt(np.sum(ir**2))
    return np.fft.rfft(ir.astype(np.float32), size), np.fft.rfftfreq(size, 1.0 / rate).astype(np.float32)


def _room_and_tone(signal: np.ndarray, rate: int, reverb: float, cutoff: float) -> np.ndarray:
    """Reverb (convolution with the room) and a zero-phase second-order low-pass at `cutoff` Hz, both
    applied in one trip through the frequency domain: the costliest step of a clip, so done once."""
    size = 1 << math.ceil(math.log2(len(signal) + int(1.6 * rate)))
    room, freqs = _room(rate, size)
    response = ((1.0 - 0.5 * reverb) + reverb * room) / np.sqrt(1.0 + (freqs / cutoff) ** 4)
    spectrum = np.fft.rfft(signal.astype(np.float32), size) * response
    return np.fft.irfft(spectrum, size)[: len(signal)].astype(np.float32)


def _render(plan: ClipPlan, rate: int, seconds: float) -> np.ndarray:
    palette = PALETTES[plan.palette]
    rng = np.random.default_rng(plan.seed)
    n = round(seconds * rate)
    mix = _Mix(rate, n)
    bars = math.ceil(seconds / (16 * plan.seconds_per_step)) + 1
    _render_drums(mix, plan, palette, bars, rng)
    _render_bass(mix, plan, palette, bars, rng)
    _render_chords(mix, plan, palette, bars, rng)
    _render_lead(mix, plan, palette, bars, rng)
    gains = {"drums": 1.0, "bass": 0.8, "chords": 0.55, "thirds": 0.7, "lead": 0.4}
    out = np.zeros(n, dtype=np.float32)
    for bus, signal in mix.buses.items():
        peak = float(np.max(np.abs(signal))) or 1.0
        signal = signal / peak
        if bus == "chords" and palette.drive > 0:
            drive = 1.0 + 6.0 * palette.drive * (0.4 + 0.6 * plan.energy)
            signal = np.tanh(drive * signal) / np.tanh(drive)
        out += gains[bus] * signal
    if "echo" in palette.extras:  # dub: dotted-eighth echoes
        delay = int(3 * plan.seconds_per_step * rate)
        for k, g in ((1, 0.45), (2, 0.22), (3, 0.1)):
            if k * delay < n:
                out[k * delay :] += g * out[: n - k * delay]
    if "vinyl" in palette.extras:  # lo-fi: crackle and hiss
        crackle = (rng.random(n) < 8.0 / rate).astype(np.float32) * rng.uniform(-0.3, 0.3, n).astype(
            np.float32
        )
        out += crackle + rng.normal(0.0, 0.004, n).astype(np.float32)
    out = _room_and_tone(out, rate, palette.reverb, plan.brightness)
    # Loudness: scale to the energy's target RMS, then saturate softly so peaks never clip.
    rms = float(np.sqrt(np.mean(np.square(out, dtype=np.float64)))) or 1.0
    out = np.tanh(out * (plan.target_rms / rms) * 1.1) / 1.1
    fade_in, fade_out = int(0.02 * rate), int(0.35 * rate)
    out[:fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    out[n - fade_out :] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)
    peak = float(np.max(np.abs(out)))
    if peak > 0.98:
        out *= 0.98 / peak
    return out.astype(np.float32)


def synthesize_clip(
    track: Track, sample_rate: int = DEFAULT_RATE, seconds: float = DEFAULT_SECONDS
) -> np.ndarray:
    """A mono float32 clip in [-1, 1] that sounds like the track's features; deterministic per track."""
    if not 8000 <= int(sample_rate) <= 96_000:
        raise ValueError(f"sample_rate={sample_rate} is outside 8000..96000 Hz")
    if not 1.0 <= float(seconds) <= 30.0:
        raise ValueError(f"seconds={seconds} is outside 1..30")
    return _render(plan_clip(track), int(sample_rate), float(seconds))


# ----------------------------------------------------------------------------------------------------
# Cache and loading


def clip_cache_dir() -> Path:
    """Where synthesized clips are kept: $TUNETALK_CACHE/clips, else ~/.cache/tunetalk/clips
    ($XDG_CACHE_HOME respected). Outside the repository: clips are derived data, never committed."""
    configured = os.environ.get("TUNETALK_CACHE")
    if configured:
        return Path(configured).expanduser() / "clips"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "tunetalk" / "clips"


def _cache_key(track: Track, rate: int, seconds: float) -> str:
    features = {
        "version": SYNTH_VERSION,
        "rate": rate,
        "seconds": round(seconds, 3),
        "id": track.id,
        "genre": track.genre,
        "subgenre": track.subgenre,
        "genres": list(track.genres),
        "energy": round(float(track.energy), 6),
        "valence": round(float(track.valence), 6),
        "tempo": round(float(track.tempo), 6),
        "danceability": round(float(track.danceability), 6),
        "acousticness": round(float(track.acousticness), 6),
    }
    return hashlib.sha256(json.dumps(features, sort_keys=True).encode("utf-8")).hexdigest()


def _write_wav16(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write atomically (temporary file, then rename) so a concurrent reader never sees half a clip."""
    data = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clip-", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a clip is no secret
        with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_wav16(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as handle:
        if handle.getsampwidth() != 2 or handle.getnchannels() != 1:
            raise ValueError(f"{path}: not a 16-bit mono clip")
        rate = handle.getframerate()
        data = handle.readframes(handle.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, rate


def clip_path(
    track: Track,
    cache_dir: str | Path | None = None,
    *,
    sample_rate: int = DEFAULT_RATE,
    seconds: float = DEFAULT_SECONDS,
) -> Path:
    """The cached 16-bit WAV clip of a track, synthesized on first use. Raises OSError if the cache
    folder cannot be written."""
    folder = Path(cache_dir) if cache_dir is not None else clip_cache_dir()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", track.id)[:40] or "track"
    path = folder / f"{slug}-{_cache_key(track, sample_rate, seconds)[:16]}.wav"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    _write_wav16(path, synthesize_clip(track, sample_rate, seconds), sample_rate)
    return path


PREVIEW_SECONDS = 30.0
"""Longest stretch played from a file that is a preview already (starts at 0: a Spotify-style 30 s clip)."""


def load_clip(
    track: Track, *, cache_dir: str | Path | None = None, use_cache: bool = True
) -> tuple[np.ndarray, int]:
    """(float32 samples, sample rate) to play for a track: cut from its real audio file when it has a
    readable one (DEFAULT_SECONDS from `preview_start`, the representative stretch a library scan found;
    a preview file from its start), else the synthesized clip (from the cache when it can be written,
    else made in memory)."""
    if track.preview:
        real = _cut_real(Path(track.preview).expanduser(), track.preview_start)
        if real is not None:
            return real
    if use_cache:
        try:
            return _read_wav16(clip_path(track, cache_dir))
        except (OSError, ValueError, EOFError, wave.Error):
            pass  # no writable cache, or a damaged cache file: synthesize in memory
    return synthesize_clip(track), DEFAULT_RATE


def _cut_real(path: Path, start: float) -> tuple[np.ndarray, int] | None:
    """A stretch of a real file, decoded (libsndfile; FFmpeg via PyAV for M4A), or None if the file is
    gone or unreadable (a synthesized clip will do). Only the stretch is read, however long the song."""
    from assistant.music.decode import DecodeError, read_segment

    if not path.is_file():
        return None
    seconds = DEFAULT_SECONDS if start > 0 else PREVIEW_SECONDS
    try:
        samples, rate = read_segment(path, start, seconds)
    except (DecodeError, OSError, ValueError):
        return None
    if not len(samples):
        return None
    if start > 0:
        # Cut from the middle of a song: short fades, so the preview does not start or end on a click.
        fade = min(len(samples) // 4, int(0.02 * rate))
        if fade:
            ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
            samples = samples.copy()
            samples[:fade] *= ramp
            samples[-fade:] *= ramp[::-1]
    return samples.astype(np.float32, copy=False), rate


def clip_sound(track: Track) -> Sound:
    """load_clip as a Sound, the shape the voice loop's `clips` seam takes."""
    from audio.sound import Sound

    samples, rate = load_clip(track)
    return Sound(samples, rate)
