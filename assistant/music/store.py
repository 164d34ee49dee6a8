"""The catalogue store: a catalogue written once as memory-mapped Arrow columns, opened in milliseconds.

Layout of one store (a folder):
- `manifest.json`: schema version, name, size, the key of the source it was built from, small tables
  (genre and subgenre names with their postings' offsets);
- `tracks.arrow`: one row per track (ids, titles, albums, previews and every numeric feature), plus the
  per-track index columns (sorted orders of the features, the titles and the ids; the rows of each genre,
  subgenre and artist) - all of length n, so one table holds them;
- `artists.arrow`: the sorted artist names and where each artist's rows end in its postings;
- `listed.arrow`: the rows listed under each genre (a track's own genre and its playlists' genres);
- `names/`: the linker's normalized-name indexes of artists and titles (nlu/name_index.py).

Arrow IPC files without compression are read through a memory map: opening maps the files and wraps the
columns as numpy arrays and string sequences without copying, so the cost does not grow with the number
of tracks (benchmarks/bench_catalog.py measured this against Parquet and SQLite). Pages are read when
touched; a turn touches the candidates' rows only.

Stores are derived data: they live under `cache_root()/catalogs` ($TUNETALK_CATALOG_CACHE, else
$TUNETALK_CACHE, else ~/.cache/tunetalk), keyed by their source's path, size and modification time, and
are rebuilt when the source or STORE_SCHEMA changes. They are never written next to the source.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from assistant.music.catalog import Catalog, CatalogColumns
from assistant.music.index import SORTED_FEATURES, CatalogIndexes, Postings, SortedColumn

__all__ = [
    "STORE_SCHEMA",
    "StoreError",
    "cache_root",
    "open_store",
    "source_key",
    "write_store",
]

STORE_SCHEMA = 3
"""Bumped whenever what a store holds or how it is laid out changes; an older store is rebuilt."""

_NUMERIC = (
    "preview_start",
    "energy",
    "valence",
    "tempo",
    "year",
    "popularity",
    "danceability",
    "acousticness",
    "instrumentalness",
)
_INTEGER = ("duration_ms", "genre_ids", "subgenre_ids", "artist_ids", "song_ids")


class StoreError(Exception):
    """A store that cannot be read (absent, from another schema, damaged); the caller rebuilds it."""


def cache_root() -> Path:
    """Where catalogue stores and music-folder indexes live: $TUNETALK_CATALOG_CACHE, else the app's cache
    ($TUNETALK_CACHE, else $XDG_CACHE_HOME/tunetalk, else ~/.cache/tunetalk). Derived data, never in git;
    the first variable lets a big catalogue's store (hundreds of MB for a million tracks) live elsewhere."""
    for variable in ("TUNETALK_CATALOG_CACHE", "TUNETALK_CACHE"):
        configured = os.environ.get(variable)
        if configured:
            return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "tunetalk"


def source_key(*parts: object) -> str:
    """A short stable key for what a store was built from (file identity, library digest...)."""
    text = json.dumps([STORE_SCHEMA, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def file_identity(path: Path) -> dict[str, Any]:
    """Path, size and modification time: a changed file gets a new store without reading it through."""
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


# ----------------------------------------------------------------------------------------------------
# Writing


def write_store(catalog: Catalog, folder: Path, *, key: str, names: bool = True) -> Path:
    """Write `catalog` as a store in `folder` (replaced atomically: a reader sees the old or the new one).

    `names` also writes the linker's name indexes (artists and titles), which dominate the build time of a
    big catalogue."""
    import pyarrow as pa

    started = time.perf_counter()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        n = len(catalog)
        indexes = catalog.indexes
        tracks = catalog.tracks
        ids = list(catalog.index)  # row order, for a dict and a stored index alike
        columns: dict[str, Any] = {
            "id": pa.array(ids, pa.string()),
            "title": pa.array(list(catalog.titles), pa.string()),
            "album": pa.array([t.album for t in tracks], pa.string()),
            "preview": pa.array([t.preview or "" for t in tracks], pa.string()),
            "duration_ms": pa.array(np.array([t.duration_ms for t in tracks], dtype=np.int64)),
        }
        for name in _NUMERIC:
            values = (
                np.array([t.preview_start for t in tracks], dtype=np.float64)
                if name == "preview_start"
                else np.asarray(getattr(catalog, name), dtype=np.float64)
            )
            columns[name] = pa.array(values)
        for name in _INTEGER[1:]:
            columns[name] = pa.array(np.asarray(getattr(catalog, name), dtype=np.int32))
        order = np.array(sorted(range(n), key=ids.__getitem__), dtype=np.int32)
        columns["id_order"] = pa.array(order)
        columns["title_order"] = pa.array(indexes.title_order)
        for feature in SORTED_FEATURES:
            columns[f"{feature}_order"] = pa.array(indexes.features[feature].order)
            columns[f"{feature}_sorted"] = pa.array(indexes.features[feature].values)
        columns["genre_order"] = pa.array(indexes.genres.order)
        columns["subgenre_order"] = pa.array(indexes.subgenres.order)
        columns["artist_order"] = pa.array(indexes.artists.order)
        _write_table(tmp / "tracks.arrow", columns)
        _write_table(
            tmp / "artists.arrow",
            {
                "name": pa.array(list(catalog.artist_names), pa.string()),
                "end": pa.array(indexes.artists.offsets[1:].astype(np.int64)),
            },
        )
        _write_table(tmp / "listed.arrow", {"row": pa.array(catalog.listed.order)})
        if names:
            from nlu.linking import name_key
            from nlu.name_index import NameIndex

            NameIndex.build(list(catalog.artist_names), name_key).save(tmp / "names" / "artists")
            NameIndex.build(sorted(set(catalog.titles)), name_key).save(tmp / "names" / "titles")
        manifest = {
            "schema": STORE_SCHEMA,
            "key": key,
            "name": catalog.name,
            "tracks": n,
            "genre_names": list(catalog.genre_names),
            "subgenre_names": list(catalog.subgenre_names),
            "genre_offsets": indexes.genres.offsets.tolist(),
            "subgenre_offsets": indexes.subgenres.offsets.tolist(),
            "listed_offsets": catalog.listed.offsets.tolist(),
            "names": names,
            "build_seconds": round(time.perf_counter() - started, 3),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        _replace_folder(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _write_table(path: Path, columns: dict[str, Any]) -> None:
    import pyarrow as pa

    table = pa.table(columns)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(1, table.num_rows))


def _replace_folder(new: Path, folder: Path) -> None:
    """Put `new` at `folder`; an existing store is moved aside first and removed after, so a process that
    has it mapped keeps reading its (unlinked) files."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}-old-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(folder, old)
    try:
        os.replace(new, folder)
    except OSError:
        if folder.exists():
            # Another process put its (equal) store there in between: keep that one.
            shutil.rmtree(new, ignore_errors=True)
        elif old is not None:
            os.replace(old, folder)
            raise
        else:
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------
# Reading


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder}: no readable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("schema") != STORE_SCHEMA:
        raise StoreError(f"{folder}: store schema {manifest.get('schema')!r}, expected {STORE_SCHEMA}")
    return manifest


def open_store(folder: Path, *, key: str | None = None) -> Catalog:
    """The catalogue in `folder`, memory-mapped. Raises StoreError if it is absent, of another schema,
    built from another source (`key`), or damaged."""
    import pyarrow as pa

    manifest = read_manifest(folder)
    if key is not None and manifest.get("key") != key:
        raise StoreError(f"{folder}: built from another version of the source")
    try:
        tracks = _read_table(folder / "tracks.arrow")
        artists = _read_table(folder / "artists.arrow")
        listed = _read_table(folder / "listed.arrow")
        n = int(manifest["tracks"])
        if tracks.num_rows != n:
            raise StoreError(f"{folder}: {tracks.num_rows} rows where the manifest says {n}")

        def num(name: str) -> np.ndarray:
            return _numpy(tracks.column(name))

        def strings(table: Any, name: str) -> ArrowStrings:
            return ArrowStrings(table.column(name).combine_chunks())

        ids = strings(tracks, "id")
        artist_names = SortedNames(strings(artists, "name"))
        artist_offsets = np.concatenate([[0], _numpy(artists.column("end"))])
        columns = CatalogColumns(
            ids=ids,
            id_index=IdIndex(ids, num("id_order")),
            titles=strings(tracks, "title"),
            albums=strings(tracks, "album"),
            previews=strings(tracks, "preview"),
            preview_start=num("preview_start"),
            energy=num("energy"),
            valence=num("valence"),
            tempo=num("tempo"),
            year=num("year"),
            popularity=num("popularity"),
            danceability=num("danceability"),
            acousticness=num("acousticness"),
            instrumentalness=num("instrumentalness"),
            duration_ms=num("duration_ms"),
            genre_ids=num("genre_ids"),
            subgenre_ids=num("subgenre_ids"),
            artist_ids=num("artist_ids"),
            song_ids=num("song_ids"),
            genre_names=tuple(manifest["genre_names"]),
            subgenre_names=tuple(manifest["subgenre_names"]),
            artist_names=artist_names,
            listed=Postings(_numpy(listed.column("row")), np.asarray(manifest["listed_offsets"], np.int64)),
        )
        indexes = CatalogIndexes(
            genres=Postings(num("genre_order"), np.asarray(manifest["genre_offsets"], np.int64)),
            subgenres=Postings(num("subgenre_order"), np.asarray(manifest["subgenre_offsets"], np.int64)),
            artists=Postings(num("artist_order"), artist_offsets.astype(np.int64)),
            features={f: SortedColumn(num(f"{f}_order"), num(f"{f}_sorted")) for f in SORTED_FEATURES},
            title_order=num("title_order"),
        )
    except (OSError, KeyError, ValueError, TypeError, pa.ArrowException) as exc:
        raise StoreError(f"{folder}: damaged store ({exc})") from exc
    catalog = Catalog.from_columns(columns, str(manifest["name"]), indexes)
    catalog.store_folder = folder  # type: ignore[attr-defined]
    if manifest.get("names") and (folder / "names").is_dir():
        catalog._name_loader = lambda: _open_names(folder / "names")  # type: ignore[attr-defined]
    return catalog


def _open_names(folder: Path) -> tuple[Any, Any]:
    from nlu.name_index import NameIndex

    return NameIndex.open(folder / "artists", ArrowStrings), NameIndex.open(folder / "titles", ArrowStrings)


def _read_table(path: Path) -> Any:
    import pyarrow as pa

    source = pa.memory_map(str(path), "r")
    return pa.ipc.open_file(source).read_all()


def _numpy(column: Any) -> np.ndarray:
    """A numeric column as a read-only numpy view of the mapped file (one chunk, no nulls: as written).
    Read from the Arrow buffer directly: pyarrow's own to_numpy imports pandas, which costs more than
    opening the whole store."""
    chunks = column.chunks
    if len(chunks) != 1:
        raise StoreError(f"a stored column has {len(chunks)} chunks, expected 1")
    chunk = chunks[0]
    if chunk.null_count:
        raise StoreError("a stored numeric column has nulls")
    dtype = np.dtype(chunk.type.to_pandas_dtype())
    view = np.frombuffer(chunk.buffers()[1], dtype=dtype, count=chunk.offset + len(chunk))[chunk.offset :]
    view.flags.writeable = False
    return view


SMALL = 100_000
"""Up to this many strings a column is decoded into a Python list on first use (about 10 ms per 100k):
per-string decoding costs microseconds, which a 28k-track catalogue's simulation pays millions of times.
Bigger columns (a million titles) stay mapped and are decoded one string at a time."""


class ArrowStrings(Sequence[str]):
    """A string column of the store, decoded when asked for (all at once while it is small)."""

    def __init__(self, array: Any) -> None:
        self._array = array
        self._list: list[str] | None = None

    def __len__(self) -> int:
        return len(self._array)

    def as_list(self) -> list[str] | None:
        """The decoded column if it is small enough to keep decoded, else None."""
        if self._list is None and len(self._array) <= SMALL:
            self._list = self._array.to_pylist()
        return self._list

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        decoded = self.as_list()
        if decoded is not None:
            return decoded[i]
        if isinstance(i, slice):
            return self._array[i].to_pylist()
        if i < 0:
            i += len(self._array)
        if not 0 <= i < len(self._array):
            raise IndexError("string row out of range")
        return self._array[i].as_py()

    def __iter__(self) -> Iterator[str]:
        decoded = self.as_list()
        if decoded is not None:
            yield from decoded
            return
        # Decoding in blocks is far cheaper than one scalar at a time.
        for start in range(0, len(self._array), 65_536):
            yield from self._array[start : start + 65_536].to_pylist()

    def take(self, rows: np.ndarray) -> list[str]:
        """The strings at these rows (one at a time: pyarrow's vectorized take converts its argument
        through pandas, whose import alone costs more than a turn)."""
        decoded = self.as_list()
        if decoded is not None:
            return [decoded[int(i)] for i in rows]
        return [self._array[int(i)].as_py() for i in rows]


class SortedNames(Sequence[str]):
    """Sorted names (the catalogue's artists) with `in` and `index` by binary search, not a scan."""

    def __init__(self, names: ArrowStrings) -> None:
        self._names: Sequence[str] = names.as_list() or names

    def __len__(self) -> int:
        return len(self._names)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        return self._names[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        at = bisect_left(self._names, name)
        return at < len(self._names) and self._names[at] == name

    def index(self, name: Any, start: int = 0, stop: int | None = None) -> int:
        at = bisect_left(self._names, name)
        if at < len(self._names) and self._names[at] == name:
            return at
        raise ValueError(f"{name!r} is not in the catalogue")


class IdIndex(Mapping[str, int]):
    """track id -> row, by binary search over the ids in sorted order."""

    def __init__(self, ids: ArrowStrings, order: np.ndarray) -> None:
        self._ids, self._order = ids, order
        self._dict: dict[str, int] | None = None
        self._seen: dict[str, int | None] = {}
        """Ids already looked up (a conversation asks for its few offered tracks again and again)."""

    def _find(self, track_id: str) -> int | None:
        if self._dict is None and len(self._ids) <= SMALL:
            decoded = self._ids.as_list()
            assert decoded is not None
            self._dict = {track_id: row for row, track_id in enumerate(decoded)}
        if self._dict is not None:
            return self._dict.get(track_id)
        if track_id in self._seen:
            return self._seen[track_id]
        if len(self._seen) >= 100_000:
            self._seen.clear()
        found = self._seen[track_id] = self._bisect(track_id)
        return found

    def _bisect(self, track_id: str) -> int | None:
        lo, hi = 0, len(self._order)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._ids[int(self._order[mid])] < track_id:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self._order):
            row = int(self._order[lo])
            if self._ids[row] == track_id:
                return row
        return None

    def __getitem__(self, track_id: str) -> int:
        row = self._find(track_id) if isinstance(track_id, str) else None
        if row is None:
            raise KeyError(track_id)
        return row

    def __contains__(self, track_id: object) -> bool:
        return isinstance(track_id, str) and self._find(track_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)
