"""Build the embedded demo catalogue (assets/catalog.csv) from assets/demo_catalog/, or check it is current.

The catalogue is a pure function of the data files and the seed (Python's `random.Random`, whose streams
are stable across Python versions, and fixed-precision number formatting), so the committed file can be
checked byte for byte by regenerating it. It uses the Spotify audio-features layout, so
`assistant.music.catalog.load_catalog` reads it like a real catalogue. The app never runs this script.

How it is drawn (assets/demo_catalog/README.md says which file holds what):
- every subgenre has a style: the years it was made in, and the mean and spread of its audio features;
- every artist has a home subgenre, a debut year drawn from that style's eras, a career span, a personal
  lean (calmer or wilder, sunnier or darker than the style) and a popularity;
- every track takes its artist's style and lean plus its own variation; a few tracks per style are
  deliberately calm (ballads, adagios) or driving (anthems, prestos), so every genre has both;
- tempo, danceability, acousticness and loudness follow energy, as they do in real music.
Names fill templates from word lists ("The {adj} {plural}", "{first_en} {last_en}", "DJ {invented}") and
are kept apart from genre, mood and command words that the language understanding listens for.

Usage: .venv/bin/python scripts/build_catalog.py [--seed N] [--data DIR] [--out PATH] [--check]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.music.catalog import DEFAULT_CATALOG, load_catalog

DATA = DEFAULT_CATALOG.parent / "demo_catalog"
DEFAULT_SEED = 7
# fmt: off
CSV_COLUMNS: tuple[str, ...] = (
    "track_id", "track_name", "track_artist", "track_popularity", "track_album_id", "track_album_name",
    "track_album_release_date", "playlist_name", "playlist_id", "playlist_genre", "playlist_subgenre",
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
    "liveness", "valence", "tempo", "duration_ms",
)
CODE_LISTS = (
    "name_onsets", "name_endings", "keys", "baroque_forms", "baroque_slow", "baroque_fast", "romantic_forms",
    "romantic_slow", "romantic_fast", "classical_albums",
)
"""The word lists of words.toml the code below reads by name (the templates name the others)."""
# fmt: on
CLASSICAL = ("baroque", "romantic", "minimal")
"""Palettes whose titles follow the track's energy (a slow movement for a calm track), built in code."""

Patterns = list[tuple[float, str]]
"""(weight, template) pairs: one is drawn with chance proportional to its weight."""
SLOT = re.compile(r"\{([^{}]*)\}")
NUMBER = re.compile(r"(\d+)-(\d+)")


@dataclass(frozen=True)
class Style:
    """What one subgenre looks like on paper (styles.toml documents each field)."""

    genre: str
    eras: list[tuple[int, int, float]]
    energy: tuple[float, float, float, float]
    valence: float
    tempo: tuple[float, float]
    danceability: float
    acousticness: float
    instrumentalness: float
    speechiness: float
    minutes: float
    artists: int
    names: str


@dataclass(frozen=True)
class DemoData:
    """Everything in assets/demo_catalog/."""

    styles: dict[str, Style]
    last_year: int
    cross_listed: dict[str, str]
    cross_list_share: float
    words: dict[str, list[str]]
    """Every list of words.toml, in order (draws pick by position)."""
    artists: dict[str, Patterns]
    titles: dict[str, Patterns]
    """By palette, the general patterns first where patterns.toml asks for them."""
    minimal_titles: list[str]
    albums: Patterns
    own_idiom: frozenset[str]
    reserved: frozenset[str]
    """The genre, command and mood words of avoid.toml."""
    real_keys: frozenset[str]
    """The name_key of every real artist in avoid.toml."""
    lookalikes: frozenset[str]
    shared_words: frozenset[str]
    first_names: frozenset[str]
    """Every word of the first_* lists: first names many artists may share."""


def _words(value: str | list[str]) -> list[str]:
    """A TOML string is a list of single words; an array lists entries that have spaces in them."""
    return value.split() if isinstance(value, str) else list(value)


def _patterns(value: list[list[Any]]) -> Patterns:
    return [(weight, template) for weight, template in value]


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from None


def load_data(folder: Path = DATA) -> DemoData:
    """Read the data files and check that every slot names word lists and every palette has patterns;
    a ValueError (or OSError) says which file is wrong and how."""
    styles_file, words_file, patterns, avoid = (
        _read(folder / f"{n}.toml") for n in ("styles", "words", "patterns", "avoid")
    )
    try:
        words = {name: _words(value) for name, value in words_file.items()}
        titles = patterns["titles"]
        general = _patterns(titles["general"])
        data = DemoData(
            styles={
                sub: Style(genre=genre, **fields)
                for genre, subgenres in styles_file["styles"].items()
                for sub, fields in subgenres.items()
            },
            last_year=styles_file["last_year"],
            cross_listed=styles_file["cross_listed"],
            cross_list_share=styles_file["cross_list_share"],
            words=words,
            artists={p: _patterns(v) for p, v in patterns["artists"].items()},
            titles={
                p: [*(general if p in titles["with_general"] else []), *_patterns(v)]
                for p, v in titles.items()
                if p not in ("general", "with_general")
            },
            minimal_titles=patterns["classical"]["minimal_titles"],
            albums=_patterns(patterns["albums"]["generic"]),
            own_idiom=frozenset(patterns["albums"]["own_idiom"]),
            reserved=frozenset(
                w for k in ("genre_words", "command_words", "mood_words") for w in _words(avoid[k])
            ),
            real_keys=frozenset(name_key(n) for n in avoid["real_artists"]),
            lookalikes=frozenset(_words(avoid["english_lookalikes"])),
            shared_words=frozenset(_words(avoid["shared_name_words"])),
            first_names=frozenset(w for name, ws in words.items() if name.startswith("first_") for w in ws),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{folder}: a missing or malformed entry ({exc})") from None
    templates = [t for ps in (*data.artists.values(), *data.titles.values(), data.albums) for _, t in ps]
    for template in [*templates, *data.minimal_titles]:
        for slot in SLOT.findall(template):
            name = slot.partition(":")[0]
            if name == "invented" or "|" in name or NUMBER.fullmatch(name):
                continue
            if unknown := [part for part in name.split("+") if part not in words]:
                raise ValueError(
                    f"{folder / 'patterns.toml'}: {template!r}: no list {unknown[0]!r} in words.toml"
                )
    if missing := [name for name in CODE_LISTS if name not in words]:
        raise ValueError(
            f"{folder / 'words.toml'}: no list {missing[0]!r} (scripts/build_catalog.py reads it)"
        )
    for sub, style in data.styles.items():
        if style.names not in data.artists or not (style.names in data.titles or style.names in CLASSICAL):
            raise ValueError(f"{folder / 'styles.toml'}: {sub}: no patterns for palette {style.names!r}")
    return data


# ----------------------------------------------------------------------------------------------------
# Names


def name_key(name: str) -> str:
    """The key two names must not share: case, accents, spacing, punctuation and a leading article or
    DJ/MC tag ignored (close to how the entity linker matches spoken names, and a little stricter)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace(" and ", " & ")
    text = re.sub(r"^(the|a|an|dj|mc|lil|young|el|los|la)\s+", "", text.strip())
    return re.sub(r"[^a-z0-9&]+", "", text)


def _name_words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9&']+", text)


def invented_word(data: DemoData, rng: random.Random) -> str:
    """A made-up one-word name ("Velarin", "Mosiel"): two or three syllables, never a doubled syllable."""
    onsets, endings = data.words["name_onsets"], data.words["name_endings"]
    while True:
        parts = [rng.choice(onsets) for _ in range(rng.choice((1, 1, 2)))] + [rng.choice(endings)]
        word = "".join(parts)
        if len(set(parts)) == len(parts) and len(word) >= 5 and word not in data.lookalikes:
            return word[0].upper() + word[1:]


def expand(data: DemoData, template: str, rng: random.Random) -> str:
    """Fill the template's slots left to right (patterns.toml lists the kinds of slot)."""

    def fill(slot: re.Match[str]) -> str:
        name, _, case = slot[1].partition(":")
        if name == "invented":
            word = invented_word(data, rng)
        elif "|" in name:
            word = rng.choice(name.split("|"))
        elif number := NUMBER.fullmatch(name):
            word = str(rng.randint(int(number[1]), int(number[2])))
        else:
            word = rng.choice([w for part in name.split("+") for w in data.words[part]])
        return word.lower() if case == "lower" else word

    return SLOT.sub(fill, template)


def _weighted(rng: random.Random, options: Patterns) -> str:
    return rng.choices([t for _, t in options], weights=[w for w, _ in options])[0]


def _title(data: DemoData, palette: str, rng: random.Random, energy: float) -> str:
    if palette not in CLASSICAL:
        return expand(data, _weighted(rng, data.titles[palette]), rng)
    words = data.words
    # A calm track is a slow movement, a driving one a fast movement; in between, a coin decides.
    slow = energy < 0.4 or (energy < 0.55 and rng.random() < 0.5)
    key = f"{rng.choice(words['keys'])} {rng.choice(['major', 'minor'])}"
    opus = f"Op. {rng.randint(1, 140)}"
    if palette == "baroque":
        form = rng.choice(words["baroque_forms"])
        movement = rng.choice(words["baroque_slow" if slow else "baroque_fast"])
        return f"{form} in {key}, {opus}: {rng.choice(['I', 'II', 'III', 'IV', 'V'])}. {movement}"
    if palette == "romantic":
        form = rng.choice(words["romantic_forms"])
        mark = rng.choice(words["romantic_slow" if slow else "romantic_fast"])
        return f"{form} in {key}, {opus}" + (f": {mark}" if rng.random() < 0.6 else "")
    return expand(data, rng.choice(data.minimal_titles), rng)  # each template as likely as the others


def _album(data: DemoData, palette: str, rng: random.Random, artist: str, first: bool) -> str:
    if palette in ("baroque", "romantic"):
        what = f"{artist.split()[-1]}: {rng.choice(data.words['classical_albums'])}"
        return what if rng.random() < 0.6 else f"{what}, Vol. {rng.randint(1, 6)}"
    if first and rng.random() < 0.2:
        return artist  # a self-titled debut
    own = data.titles.get(palette, [])
    return expand(data, _weighted(rng, own if palette in data.own_idiom else [*data.albums, *own]), rng)


def _distinct_words(data: DemoData, name: str) -> set[str]:
    """The words of a name no other artist may use (avoid.toml: shared words and first names aside)."""
    return {
        w for w in _name_words(name) if w not in data.shared_words and w.capitalize() not in data.first_names
    }


def _repeats_a_word(data: DemoData, words: list[str]) -> bool:
    content = [w for w in words if w not in data.shared_words and len(w) > 2]
    return len(set(content)) < len(content)


def _acceptable_artist(data: DemoData, name: str, taken_keys: set[str], taken_words: set[str]) -> bool:
    words = _name_words(name)
    if not words or any(w in data.reserved for w in words) or _repeats_a_word(data, words):
        return False
    key = name_key(name)
    if len(key) < 4 or key in taken_keys or key in data.real_keys:
        return False
    return not _distinct_words(data, name) & taken_words


def _acceptable_title(data: DemoData, title: str, taken: set[str]) -> bool:
    """Titles and albums: fresh, and free of every word the language understanding listens for."""
    words = _name_words(title)
    key = name_key(title)
    if not words or len(key) < 3 or key in taken or _repeats_a_word(data, words):
        return False
    return not any(w in data.reserved for w in words)


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


def _fmt(x: float, digits: int = 3) -> str:
    """Fixed precision, and never "-0.000": the file must not depend on how a tiny negative rounds."""
    text = f"{x:.{digits}f}"
    return "0." + "0" * digits if text.startswith("-0.") and float(text) == 0 else text


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


def _make_artists(data: DemoData, rng: random.Random) -> list[_Artist]:
    artists: list[_Artist] = []
    taken_keys: set[str] = set()
    taken_words: set[str] = set()
    for subgenre, style in data.styles.items():
        for debut in _debut_years(rng, style):
            for _attempt in range(500):
                name = expand(data, _weighted(rng, data.artists[style.names]), rng)
                if _acceptable_artist(data, name, taken_keys, taken_words):
                    break
            else:  # pragma: no cover - the word lists are far larger than the demand
                raise ValueError(f"cannot find a fresh artist name for {subgenre}: add words to words.toml")
            taken_keys.add(name_key(name))
            taken_words.update(_distinct_words(data, name))
            span = rng.choice((1, 2, 3, 4, 6, 8, 10, 14))  # most careers on record last a decade or less
            last = min(data.last_year, debut + span)
            # Popularity is long-tailed: a few stars, many niche acts.
            popularity = _clip(8 + 80 * rng.betavariate(1.6, 3.2), 0, 95)
            tracks = 2 + min(8, int(rng.expovariate(1 / 2.4))) + (popularity > 50)
            lean_energy, lean_valence = rng.gauss(0, 0.07), rng.gauss(0, 0.08)
            artists.append(
                _Artist(name, subgenre, style, debut, last, popularity, lean_energy, lean_valence, tracks)
            )
    return artists


def _playlist(data: DemoData, subgenre: str) -> dict[str, str]:
    return {
        "playlist_name": f"{subgenre.title()} Essentials",
        "playlist_id": "pl-" + re.sub(r"[^a-z0-9]+", "-", subgenre),
        "playlist_genre": data.styles[subgenre].genre,
        "playlist_subgenre": subgenre,
    }


def generate_rows(seed: int = DEFAULT_SEED, data: DemoData | None = None) -> list[dict[str, str]]:
    """Every row of the demo catalogue, in file order, as strings keyed by CSV_COLUMNS."""
    data = data or load_data()
    rng = random.Random(seed)
    artists = _make_artists(data, rng)
    rows: list[dict[str, str]] = []
    # A title never repeats, nor equals an artist's name ("play Parallax" must mean one thing).
    taken_titles: set[str] = {name_key(a.name) for a in artists}
    taken_albums: set[str] = set()
    nth: dict[str, int] = {}
    track_no = album_no = 0
    for artist in artists:
        style = artist.style
        n_albums = 1 + (artist.tracks >= 4) + (artist.tracks >= 8)
        years = sorted(rng.randint(artist.debut, artist.last) for _ in range(n_albums))
        albums = []
        for i, year in enumerate(years):
            for _attempt in range(200):
                album = _album(data, style.names, rng, artist.name, first=i == 0)
                if _acceptable_title(data, album, taken_albums):
                    break
            taken_albums.add(name_key(album))
            album_no += 1
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            # Older releases often carry only a year (as in Spotify data); the loader parses all three.
            date = f"{year}" if year < 1980 and rng.random() < 0.3 else f"{year}-{month:02d}-{day:02d}"
            albums.append((f"al{album_no:04d}", album, date, year))
        for t in range(artist.tracks):
            album_id, album, date, year = albums[min(t * n_albums // artist.tracks, n_albums - 1)]
            nth[artist.subgenre] = nth.get(artist.subgenre, -1) + 1
            energy = _track_energy(rng, style, artist.lean_energy, nth[artist.subgenre])
            for _attempt in range(500):
                title = _title(data, style.names, rng, energy)
                if _acceptable_title(data, title, taken_titles):
                    break
            else:  # pragma: no cover
                raise ValueError(f"cannot find a fresh title for {artist.name}: add words to words.toml")
            taken_titles.add(name_key(title))
            track_no += 1
            dev = energy - style.energy[0]
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
                **_playlist(data, artist.subgenre),
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
            related = data.cross_listed.get(artist.subgenre)
            if related and rng.random() < data.cross_list_share:
                rows.append({**row, **_playlist(data, related)})
    return rows


def render_csv(seed: int = DEFAULT_SEED, data: DemoData | None = None) -> str:
    """The whole catalogue file as text: the same data and seed always give the same characters."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(generate_rows(seed, data))
    return buffer.getvalue()


def write_catalog(path: Path, seed: int = DEFAULT_SEED, data: DemoData | None = None) -> Path:
    """Write the demo catalogue to `path` (UTF-8, "\\n" line ends) and return the path. The file is built
    first and then swapped in whole, so a failed build leaves the old one as it was."""
    text = render_csv(seed, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(text.encode("utf-8"))
    partial.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    parser.add_argument("--data", type=Path, default=DATA, help="data folder (default: %(default)s)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_CATALOG, help="CSV to write (default: %(default)s)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if --out differs from a build"
    )
    args = parser.parse_args(argv)
    try:
        data = load_data(args.data)
        if args.check:
            fresh = render_csv(args.seed, data).encode("utf-8")
            if not args.out.exists() or args.out.read_bytes() != fresh:
                print(f"{args.out} is stale: rebuild it with scripts/build_catalog.py", file=sys.stderr)
                return 1
            print(f"{args.out} is up to date (seed {args.seed})")
            return 0
        write_catalog(args.out, args.seed, data)
    except (OSError, ValueError) as exc:
        print(f"build_catalog: {exc}", file=sys.stderr)
        return 2
    catalog = load_catalog(args.out)
    print(
        f"wrote {args.out}: {len(catalog)} tracks by {len(catalog.artist_names)} artists in "
        f"{len(catalog.genre_names)} genres, {args.out.stat().st_size / 1024:.0f} KiB (seed {args.seed})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
