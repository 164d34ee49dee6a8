"""The instruments and idioms of each style, and which style a track gets: its subgenre, its genre, a
related style for labels of real catalogues, or one chosen from its features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.music.catalog import Track

__all__ = ["PALETTES", "PALETTE_ALIASES", "Palette", "palette_for"]


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
