"""What the person has asked for so far, and how each new piece of meaning changes it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from assistant.music.catalog import Track
from nlu.lexicon import ACTIVITY_PROFILE, MOOD_PROFILE
from nlu.meaning import Slot

__all__ = [
    "ERA_SPAN",
    "RELATIVE_VALUES",
    "Constraints",
    "apply_slot",
    "avoid_slot",
    "describe",
    "describe_era",
    "is_decade",
    "join_names",
    "join_slot",
]

ERA_SPAN = (1950, 2029)
ENERGY_STEP = 0.2
TEMPO_WORDS = {"slow": 80.0, "fast": 140.0}
RELATIVE_VALUES = frozenset({"more_upbeat", "more_laid_back", "faster", "slower", "older", "newer"})
"""Values that move from the sample playing (or from what was asked) rather than name a target."""


@dataclass(frozen=True)
class Constraints:
    """Soft targets for retrieval; every field None/empty means "no preference stated"."""

    genres: tuple[str, ...] = ()
    """Lexicon genre values ("rock", "alternative rock")."""
    avoid_genres: tuple[str, ...] = ()
    """Genres the person turned down when suggested."""
    energy: float | None = None
    valence: float | None = None
    era: tuple[int, int] | None = None
    """Inclusive year range."""
    activity: str | None = None
    artist: str | None = None
    """An artist to match or to sound like."""
    artist_linked: bool = False
    more_artists: tuple[str, ...] = ()
    """Artists named together with `artist` in one turn ("like Dolly Parton and Kenny Loggins")."""
    artist_own: bool = False
    """The artists' own music was asked for ("some songs by X", "add some X"), not music like theirs."""
    avoid_artists: tuple[str, ...] = ()
    tempo: float | None = None
    instrumental: bool | None = None
    """True: without vocals ("instrumental"); False: with them. Only for catalogues that know."""
    popular: bool | None = None
    """True: well known ("something popular", "hits"); False: lesser known. Only where popularity varies."""

    @property
    def artists(self) -> tuple[str, ...]:
        """Every artist asked for: `artist` and those named with it."""
        return (self.artist, *self.more_artists) if self.artist else ()

    def known(self) -> dict[str, bool]:
        return {
            "genre": bool(self.genres),
            "mood": self.energy is not None or self.valence is not None,
            "era": self.era is not None,
            "activity": self.activity is not None,
            "artist": self.artist is not None,
            "tempo": self.tempo is not None,
        }


def _reference_year(sample: Track | None) -> int:
    return sample.year if sample is not None else 2005


def apply_slot(c: Constraints, slot: Slot, sample: Track | None = None) -> Constraints:
    """The constraints after hearing one slot. Relative moves ("older") are taken from the sample playing."""
    value = slot.value
    if slot.name == "genre":
        if value in c.genres:
            return c
        # A new genre replaces the old: people narrow or switch, they rarely ask for a union.
        return replace(c, genres=(value,), avoid_genres=tuple(g for g in c.avoid_genres if g != value))
    if slot.name == "mood":
        if value in ("more_upbeat", "more_laid_back"):
            base = c.energy if c.energy is not None else (sample.energy if sample else 0.5)
            step = ENERGY_STEP if value == "more_upbeat" else -ENERGY_STEP
            return replace(c, energy=min(0.97, max(0.03, base + step)))
        energy, valence = MOOD_PROFILE.get(value, (None, None))
        return replace(
            c,
            energy=energy if energy is not None else c.energy,
            valence=valence if valence is not None else c.valence,
        )
    if slot.name == "era":
        if value in ("older", "newer"):
            if sample is None and c.era is not None:
                # Nothing playing: older or newer than the period asked for ("old school", then "maybe
                # new school" means after it, not after its middle).
                era = (ERA_SPAN[0], c.era[0] - 1) if value == "older" else (c.era[1] + 1, ERA_SPAN[1])
                return replace(c, era=era) if era[0] <= era[1] else c
            ref = _reference_year(sample)
            # Older than the one playing, not decades older: the catalogue may not reach further back.
            era = (ERA_SPAN[0], ref - 1) if value == "older" else (ref + 1, ERA_SPAN[1])
            if era[0] > era[1]:
                return c
            return replace(c, era=era)
        if is_decade(value):
            start = int(value[:-1])
            return replace(c, era=(start, start + 9))
        return c
    if slot.name == "activity":
        return replace(c, activity=value if value in ACTIVITY_PROFILE else c.activity)
    if slot.name == "artist":
        return replace(
            c,
            artist=value,
            artist_linked=slot.linked,
            more_artists=(),
            artist_own=False,
            avoid_artists=tuple(a for a in c.avoid_artists if a != value),
        )
    if slot.name == "vocals" and value in ("instrumental", "vocal"):
        return replace(c, instrumental=value == "instrumental")
    if slot.name == "popularity" and value in ("popular", "obscure"):
        return replace(c, popular=value == "popular")
    if slot.name == "tempo":
        if value in ("faster", "slower"):
            base = c.tempo if c.tempo is not None else (sample.tempo if sample and sample.tempo else 110.0)
            return replace(c, tempo=base + (20.0 if value == "faster" else -20.0))
        if value in TEMPO_WORDS:
            return replace(c, tempo=TEMPO_WORDS[value])
        try:
            bpm = float(value)
        except ValueError:
            return c
        return replace(c, tempo=bpm) if 40 <= bpm <= 250 else c
    return c


_OPPOSITE_MOOD = {
    "upbeat": "laid_back",
    "laid_back": "upbeat",
    "more_upbeat": "more_laid_back",
    "more_laid_back": "more_upbeat",
    "happy": "sad",
    "sad": "happy",
}


def avoid_slot(c: Constraints, slot: Slot, sample: Track | None = None) -> Constraints:
    """The constraints after hearing that something is unwanted ("no more country", "not into Blondie",
    "nothing upbeat"). A genre or artist is avoided (and no longer sought); a feel turns to its opposite;
    anything else unwanted is only not sought, since "not from the 80s" says little about what is wanted."""
    value = slot.value
    if slot.name == "genre":
        return replace(
            c,
            genres=tuple(g for g in c.genres if g != value),
            avoid_genres=c.avoid_genres if value in c.avoid_genres else (*c.avoid_genres, value),
        )
    if slot.name == "artist":
        kept = tuple(a for a in c.artists if a != value)
        return replace(
            c,
            artist=kept[0] if kept else None,
            artist_linked=c.artist_linked if kept else False,
            more_artists=kept[1:],
            artist_own=c.artist_own and bool(kept),
            avoid_artists=c.avoid_artists if value in c.avoid_artists else (*c.avoid_artists, value),
        )
    if slot.name == "mood" and value in _OPPOSITE_MOOD:
        return apply_slot(c, replace(slot, value=_OPPOSITE_MOOD[value], negated=False), sample)
    return c


def join_slot(c: Constraints, slot: Slot) -> Constraints | None:
    """A second value of the same kind in one turn joins the first instead of replacing it: genres ("rock,
    metal and hip pop": any of them), artists ("like Dolly Parton and Kenny Loggins": like either) and
    decades ("between the 80s and early 2000s": one period). None for a kind that does not join (a feel,
    "older"): it is applied as usual."""
    value = slot.value
    if slot.name == "genre":
        if value in c.genres:
            return c
        return replace(
            c, genres=(*c.genres, value), avoid_genres=tuple(g for g in c.avoid_genres if g != value)
        )
    if slot.name == "artist":
        if c.artist is None:
            return None
        if value in c.artists:
            return c
        return replace(
            c,
            more_artists=(*c.more_artists, value),
            avoid_artists=tuple(a for a in c.avoid_artists if a != value),
        )
    if slot.name == "era" and is_decade(value) and c.era is not None:
        start = int(value[:-1])
        return replace(c, era=(min(c.era[0], start), max(c.era[1], start + 9)))
    return None


def is_decade(value: str) -> bool:
    """ "1980s" (an era slot can also be "older" or "newer")."""
    return value.endswith("s") and value[:-1].isdigit()


def join_names(names: tuple[str, ...] | list[str], conjunction: str) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


# How an activity is said back: "music for focusing", not the value's own "music for focus". Cooking
# stands for everything done around the house (the lexicon's cleaning, chores, decorating).
ACTIVITY_SAID: dict[str, str] = {
    "workout": "a workout",
    "running": "running",
    "focus": "focusing",
    "party": "a party",
    "sleep": "sleep",
    "relax": "relaxing",
    "commute": "the commute",
    "dinner": "dinner",
    "cooking": "cooking and chores",
    "outdoors": "the outdoors",
}


def describe(c: Constraints) -> str:
    """A short phrase for what is wanted: "laid back jazz from the 1990s"."""
    parts: list[str] = []
    if c.energy is not None:
        parts.append("upbeat" if c.energy >= 0.6 else "laid back" if c.energy <= 0.4 else "mid-tempo")
    if c.valence is not None:
        parts.append("happy" if c.valence >= 0.6 else "melancholy" if c.valence <= 0.35 else "")
    if c.popular is not None:
        parts.append("popular" if c.popular else "lesser-known")
    if c.instrumental:
        parts.append("instrumental")
    parts.append(join_names(c.genres, "or") if c.genres else "music")
    if c.instrumental is False:
        parts.append("with vocals")
    if c.activity:
        parts.append(f"for {ACTIVITY_SAID.get(c.activity, c.activity)}")
    if c.artist:
        names = join_names(c.artists, "and")
        parts.append(f"by {names}" if c.artist_own else f"like {names}")
    if c.era:
        parts.append(describe_era(c.era))
    if c.tempo is not None:
        # Said back as a number: "faster" moves 20 bpm from the sample playing, which a word cannot show.
        parts.append(f"at about {round(c.tempo)} bpm")
    return " ".join(p for p in parts if p)


def describe_era(era: tuple[int, int]) -> str:
    """ "from the 1990s", "from before 1998", "from 1985 to 2001"."""
    lo, hi = era
    if hi - lo == 9 and lo % 10 == 0:
        return f"from the {lo}s"
    if lo <= ERA_SPAN[0]:
        return f"from before {hi + 1}"
    if hi >= ERA_SPAN[1]:
        return f"from after {lo - 1}"
    return f"from {lo} to {hi}"
