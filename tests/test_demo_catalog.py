"""The embedded demo catalogue: big and varied enough to talk about, musically plausible, named so that
names never sound like commands, and reproducible byte for byte from its seed."""

from __future__ import annotations

import csv
import importlib.util
import random
import re
import shutil
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from assistant.music.catalog import DEFAULT_CATALOG, Catalog, load_catalog
from tests.conftest import ROOT, SHARED_DATA, SPOTIFY_HEADER


def _load_script() -> ModuleType:
    """scripts/build_catalog.py, the generator: a script, not part of the app, so loaded by path."""
    spec = importlib.util.spec_from_file_location("build_catalog", ROOT / "scripts" / "build_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


build = _load_script()
DATA = ROOT / "assets" / "demo_catalog"

SPEC: dict[str, set[str]] = {
    "rock": {"alternative rock", "indie rock", "classic rock", "hard rock"},
    "pop": {"dance pop", "synth-pop", "indie pop"},
    "electronic": {"house", "techno", "ambient", "drum and bass"},
    "hip hop": {"boom bap", "trap", "lo-fi hip hop"},
    "r&b": {"neo soul", "contemporary r&b"},
    "jazz": {"bebop", "smooth jazz", "cool jazz"},
    "classical": {"baroque", "romantic", "minimalism"},
    "folk": {"indie folk", "americana"},
    "country": {"outlaw country", "country pop"},
    "metal": {"heavy metal", "thrash metal"},
    "reggae": {"roots reggae", "dub"},
    "latin": {"salsa", "reggaeton", "bossa nova"},
    "blues": {"delta blues", "chicago blues"},
    "soul": {"funk", "motown"},
    "punk": {"pop punk", "hardcore punk"},
}


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with DEFAULT_CATALOG.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _in(demo: Catalog, genre: str) -> list:
    return [t for t in demo.tracks if t.genre == genre]


# ----------------------------------------------------------------------------------------------------
# Size and shape


def test_the_demo_catalogue_is_committed_small_and_in_the_spotify_layout(rows: list[dict[str, str]]) -> None:
    assert DEFAULT_CATALOG.stat().st_size < 1_000_000
    with DEFAULT_CATALOG.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    assert header == list(build.CSV_COLUMNS) == SPOTIFY_HEADER
    assert len(rows) >= 600


def test_it_holds_enough_tracks_artists_and_genres(demo: Catalog) -> None:
    assert len(demo) >= 600
    assert len(demo.artist_names) >= 150
    assert len(demo.genre_names) >= 12


def test_genres_and_subgenres_are_exactly_the_specified_lower_case_labels(demo: Catalog) -> None:
    found: dict[str, set[str]] = defaultdict(set)
    for t in demo.tracks:
        found[t.genre].add(t.subgenre)
    assert dict(found) == SPEC


def test_years_lie_in_1960_to_2025_and_suit_each_style(demo: Catalog) -> None:
    assert demo.year.min() >= 1960 and demo.year.max() <= 2025
    median = {
        s: float(np.median([t.year for t in demo.tracks if t.subgenre == s])) for s in demo.subgenre_names
    }
    assert median["bebop"] < 1975 and median["motown"] < 1975 and median["cool jazz"] < 1990
    assert min(t.year for t in demo.tracks if t.subgenre == "trap") >= 2005
    assert min(t.year for t in demo.tracks if t.subgenre == "lo-fi hip hop") >= 2010
    assert median["bebop"] < median["boom bap"] < median["trap"]
    assert median["classic rock"] < median["indie rock"]


def test_features_make_musical_sense_per_style(demo: Catalog) -> None:
    def mean(subgenre: str, attr: str) -> float:
        return float(np.mean([getattr(t, attr) for t in demo.tracks if t.subgenre == subgenre]))

    assert mean("ambient", "energy") < 0.3 < 0.75 < mean("thrash metal", "energy")
    assert mean("ambient", "energy") < mean("house", "energy") < mean("drum and bass", "energy")
    assert mean("lo-fi hip hop", "energy") < mean("trap", "energy")
    assert mean("drum and bass", "tempo") > 160 > mean("house", "tempo") > 115
    assert mean("romantic", "acousticness") > 0.8 > 0.15 > mean("techno", "acousticness")
    assert mean("funk", "valence") > mean("techno", "valence")
    assert mean("house", "danceability") > mean("romantic", "danceability")
    # Energy drives tempo, loudness-like brightness and danceability within a style, as in real music.
    assert np.corrcoef(demo.energy, demo.acousticness)[0, 1] < -0.5
    for t in demo.tracks:
        assert 0 <= t.energy <= 1 and 0 <= t.valence <= 1 and 40 < t.tempo < 300
        assert 0 <= t.popularity <= 100 and 60_000 <= t.duration_ms <= 16 * 60_000


def test_every_genre_has_calm_and_energetic_tracks(demo: Catalog) -> None:
    for genre in SPEC:
        energy = np.array([t.energy for t in _in(demo, genre)])
        assert np.sum(energy <= 0.4) >= 5, f"{genre}: too few laid-back tracks"
        assert np.sum(energy >= 0.66) >= 5, f"{genre}: too few upbeat tracks"


@pytest.mark.parametrize(
    ("genre", "mood"), [("rock", "upbeat"), ("jazz", "laid back"), ("classical", "upbeat")]
)
def test_a_listener_asking_for_a_mood_in_a_genre_finds_several(demo: Catalog, genre: str, mood: str) -> None:
    matching = [t for t in _in(demo, genre) if t.mood.endswith(mood)]
    assert len(matching) >= 5
    assert len({t.artist for t in matching}) >= 3


def test_artists_have_a_home_style_and_era(demo: Catalog) -> None:
    by_artist: dict[str, list] = defaultdict(list)
    for t in demo.tracks:
        by_artist[t.artist].append(t)
    for artist, tracks in by_artist.items():
        assert len({t.subgenre for t in tracks}) == 1, artist
        years = [t.year for t in tracks]
        assert max(years) - min(years) <= 25, artist
    counts = [len(v) for v in by_artist.values()]
    assert min(counts) >= 2 and max(counts) >= 8  # some prolific artists, none with a single song


def test_some_tracks_are_listed_under_a_second_related_genre(
    demo: Catalog, rows: list[dict[str, str]]
) -> None:
    assert len(rows) > len(demo)  # repeated rows, as in Spotify data, merged by track id
    crossed = [t for t in demo.tracks if t.genres]
    assert 10 <= len(crossed) <= 0.1 * len(demo)


# ----------------------------------------------------------------------------------------------------
# Names


def _key(name: str) -> str:
    from nlu.linking import name_key

    return name_key(name)


def test_artist_names_are_unique_and_varied(demo: Catalog) -> None:
    names = demo.artist_names
    assert len({_key(n) for n in names}) == len(names)
    patterns = {
        "band 'The ...'": r"^The \w+",
        "'X & the Y'": r" & the ",
        "DJ / MC": r"^(DJ|MC|Lil|Young) ",
        "one word": r"^[\w\-]+$",
        "Firstname Lastname": r"^[A-ZÀ-Ý][a-zà-ÿ]+ [A-ZÀ-Ý][a-zà-ÿ]+$",
        "ensemble": r"(Trio|Quartet|Quintet|Sextet|Ensemble|Sound System|Orquesta|Players)",
    }
    for label, pattern in patterns.items():
        assert sum(bool(re.search(pattern, n)) for n in names) >= 3, f"too few {label} names"
    assert max(sum(bool(re.search(p, n)) for n in names) for p in patterns.values()) < 0.7 * len(names)


def test_titles_and_albums_are_varied_and_titles_never_repeat(demo: Catalog) -> None:
    titles = [t.title for t in demo.tracks]
    assert len({_key(t) for t in titles}) == len(titles)
    assert not {_key(t) for t in titles} & {_key(a) for a in demo.artist_names}
    first_words = {t.split()[0] for t in titles}
    assert len(first_words) > 150
    assert len({t.album for t in demo.tracks}) > 250


def _surface_forms() -> set[str]:
    from nlu import lexicon

    forms: set[str] = set()
    for table in (
        lexicon.GENRES,
        lexicon.MOODS,
        lexicon.ACTIVITIES,
        lexicon.DECADES,
        lexicon.ERA_RELATIVE,
        lexicon.TEMPO_WORDS,
        lexicon.ACT_PHRASES,
    ):
        for canonical, surfaces in table.items():
            forms.update(lexicon.normalize(f) for f in (canonical.replace("_", " "), *surfaces))
    forms.update(lexicon.normalize(w) for w in lexicon.SENTIMENT_WORDS)
    return forms


def test_no_name_is_a_word_the_assistant_listens_for(demo: Catalog) -> None:
    """'Yes', 'Stop', 'Skip', 'Next', 'Rock', 'Jazz', 'Upbeat' and every other genre, mood, activity,
    era, command or sentiment phrase of the NLU lexicon: no artist, title or album is one of them, and no
    artist name even contains one, so "play something like <artist>" never reads as a mood or a command."""
    from nlu.lexicon import normalize

    forms = _surface_forms()
    names = [*demo.artist_names, *(t.title for t in demo.tracks), *(t.album for t in demo.tracks)]
    assert not [n for n in names if normalize(n) in forms]
    contained = [
        (artist, form)
        for artist in demo.artist_names
        for form in forms
        if re.search(rf"(?<![\w'-]){re.escape(form)}(?![\w'-])", normalize(artist))
    ]
    assert not contained
    genre_words = {w for g in SPEC for s in (g, *SPEC[g]) for w in s.split()} - {"and", "hip", "pop"}
    words = {w for t in demo.tracks for w in normalize(f"{t.title} {t.album}").split()}
    assert not words & (genre_words | {"yes", "no", "stop", "skip", "next"})


def test_ordinary_requests_do_not_mistake_words_for_demo_names(demo: Catalog) -> None:
    from nlu.linking import EntityLinker
    from nlu.rules import RuleUnderstanding

    understand = RuleUnderstanding(EntityLinker.for_catalog(demo)).understand
    requests = [
        *sorted(_surface_forms()),
        "play some upbeat rock",
        "something laid back",
        "laid back jazz please",
        "music for a road trip",
        "i want something from the eighties",
        "quiet piano music for studying",
        "loud guitars",
        "something slow and sad",
        "chill electronic to focus",
        "happy songs for cooking",
    ]
    linked = []
    for text in requests:
        meaning = understand(text)
        linked += [(text, s.value) for s in meaning.slots if s.name in ("artist", "track")]
    assert not linked


def test_every_artist_links_to_itself_by_name(demo: Catalog) -> None:
    from nlu.linking import EntityLinker

    linker = EntityLinker.for_catalog(demo)
    for artist in demo.artist_names:
        link = linker.link_artist(artist.lower())
        assert link is not None and link.value == artist


@pytest.mark.shared_data
@pytest.mark.skipif(not (SHARED_DATA / "catalog").exists(), reason="../shared/data/catalog is absent")
def test_no_demo_artist_is_a_real_artist_of_the_spotify_catalogue(demo: Catalog) -> None:
    with (SHARED_DATA / "catalog" / "spotify_songs.csv").open(newline="", encoding="utf-8") as handle:
        real = {_key(row["track_artist"]) for row in csv.DictReader(handle)}
    assert not [a for a in demo.artist_names if _key(a) in real]


# ----------------------------------------------------------------------------------------------------
# Reproducible


def test_regenerating_from_the_seed_gives_the_committed_file_byte_for_byte(tmp_path: Path) -> None:
    fresh = build.write_catalog(tmp_path / "catalog.csv", build.DEFAULT_SEED)
    assert fresh.read_bytes() == DEFAULT_CATALOG.read_bytes(), (
        "assets/catalog.csv is stale: run `.venv/bin/python scripts/build_catalog.py`"
    )


def test_another_seed_gives_another_catalogue_of_the_same_shape(tmp_path: Path) -> None:
    other = build.write_catalog(tmp_path / "other.csv", build.DEFAULT_SEED + 1)
    assert other.read_text(encoding="utf-8") != build.render_csv(build.DEFAULT_SEED)
    catalog = load_catalog(other)
    assert len(catalog) >= 600 and len(catalog.artist_names) >= 150 and len(catalog.genre_names) == 15


def test_the_build_script_writes_the_committed_file_and_checks_it(tmp_path: Path) -> None:
    script = subprocess.run(
        [sys.executable, "scripts/build_catalog.py", "--out", str(tmp_path / "a.csv")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert script.returncode == 0, script.stderr
    assert "916 tracks by 226 artists in 15 genres" in script.stdout
    assert (tmp_path / "a.csv").read_bytes() == DEFAULT_CATALOG.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]  # no partial file left behind
    check = subprocess.run(
        [sys.executable, "scripts/build_catalog.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    (tmp_path / "a.csv").write_bytes(DEFAULT_CATALOG.read_bytes().replace(b"tt0001", b"tt9999", 1))
    stale = subprocess.run(
        [sys.executable, "scripts/build_catalog.py", "--check", "--out", str(tmp_path / "a.csv")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert stale.returncode == 1 and "is stale" in stale.stderr


def test_the_catalogue_is_data_in_small_documented_toml_files() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    files = sorted(DATA.glob("*.toml"))
    assert [f.name for f in files] == ["avoid.toml", "patterns.toml", "styles.toml", "words.toml"]
    for path in files:
        assert path.stat().st_size < 5 * 1024 * 1024
        with path.open("rb") as handle:
            assert tomllib.load(handle)
        assert f"`{path.name}`" in readme
    styles = build.load_data().styles
    assert {s.genre for s in styles.values()} == set(SPEC)
    assert sum(s.artists for s in styles.values()) == len(load_catalog().artist_names)


def test_templates_fill_every_kind_of_slot() -> None:
    data = build.load_data()
    rng = random.Random(0)
    for _ in range(50):
        text = build.expand(data, "{Trio|Quartet} {2-99} {invented:lower} {places+plural} {noun}", rng)
        group, number, invented, place_or_band, noun = text.split(" ")
        assert group in ("Trio", "Quartet") and 2 <= int(number) <= 99
        assert invented.islower() and len(invented) >= 5 and invented not in data.lookalikes
        assert place_or_band in data.words["places"] + data.words["plural"] and noun in data.words["noun"]


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("patterns.toml", ('"{adj} {noun}"', '"{adj} {nouns}"'), "no list 'nouns' in words.toml"),
        ("styles.toml", ('names = "rock"', 'names = "grunge"'), "no patterns for palette 'grunge'"),
        ("words.toml", ("keys = ", "scales = "), "no list 'keys'"),
        ("styles.toml", ("valence = 0.42", "valence 0.42"), "styles.toml"),
    ],
)
def test_a_broken_data_file_is_named_in_one_line_and_nothing_is_written(
    tmp_path: Path, file: str, edit: tuple[str, str], message: str
) -> None:
    data = shutil.copytree(DATA, tmp_path / "data")
    text = (data / file).read_text(encoding="utf-8")
    assert edit[0] in text
    (data / file).write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    out = tmp_path / "catalog.csv"
    out.write_text("keep me", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "scripts/build_catalog.py", "--data", str(data), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert out.read_text(encoding="utf-8") == "keep me"


def test_catalog_show_prints_a_line_per_genre(capsys: pytest.CaptureFixture[str]) -> None:
    from cli import catalog as command

    parser = __import__("argparse").ArgumentParser()
    command.add_arguments(parser)
    assert command.run(parser.parse_args(["show"])) == 0
    out = capsys.readouterr().out
    for genre in SPEC:
        assert re.search(rf"^{re.escape(genre)}\s+\d+\s+\d+\s+\d{{4}}-\d{{4}}", out, re.MULTILINE), genre


def test_catalog_clip_writes_a_wav_and_explains_a_wrong_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from cli import catalog as command

    monkeypatch.setenv("TUNETALK_CACHE", str(tmp_path / "cache"))
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    out = tmp_path / "clip.wav"
    assert command.run(parser.parse_args(["clip", "tt0001", "--out", str(out)])) == 0
    assert out.stat().st_size > 300_000 and "wrote" in capsys.readouterr().out
    other = tmp_path / "other.wav"
    assert command.run(parser.parse_args(["clip", "nope", "--out", str(other)])) == 2
    assert "no track 'nope'" in capsys.readouterr().err and not other.exists()
