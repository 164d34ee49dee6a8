"""Names for the training corpus: invented artists and titles from many languages, and everyday-word decoys.

The tagger should learn where a name sits in a request, not which names exist: the loaded catalogue's
names are mixed with invented ones (people, "the X Ys" bands, DJs, one-word names, duos).
"""

from __future__ import annotations

import random
import string

__all__ = ["DECOY_NAMES", "invented_artists", "invented_titles"]


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "james maria lena tom ana yusuf kenji aiko olu chidi priya ravi sofia mateo luca elena ivan olga "
    "marta jan piotr ewa kasia bjorn astrid sven ingrid noah liam emma ava mia zoe kai leo max ben sam "
    "nina rosa carmen diego pablo jorge lucia isabel hana yuki hiro min ji soo omar layla fatima amir "
    "david sarah rachel moshe tamar eli nadia dimitri eleni yannis nikos aroha tane mele sione jack grace "
    "ruby frank billy johnny bobby ray ella etta louis duke count otis aretha marvin jimi janis prince "
    "lil young big little "
)
LAST = _words(
    "smith jones garcia martinez okafor adeyemi tanaka suzuki kim park lee chen wang nguyen kowalski "
    "nowak novak virtanen korhonen lindqvist johansson hansen jensen muller schmidt fischer rossi bianchi "
    "dubois moreau silva santos costa pereira haddad khoury cohen levi papadopoulos georgiou ivanova "
    "petrov sokolova brown taylor wilson walker wright turner harper carter hughes brooks reed fox "
    "washington jefferson holiday armstrong fitzgerald coleman mingus monk baker davis parker young gold "
)
BAND_ADJ = _words(
    "velvet paper copper silver electric midnight golden broken quiet northern wild lonely neon crystal "
    "hollow burning frozen violet scarlet lucky dusty rusty little big black white blue red green sonic "
    "cosmic atomic secret glass iron wooden sleepy dancing crying flying "
)
BAND_NOUN = _words(
    "moons harbors lanterns atlas drive juniper foxes wolves kings queens pilots sailors saints strangers "
    "ghosts horses birds tigers owls rivers mountains oceans machines robots engines hearts bones stars "
    "suns clouds shadows mirrors keys doors wheels roses lilies echoes waves giants monks brothers "
    "sisters collective orchestra trio quartet band ensemble club society "
)
NAME_ADJ = _words(
    "daft bad massive deep soft electric happy sad dead dark new old big little cold hot blue royal "
    "rage wild lazy modern sonic heavy strange sweet rocket "
)
NAME_GENRE_WORDS = _words("punk soul jazz funk rock metal blues house disco pop religion attack mondays ")
SYLLABLES = _words("ka ri zo la mi ne to su va lo pe xa qui ro shi na de bo ly ra mo ki te zu fa ")
TITLE_WORDS = _words(
    "love night heart rain summer dream fire light midnight river home road city dance sky blue gold "
    "tears kiss forever tonight baby girl boy wild free alone moon sun stars time world life soul "
    "paradise ocean train shadow angel devil money crazy sweet bitter hey la vida amor corazon "
)
# fmt: off
DECOY_NAMES = [
    "Yes", "Love", "Chill", "Next", "Home", "Fine", "Sunday", "Run", "Stop", "Help", "Nice", "Perfect",
    "Sure", "Jazz Cat", "Rock", "Blue", "Happy", "Skip", "Okay Kid", "Cool", "Great", "Old School",
]
# fmt: on
"""Catalogue-style names that are everyday words: in the training gazetteer so the heads learn context."""


def invented_artists(rng: random.Random, n: int) -> list[str]:
    """Plausible artist names that exist nowhere: people, bands, DJs, one-word names, duos."""
    names: set[str] = set()
    while len(names) < n:
        kind = rng.random()
        if kind < 0.35:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        elif kind < 0.5:
            name = f"the {rng.choice(BAND_ADJ)} {rng.choice(BAND_NOUN)}"
        elif kind < 0.6:
            name = f"{rng.choice(BAND_ADJ)} {rng.choice(BAND_NOUN)}"
        elif kind < 0.72:
            name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        elif kind < 0.78:
            name = f"{rng.choice(['dj', 'mc', 'lil', 'young', 'big', 'dr'])} {rng.choice(FIRST + SYLLABLES)}"
        elif kind < 0.85:
            name = f"{rng.choice(LAST)} and {rng.choice(LAST)}"
        elif kind < 0.9:
            name = f"{rng.choice(FIRST)} {rng.choice(string.ascii_lowercase)} {rng.choice(LAST)}"
        elif kind < 0.93:
            name = f"{rng.choice(FIRST)} {rng.choice(FIRST)} {rng.choice(LAST)}"
        elif kind < 0.94:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} & the {rng.choice(BAND_NOUN)}"
        elif kind < 0.95:
            name = f"{rng.choice(FIRST)} and the {rng.choice(BAND_NOUN)}"
        elif kind < 0.975:
            # A genre or feel word inside a name ("Daft Punk", "Bad Religion", "Massive Attack"): the
            # context says it is the name, not a genre.
            name = f"{rng.choice(NAME_ADJ)} {rng.choice(NAME_GENRE_WORDS)}"
        else:
            # An everyday word and a surname ("Pink Floyd"), said in lower case by a recognizer.
            name = f"{rng.choice(BAND_ADJ + NAME_ADJ)} {rng.choice(LAST)}"
        names.add(" ".join(w.capitalize() if w not in ("the", "and") else w for w in name.split()))
    return sorted(names)


def invented_titles(rng: random.Random, n: int) -> list[str]:
    titles: set[str] = set()
    while len(titles) < n:
        words = rng.sample(TITLE_WORDS, rng.randint(1, 4))
        if rng.random() < 0.3:
            words = [rng.choice(["the", "my", "your", "a", "no", "in the", "for"]), *words]
        titles.add(" ".join(words).title())
    return sorted(titles)
