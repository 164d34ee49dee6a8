"""What `--catalog` names, opened as one catalogue: the embedded demo catalogue, catalogue CSVs in the
Spotify layout, music folders, or several at once. Each source is imported into the catalogue store
(assistant/music/store.py) on first use and opened from it afterwards; a music folder is scanned
incrementally first (assistant/music/library.py)."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.music.catalog import DEFAULT_CATALOG, Catalog, CatalogError, Track, load_catalog
from assistant.music.genres import family_labels
from assistant.music.store import StoreError, cache_root, file_identity, open_store, source_key, write_store

if TYPE_CHECKING:
    from assistant.music.library import ScanReport

__all__ = ["CatalogSource", "open_catalog", "store_folder_for"]

ProgressFactory = Callable[[str], Callable[[int, int], Any]]
"""description -> progress(done, total); the command line draws a bar with an ETA."""


class CatalogSource:
    """One `--catalog` value: a CSV file or a music folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()

    def check(self) -> None:
        if not self.path.exists():
            raise CatalogError(f"{self.path}: no such catalogue file or music folder")


def store_folder_for(label: str) -> Path:
    """Where the store of a source (or a set of sources) lives: one folder per source, rebuilt in place
    when the source changes."""
    digest = hashlib.sha256(label.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache_root() / "catalogs" / digest


def open_catalog(
    sources: Sequence[str | Path] | str | Path | None = None,
    *,
    log: Callable[[str], None] | None = None,
    progress: ProgressFactory | None = None,
    workers: int | None = None,
    use_store: bool = True,
    on_report: Callable[[ScanReport], None] | None = None,
) -> Catalog:
    """The catalogue for `--catalog` values (None: the embedded demo catalogue). Raises CatalogError with
    one clear line for anything unusable.

    Music folders are brought up to date first (new and changed files analyzed, removed ones dropped).
    A folder's scan report is handed to `on_report`, else said (through `log`) when something changed.
    The result comes from the store when it was built from the same sources, else it is built and
    stored; a cache folder that cannot be written only costs the speed-up."""
    if sources is None or isinstance(sources, str | Path):
        sources = [] if sources is None else [sources]
    items = [CatalogSource(Path(s)) for s in sources] or [CatalogSource(DEFAULT_CATALOG)]
    for item in items:
        item.check()
    say = log or (lambda line: print(f"tunetalk: {line}", file=sys.stderr))
    keys: list[Any] = []
    for item in items:
        if item.is_folder:
            from assistant.music.library import Library

            library = Library(item.path)
            bar = progress(f"scanning {item.path.name}") if progress is not None else None
            report = library.scan(workers=workers, log=say, progress=bar)
            if on_report is not None:
                on_report(report)
            elif report.changed:
                for line in report.lines():
                    say(line)
            keys.append(["folder", str(library.folder), library.digest()])
        else:
            keys.append(["csv", file_identity(item.path)])
    label = "\n".join(str(item.path.resolve()) for item in items)
    key = source_key(*keys)
    folder = store_folder_for(label)
    if use_store:
        try:
            return open_store(folder, key=key)
        except StoreError:
            pass  # absent, older, or from an older version of a source: build it
    catalog = _build(items)
    if use_store:
        try:
            write_store(catalog, folder, key=key)
        except OSError as exc:
            say(f"could not keep the catalogue in {folder} ({exc.strerror or exc}); it is rebuilt next time")
    return catalog


def _build(items: Sequence[CatalogSource]) -> Catalog:
    parts: list[tuple[Catalog, bool]] = []
    for item in items:
        if item.is_folder:
            from assistant.music.library import Library

            parts.append((Library(item.path).catalog(), True))
        else:
            parts.append((load_catalog(item.path), False))
    if len(parts) == 1:
        return parts[0][0]
    return merge(parts)


def merge(parts: Sequence[tuple[Catalog, bool]]) -> Catalog:
    """One catalogue of several: music folders' genre families written as the catalogue files write them
    ("hip hop" becomes Spotify's "rap"), a track id kept once (the first source wins)."""
    csv_genres = sorted({g for catalog, folder in parts if not folder for g in catalog.genre_names})
    tracks: list[Track] = []
    seen: set[str] = set()
    for catalog, folder in parts:
        relabel = family_labels(catalog.genre_names, csv_genres) if folder else {}
        for track in catalog.tracks:
            if track.id in seen:
                continue
            seen.add(track.id)
            if track.genre in relabel:
                track = replace(track, genre=relabel[track.genre])
            tracks.append(track)
    return Catalog.from_tracks(tracks, name="+".join(catalog.name for catalog, _ in parts))
