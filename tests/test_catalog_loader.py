"""The catalogue loader: the real Spotify file loads completely and correctly; a bad file is refused with
a message naming the file, the line and the problem."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assistant.music.catalog import DEFAULT_CATALOG, REQUIRED_COLUMNS, CatalogError, load_catalog
from tests.conftest import SPOTIFY_HEADER, _tiny_tracks, write_spotify_csv

SPOTIFY = Path(__file__).parents[1] / ".." / "shared" / "data" / "catalog" / "spotify_songs.csv"

# ----------------------------------------------------------------------------------------------------
# The real Spotify catalogue


@pytest.fixture(scope="module")
def spotify_rows() -> list[dict[str, str]]:
    if not SPOTIFY.exists():
        pytest.skip(f"{SPOTIFY} is absent: the Spotify reference data is only on developer machines")
    with SPOTIFY.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.shared_data
def test_the_spotify_file_loads_every_named_track_once(spotify_rows: list[dict[str, str]]) -> None:
    """32,833 rows hold 28,356 distinct track ids; the rows of 4 ids have the literal "NA" for name and
    artist and are skipped, so 28,352 tracks load, each once however many playlists list it."""
    ids = {r["track_id"] for r in spotify_rows}
    named = {r["track_id"] for r in spotify_rows if r["track_name"] != "NA" and r["track_artist"] != "NA"}
    assert (len(spotify_rows), len(ids), len(ids - named)) == (32_833, 28_356, 4)
    catalog = load_catalog(SPOTIFY)
    assert len(catalog) == len(named) == 28_352
    assert len({t.id for t in catalog.tracks}) == len(catalog)
    assert {t.id for t in catalog.tracks} == named
    assert set(catalog.genre_names) == {"edm", "latin", "pop", "r&b", "rap", "rock"}
    assert not [t for t in catalog.tracks if t.title == "NA" or t.artist == "NA"]


@pytest.mark.shared_data
def test_tracks_listed_in_several_playlists_keep_all_their_genres(spotify_rows: list[dict[str, str]]) -> None:
    genres: dict[str, set[str]] = {}
    for r in spotify_rows:
        genres.setdefault(r["track_id"], set()).add(r["playlist_genre"])
    catalog = load_catalog(SPOTIFY)
    multi = [t for t in catalog.tracks if len(genres[t.id]) > 1]
    assert len(multi) > 1000
    for t in multi:
        assert {t.genre, *t.genres} == genres[t.id]


@pytest.mark.shared_data
def test_partial_release_dates_give_their_year(spotify_rows: list[dict[str, str]]) -> None:
    """Spotify dates come as YYYY-MM-DD, YYYY-MM or bare YYYY (older albums)."""
    catalog = load_catalog(SPOTIFY)
    by_form: dict[int, dict[str, str]] = {}
    for r in spotify_rows:
        by_form.setdefault(len(r["track_album_release_date"]), r)
    assert {4, 7, 10} <= set(by_form)
    for row in (by_form[4], by_form[7], by_form[10]):
        assert catalog[row["track_id"]].year == int(row["track_album_release_date"][:4])
    assert catalog.year.min() >= 1957 and catalog.year.max() <= 2020


def test_the_demo_catalogue_loads_by_default() -> None:
    catalog = load_catalog()
    assert catalog.name == DEFAULT_CATALOG.stem and len(catalog) >= 600


# ----------------------------------------------------------------------------------------------------
# Bad files: CatalogError naming the file, the line and the problem


def _good_rows(count: int = 30) -> list[list[str]]:
    path_rows = []
    for i, t in enumerate(_tiny_tracks()[:count]):
        path_rows.append(
            [
                t.id, t.title, t.artist, "50", f"al{i}", "Album", f"{t.year}-05-01", "pl", "pl1", t.genre,
                t.subgenre, "0.5", str(t.energy), "0", "-8", "1", "0.05", "0.3", "0", "0.1", str(t.valence),
                str(t.tempo), "200000",
            ]
        )  # fmt: skip
    return path_rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(CatalogError, match="no such catalogue file") as error:
        load_catalog(missing)
    assert str(missing) in str(error.value)


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CatalogError, match=r"line 1: the file is empty") as error:
        load_catalog(empty)
    assert str(empty) in str(error.value)


def test_a_header_without_rows_says_so(tmp_path: Path) -> None:
    header_only = _write(tmp_path / "header.csv", SPOTIFY_HEADER, [])
    with pytest.raises(CatalogError, match="header but no tracks") as error:
        load_catalog(header_only)
    assert str(header_only) in str(error.value)


@pytest.mark.parametrize("column", ["energy", "valence", "track_album_release_date"])
def test_a_missing_column_is_named(tmp_path: Path, column: str) -> None:
    header = [c for c in SPOTIFY_HEADER if c != column]
    index = SPOTIFY_HEADER.index(column)
    rows = [r[:index] + r[index + 1 :] for r in _good_rows()]
    path = _write(tmp_path / "nocolumn.csv", header, rows)
    with pytest.raises(CatalogError, match=rf"line 1: missing column\(s\) {column};") as error:
        load_catalog(path)
    assert str(path) in str(error.value) and "Spotify audio-features layout" in str(error.value)


def test_a_file_of_mostly_non_numeric_energy_names_the_first_bad_line_and_value(tmp_path: Path) -> None:
    rows = _good_rows(20)
    energy = SPOTIFY_HEADER.index("energy")
    for row in rows[3:]:  # lines 5.. (line 1 is the header)
        row[energy] = "high"
    path = _write(tmp_path / "words.csv", SPOTIFY_HEADER, rows)
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    message = str(error.value)
    assert message.startswith(f"{path}, line 5: energy='high' is not a number")
    assert "17 of 20 rows unusable" in message


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("energy", "1.7", "energy='1.7' is outside 0.0..1.0"),
        ("valence", "nan", "valence='nan' is not a finite number"),
        ("tempo", "fast", "tempo='fast' is not a number"),
        ("duration_ms", "inf", "duration_ms='inf' is not a finite number"),
        ("track_album_release_date", "May 1999", "does not start with a four-digit year"),
    ],
)
def test_each_kind_of_bad_value_is_explained(tmp_path: Path, column: str, value: str, problem: str) -> None:
    rows = _good_rows(4)
    for row in rows:
        row[SPOTIFY_HEADER.index(column)] = value
    path = _write(tmp_path / "bad.csv", SPOTIFY_HEADER, rows)
    with pytest.raises(CatalogError, match="line 2: ") as error:
        load_catalog(path)
    assert problem in str(error.value)


def test_binary_garbage_is_refused_as_not_a_csv(tmp_path: Path) -> None:
    garbage = tmp_path / "catalog.csv"
    garbage.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(CatalogError, match=r"line 1: binary data, not a CSV text file") as error:
        load_catalog(garbage)
    assert str(garbage) in str(error.value)


def test_a_folder_is_not_a_catalogue(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot open"):
        load_catalog(tmp_path)


def test_a_few_bad_rows_among_many_are_skipped(tmp_path: Path) -> None:
    rows = _good_rows(60)
    rows[10][SPOTIFY_HEADER.index("energy")] = "?"
    rows[20][SPOTIFY_HEADER.index("track_name")] = "NA"
    rows.append(["short", "row"])
    path = _write(tmp_path / "mostly_good.csv", SPOTIFY_HEADER, rows)
    catalog = load_catalog(path)
    assert len(catalog) == 58


def test_repeated_rows_merge_into_one_track_with_every_genre(tmp_path: Path) -> None:
    rows = _good_rows(5)
    twin = list(rows[0])
    twin[SPOTIFY_HEADER.index("playlist_genre")] = "pop"
    path = _write(tmp_path / "twins.csv", SPOTIFY_HEADER, [*rows, twin])
    catalog = load_catalog(path)
    assert len(catalog) == 5
    first = catalog[rows[0][0]]
    assert first.genres == ("pop",) and "pop" in catalog.genre_names


def test_a_spreadsheet_byte_order_mark_does_not_hide_the_first_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "excel.csv", SPOTIFY_HEADER, _good_rows(5))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_catalog(path)) == 5


def test_the_tiny_fixture_round_trips(tmp_path: Path) -> None:
    tracks = _tiny_tracks()
    catalog = load_catalog(write_spotify_csv(tmp_path / "tiny.csv", tracks))
    assert [t.id for t in catalog.tracks] == [t.id for t in tracks]
    assert set(REQUIRED_COLUMNS) <= set(SPOTIFY_HEADER)


def test_the_same_song_from_another_album_is_not_offered_again() -> None:
    from assistant.music.catalog import Catalog, Track, song_title
    from assistant.music.constraints import Constraints
    from assistant.music.retrieval import Retriever

    assert song_title("Du Hast - 2011 Remaster") == song_title("Du hast") == "du hast"
    base = dict(artist="Rammstein", genre="rock", subgenre="hard rock", energy=0.9, valence=0.3, tempo=120.0)
    catalog = Catalog.from_tracks(
        [
            Track(id="a", title="Du hast", year=1997, popularity=90.0, **base),
            Track(id="b", title="Du Hast - Remastered", year=2011, popularity=80.0, **base),
            Track(id="c", title="Sonne", year=2001, popularity=10.0, **base),
        ]
    )
    assert catalog.song_ids[0] == catalog.song_ids[1] != catalog.song_ids[2]
    sample = Retriever(catalog).next_sample(Constraints(artist="Rammstein"), offered=["a"])
    assert sample is not None and sample.id == "c"
