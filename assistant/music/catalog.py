"""The music catalogue: tracks with audio features, loaded from a CSV in the Spotify audio-features layout."""

from __future__ import annotations

import csv
import math
import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, SupportsIndex, overload

import numpy as np

from assistant.music.index import CatalogIndexes, Postings

__all__ = [
    "DEFAULT_CATALOG",
    "REQUIRED_COLUMNS",
    "Catalog",
    "CatalogColumns",
    "CatalogError",
    "Track",
    "load_catalog",
]

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEFAULT_CATALOG = ASSETS / "catalog.csv"

# The columns of ../shared/data/catalog/spotify_songs.csv that tunetalk needs. The embedded demo
# catalogue is written in the same layout so one loader serves both.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "track_id",
    "track_name",
    "track_artist",
    "track_album_release_date",
    "playlist_genre",
    "playlist_subgenre",
    "energy",
    "valence",
    "tempo",
)
OPTIONAL_NUMERIC: dict[str, float] = {
    "danceability": 0.5,
    "acousticness": 0.3,
    "track_popularity": 50.0,
    "duration_ms": 200_000.0,
}
INSTRUMENTALNESS = "instrumentalness"
"""Optional too, but unknown (None) rather than a default when absent: a guess would make it searchable."""
# A free-form column pointing at a real audio file for the track (local music folders); absent in Spotify.
PREVIEW_COLUMN = "preview_path"


class CatalogError(ValueError):
    """A catalogue file that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Track:
    """One piece of music and the features the assistant reasons with."""

    id: str
    title: str
    artist: str
    genre: str
    subgenre: str
    year: int
    energy: float
    """0..1, Spotify's perceptual intensity."""
    valence: float
    """0..1, musical positiveness (happy vs sad)."""
    tempo: float
    """Beats per minute; 0 when unknown."""
    danceability: float = 0.5
    acousticness: float = 0.3
    popularity: float = 50.0
    """0..100."""
    album: str = ""
    duration_ms: int = 200_000
    genres: tuple[str, ...] = ()
    """Every genre the track is listed under (a Spotify track can sit in several playlists)."""
    instrumentalness: float | None = None
    """0..1, Spotify's confidence that the track has no vocals; None when the catalogue does not say."""
    preview: str | None = None
    """Path of a real audio file or preview, if any; otherwise a clip is synthesized from the features."""
    preview_start: float = 0.0
    """Where in `preview` the clip starts, in seconds: a representative stretch of a whole song, not its
    intro (found when a music folder is scanned; 0 for a file that is already a preview)."""

    @property
    def decade(self) -> str:
        return f"{self.year // 10 * 10}s"

    @property
    def mood(self) -> str:
        """A short human description of how it feels, for display and phrasing."""
        energy = "upbeat" if self.energy >= 0.66 else "laid back" if self.energy <= 0.4 else "mid-tempo"
        feel = "bright" if self.valence >= 0.6 else "moody" if self.valence <= 0.35 else ""
        return f"{feel} {energy}".strip()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["genres"] = list(self.genres)
        return data

    def summary(self) -> dict[str, Any]:
        """The fields a transcript reports for an offered or accepted track."""
        return {
            "id": self.id,
            "title": self.title,
            "artist": self.artist,
            "genre": self.genre,
            "subgenre": self.subgenre,
            "year": self.year,
            "energy": round(self.energy, 3),
            "valence": round(self.valence, 3),
            "tempo": round(self.tempo, 1),
        }


class Catalog:
    """An immutable set of tracks held as columns, for vectorized scoring.

    Two ways in: from Track objects (`from_tracks`: CSV files, scanned folders, tests), or from stored
    columns (`from_columns`: the memory-mapped catalogue store, assistant/music/store.py), where a Track
    object is made only when one is asked for, so a million-track catalogue opens without building a
    million objects. Either way the same attributes hold the same values.
    """

    tracks: tuple[Track, ...] | TrackList
    name: str
    index: Mapping[str, int]
    """track id -> row."""
    energy: np.ndarray
    valence: np.ndarray
    tempo: np.ndarray
    year: np.ndarray
    popularity: np.ndarray
    danceability: np.ndarray
    acousticness: np.ndarray
    instrumentalness: np.ndarray
    """NaN where a track's instrumentalness is unknown."""
    genre_ids: np.ndarray
    subgenre_ids: np.ndarray
    artist_ids: np.ndarray
    genre_names: tuple[str, ...]
    subgenre_names: tuple[str, ...]
    artist_names: Sequence[str]
    """Sorted; `index` and `in` are fast (a dict, or a binary search over the stored names)."""
    song_ids: np.ndarray
    """Tracks that are the same song share an id: one artist, one title up to case and a version note
    ("Du hast" and "Du Hast - Remastered"), as Spotify lists a song once per album it is on."""
    listed: Postings
    """genre id -> rows listed under that genre (their own genre, or a playlist's they also sit in)."""
    titles: Sequence[str]
    """Track titles by row (no Track object needed)."""

    def __init__(self, tracks: Iterable[Track], name: str = "catalog") -> None:
        self.tracks = tuple(tracks)
        self.name = name
        if not self.tracks:
            raise CatalogError(f"{self.name}: the catalogue holds no tracks")
        self.index = {t.id: i for i, t in enumerate(self.tracks)}
        self.titles = [t.title for t in self.tracks]
        col = lambda attr: np.array([getattr(t, attr) for t in self.tracks], dtype=np.float64)  # noqa: E731
        self.energy = col("energy")
        self.valence = col("valence")
        self.tempo = col("tempo")
        self.year = col("year")
        self.popularity = col("popularity")
        self.danceability = col("danceability")
        self.acousticness = col("acousticness")
        self.instrumentalness = np.array(
            [np.nan if t.instrumentalness is None else t.instrumentalness for t in self.tracks],
            dtype=np.float64,
        )
        self.genre_names = tuple(sorted({g for t in self.tracks for g in (t.genre, *t.genres)}))
        self.subgenre_names = tuple(sorted({t.subgenre for t in self.tracks}))
        self.artist_names = tuple(sorted({t.artist for t in self.tracks}))
        g_index = {g: i for i, g in enumerate(self.genre_names)}
        s_index = {s: i for i, s in enumerate(self.subgenre_names)}
        a_index = {a: i for i, a in enumerate(self.artist_names)}
        self.genre_ids = np.array([g_index[t.genre] for t in self.tracks], dtype=np.int32)
        self.subgenre_ids = np.array([s_index[t.subgenre] for t in self.tracks], dtype=np.int32)
        self.artist_ids = np.array([a_index[t.artist] for t in self.tracks], dtype=np.int32)
        songs: dict[tuple[str, str], int] = {}
        self.song_ids = np.array(
            [songs.setdefault((t.artist, song_title(t.title)), len(songs)) for t in self.tracks],
            dtype=np.int32,
        )
        rows = [i for i, t in enumerate(self.tracks) for _ in (t.genre, *t.genres)]
        keys = [g_index[g] for t in self.tracks for g in (t.genre, *t.genres)]
        self.listed = Postings.build(np.array(keys, dtype=np.int64), len(self.genre_names), np.array(rows))
        self._multi_genre: np.ndarray | None = None
        self._indexes: CatalogIndexes | None = None

    @classmethod
    def from_tracks(cls, tracks: Iterable[Track], name: str = "catalog") -> Catalog:
        return cls(tracks, name=name)

    @classmethod
    def from_columns(
        cls, columns: CatalogColumns, name: str, indexes: CatalogIndexes | None = None
    ) -> Catalog:
        """A catalogue over stored columns (numpy arrays, possibly memory-mapped; string sequences)."""
        self = cls.__new__(cls)
        self.name = name
        n = len(columns.energy)
        if n == 0:
            raise CatalogError(f"{name}: the catalogue holds no tracks")
        self.energy, self.valence, self.tempo = columns.energy, columns.valence, columns.tempo
        self.year, self.popularity = columns.year, columns.popularity
        self.danceability, self.acousticness = columns.danceability, columns.acousticness
        self.instrumentalness = columns.instrumentalness
        self.genre_ids, self.subgenre_ids = columns.genre_ids, columns.subgenre_ids
        self.artist_ids, self.song_ids = columns.artist_ids, columns.song_ids
        self.genre_names, self.subgenre_names = columns.genre_names, columns.subgenre_names
        self.artist_names = columns.artist_names
        self.listed = columns.listed
        self.index = columns.id_index
        self.titles = columns.titles
        self.tracks = TrackList(columns)
        self._multi_genre = None
        self._indexes = indexes
        return self

    def name_indexes(self) -> tuple[Any, Any]:
        """(artist, title) name indexes prebuilt with the store (nlu.name_index.NameIndex), opened on
        first use; (None, None) for a catalogue read from a file, whose linker builds its own."""
        loader = getattr(self, "_name_loader", None)
        if loader is None:
            return None, None
        if getattr(self, "_names", None) is None:
            self._names = loader()
        return self._names

    @property
    def multi_genre(self) -> np.ndarray:
        """(n_tracks, n_genres) bool: the track is listed under that genre. Made on first use."""
        if self._multi_genre is None:
            dense = np.zeros((len(self), len(self.genre_names)), dtype=bool)
            for g in range(len(self.genre_names)):
                dense[self.listed.rows(g), g] = True
            self._multi_genre = dense
        return self._multi_genre

    @property
    def indexes(self) -> CatalogIndexes:
        """Sorted orders and postings for candidate generation (stored, or made on first use)."""
        if self._indexes is None:
            self._indexes = CatalogIndexes.build(self)
        return self._indexes

    def __len__(self) -> int:
        return len(self.energy)

    def __getitem__(self, track_id: str) -> Track:
        return self.tracks[self.index[track_id]]

    def get(self, track_id: str) -> Track | None:
        i = self.index.get(track_id)
        return None if i is None else self.tracks[i]

    def knows(self, attribute: str, value: str = "") -> bool:
        """Can this catalogue be searched for a trait? Vocals: only "instrumental" or "vocal", and only with
        instrumentalness for most tracks (who sings is in no column); popularity: when it varies."""
        if attribute == "vocals":
            known = np.isfinite(self.instrumentalness)
            return value in ("instrumental", "vocal") and bool(known.mean() >= 0.5)
        if attribute == "popularity":
            return value in ("popular", "obscure") and float(np.ptp(self.popularity)) > 0.0
        return False

    def by_artist(self, artist: str) -> list[Track]:
        if artist not in self.artist_names:
            return []
        rows = self.indexes.artists.rows(self.artist_names.index(artist))
        return [self.tracks[int(i)] for i in rows]

    def genre_of_subgenre(self, subgenre: str) -> str | None:
        if subgenre not in self.subgenre_names:
            return None
        rows = self.indexes.subgenres.rows(self.subgenre_names.index(subgenre))
        return self.genre_names[int(self.genre_ids[rows[0]])] if len(rows) else None

    def subgenres_of(self, genre: str) -> list[str]:
        if genre not in self.genre_names:
            return []
        rows = self.indexes.genres.rows(self.genre_names.index(genre))
        return sorted({self.subgenre_names[int(s)] for s in np.unique(self.subgenre_ids[rows])})

    def track_named(self, title: str) -> Track | None:
        """The first track with exactly this title (a linked title is a catalogue title)."""
        for i in self.indexes.titles_equal(self, title):
            return self.tracks[i]
        return None

    def __repr__(self) -> str:
        return f"Catalog(name={self.name!r}, tracks={len(self)})"


@dataclass(frozen=True)
class CatalogColumns:
    """A catalogue as stored: one array or sequence per field, row i is track i (assistant/music/store.py)."""

    ids: Sequence[str]
    id_index: Mapping[str, int]
    titles: Sequence[str]
    albums: Sequence[str]
    previews: Sequence[str]
    """"" for none."""
    preview_start: np.ndarray
    energy: np.ndarray
    valence: np.ndarray
    tempo: np.ndarray
    year: np.ndarray
    popularity: np.ndarray
    danceability: np.ndarray
    acousticness: np.ndarray
    instrumentalness: np.ndarray
    """NaN where unknown."""
    duration_ms: np.ndarray
    genre_ids: np.ndarray
    subgenre_ids: np.ndarray
    artist_ids: np.ndarray
    song_ids: np.ndarray
    genre_names: tuple[str, ...]
    subgenre_names: tuple[str, ...]
    artist_names: Sequence[str]
    listed: Postings


class TrackList(Sequence[Track]):
    """The tracks of a column-backed catalogue, each made when asked for."""

    def __init__(self, columns: CatalogColumns) -> None:
        self._columns = columns
        self._extras: dict[int, list[int]] | None = None
        self._made: dict[int, Track] = {}
        """Tracks already made (a conversation asks for the same few again and again)."""

    def __len__(self) -> int:
        return len(self._columns.energy)

    @overload
    def __getitem__(self, i: SupportsIndex) -> Track: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Track]: ...
    def __getitem__(self, i: SupportsIndex | slice) -> Track | Sequence[Track]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = operator.index(i)
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("track row out of range")
        made = self._made.get(i)
        if made is not None:
            return made
        if len(self._made) >= 100_000:
            self._made.clear()  # bounded on huge catalogues; a small one keeps every track it made
        c = self._columns
        genre = int(c.genre_ids[i])
        made = self._made[i] = Track(
            id=c.ids[i],
            title=c.titles[i],
            artist=c.artist_names[int(c.artist_ids[i])],
            genre=c.genre_names[genre],
            subgenre=c.subgenre_names[int(c.subgenre_ids[i])],
            year=int(c.year[i]),
            energy=float(c.energy[i]),
            valence=float(c.valence[i]),
            tempo=float(c.tempo[i]),
            danceability=float(c.danceability[i]),
            acousticness=float(c.acousticness[i]),
            popularity=float(c.popularity[i]),
            instrumentalness=None if np.isnan(c.instrumentalness[i]) else float(c.instrumentalness[i]),
            album=c.albums[i],
            duration_ms=int(c.duration_ms[i]),
            genres=self._extra_genres(i, genre),
            preview=c.previews[i] or None,
            preview_start=float(c.preview_start[i]),
        )
        return made

    def __iter__(self) -> Iterator[Track]:
        for i in range(len(self)):
            yield self[i]

    def _extra_genres(self, row: int, genre: int) -> tuple[str, ...]:
        """The genres a track is listed under besides its own, sorted (as the CSV loader keeps them)."""
        c = self._columns
        if self._extras is None:
            # Rows with extra genres are few (a Spotify track in a second playlist): one pass per genre.
            extras: dict[int, list[int]] = {}
            for g in range(len(c.genre_names)):
                rows = c.listed.rows(g)
                for r in rows[np.asarray(c.genre_ids)[rows] != g].tolist():
                    extras.setdefault(r, []).append(g)
            self._extras = extras
        found = self._extras.get(row)
        if not found:
            return ()
        return tuple(sorted(c.genre_names[g] for g in found if g != genre))


_VERSION_NOTE = re.compile(r"\s*(?:\s-\s.*|\([^)]*\)|\[[^\]]*\])\s*$")


def song_title(title: str) -> str:
    """A title without its version note, lower case: "Du Hast - 2011 Remaster" -> "du hast"."""
    core = title
    while True:
        stripped = _VERSION_NOTE.sub("", core)
        if stripped == core or not stripped:
            return core.strip().lower()
        core = stripped


def _parse_year(raw: str) -> int:
    """Release dates come as YYYY-MM-DD, YYYY-MM or YYYY."""
    head = raw.strip()[:4]
    if len(head) != 4 or not head.isdigit():
        raise ValueError(f"release date {raw!r} does not start with a four-digit year")
    return int(head)


def _number(raw: str | None, column: str) -> float:
    """A finite number, or a ValueError that names the column and the value."""
    try:
        value = float(raw if raw is not None else "")
    except ValueError:
        raise ValueError(f"{column}={raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{column}={raw!r} is not a finite number")
    return value


def _parse_unit(raw: str, column: str, low: float = 0.0, high: float = 1.0) -> float:
    value = _number(raw, column)
    if not low <= value <= high:
        raise ValueError(f"{column}={raw!r} is outside {low}..{high}")
    return value


def _track_from_row(row: dict[str, str]) -> Track:
    for key in ("track_id", "track_name", "track_artist"):
        value = (row.get(key) or "").strip()
        if not value or value == "NA":
            raise ValueError(f"{key} is empty or NA")
    tempo = _number(row["tempo"], "tempo")
    if tempo < 0 or tempo > 300:
        raise ValueError(f"tempo={row['tempo']!r} is outside 0..300")
    extras = {}
    for column, default in OPTIONAL_NUMERIC.items():
        raw = (row.get(column) or "").strip()
        extras[column] = _number(raw, column) if raw and raw != "NA" else default
    genre = (row.get("playlist_genre") or "").strip().lower()
    subgenre = (row.get("playlist_subgenre") or "").strip().lower() or genre
    if not genre:
        raise ValueError("playlist_genre is empty")
    preview = (row.get(PREVIEW_COLUMN) or "").strip() or None
    raw_instrumental = (row.get(INSTRUMENTALNESS) or "").strip()
    instrumental = (
        min(max(_number(raw_instrumental, INSTRUMENTALNESS), 0.0), 1.0)
        if raw_instrumental and raw_instrumental != "NA"
        else None
    )
    return Track(
        id=row["track_id"].strip(),
        title=row["track_name"].strip(),
        artist=row["track_artist"].strip(),
        album=(row.get("track_album_name") or "").strip(),
        genre=genre,
        subgenre=subgenre,
        year=_parse_year(row["track_album_release_date"]),
        energy=_parse_unit(row["energy"], "energy"),
        valence=_parse_unit(row["valence"], "valence"),
        tempo=tempo,
        danceability=min(max(extras["danceability"], 0.0), 1.0),
        acousticness=min(max(extras["acousticness"], 0.0), 1.0),
        popularity=min(max(extras["track_popularity"], 0.0), 100.0),
        duration_ms=int(extras["duration_ms"]),
        preview=preview,
        instrumentalness=instrumental,
    )


def load_catalog(path: str | Path | None = None, *, max_bad_rows: float = 0.05) -> Catalog:
    """Load a catalogue CSV in the Spotify audio-features layout.

    Rows repeated under several playlists are merged by track_id (their genres are kept). Rows with a
    missing name/artist (the dataset's literal "NA") are skipped. If more than `max_bad_rows` of the rows
    are unusable the file is rejected, naming the first bad line, because a mostly broken file is more
    likely the wrong file than a few bad rows.
    """
    path = Path(path) if path is not None else DEFAULT_CATALOG
    if not path.exists():
        raise CatalogError(f"{path}: no such catalogue file")
    try:
        with path.open("rb") as raw:
            head = raw.read(4096)
        # utf-8-sig: a spreadsheet's byte-order mark must not hide the first column name.
        handle = path.open(newline="", encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise CatalogError(f"{path}: cannot open: {exc.strerror}") from exc
    if not head.strip():
        handle.close()
        raise CatalogError(
            f"{path}, line 1: the file is empty (missing column(s) {', '.join(REQUIRED_COLUMNS)}); "
            "expected a CSV in the Spotify audio-features layout whose first line names the columns"
        )
    if b"\x00" in head or head.decode("utf-8", errors="replace").count("\ufffd") > len(head) // 10:
        handle.close()
        raise CatalogError(
            f"{path}, line 1: binary data, not a CSV text file; expected the Spotify audio-features layout"
        )
    merged: dict[str, Track] = {}
    extra_genres: dict[str, set[str]] = {}
    bad: list[tuple[int, str]] = []
    rows = 0
    with handle:
        reader = csv.DictReader(handle)
        header: Sequence[str] = reader.fieldnames or ()
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise CatalogError(
                f"{path}, line 1: missing column(s) {', '.join(missing)}; "
                f"expected the Spotify audio-features layout ({', '.join(REQUIRED_COLUMNS)}, ...)"
            )
        try:
            for row in reader:
                rows += 1
                line = reader.line_num
                if None in row:
                    extra = len(row[None])
                    bad.append((line, f"{extra + len(header)} fields where the header has {len(header)}"))
                    continue
                try:
                    track = _track_from_row(row)
                except (ValueError, KeyError, TypeError) as exc:
                    bad.append((line, str(exc)))
                    continue
                if track.id in merged:
                    extra_genres.setdefault(track.id, set()).add(track.genre)
                else:
                    merged[track.id] = track
        except csv.Error as exc:
            raise CatalogError(f"{path}, line {reader.line_num}: malformed CSV: {exc}") from exc
    if rows == 0:
        raise CatalogError(f"{path}: the file has a header but no tracks")
    if not merged or len(bad) > max_bad_rows * rows:
        line, problem = bad[0]
        raise CatalogError(
            f"{path}, line {line}: {problem} ({len(bad)} of {rows} rows unusable; is this a catalogue file?)"
        )
    tracks = []
    for track_id, track in merged.items():
        others = tuple(sorted(extra_genres.get(track_id, set()) - {track.genre}))
        tracks.append(Track(**{**asdict(track), "genres": others}) if others else track)
    return Catalog.from_tracks(tracks, name=path.stem)
