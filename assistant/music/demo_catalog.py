"""The embedded demo catalogue: fictional artists and tracks drawn from seeded per-subgenre distributions.

`render_csv(seed)` is a pure function of the seed (Python's `random.Random`, whose streams are stable
across Python versions, and fixed-precision number formatting), so the committed assets/catalog.csv can
be checked byte for byte by regenerating it. The file uses the Spotify audio-features layout, so
`assistant.music.catalog.load_catalog` reads it like a real catalogue.

How it is drawn:
- every subgenre has a `Style`: the years it was made in, and the mean and spread of its audio features;
- every artist has a home subgenre, a debut year drawn from that style's eras, a career span, a personal
  lean (calmer or wilder, sunnier or darker than the style) and a popularity;
- every track takes its artist's style and lean plus its own variation; a few tracks per style are
  deliberately calm (ballads, adagios) or driving (anthems, prestos), so every genre has both;
- tempo, danceability, acousticness and loudness follow energy, as they do in real music.
Names come from word lists in patterns by genre ("The ...", "Firstname Lastname", "DJ ...", "X & the Y",
one-word names, ensembles) and are kept apart from genre, mood and command words that the language
understanding listens for.
"""

from __future__ import annotations

import csv
import io
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_SEED",
    "GENRE_SUBGENRES",
    "RESERVED_WORDS",
    "STYLES",
    "Style",
    "generate_rows",
    "name_key",
    "render_csv",
    "write_catalog",
]


def _w(text: str, sep: str | None = None) -> list[str]:
    """A word list written as one string (easier to read and edit than a list literal)."""
    return [word.strip() for word in text.split(sep) if word.strip()]


DEFAULT_SEED = 7
FIRST_YEAR, LAST_YEAR = 1960, 2025

CSV_COLUMNS: tuple[str, ...] = (
    "track_id",
    "track_name",
    "track_artist",
    "track_popularity",
    "track_album_id",
    "track_album_name",
    "track_album_release_date",
    "playlist_name",
    "playlist_id",
    "playlist_genre",
    "playlist_subgenre",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
)


@dataclass(frozen=True)
class Style:
    """What one subgenre looks like on paper: when it was made and how its audio features spread."""

    genre: str
    eras: tuple[tuple[int, int, float], ...]
    """(first year, last year, weight) of the periods artists of this style debuted in."""
    energy: tuple[float, float, float, float]
    """Mean, spread, lowest and highest plausible energy."""
    valence: float
    tempo: tuple[float, float]
    """Typical tempo range in BPM; energetic tracks sit at the top of it."""
    danceability: float
    acousticness: float
    instrumentalness: float
    speechiness: float
    minutes: float
    """Typical track length."""
    artists: int
    """How many artists call this style home."""
    names: str
    """The naming palette for artists and titles (a key of ARTIST_PATTERNS and TITLE_PATTERNS)."""


# fmt: off
STYLES: dict[str, Style] = {
    # rock
    "alternative rock": Style(
        "rock", ((1985, 1999, 0.6), (2000, 2024, 0.4)), (0.68, 0.17, 0.15, 0.97),
        0.42, (92, 150), 0.48, 0.12, 0.05, 0.05, 3.9, 7, "rock",
    ),
    "indie rock": Style(
        "rock", ((1998, 2024, 1.0),), (0.64, 0.17, 0.15, 0.96),
        0.48, (98, 160), 0.52, 0.16, 0.08, 0.05, 3.7, 6, "indie",
    ),
    "classic rock": Style(
        "rock", ((1964, 1979, 0.8), (1980, 1986, 0.2)), (0.66, 0.17, 0.18, 0.95),
        0.58, (88, 150), 0.50, 0.20, 0.04, 0.04, 4.3, 7, "rock",
    ),
    "hard rock": Style(
        "rock", ((1970, 1989, 0.7), (1990, 2010, 0.3)), (0.82, 0.12, 0.25, 0.98),
        0.50, (100, 160), 0.45, 0.05, 0.04, 0.06, 4.2, 5, "rock",
    ),
    # pop
    "dance pop": Style(
        "pop", ((1983, 1999, 0.3), (2000, 2024, 0.7)), (0.75, 0.14, 0.25, 0.97),
        0.66, (108, 130), 0.72, 0.10, 0.01, 0.07, 3.4, 7, "pop",
    ),
    "synth-pop": Style(
        "pop", ((1979, 1991, 0.6), (2008, 2024, 0.4)), (0.66, 0.15, 0.22, 0.95),
        0.56, (98, 136), 0.66, 0.08, 0.05, 0.04, 3.8, 6, "pop",
    ),
    "indie pop": Style(
        "pop", ((2004, 2024, 1.0),), (0.55, 0.17, 0.15, 0.92),
        0.55, (84, 132), 0.60, 0.30, 0.05, 0.05, 3.5, 6, "indie",
    ),
    # electronic
    "house": Style(
        "electronic", ((1987, 1999, 0.35), (2000, 2024, 0.65)), (0.77, 0.13, 0.30, 0.97),
        0.60, (118, 128), 0.80, 0.03, 0.55, 0.06, 5.5, 6, "electronic",
    ),
    "techno": Style(
        "electronic", ((1988, 1999, 0.4), (2000, 2024, 0.6)), (0.81, 0.12, 0.30, 0.98),
        0.32, (124, 140), 0.72, 0.02, 0.85, 0.05, 6.3, 5, "electronic",
    ),
    "ambient": Style(
        "electronic", ((1976, 1999, 0.4), (2000, 2024, 0.6)), (0.18, 0.11, 0.02, 0.55),
        0.25, (60, 96), 0.25, 0.75, 0.90, 0.04, 5.3, 5, "electronic",
    ),
    "drum and bass": Style(
        "electronic", ((1993, 2005, 0.5), (2006, 2024, 0.5)), (0.86, 0.10, 0.35, 0.99),
        0.40, (164, 178), 0.55, 0.02, 0.60, 0.07, 5.0, 5, "electronic",
    ),
    # hip hop
    "boom bap": Style(
        "hip hop", ((1986, 1999, 0.75), (2008, 2024, 0.25)), (0.66, 0.14, 0.20, 0.95),
        0.55, (84, 98), 0.78, 0.12, 0.02, 0.28, 3.8, 6, "hiphop",
    ),
    "trap": Style(
        "hip hop", ((2010, 2024, 1.0),), (0.68, 0.14, 0.22, 0.96),
        0.38, (130, 160), 0.74, 0.08, 0.02, 0.22, 3.2, 6, "hiphop",
    ),
    "lo-fi hip hop": Style(
        "hip hop", ((2014, 2024, 1.0),), (0.32, 0.11, 0.08, 0.68),
        0.45, (70, 92), 0.68, 0.55, 0.75, 0.07, 2.5, 5, "lofi",
    ),
    # r&b
    "neo soul": Style(
        "r&b", ((1995, 2015, 1.0),), (0.45, 0.15, 0.12, 0.85),
        0.50, (68, 102), 0.65, 0.35, 0.03, 0.07, 4.3, 6, "soul",
    ),
    "contemporary r&b": Style(
        "r&b", ((1996, 2009, 0.4), (2010, 2024, 0.6)), (0.58, 0.16, 0.18, 0.92),
        0.48, (65, 112), 0.70, 0.18, 0.01, 0.10, 3.6, 6, "soul",
    ),
    # jazz
    "bebop": Style(
        "jazz", ((1960, 1968, 0.85), (1990, 2015, 0.15)), (0.66, 0.15, 0.18, 0.92),
        0.58, (160, 260), 0.45, 0.80, 0.85, 0.06, 5.0, 6, "jazz",
    ),
    "smooth jazz": Style(
        "jazz", ((1978, 2010, 1.0),), (0.44, 0.14, 0.12, 0.80),
        0.58, (78, 112), 0.62, 0.40, 0.75, 0.04, 4.7, 6, "jazz",
    ),
    "cool jazz": Style(
        "jazz", ((1960, 1975, 0.85), (1995, 2020, 0.15)), (0.30, 0.12, 0.06, 0.75),
        0.45, (88, 140), 0.50, 0.85, 0.80, 0.05, 5.5, 5, "jazz",
    ),
    # classical
    "baroque": Style(
        "classical", ((1960, 2024, 1.0),), (0.28, 0.15, 0.04, 0.80),
        0.50, (60, 150), 0.38, 0.92, 0.90, 0.04, 4.0, 5, "baroque",
    ),
    "romantic": Style(
        "classical", ((1960, 2024, 1.0),), (0.22, 0.15, 0.02, 0.82),
        0.30, (50, 132), 0.25, 0.95, 0.92, 0.04, 7.0, 5, "romantic",
    ),
    "minimalism": Style(
        "classical", ((1972, 2024, 1.0),), (0.26, 0.13, 0.03, 0.70),
        0.35, (80, 150), 0.35, 0.85, 0.93, 0.04, 7.5, 4, "minimal",
    ),
    # folk
    "indie folk": Style(
        "folk", ((2004, 2024, 1.0),), (0.35, 0.15, 0.06, 0.80),
        0.40, (70, 126), 0.50, 0.80, 0.08, 0.04, 3.8, 7, "folk",
    ),
    "americana": Style(
        "folk", ((1994, 2024, 1.0),), (0.50, 0.16, 0.12, 0.88),
        0.52, (80, 142), 0.55, 0.60, 0.03, 0.04, 3.9, 7, "country",
    ),
    # country
    "outlaw country": Style(
        "country", ((1970, 1985, 0.7), (2008, 2024, 0.3)), (0.55, 0.16, 0.15, 0.90),
        0.58, (88, 160), 0.58, 0.45, 0.02, 0.04, 3.3, 7, "country",
    ),
    "country pop": Style(
        "country", ((1995, 2024, 1.0),), (0.67, 0.14, 0.18, 0.95),
        0.66, (88, 150), 0.60, 0.22, 0.01, 0.04, 3.4, 7, "country",
    ),
    # metal
    "heavy metal": Style(
        "metal", ((1975, 1994, 0.8), (2005, 2024, 0.2)), (0.85, 0.11, 0.20, 0.99),
        0.38, (100, 170), 0.40, 0.02, 0.05, 0.07, 4.8, 6, "metal",
    ),
    "thrash metal": Style(
        "metal", ((1983, 1996, 0.8), (2006, 2024, 0.2)), (0.90, 0.07, 0.25, 0.99),
        0.30, (160, 210), 0.32, 0.01, 0.08, 0.09, 5.3, 5, "metal",
    ),
    # reggae
    "roots reggae": Style(
        "reggae", ((1968, 1986, 0.85), (2000, 2024, 0.15)), (0.55, 0.14, 0.15, 0.88),
        0.70, (66, 88), 0.75, 0.22, 0.03, 0.10, 4.0, 7, "reggae",
    ),
    "dub": Style(
        "reggae", ((1972, 1989, 0.7), (1995, 2024, 0.3)), (0.45, 0.14, 0.12, 0.82),
        0.55, (64, 84), 0.74, 0.15, 0.70, 0.06, 4.5, 6, "dub",
    ),
    # latin
    "salsa": Style(
        "latin", ((1967, 1989, 0.6), (1990, 2010, 0.4)), (0.72, 0.13, 0.25, 0.95),
        0.80, (170, 205), 0.70, 0.35, 0.05, 0.06, 4.5, 5, "salsa",
    ),
    "reggaeton": Style(
        "latin", ((2003, 2024, 1.0),), (0.75, 0.12, 0.28, 0.95),
        0.68, (88, 100), 0.80, 0.15, 0.01, 0.12, 3.5, 5, "reggaeton",
    ),
    "bossa nova": Style(
        "latin", ((1960, 1972, 0.7), (1995, 2024, 0.3)), (0.30, 0.12, 0.06, 0.72),
        0.58, (110, 145), 0.60, 0.80, 0.25, 0.05, 3.0, 5, "bossa",
    ),
    # blues
    "delta blues": Style(
        "blues", ((1960, 1975, 0.8), (1995, 2020, 0.2)), (0.35, 0.14, 0.06, 0.80),
        0.45, (70, 122), 0.52, 0.85, 0.05, 0.06, 3.2, 5, "blues",
    ),
    "chicago blues": Style(
        "blues", ((1960, 1984, 0.8), (1990, 2015, 0.2)), (0.56, 0.15, 0.14, 0.92),
        0.55, (80, 132), 0.56, 0.35, 0.06, 0.05, 3.6, 6, "blues",
    ),
    # soul
    "funk": Style(
        "soul", ((1967, 1984, 0.85), (2005, 2024, 0.15)), (0.74, 0.13, 0.22, 0.96),
        0.78, (94, 122), 0.82, 0.12, 0.10, 0.07, 4.2, 6, "soul",
    ),
    "motown": Style(
        "soul", ((1960, 1975, 1.0),), (0.60, 0.15, 0.16, 0.92),
        0.76, (96, 142), 0.66, 0.35, 0.01, 0.04, 2.8, 6, "motown",
    ),
    # punk
    "pop punk": Style(
        "punk", ((1994, 2009, 0.8), (2018, 2024, 0.2)), (0.87, 0.10, 0.20, 0.99),
        0.60, (150, 200), 0.48, 0.02, 0.01, 0.07, 3.1, 6, "punk",
    ),
    "hardcore punk": Style(
        "punk", ((1980, 1992, 0.7), (2000, 2024, 0.3)), (0.92, 0.06, 0.25, 0.99),
        0.35, (160, 240), 0.35, 0.01, 0.02, 0.10, 1.9, 5, "punk",
    ),
}
# fmt: on

GENRE_SUBGENRES: dict[str, tuple[str, ...]] = {}
for _sub, _style in STYLES.items():
    GENRE_SUBGENRES.setdefault(_style.genre, ())
    GENRE_SUBGENRES[_style.genre] += (_sub,)

# A track is sometimes listed under a second, related playlist (as in Spotify data); the loader merges them.
CROSS_LISTED: dict[str, str] = {
    "indie pop": "indie folk",
    "hard rock": "heavy metal",
    "pop punk": "alternative rock",
    "americana": "outlaw country",
    "chicago blues": "classic rock",
    "smooth jazz": "neo soul",
    "bossa nova": "cool jazz",
    "contemporary r&b": "dance pop",
    "neo soul": "funk",
    "dub": "ambient",
    "synth-pop": "house",
}
CROSS_LIST_SHARE = 0.12
"""Chance that a track of a style with a related style is listed under both."""

# Words the language understanding listens for. No artist name contains one; no title or album is one,
# and none contains a genre or command word, so "play <title>" never reads as "rock" or "stop".
GENRE_WORDS = frozenset(
    _w("""rock rocky pop jazz jazzy blues bluesy folk folky country western metal punk punks soul soulful
    funk funky house techno ambient ambience electronic electronica electro edm dnb jungle trap rap
    hiphop hip hop boom bap lo-fi lofi chillhop reggae reggaeton dub roots latin latino salsa bossa nova
    bossanova bebop bop swing classical baroque romantic minimalism minimalist orchestra orchestral
    symphony symphonic motown americana outlaw hardcore thrash indie alternative alt synth synthwave
    synth-pop grunge emo disco r&b rnb urban tropical dance edm delta chicago drum bass neo contemporary
    heavy hard classic smooth cool""")
)
COMMAND_WORDS = frozenset(
    _w("""yes yeah yep yup no nope nah stop skip next pass quit exit cancel bye goodbye help repeat pause
    play again another more less enough later okay ok sure maybe whatever anything nothing done""")
)
MOOD_WORDS = frozenset(
    _w("""upbeat laid laidback chill chilled calm calming relaxed relaxing mellow soft gentle quiet peaceful
    soothing downtempo cozy cosy smooth tranquil serene dreamy lazy background energetic lively pumped
    pumping hype hyped intense loud exciting bouncy driving powerful banger amped groovy danceable happy
    cheerful joyful sunny positive uplifting bright fun summery optimistic sad melancholy melancholic
    moody dark gloomy depressing blue heartbreak heartbroken emotional somber sombre bittersweet brooding
    down sexy sensual intimate slow fast quick speedy faster slower uptempo ballad ballads old older new
    newer recent modern latest current fresh vintage retro classic oldies throwback good great nice cool
    perfect fine bad wrong right love lovely awesome amazing brilliant wonderful beautiful sweet boring
    party workout gym running study focus sleep relax commute dinner cooking drive road trip""")
)
RESERVED_WORDS = GENRE_WORDS | COMMAND_WORDS | MOOD_WORDS
"""No artist name uses one of these words; no title or album is one of them on its own."""

# Well-known real artists whose names the patterns below could produce; never used.
REAL_ARTISTS = frozenset(
    _w(
        """the black keys|the white stripes|the strokes|the killers|the cure|the doors|the police|the kinks
    |the shins|the national|the clash|the ramones|the damned|the jam|the band|the byrds|the animals
    |the zombies|the hollies|the supremes|the temptations|the miracles|the marvelettes|the velvelettes
    |the black crowes|the flaming lips|the smiths|the pixies|the stooges|the specials|the wailers
    |the skatalites|the meters|the commodores|the spinners|the drifters|the platters|the coasters
    |the head and the heart|the lumineers|the avett brothers|the staves|the war on drugs|the weeknd
    |the verve|the velvet underground|the walkmen|the vaccines|the wombats|the kooks|the xx|the 1975
    |the midnight|the chainsmokers|the prodigy|the orb|the knife|the roots|the fugees|the dramatics
    |the delfonics|the stylistics|the isley brothers|the o'jays|the chi-lites|the dells|the impressions
    |the ronettes|the crystals|the shirelles|the shangri-las|the chiffons|the vandellas|the four tops
    |the jackson 5|the gap band|the bar-kays|the ohio players|the brothers johnson|the time|the family
    |the descendents|the offspring|the misfits|the germs|the adolescents|the vandals|the queers
    |the menzingers|the story so far|the wonder years|the starting line|the all-american rejects
    |the used|the academy is|the maine|the summer set|the fray|the script|the wanted|the saturdays
    |the civil wars|the highwomen|the chicks|the mavericks|the judds|the bellamy brothers|the oak ridge boys
    |the statler brothers|the everly brothers|the louvin brothers|the stanley brothers|the osborne brothers
    |the gatlin brothers|the kentucky headhunters|the band perry|the cadillac three|the steel woods
    |the heavy|the sword|the darkness|the cult|the answer|the dead daisies|the temperance movement
    |the gaslight anthem|the hold steady|the replacements|the feelies|the church|the chills|the clean
    |the bats|the go-betweens|the triffids|the saints|the birthday party|the sundays|the sugarcubes
    |the charlatans|the stone roses|the la's|the boo radleys|the auteurs|the divine comedy|the bluetones
    |the cranberries|the corrs|the coral|the zutons|the thrills|the feeling|the fratellis|the view
    |the enemy|the twang|the pigeon detectives|the rifles|the holloways|the cribs|the futureheads
    |the libertines|the subways|the music|the bravery|the sounds|the hives|the vines|the datsuns
    |the d4|the hellacopters|the hives|the raveonettes|the cardigans|the knack|the cars|the motels
    |the go-go's|the bangles|the b-52's|the human league|the buggles|the associates|the blue nile
    |the psychedelic furs|the teardrop explodes|the icicle works|the waterboys|the pogues|the dubliners
    |the chieftains|the clancy brothers|the fureys|the wolfe tones|the seekers|the springfields
    |the mamas & the papas|the lovin' spoonful|the turtles|the association|the grass roots|the monkees
    |the beach boys|the beatles|the rolling stones|the who|the yardbirds|the small faces|the faces
    |the move|the troggs|the searchers|the swinging blue jeans|the tremeloes|the foundations
    |the allman brothers band|the eagles|the guess who|the band|the j. geils band|the outlaws
    |the marshall tucker band|the charlie daniels band|the doobie brothers|the steve miller band
    |earth, wind & fire|kool & the gang|sly & the family stone|prince|madonna|cher|sade|adele|drake
    |eminem|beyonce|rihanna|shakira|bjork|enya|moby|yes|kansas|boston|chicago|america|europe|asia
    |heart|journey|toto|styx|rush|queen|genesis|camel|focus|traffic|free|spooky tooth|cream|blind faith
    |bob marley & the wailers|toots & the maytals|desmond dekker & the aces|jimmy cliff|peter tosh
    |king tubby|lee scratch perry|scientist|mad professor|augustus pablo|prince far i|prince jammy
    |sister nancy|yellowman|big youth|u-roy|i-roy|dillinger|trinity|burning spear|black uhuru|steel pulse
    |aswad|third world|culture|israel vibration|the abyssinians|the congos|the heptones|the paragons
    |muddy waters|howlin' wolf|little walter|big bill broonzy|blind willie johnson|blind willie mctell
    |blind lemon jefferson|blind blake|son house|skip james|charley patton|robert johnson|tommy johnson
    |mississippi john hurt|big joe williams|lightnin' hopkins|john lee hooker|elmore james|jimmy reed
    |otis rush|magic sam|buddy guy|junior wells|koko taylor|little milton|albert king|freddie king
    |b.b. king|t-bone walker|big mama thornton|memphis minnie|sonny boy williamson|hound dog taylor
    |los rumberos|polaris|the wrecks|dj ghost|mc mako
    |dj shadow|dj haze|dj premier|dj quik|dj khaled|dj snake|dj jazzy jeff|mc lyte|mc hammer|mc ren|mc solaar
    |lil wayne|lil baby|lil uzi vert|lil nas x|lil yachty|lil peep|lil kim|lil jon|lil durk|lil tecca
    |young thug|young jeezy|young m.a|young dolph|young nudy|nujabes|j dilla|madlib|mf doom|flying lotus
    |tycho|bonobo|burial|aphex twin|autechre|boards of canada|orbital|underworld|leftfield|goldie
    |roni size|pendulum|noisia|andy c|dj hype|dj fresh|chase & status|sub focus|netsky|high contrast
    |daft punk|justice|cassius|modjo|stardust|basement jaxx|groove armada|faithless|deadmau5|avicii
    |tiesto|skrillex|diplo|calvin harris|kygo|zedd|marshmello|alesso|hardwell|afrojack""",
        "|",
    )
)

# ----------------------------------------------------------------------------------------------------
# Word lists. Kept free of the reserved words above; the generator re-checks every name anyway.

FIRST_EN = _w("""Ada Alma Amos Anika Arlo Astrid Bea Bennett Cal Cass Cleo Colm Dara Della Desmond Dex Edie
Elias Elsie Esme Ezra Fern Fiona Flynn Gideon Greta Hal Harlan Hattie Ines Ira Isla Jasper Jonah Juno
Kit Lark Leif Lena Levi Lorna Mabel Mae Malik Marnie Milo Nadia Nell Nico Noor Odette Otis Pearl Percy
Quinn Rafe Reuben Rhea Rosalind Rowan Ruth Saoirse Silas Sable Tamsin Theo Tilda Vera Wren Yara Zadie
Zeke Orla Caspian Delphine Imogen Lucius Marisol Thea Augustin Ivo Solveig Bram Clementine Eamon""")
LAST_EN = _w("""Ashby Abernathy Bellweather Birchall Blackmore Brandt Calloway Carrow Castellan Clement Crane
Dalloway Delacroix Devereux Drummond Ellery Fairweather Falk Farrow Fenwick Gallagher Garvey Greaves
Halloran Hartigan Haskell Holloway Ingram Jessop Kessler Kilbride Lachance Lindqvist Lowry Maddox Marchetti
Merriman Moreau Nakamura Northcott Oakes Okafor Pell Penhallow Quill Radcliffe Ravensworth Redfern Rook
Sayers Sinclair Stroud Sutter Tolliver Tremaine Underhill Vance Varga Waverly Whitlock Winslow Yarrow
Zeller Achterberg Bramwell Cortland Dunmore Esterhazy Fairbairn Gilchrist Hollins Ivers Juniper Kettering
Larkin Montague Norwood Ormsby Pascoe Quimby Rutherford Strand Thackeray Upton Vickery Wexler""")
NICK_BLUES = _w("Big Little Blind Slim Tall Lucky Hound Kid Sonny Papa Mama Uncle Lightfoot Deacon")
FIRST_BLUES = _w("""Amos Earl Otis Cleophus Jessie Willie Odell Luther Roosevelt Clarence Hattie Ida
Mamie Eddie Hollis Lonnie Ezekiel Booker Cornelius Arthur Minnie Tobias Elmer Floyd Virgil Homer
Rufus Alvin""")
LAST_BLUES = _w("""Tillery Pritchard Gaines McCray Whitfield Boudreaux Coleridge Hightower Pettaway
Sims Crockett Batiste Dupree Hamlin Oliphant Redding Staples Tubbs Wheatley Yancey Boykin Cottrell Easley""")
FIRST_ES = _w("""Alejandro Amparo Beatriz Camilo Carmela Dario Elena Esteban Fabiola Gonzalo Inés Javier Lucía
Marisela Mateo Nelson Óscar Paloma Rafael Rosario Santiago Teresa Valentina Ximena Yolanda Rubén""")
LAST_ES = _w("""Acevedo Barrios Calderón Cienfuegos Duarte Echeverría Figueroa Galindo Ibarra Lozano Montalvo
Navarrete Olmedo Pizarro Quintero Robledo Salcedo Toledo Urrutia Valdivia Zamora Beltrán Arriaga""")
FIRST_PT = _w("""Anselmo Beatriz Caetana Dorival Elisa Flávio Glória Heitor Iara Joaquim Luzia Márcio Nara
Otávio Rosa Sérgio Teodoro Vinícia Zélia Bento""")
LAST_PT = _w("""Albuquerque Bastos Cardoso Drummond Esteves Falcão Guimarães Lacerda Macedo Nogueira Pacheco
Queiroz Rezende Siqueira Teixeira Vasconcelos Xavier Brandão Moura""")
FIRST_EU = _w("""Johann Friedrich Giovanni Battista Antonio Pietro Henri Louis Clara Fanny Wilhelm Anton Émile
Ottavio Sophie Amalie Leopold Gaspard Carl Margarethe Francesco Ignaz Jakob Luisa Heinrich Théodore
Agnès Konstantin Benedikt Isabella""")
LAST_EU = _w("""Albrecht Bellincioni Castelvecchi Dorfmann Eberhardt Falconieri Grünewald Hasselmann Kirchner
Lombardini Marchesi Neuhaus Pfeiffer Quantinelli Reinholt Sallmann Tessarini Ulbricht Valmont Weisskopf
Zanetti Brenner Courvoisier Delaunay Lindholm Rostova Sandvik Thorvaldsen Varennes Morell""")
FIRST_JM = _w("""Winston Delroy Errol Lloyd Junior Clive Leroy Barrington Glenford Horace Linval Ansel
Hopeton Carlton Marcia Judith Althea Fitzroy Neville Keith""")
LAST_JM = _w("""McKenzie Grant Thompson Ranglin Samuels Forbes Campbell Barrett Brooks Hinds Douglas Edwards
Isaacs Morgan Wallace Bailey Ellison Henriques""")
JM_TITLES = _w("Jah Prince Lion Ras Brother Congo Kingston Mighty Sugar Ranking Sister")

ADJ = _w("""Amber Ashen Brass Broken Burning Cobalt Copper Crimson Crystal Distant Electric Empty Endless
Faded Falling Feral Flint Frozen Gilded Glass Golden Hollow Hungry Idle Iron Ivory Jade Last Linen Lunar
Marble Midnight Neon Northern Orange Paper Pale Painted Paper Phantom Plastic Radiant Rapid Restless
Rusted Saffron Scarlet Secret Silent Silver Sleeping Solar Static Stolen Strange Sudden Tangled Tender
Thousand Velvet Violet Wandering Wild Wooden Yellow Hidden Crooked Savage Southern Lonesome Emerald Tin
Humble Honest Careless Fearless Reckless Open Second Double Twin Narrow Tidal""")
NOUN = _w("""Anchor Arrow Atlas Avenue Beacon Bell Bloom Bonfire Bridge Cabin Canyon Carousel Cathedral
Circuit Cloud Coast Comet Compass Crown Current Dagger Dune Desert Diamond Echo Ember Engine Feather
Field Fire Flood Flower Fountain Garden Ghost Glacier Harbor Harvest Heart Highway Horizon Hotel Island
Jewel Kingdom Kite Ladder Lantern Letter Lighthouse Machine Meadow Mirror Monument Moon Morning Mountain
Ocean Orchard Palace Parade Pilot Planet Prairie Radio Railway Raven River Rocket Saint Satellite Shadow
Signal Skyline Sparrow Spire Star Stone Storm Summer Sun Telegraph Temple Thunder Tide Tower Train Valley
Voyage Wave Window Winter Wolf Lagoon Meridian Cascade Prism Orbit Harbour Ridge Marsh Quarry Hollow Ferry
Timber Willow Cinder Citadel Ribbon Velvet Magnet Cipher Vessel Furnace Pendulum Estuary Aurora""")
SUBSTANCE = _w("""Gold Glass Salt Smoke Honey Ashes Roses Mercy Silence Thunder Iron Copper Marble Rain
Lightning Stars Summer Winter Sparks Wildflowers Diamonds Strangers Ghosts Paper Neon Velvet Tin Wolves""")
SUBSTANCE = _w("""Gold Glass Salt Smoke Honey Ashes Roses Mercy Silence Thunder Iron Copper Marble Rain
Lightning Stars Summer Winter Sparks Wildflowers Diamonds Strangers Ghosts Paper Neon Velvet Tin Wolves""")
PLURAL = _w("""Anchors Arrows Bandits Beacons Bells Birds Brothers Cannons Cardinals Comets Coyotes Crows
Daggers Dials Drifters Embers Engines Falcons Foxes Ghosts Hearts Hounds Jets Kites Lanterns Lions
Machines Magnets Mirrors Moons Owls Pilots Pistols Planets Prophets Rebels Riders Rivers Rockets Saints
Sailors Satellites Shadows Sparks Sparrows Strangers Suns Swallows Thieves Tigers Tides Twins Vandals
Vipers Wolves Wires Wrens Pines Harpoons Pelicans Herons Lanterns Marauders Outriders Ramblers Tumbleweeds
Mockingbirds Cyclones Daydreamers Sleepwalkers Lamplighters Cartographers Astronauts Stowaways Loners
Runaways Outsiders Travelers Gamblers Dreamers Preachers Voyagers Weavers Lighthouses Carousels""")
NAME_ONSETS = _w("ka lo ve ra mi sa no ta li ze ro vi na ki mo si da fe lu co ba ne jo su te ma")
NAME_ENDINGS = _w("lin ra vel mir sen lo ris tan vo la nia rel dor sia len vik rin zo nte lys mae")
ETTE_GROUPS = _w("Satinettes Lockettes Garnettes Orchidettes Tiarettes Opalettes Chiffonettes Velourettes")
HIPHOP_AGENTS = _w("""Architect Navigator Surgeon Mechanic Cartographer Oracle Poet Sculptor Locksmith
Professor Diplomat Astronomer Engineer Librarian Chemist""")
LOFI_ADJ = _w("drowsy hazy foggy misty tiny little sleepless rainy sleepwalking faraway")
ELECTRO_WORDS = _w("""Parallax Vantage Halcyon Quasar Isotope Kinetic Monolith Spectra Vector Zenith
Axiom Helix Lumen Nebula Obsidian Photon Pulsar Radian Solace Tesseract Vapor Wavelength Cadence Tangent
Fractal Gradient Mirage Orbital Resonance Sonar Strata Telemetry Umbra Velocity Catalyst Emitter Filament
Lattice Meridian Neutrino Oscillate Polaris Reactor Silica Tundra Voltage Zephyr""")
HIPHOP_WORDS = _w("""Ace Blaze Cash Deuce Fable Ghost Haze Jet Kilo Lox Mako Nova Omen Pharaoh Quest Rook
Saint Titan Vandal Wick Zeno Jinx Rico Sage Tempo Verse Cipher Dice Flex Grind Onyx Pablo Remy Slate
Truce Vex Wax Zeal Dusk Edge Fuse Gusto Hex""")
METAL_A = _w("""Iron Grave Black Bone Blood Storm Wolf Night Ash Steel Frost Raven Skull Thorn Venom Doom
Hell Chaos Sin Fury Death Rust Shadow Dread Ruin Plague Hex Cinder""")
METAL_B = _w("""crown veil forge hammer throne blade reign fang wraith march spire gate maw pyre cult horn
lord fall born rider bane rot siege wing claw shroud""")
METAL_NOUNS = _w("""Altar Abyss Crypt Dagger Ember Furnace Gallows Harbinger Inferno Legion Monolith Oracle
Pyre Requiem Sepulchre Tyrant Vortex Warhead Catacomb Leviathan Obelisk Serpent Wasteland Executioner
Apocalypse Behemoth Carnage Cataclysm Descent Dominion Eclipse Famine Genocide Hellfire Judgement""")
PUNK_NOUNS = _w(
    """Fists, Bricks, Knuckles, Sirens, Hornets, Wasps, Saboteurs, Spitfires, Wrecks, Crashers,
Dropouts, Fuses, Bottlecaps, Staplers, Guttersnipes, Tinfoils, Shoelaces, Detentions, Sawhorses, Fire Drills,
Nosebleeds, Paper Cuts, Hall Passes, Chainlinks, Gutterballs, Pylons, Busted Radios, Switchblades""",
    ",",
)
ES_NOUNS = _w("""Fuego Luna Corazón Noche Calle Sol Mar Cielo Amor Tambor Camino Sueño Viento Río Estrella
Playa Ciudad Fiesta Ritmo Alma Lluvia Candela Guitarra Piel Boca Barrio Azúcar Trópico Sabor Tiempo
Palma Puerto Madrugada Verano Locura Paraíso""")
ES_ADJ = _w("""Caliente Lento Dorado Eterno Salvaje Perdido Nuevo Bonito Loco Dulce Negro Rojo
Primero Último Fugaz Brillante Bravo Tranquilo Callejero""")
ES_PLURAL = _w("""Gitanos Tambores Caribeños Soneros Hermanos Bravos Rumberos Tigres Diablos Guerreros
Cometas Palmeros Viajeros Leones""")
PT_NOUNS = _w("""Saudade Mar Praia Lua Chuva Sol Samba Brisa Janela Tarde Manhã Areia Onda Caminho Flor
Coração Canção Barco Estrela Morena Sereia Varanda Jardim Sonho Saveiro Ilha Luar""")
PT_PLACES = _w("""Ipanema Leblon Copacabana Niterói Bahia Olinda Paraty Itapuã Santos Recife Búzios""")
PLACES = _w("""Avalon Brighton Carolina Dakota Galveston Harlem Havana Jericho Kingston Laredo Lisbon Memphis
Monterey Nashville Oakland Phoenix Reno Savannah Tulsa Valencia Winslow Yukon Marseille Tangier Istanbul
Berlin Detroit Tokyo Odessa Tallahassee Amarillo Cheyenne Baltimore Montreal Marrakesh Tucson""")
# "<verb> <preposition> the <noun>" titles: pairs that read naturally.
MOTIONS = _w(
    """Running Through, Walking Under, Sailing Across, Dancing Beneath, Falling Into, Drifting Past,
Waiting Beyond, Racing Toward, Sleeping Under, Burning Through, Flying Over, Hiding Behind, Singing Across,
Dreaming Beneath, Wandering Through, Climbing Over, Swimming Toward, Looking Past, Lost Beneath,
Shining Over, Rolling Through, Howling At""",
    ",",
)
VERBS_ING = _w("""Chasing Counting Dancing Drifting Falling Fading Holding Leaving Losing Racing Reaching
Running Sailing Singing Sleeping Burning Waiting Walking Waking Watching Wishing Breathing Climbing
Crossing Dreaming Flying Hiding Hunting Kissing Shaking Shining Spinning Stealing Turning""")
LOFI_WORDS = _w("""rainy window tea steam notebook cat sunday afternoon library lamp vinyl dust pages
mug blanket porch streetlight snowfall homework cloud puddle kettle radiator polaroid pencil
balcony laundromat subway""")
JAZZ_FORMS = _w("""Waltz Ballad Serenade Nocturne Lament Shuffle Riff Strut Stroll Interlude Reverie
Vignette Prelude Rhapsody""")
MINIMAL_INSTRUMENTS = _w("""Pianos Marimbas Clarinets Voices Organs Strings Vibraphones Cellos Mallets
Glockenspiels Violins Flutes""")
KEYS = _w("""C D E F G A B C-sharp E-flat F-sharp A-flat B-flat""")
BAROQUE_FORMS = [
    *_w("Concerto Partita Suite Sonata Toccata Fugue Chaconne Sinfonia Cantata Passacaglia Overture"),
    "Trio Sonata",
    "Concerto grosso",
]
BAROQUE_MOVEMENTS_SLOW = _w("""Largo Adagio Sarabande Grave Andante Siciliano Lento""")
BAROQUE_MOVEMENTS_FAST = [*_w("Allegro Presto Gigue Vivace Courante Bourrée Gavotte"), "Allegro assai"]
ROMANTIC_FORMS = [
    *_w("Nocturne Ballade Étude Impromptu Rhapsody Intermezzo Mazurka Polonaise Fantasia Romance"),
    *_w("Berceuse Scherzo Barcarolle Waltz Sonata Concerto"),
    "Tone poem",
]
ENSEMBLE_WORDS = ["Ensemble", "Consort", "Players", "Sinfonietta", "Camerata", "Collegium", "Quartet"]


# ----------------------------------------------------------------------------------------------------
# Names


def name_key(name: str) -> str:
    """The key two names must not share: case, accents, spacing, punctuation and a leading article or
    DJ/MC tag ignored (close to how the entity linker matches spoken names)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace(" and ", " & ")
    text = re.sub(r"^(the|a|an|dj|mc|lil|young|el|los|la)\s+", "", text.strip())
    return re.sub(r"[^a-z0-9&]+", "", text)


def _words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9&']+", text)


# Syllable pairs that happen to spell English words; an invented name must not read as one.
_ENGLISH_LOOKALIKES = frozenset(_w("solar motel lunar sonar coral moral total kilos dataset marina"))


def _invented_word(rng: random.Random) -> str:
    """A made-up one-word name ("Velarin", "Mosiel"): two or three syllables, never a doubled syllable."""
    while True:
        parts = [rng.choice(NAME_ONSETS) for _ in range(rng.choice((1, 1, 2)))] + [rng.choice(NAME_ENDINGS)]
        word = "".join(parts)
        if len(set(parts)) == len(parts) and len(word) >= 5 and word not in _ENGLISH_LOOKALIKES:
            return word[0].upper() + word[1:]


Picker = Callable[[random.Random], str]


def _pick(words: Sequence[str]) -> Picker:
    return lambda rng: rng.choice(words)


def _pattern(template: str, **slots: Picker) -> Picker:
    def make(rng: random.Random) -> str:
        return template.format(**{name: pick(rng) for name, pick in slots.items()})

    return make


_first, _last, _adj, _noun, _plural = (_pick(w) for w in (FIRST_EN, LAST_EN, ADJ, NOUN, PLURAL))
_person = _pattern("{f} {l}", f=_first, l=_last)

# Artist-name patterns by naming palette, each with a weight.
ARTIST_PATTERNS: dict[str, list[tuple[float, Picker]]] = {
    "rock": [
        (3, _pattern("The {a} {p}", a=_adj, p=_plural)),
        (2, _pattern("{a} {n}", a=_adj, n=_noun)),
        (1, _pattern("{f} {l}", f=_first, l=_last)),
        (1, _pattern("{f} {l} & the {p}", f=_first, l=_last, p=_plural)),
        (1, _pattern("{n} {n2}", n=_noun, n2=_noun)),
    ],
    "indie": [
        (1, _pattern("The {p}", p=_plural)),
        (1, _pattern("The {a} {p}", a=_adj, p=_plural)),
        (2, _pattern("{a} {n}", a=_adj, n=_noun)),
        (1, _invented_word),
        (2, _person),
        (1, _pattern("{f} & the {p}", f=_first, p=_plural)),
    ],
    "pop": [
        (4, _person),
        (1, _invented_word),
        (1, _pattern("{a} {p}", a=_adj, p=_plural)),
        (1, _pattern("{f}", f=lambda r: r.choice(FIRST_EN) + " " + r.choice(ELECTRO_WORDS))),
    ],
    "electronic": [
        (2, _pattern("DJ {w}", w=_invented_word)),
        # Two rare words rather than one: a single word like "Polaris" is somebody's act already.
        (3, _pattern("{w} {v}", w=_pick(ELECTRO_WORDS), v=_pick(ELECTRO_WORDS))),
        (2, _invented_word),
        (1, _pattern("{a} {n}", a=_adj, n=_pick(ELECTRO_WORDS))),
        (1, _pattern("{x} & {y}", x=_first, y=_first)),
        (1, _pattern("{w} Collective", w=_pick(ELECTRO_WORDS))),
    ],
    "hiphop": [
        # Tag + a made-up word: "DJ Ghost" or "Lil Blaze" would likely be someone real.
        (2, _pattern("MC {w}", w=_invented_word)),
        (2, _pattern("Lil {w}", w=_invented_word)),
        (2, _pattern("Young {w}", w=_invented_word)),
        (2, _pattern("{w} the {n}", w=_pick(HIPHOP_WORDS), n=_pick(HIPHOP_AGENTS))),
        (2, _pattern("{w} {l}", w=_pick(HIPHOP_WORDS), l=_last)),
        (1, _pattern("{w}{d}", w=_pick(HIPHOP_WORDS), d=lambda r: f" {r.randint(2, 99)}")),
    ],
    "lofi": [
        (3, _pattern("{a} {w}", a=_pick(LOFI_ADJ), w=_pick(LOFI_WORDS))),
        (2, lambda r: _invented_word(r).lower()),
        (1, _pattern("{f} {w}", f=lambda r: r.choice(FIRST_EN).lower(), w=_pick(LOFI_WORDS))),
    ],
    "soul": [
        (4, _person),
        (1, _pattern("The {a} {p}", a=_adj, p=_plural)),
        (1, _pattern("{f} {l} & the {p}", f=_first, l=_last, p=_plural)),
        (1, _invented_word),
    ],
    "motown": [
        (3, _person),
        (2, _pattern("The {w}", w=_pick(ETTE_GROUPS))),
        (2, _pattern("The {a} {p}", a=_adj, p=_plural)),
        (1, _pattern("{f} {l} & the {p}", f=_first, l=_last, p=_plural)),
    ],
    "jazz": [
        (3, _person),
        (2, _pattern("{f} {l} {g}", f=_first, l=_last, g=_pick(["Trio", "Quartet", "Quintet", "Sextet"]))),
        (1, _pattern("The {l} {g}", l=_last, g=_pick(["Trio", "Quartet", "Quintet"]))),
    ],
    "baroque": [
        (4, _pattern("{f} {l}", f=_pick(FIRST_EU), l=_pick(LAST_EU))),
        (1, _pattern("{e} {l}", e=_pick(["Capella", "Collegium", "Ensemble"]), l=_pick(LAST_EU))),
    ],
    "romantic": [
        (5, _pattern("{f} {l}", f=_pick(FIRST_EU), l=_pick(LAST_EU))),
        (1, _pattern("{l} Piano Trio", l=_pick(LAST_EU))),
    ],
    "minimal": [
        (3, _person),
        (1, _pattern("{p} {e}", p=_pick(PLACES), e=_pick(ENSEMBLE_WORDS))),
    ],
    "folk": [
        (3, _person),
        (1, _pattern("The {a} {p}", a=_adj, p=_plural)),
        (1, _pattern("{n} & {n2}", n=_noun, n2=_noun)),
        (1, _pattern("{a} {n}", a=_adj, n=_noun)),
    ],
    "country": [
        (4, _person),
        (1, _pattern("The {l} Brothers", l=_last)),
        (1, _pattern("{p} {pl}", p=_pick(PLACES), pl=_plural)),
        (1, _pattern("{f} {l} & the {p}", f=_first, l=_last, p=_plural)),
    ],
    "metal": [
        (3, _pattern("{a}{b}", a=_pick(METAL_A), b=_pick(METAL_B))),
        (2, _pattern("{n} of {m}", n=_pick(METAL_NOUNS), m=_pick(METAL_NOUNS))),
        (2, _pattern("{a} {n}", a=_pick(METAL_A), n=_pick(METAL_NOUNS))),
    ],
    "punk": [
        (1, _pattern("The {n}", n=_pick(PUNK_NOUNS))),
        (2, _pattern("The {a} {n}", a=_adj, n=_pick(PUNK_NOUNS))),
        (2, _pattern("{a} {n}", a=_adj, n=_pick(PUNK_NOUNS))),
        (1, _pattern("{p} {n}", p=_pick(PLACES), n=_pick(PUNK_NOUNS))),
        (1, _pattern("{d} {n}", d=_pick(["Seven", "Nine", "Twelve", "Forty", "Hundred", "Zero"]), n=_plural)),
    ],
    "reggae": [
        (3, _pattern("{f} {l}", f=_pick(FIRST_JM), l=_pick(LAST_JM))),
        (2, _pattern("{t} {w}", t=_pick(JM_TITLES), w=_pick(FIRST_JM + LAST_JM))),
        (1, _pattern("The {a} {p}", a=_adj, p=_plural)),
    ],
    "dub": [
        (2, _pattern("{w} Sound System", w=_pick(LAST_JM + ELECTRO_WORDS))),
        (2, _pattern("{t} {w}", t=_pick(JM_TITLES), w=_pick(FIRST_JM + ELECTRO_WORDS))),
        (1, _pattern("{w} Steppers", w=_pick(PLACES + LAST_JM))),
    ],
    "salsa": [
        (3, _pattern("{f} {l}", f=_pick(FIRST_ES), l=_pick(LAST_ES))),
        (1, _pattern("Los {p}", p=_pick(ES_PLURAL))),
        (1, _pattern("Orquesta {w}", w=_pick(ES_NOUNS + LAST_ES))),
        (1, _pattern("{f} {l} y su Conjunto", f=_pick(FIRST_ES), l=_pick(LAST_ES))),
    ],
    "reggaeton": [
        (2, _pattern("{f} {l}", f=_pick(FIRST_ES), l=_pick(LAST_ES))),
        (2, _pattern("{w} {a}", w=_pick(FIRST_ES), a=_pick(_w("Veloz Real Prieto Fantasma Estrella Santo")))),
        (1, _pattern("El {n}", n=_pick(ES_NOUNS))),
        (1, _pattern("Lil {w}", w=_invented_word)),
    ],
    "bossa": [
        (4, _pattern("{f} {l}", f=_pick(FIRST_PT), l=_pick(LAST_PT))),
        (1, _pattern("Trio {p}", p=_pick(PT_PLACES))),
        (1, _pattern("Quarteto {n}", n=_pick(PT_NOUNS))),
    ],
    "blues": [
        (3, _pattern("{n} {f} {l}", n=_pick(NICK_BLUES), f=_pick(FIRST_BLUES), l=_pick(LAST_BLUES))),
        (2, _pattern("{f} {l}", f=_pick(FIRST_BLUES), l=_pick(LAST_BLUES))),
        (1, _pattern("{n} {l}", n=_pick(NICK_BLUES), l=_pick(LAST_BLUES))),
        (1, _pattern("{f} {l} & the {p}", f=_pick(FIRST_BLUES), l=_pick(LAST_BLUES), p=_plural)),
    ],
}
ARTIST_PATTERNS["dub"] += [(1, _pattern("{f} {l}", f=_pick(FIRST_JM), l=_pick(LAST_JM)))]


def _weighted(rng: random.Random, options: Sequence[tuple[float, Picker]]) -> Picker:
    return rng.choices([p for _, p in options], weights=[w for w, _ in options])[0]


# Title patterns by naming palette.
_es = _pick(ES_NOUNS)
_pt = _pick(PT_NOUNS)
_general: list[tuple[float, Picker]] = [
    (4, _pattern("{a} {n}", a=_adj, n=_noun)),
    (2, _pattern("{n} of {m}", n=_noun, m=_pick(SUBSTANCE))),
    (2, _pattern("{v} the {n}", v=_pick(MOTIONS), n=_noun)),
    (1, _pattern("{v} {n}s", v=_pick(VERBS_ING), n=_noun)),
    (1, _pattern("Song for {f}", f=_first)),
    (1, _pattern("{p} {n}", p=_pick(PLACES), n=_noun)),
    (1, _pattern("{n} in {p}", n=_noun, p=_pick(PLACES))),
    (1, _pattern("Where the {p} Go", p=_plural)),
    (1, _pattern("{f}, {f2}", f=_first, f2=_pick(["Come Home", "Hold On", "Don't Wait", "I Know"]))),
    (1, _pattern("All the {a} {p}", a=_adj, p=_plural)),
    (1, _pattern("Call Me {a}", a=_adj)),
    (1, _pattern("{n}light", n=_pick(["Harbor", "Candle", "Lantern", "Ember", "Star", "Neon", "Twi"]))),
    (1, _pattern("Before the {n} Falls", n=_noun)),
    (1, _pattern("Take Me to {p}", p=_pick(PLACES))),
    (1, _pattern("Nobody Knows the {n}", n=_noun)),
    (1, _pattern("{n} on Fire", n=_noun)),
    (1, _pattern("If the {n} Breaks", n=_noun)),
]
TITLE_PATTERNS: dict[str, list[tuple[float, Picker]]] = {
    "rock": _general,
    "indie": [*_general, (1, _pattern("The {n} Song", n=_noun)), (1, _pattern("We Were {p}", p=_plural))],
    "pop": [*_general, (2, _pattern("{v} {a}", v=_pick(["Feeling", "Looking", "Going"]), a=_adj))],
    "soul": [
        *_general,
        (2, _pattern("{f}, {f2}", f=_first, f2=_pick(["Baby", "My Darling", "Come Closer"]))),
    ],
    "motown": [
        *_general,
        (
            2,
            _pattern(
                "{v} {f}", v=_pick(["Crying Over", "Dreaming of", "Waiting for", "Dancing with"]), f=_first
            ),
        ),
    ],
    "folk": [*_general, (2, _pattern("The {n} and the {m}", n=_noun, m=_noun))],
    "country": [
        *_general,
        (2, _pattern("{p} Highway", p=_pick(PLACES))),
        (2, _pattern("Whiskey {n}", n=_noun)),
        (1, _pattern("Dust on the {n}", n=_noun)),
    ],
    "electronic": [
        (3, _pick(ELECTRO_WORDS)),
        (2, _pattern("{a} {w}", a=_adj, w=_pick(ELECTRO_WORDS))),
        (
            2,
            _pattern("{w} {d}", w=_pick(ELECTRO_WORDS), d=lambda r: str(r.choice([101, 303, 606, 808, 909]))),
        ),
        (1, _pattern("{w} Protocol", w=_pick(ELECTRO_WORDS))),
        (1, _pattern("{n} Sequence", n=_noun)),
        (1, _invented_word),
    ],
    "hiphop": [
        (2, _pattern("{n} Talk", n=_noun)),
        (2, _pattern("Off the {n}", n=_noun)),
        (2, _pattern("{p} Nights", p=_pick(PLACES))),
        (2, _pattern("{a} {n}", a=_adj, n=_noun)),
        (1, _pattern("{w} Season", w=_pick(HIPHOP_WORDS))),
        (1, _pattern("Run It {a}", a=_pick(["Back", "Twice", "Up"]))),
    ],
    "lofi": [
        (3, _pattern("{a} {b}", a=_pick(LOFI_WORDS), b=_pick(LOFI_WORDS))),
        (2, _pattern("{a} & {b}", a=_pick(LOFI_WORDS), b=_pick(LOFI_WORDS))),
        (1, _pattern("{a} at {t}", a=_pick(LOFI_WORDS), t=_pick(["3am", "4am", "dusk", "noon", "midnight"]))),
    ],
    "jazz": [
        (2, _pattern("{a} {n}", a=_adj, n=_noun)),
        (2, _pattern("{f}'s {j}", f=_first, j=_pick(JAZZ_FORMS))),
        (2, _pattern("{j} for {f}", j=_pick(JAZZ_FORMS), f=_first)),
        (1, _pattern("{p} After Hours", p=_pick(PLACES))),
        (1, _pattern("{n} Street", n=_noun)),
        (1, _pattern("{w}", w=_pick(ELECTRO_WORDS))),
    ],
    "metal": [
        (3, _pattern("{n} of {m}", n=_pick(METAL_NOUNS), m=_pick(METAL_NOUNS))),
        (2, _pattern("{a} {n}", a=_pick(METAL_A), n=_pick(METAL_NOUNS))),
        (1, _pattern("Into the {n}", n=_pick(METAL_NOUNS))),
        (
            1,
            _pattern(
                "{v} the {n}", v=_pick(["Burning", "Crushing", "Raising", "Breaking"]), n=_pick(METAL_NOUNS)
            ),
        ),
    ],
    "punk": [
        (2, _pattern("{a} {n}", a=_adj, n=_noun)),
        (2, _pattern("{p} Is Burning", p=_pick(PLACES))),
        (1, _pattern("{n} Riot", n=_noun)),
        (1, _pattern("Kill the {n}", n=_noun)),
        (1, _pattern("{p} {n}", p=_pick(PLACES), n=_pick(PUNK_NOUNS))),
        (2, _pattern("{v} the {n}", v=_pick(MOTIONS), n=_noun)),
    ],
    "reggae": [
        (2, _pattern("{n} of {p}", n=_noun, p=_pick(["Zion", "Babylon", "Kingston", "Trenchtown", "Jah"]))),
        (2, _pattern("{a} {n}", a=_adj, n=_noun)),
        (1, _pattern("{p} Sunrise", p=_pick(PLACES))),
        (1, _pattern("Natty {n}", n=_noun)),
    ],
    "dub": [
        (2, _pattern("{n} Version", n=_noun)),
        (2, _pattern("{a} {n} Dubwise", a=_adj, n=_noun)),
        (1, _pattern("{p} Skank", p=_pick(PLACES))),
        (1, _pattern("{n} Rockers Showcase", n=_noun)),
    ],
    "salsa": [
        (2, _pattern("{n} {a}", n=_es, a=_pick(ES_ADJ))),
        (2, _pattern("Noche de {n}", n=_es)),
        (1, _pattern("Mi {n}", n=_es)),
        (1, _pattern("Baila {f}", f=_pick(FIRST_ES))),
        (1, _pattern("{n} en el {m}", n=_es, m=_es)),
    ],
    "reggaeton": [
        (2, _pattern("{n} {a}", n=_es, a=_pick(ES_ADJ))),
        (1, _pattern("Dale {f}", f=_pick(FIRST_ES))),
        (1, _pattern("Perreo {a}", a=_pick(ES_ADJ))),
        (1, _pattern("{n} de {m}", n=_es, m=_es)),
        (1, _pattern("Dime {n}", n=_es)),
    ],
    "bossa": [
        (2, _pattern("{n} de {p}", n=_pt, p=_pick(PT_PLACES))),
        (2, _pattern("Saudade da {n}", n=_pt)),
        (1, _pattern("Samba da {n}", n=_pt)),
        (1, _pattern("{n} e {m}", n=_pt, m=_pt)),
    ],
    "blues": [
        (2, _pattern("{p} Train", p=_pick(PLACES))),
        (2, _pattern("{a} {n}", a=_adj, n=_noun)),
        (1, _pattern("Levee {n}", n=_noun)),
        (1, _pattern("Rollin' to {p}", p=_pick(PLACES))),
        (1, _pattern("{f} Don't Come Back", f=_pick(FIRST_BLUES))),
        (1, _pattern("Crossroad {n}", n=_noun)),
        (1, _pattern("Muddy {n}", n=_noun)),
    ],
}


def _classical_title(names: str, rng: random.Random, energy: float) -> str:
    slow = energy < 0.4 or (energy < 0.55 and rng.random() < 0.5)
    key = f"{rng.choice(KEYS)} {rng.choice(['major', 'minor'])}"
    opus = f"Op. {rng.randint(1, 140)}"
    if names == "baroque":
        form = rng.choice(BAROQUE_FORMS)
        mov = rng.choice(BAROQUE_MOVEMENTS_SLOW if slow else BAROQUE_MOVEMENTS_FAST)
        part = ["I", "II", "III", "IV", "V"][rng.randrange(5)]
        return f"{form} in {key}, {opus}: {part}. {mov}"
    if names == "romantic":
        form = rng.choice(ROMANTIC_FORMS)
        mark = rng.choice(
            ["Lento", "Adagio", "Andante cantabile", "Larghetto"]
            if slow
            else ["Allegro con brio", "Presto agitato", "Vivace", "Allegro appassionato"]
        )
        return f"{form} in {key}, {opus}" + (f": {mark}" if rng.random() < 0.6 else "")
    pattern = rng.randrange(4)
    if pattern == 0:
        count = rng.choice(["Two", "Four", "Six", "Eight", "Twelve"])
        return f"Music for {count} {rng.choice(MINIMAL_INSTRUMENTS)}"
    if pattern == 1:
        return f"{rng.choice(NOUN)} Phases"
    if pattern == 2:
        return f"Pulse {rng.choice(['I', 'II', 'III', 'IV', 'V', 'VI', 'VII'])} ({rng.choice(NOUN)})"
    return (
        f"{rng.choice(['Canon', 'Study', 'Loop', 'Patterns'])} for {rng.choice(NOUN)} and {rng.choice(NOUN)}"
    )


def _title(names: str, rng: random.Random, energy: float) -> str:
    if names in ("baroque", "romantic", "minimal"):
        return _classical_title(names, rng, energy)
    return _weighted(rng, TITLE_PATTERNS[names])(rng)


_VENUES = ["Roxy Hall", "Green Door", "Palladium", "Corner Club", "Lyceum", "Harbor Ballroom"]
_ALBUM_GENERIC: list[tuple[float, Picker]] = [
    (3, _pattern("{a} {p}", a=_adj, p=_plural)),
    (2, _pattern("{n} & {m}", n=_noun, m=_noun)),
    (1, _pattern("Songs from {p}", p=_pick(PLACES))),
    (1, _pattern("Live at the {n}", n=_pick(_VENUES))),
    (1, _pattern("The {n} Sessions", n=_noun)),
    (2, _pattern("{n}", n=_noun)),
]
# Palettes whose albums are named in their own idiom only (a bossa nova album is not "Songs from Tulsa").
_ALBUM_OWN_IDIOM = {"metal", "salsa", "reggaeton", "bossa", "lofi", "electronic", "dub"}


def _album(names: str, rng: random.Random, artist: str, first: bool) -> str:
    if names in ("baroque", "romantic"):
        surname = artist.split()[-1]
        what = rng.choice(
            [
                "Complete Sonatas",
                "Concertos",
                "Chamber Works",
                "Keyboard Works",
                "Works for Strings",
                "Études",
            ]
        )
        return f"{surname}: {what}" if rng.random() < 0.6 else f"{surname}: {what}, Vol. {rng.randint(1, 6)}"
    if first and rng.random() < 0.2:
        return artist  # a self-titled debut
    own = TITLE_PATTERNS.get(names, [])
    options = own if names in _ALBUM_OWN_IDIOM else [*_ALBUM_GENERIC, *own]
    return _weighted(rng, options)(rng)


_REAL_KEYS = frozenset(name_key(n) for n in REAL_ARTISTS)
_FIRST_NAMES = frozenset(FIRST_EN + FIRST_ES + FIRST_PT + FIRST_EU + FIRST_JM + FIRST_BLUES)
# Words many artist names may share ("The", "DJ", "Trio"); every other word belongs to one artist only,
# so no two artists sound alike to the entity linker.
_SHARED_NAME_WORDS = frozenset(
    _w("""the & dj mc lil young of los el y su trio quartet quintet sextet brothers sound system steppers
    collective orquesta conjunto piano capella collegium ensemble quarteto""")
)


def _distinct_words(name: str) -> set[str]:
    return {w for w in _words(name) if w not in _SHARED_NAME_WORDS and w.capitalize() not in _FIRST_NAMES}


def _repeats_a_word(words: list[str]) -> bool:
    content = [w for w in words if w not in _SHARED_NAME_WORDS and len(w) > 2]
    return len(set(content)) < len(content)


def _acceptable_artist(name: str, taken_keys: set[str], taken_words: set[str]) -> bool:
    words = _words(name)
    if not words or any(w in RESERVED_WORDS for w in words) or _repeats_a_word(words):
        return False
    key = name_key(name)
    if len(key) < 4 or key in taken_keys or key in _REAL_KEYS:
        return False
    return not _distinct_words(name) & taken_words


def _acceptable_title(title: str, taken: set[str]) -> bool:
    """Titles and albums: fresh, and free of every word the language understanding listens for."""
    words = _words(title)
    key = name_key(title)
    if not words or len(key) < 3 or key in taken or _repeats_a_word(words):
        return False
    return not any(w in RESERVED_WORDS for w in words)


# ----------------------------------------------------------------------------------------------------
# Numbers


def _clip(x: float, low: float, high: float) -> float:
    return min(max(x, low), high)


def _era_year(style: Style, quantile: float) -> int:
    """The year at `quantile` (0..1) of a style's debut-year distribution (uniform within each era)."""
    total = sum(w for *_, w in style.eras)
    for low, high, weight in style.eras:
        share = weight / total
        if quantile < share:
            return min(high, low + int(quantile / share * (high - low + 1)))
        quantile -= share
    return style.eras[-1][1]


def _debut_years(rng: random.Random, style: Style) -> list[int]:
    """One debut year per artist of a style, stratified (one draw from each equal slice of the style's
    distribution, in random order) so that a handful of artists still covers the style's eras."""
    n = style.artists
    years = [_era_year(style, (k + rng.random()) / n) for k in range(n)]
    rng.shuffle(years)
    return years


def _track_energy(rng: random.Random, style: Style, lean: float, nth: int) -> float:
    """Energy of the `nth` track of a style. Every sixth track (and a few more by chance) is a ballad,
    an adagio or an acoustic version; every sixth, offset by three, an anthem, a presto or a peak-time
    track: so each style, and therefore each genre, reliably reaches both ends."""
    mean, spread, low, high = style.energy
    roll = rng.random()
    if nth % 6 == 2 or roll < 0.04:
        value = rng.uniform(low, max(low, min(mean - 0.2, low + 0.2)))
    elif nth % 6 == 5 or roll > 0.96:
        value = rng.uniform(min(high, max(mean + 0.1, high - 0.15)), high)
    else:
        value = rng.gauss(mean + lean, spread * 0.8)
    return round(_clip(value, low, high), 3)


@dataclass
class _Artist:
    name: str
    subgenre: str
    style: Style
    debut: int
    last: int
    popularity: float
    lean_energy: float
    lean_valence: float
    tracks: int


def _fmt(x: float, digits: int = 3) -> str:
    text = f"{x:.{digits}f}"
    return "0." + "0" * digits if text.startswith("-0.") and float(text) == 0 else text


def _make_artists(rng: random.Random) -> list[_Artist]:
    artists: list[_Artist] = []
    taken_keys: set[str] = set()
    taken_words: set[str] = set()
    for subgenre, style in STYLES.items():
        debuts = _debut_years(rng, style)
        for debut in debuts:
            for _attempt in range(500):
                name = _weighted(rng, ARTIST_PATTERNS[style.names])(rng)
                if _acceptable_artist(name, taken_keys, taken_words):
                    break
            else:  # pragma: no cover - the word lists are far larger than the demand
                raise RuntimeError(f"cannot find a fresh artist name for {subgenre}")
            taken_keys.add(name_key(name))
            taken_words.update(_distinct_words(name))
            span = rng.choice((1, 2, 3, 4, 6, 8, 10, 14))  # most careers on record last a decade or less
            last = min(LAST_YEAR, debut + span)
            # Popularity is long-tailed: a few stars, many niche acts.
            popularity = _clip(8 + 80 * rng.betavariate(1.6, 3.2), 0, 95)
            tracks = 2 + min(8, int(rng.expovariate(1 / 2.4))) + (popularity > 50)
            artists.append(
                _Artist(
                    name,
                    subgenre,
                    style,
                    debut,
                    last,
                    popularity,
                    rng.gauss(0, 0.07),
                    rng.gauss(0, 0.08),
                    tracks,
                )
            )
    return artists


def generate_rows(seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    """Every row of the demo catalogue, in file order, as strings keyed by CSV_COLUMNS."""
    rng = random.Random(seed)
    artists = _make_artists(rng)
    rows: list[dict[str, str]] = []
    # A title never repeats, nor equals an artist's name ("play Parallax" must mean one thing).
    taken_titles: set[str] = {name_key(a.name) for a in artists}
    taken_albums: set[str] = set()
    track_no = 0
    nth: dict[str, int] = {}
    album_no = 0
    for artist in artists:
        style = artist.style
        n_albums = 1 + (artist.tracks >= 4) + (artist.tracks >= 8)
        years = sorted(rng.randint(artist.debut, artist.last) for _ in range(n_albums))
        albums = []
        for i, year in enumerate(years):
            for _attempt in range(200):
                album = _album(style.names, rng, artist.name, first=i == 0)
                if _acceptable_title(album, taken_albums):
                    break
            taken_albums.add(name_key(album))
            album_no += 1
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            # Older releases often carry only a year (as in Spotify data); the loader parses all three.
            date = f"{year}" if year < 1980 and rng.random() < 0.3 else f"{year}-{month:02d}-{day:02d}"
            albums.append((f"al{album_no:04d}", album, date, year))
        for t in range(artist.tracks):
            album_id, album, date, year = albums[min(t * n_albums // artist.tracks, n_albums - 1)]
            mean_e = style.energy[0]
            nth[artist.subgenre] = nth.get(artist.subgenre, -1) + 1
            energy = _track_energy(rng, style, artist.lean_energy, nth[artist.subgenre])
            for _attempt in range(500):
                title = _title(style.names, rng, energy)
                if _acceptable_title(title, taken_titles):
                    break
            else:  # pragma: no cover
                raise RuntimeError(f"cannot find a fresh title for {artist.name}")
            taken_titles.add(name_key(title))
            track_no += 1
            dev = energy - mean_e
            valence = _clip(rng.gauss(style.valence + artist.lean_valence + 0.3 * dev, 0.13), 0.03, 0.98)
            t_low, t_high = style.tempo
            position = _clip(0.5 + 0.9 * dev + rng.gauss(0, 0.2), 0.0, 1.0)
            tempo = t_low + (t_high - t_low) * position + rng.gauss(0, 1.5)
            dance = _clip(rng.gauss(style.danceability + 0.15 * dev, 0.07), 0.08, 0.98)
            acoustic = _clip(rng.gauss(style.acousticness - 0.45 * dev, 0.08), 0.0005, 0.996)
            instrumental = _clip(rng.gauss(style.instrumentalness, 0.1), 0.0, 0.98)
            speech = _clip(rng.gauss(style.speechiness, 0.025), 0.022, 0.6)
            loudness = _clip(-21.0 + 17.0 * energy + 0.04 * (year - 1990) + rng.gauss(0, 1.2), -32.0, -1.5)
            liveness = _clip(rng.lognormvariate(-2.0, 0.55), 0.02, 0.95)
            popularity = round(_clip(artist.popularity + rng.gauss(0, 9), 0, 100))
            minutes = _clip(rng.gauss(style.minutes, style.minutes * 0.2), 1.0, 16.0)
            major = rng.random() < 0.2 + 0.65 * valence
            row = {
                "track_id": f"tt{track_no:04d}",
                "track_name": title,
                "track_artist": artist.name,
                "track_popularity": str(popularity),
                "track_album_id": album_id,
                "track_album_name": album,
                "track_album_release_date": date,
                "playlist_name": f"{artist.subgenre.title()} Essentials",
                "playlist_id": "pl-" + re.sub(r"[^a-z0-9]+", "-", artist.subgenre),
                "playlist_genre": style.genre,
                "playlist_subgenre": artist.subgenre,
                "danceability": _fmt(dance),
                "energy": _fmt(energy),
                "key": str(rng.randrange(12)),
                "loudness": _fmt(loudness),
                "mode": "1" if major else "0",
                "speechiness": _fmt(speech, 4),
                "acousticness": _fmt(acoustic, 4),
                "instrumentalness": _fmt(instrumental, 4),
                "liveness": _fmt(liveness, 4),
                "valence": _fmt(valence),
                "tempo": _fmt(tempo),
                "duration_ms": str(round(minutes * 60_000)),
            }
            rows.append(row)
            related = CROSS_LISTED.get(artist.subgenre)
            if related and rng.random() < CROSS_LIST_SHARE:
                other = STYLES[related]
                rows.append(
                    {
                        **row,
                        "playlist_name": f"{related.title()} Essentials",
                        "playlist_id": "pl-" + re.sub(r"[^a-z0-9]+", "-", related),
                        "playlist_genre": other.genre,
                        "playlist_subgenre": related,
                    }
                )
    return rows


def render_csv(seed: int = DEFAULT_SEED) -> str:
    """The whole catalogue file as text: the same seed always gives the same characters."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(generate_rows(seed))
    return buffer.getvalue()


def write_catalog(path: str | Path, seed: int = DEFAULT_SEED) -> Path:
    """Write the demo catalogue to `path` (UTF-8, "\\n" line ends) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_csv(seed).encode("utf-8"))
    return path
