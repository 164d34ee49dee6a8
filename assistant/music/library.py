"""The listener's own music folder as a catalogue: tags read with mutagen, descriptors computed from the
audio (assistant/music/descriptors.py), kept in a SQLite index so a rescan reads only what changed.

- The index lives in the cache folder (`cache_root()/library/`), never in the music folder, which is only
  ever read.
- A file is read again only when its size or modification time changed and then its content hash (size
  plus three 64 KiB samples: start, middle, end) differs too; a file that only moved or was touched keeps
  its descriptors. Files that are gone leave the index.
- New and changed files are analyzed in worker processes (one per core by default), each decoding only a
  30 s window of its file.
- A file that cannot be used is skipped and counted by reason, with one log line each; the scan never
  stops for one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assistant.music.catalog import Catalog, CatalogError, Track
from assistant.music.file_analysis import analyze_file, content_hash, quiet_stderr, warm_up
from assistant.music.genres import UNCLASSIFIED, normalize_genre

__all__ = [
    "AUDIO_SUFFIXES",
    "REASONS",
    "Library",
    "LibraryError",
    "ScanReport",
]

AUDIO_SUFFIXES = frozenset(
    {".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".m4p", ".wav", ".wave"}
)
REASONS: dict[str, str] = {
    "empty": "zero length",
    "unreadable": "cannot be read (permissions or I/O error)",
    "not_audio": "not audio despite its extension",
    "corrupt": "corrupt audio",
    "truncated": "truncated audio",
    "drm": "copy-protected (DRM)",
    "broken_tags": "tags that cannot be parsed",
    "bad_name": "file name is not valid UTF-8",
    "too_short": "shorter than 2 s",
}
"""Why a file was skipped: code -> what the report says."""
INDEX_SCHEMA = 1


class LibraryError(CatalogError):
    """A music folder that cannot be scanned at all (absent, not a folder, unreadable)."""


@dataclass
class ScanReport:
    folder: Path
    files: int = 0
    """Audio files found (by extension)."""
    analyzed: int = 0
    """Read and analyzed this time (new or changed)."""
    unchanged: int = 0
    reused: int = 0
    """Changed on disk (moved, touched) but with the same content: descriptors kept."""
    removed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    """reason code -> files skipped for it (new and already known)."""
    new_skips: int = 0
    """Files skipped for the first time (each logged)."""
    tracks: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """Anything new to say: files analyzed, skipped for the first time, moved or removed."""
        return bool(self.analyzed or self.new_skips or self.reused or self.removed)

    def lines(self) -> list[str]:
        out = [
            f"{self.folder}: {self.files} audio files, {self.tracks} tracks in the catalogue "
            f"({self.analyzed} analyzed, {self.unchanged} unchanged, {self.reused} moved or touched, "
            f"{self.removed} removed) in {self.seconds:.1f} s"
        ]
        if self.skipped:
            out.append(f"skipped {sum(self.skipped.values())} files:")
            out.extend(f"  {n:>6}  {REASONS.get(code, code)}" for code, n in sorted(self.skipped.items()))
        return out


# ----------------------------------------------------------------------------------------------------
# The index


def library_index_path(folder: Path) -> Path:
    from assistant.music.store import cache_root

    key = hashlib.sha256(str(folder).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache_root() / "library" / f"{key}.sqlite"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_hash ON files(hash);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class _Seen:
    path: str
    size: int
    mtime_ns: int


class Library:
    """One music folder's index. `scan()` brings it up to date; `catalog()` is its tracks."""

    def __init__(self, folder: str | Path, index_path: Path | None = None) -> None:
        self.folder = Path(folder).expanduser().resolve()
        self.index_path = index_path or library_index_path(self.folder)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.index_path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.index_path)
        except (OSError, sqlite3.Error) as exc:
            raise LibraryError(f"cannot open the library index {self.index_path}: {exc}") from exc
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is not None and int(row[0]) != INDEX_SCHEMA:
            db.execute("DELETE FROM files")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(INDEX_SCHEMA),))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('folder', ?)", (str(self.folder),))
        db.commit()
        return db

    def _walk(self, log: Callable[[str], None], bad: Counter[str]) -> list[_Seen]:
        """Audio files under the folder (symlinked folders are not followed: no loops)."""
        if not self.folder.is_dir():
            raise LibraryError(f"{self.folder}: no such music folder")
        found: list[_Seen] = []
        stack = [str(self.folder)]
        while stack:
            here = stack.pop()
            try:
                entries = list(os.scandir(here))
            except OSError as exc:
                bad["unreadable"] += 1
                log(f"skipped {here}: {REASONS['unreadable']} ({exc.strerror or exc})")
                continue
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                        continue
                    if os.path.splitext(entry.name)[1].lower() not in AUDIO_SUFFIXES:
                        continue
                    stat = entry.stat()
                except OSError as exc:
                    bad["unreadable"] += 1
                    log(f"skipped {_shown(entry.path)}: {REASONS['unreadable']} ({exc.strerror or exc})")
                    continue
                found.append(_Seen(entry.path, stat.st_size, stat.st_mtime_ns))
        found.sort(key=lambda s: s.path)
        return found

    def scan(
        self,
        *,
        workers: int | None = None,
        log: Callable[[str], None] = lambda line: None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> ScanReport:
        """Bring the index up to date with the folder. `progress(done, total)` is called as new files
        are analyzed (only when there are any). Never writes into the folder."""
        from assistant.music.descriptors import DESCRIPTOR_VERSION

        started = time.perf_counter()
        report = ScanReport(self.folder)
        db = self._connect()
        try:
            seen = self._walk(log, report.skipped)
            report.files = len(seen)
            known = {
                row[0]: row[1:]
                for row in db.execute("SELECT path, size, mtime_ns, hash, status, version FROM files")
            }
            todo: list[tuple[_Seen, str]] = []
            for item in seen:
                old = known.get(_shown(item.path))
                if (
                    old is not None
                    and old[0] == item.size
                    and old[1] == item.mtime_ns
                    and (old[3] != "ok" or old[4] == DESCRIPTOR_VERSION)
                ):
                    report.unchanged += 1
                    if old[3] != "ok":
                        report.skipped[old[3]] += 1
                    continue
                reason = "bad_name" if not _utf8(item.path) else "empty" if item.size == 0 else None
                if reason is not None:
                    # Kept under a printable form of the name, so a rescan knows it and stays quiet.
                    self._record(db, replace(item, path=_shown(item.path)), "", {"status": reason})
                    report.skipped[reason] += 1
                    report.new_skips += 1
                    log(f"skipped {_shown(item.path)}: {REASONS[reason]}")
                    continue
                try:
                    digest = content_hash(Path(item.path), item.size)
                except OSError as exc:
                    report.skipped["unreadable"] += 1
                    report.new_skips += 1
                    log(f"skipped {item.path}: {REASONS['unreadable']} ({exc.strerror or exc})")
                    continue
                same = db.execute(
                    "SELECT status, detail, data, version FROM files WHERE hash=? AND version=? LIMIT 1",
                    (digest, DESCRIPTOR_VERSION),
                ).fetchone()
                if same is not None and same[0] == "ok":
                    db.execute(
                        "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?)",
                        (item.path, item.size, item.mtime_ns, digest, *same),
                    )
                    report.reused += 1
                    continue
                todo.append((item, digest))
            present = {_shown(s.path) for s in seen}
            gone = [p for p in known if p not in present]
            db.executemany("DELETE FROM files WHERE path=?", [(p,) for p in gone])
            report.removed = len(gone)
            db.commit()
            self._analyze(db, todo, report, workers, log, progress)
            report.tracks = db.execute("SELECT COUNT(*) FROM files WHERE status='ok'").fetchone()[0]
            db.execute("INSERT OR REPLACE INTO meta VALUES ('digest', ?)", (self._digest(db),))
            db.commit()
        finally:
            db.close()
        report.seconds = time.perf_counter() - started
        return report

    def _analyze(
        self,
        db: sqlite3.Connection,
        todo: list[tuple[_Seen, str]],
        report: ScanReport,
        workers: int | None,
        log: Callable[[str], None],
        progress: Callable[[int, int], Any] | None,
    ) -> None:
        if not todo:
            return
        by_path = {item.path: (item, digest) for item, digest in todo}
        done = 0
        last_commit = time.monotonic()

        def finish(path: str, result: dict[str, Any]) -> None:
            nonlocal done, last_commit
            item, digest = by_path[path]
            self._record(db, item, digest, result)
            if result["status"] == "ok":
                report.analyzed += 1
            else:
                report.skipped[result["status"]] += 1
                report.new_skips += 1
                detail = f" ({result['detail']})" if result.get("detail") else ""
                log(f"skipped {path}: {REASONS.get(result['status'], result['status'])}{detail}")
            done += 1
            if progress is not None:
                progress(done, len(todo))
            if time.monotonic() - last_commit > 2.0:
                db.commit()  # an interrupted first scan keeps what it finished
                last_commit = time.monotonic()

        n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        if n_workers == 1:
            for item, _ in todo:
                with quiet_stderr():
                    result = analyze_file(item.path)
                finish(item.path, result)
        else:
            self._in_workers([item.path for item, _ in todo], n_workers, finish)
        db.commit()

    @staticmethod
    def _in_workers(paths: list[str], n_workers: int, finish: Callable[[str, dict[str, Any]], None]) -> None:
        """analyze_file over `paths` in worker processes, a few files in flight per worker. A worker that
        dies (a crash inside a decoder) takes the pool with it: the files in flight are tried again in
        a fresh pool, and a file that kills a second pool is skipped as corrupt."""
        import multiprocessing
        from concurrent.futures.process import BrokenProcessPool

        # fork: workers start at once and need no importable __main__ (the analysis stack is imported
        # after the fork, in each worker, so nothing heavy is shared).
        context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        queue: list[str] = list(reversed(paths))
        suspects: set[str] = set()
        while queue:
            with ProcessPoolExecutor(n_workers, mp_context=context, initializer=warm_up) as pool:
                pending: dict[Future[dict[str, Any]], str] = {}
                broken: list[str] = []
                while (queue or pending) and not broken:
                    while queue and len(pending) < n_workers * 4:
                        path = queue.pop()
                        pending[pool.submit(analyze_file, path)] = path
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        path = pending.pop(future)
                        try:
                            result = future.result()
                        except BrokenProcessPool:
                            broken.append(path)
                            continue
                        except Exception as exc:  # cannot happen by design (analyze_file never raises)
                            result = {"status": "corrupt", "detail": f"{type(exc).__name__}: {exc}"[:200]}
                        finish(path, result)
                broken.extend(pending.values())
            for path in broken:
                if path in suspects:
                    finish(path, {"status": "corrupt", "detail": "the decoder crashed on it twice"})
                else:
                    suspects.add(path)
                    queue.append(path)

    @staticmethod
    def _record(db: sqlite3.Connection, item: _Seen, digest: str, result: dict[str, Any]) -> None:
        status = result["status"]
        data = {k: v for k, v in result.items() if k not in ("status", "detail", "version")}
        db.execute(
            "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?)",
            (
                item.path,
                item.size,
                item.mtime_ns,
                digest,
                status,
                result.get("detail", ""),
                json.dumps(data, ensure_ascii=False) if status == "ok" else "{}",
                int(result.get("version", 0)),
            ),
        )

    @staticmethod
    def _digest(db: sqlite3.Connection) -> str:
        digest = hashlib.sha256()
        for path, content, version in db.execute(
            "SELECT path, hash, version FROM files WHERE status='ok' ORDER BY path"
        ):
            digest.update(f"{path}\0{content}\0{version}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()[:20]

    def digest(self) -> str | None:
        """What the indexed tracks are (paths, contents, descriptor version); None before a first scan."""
        if not self.index_path.exists():
            return None
        db = self._connect()
        try:
            row = db.execute("SELECT value FROM meta WHERE key='digest'").fetchone()
            return None if row is None else str(row[0])
        finally:
            db.close()

    def tracks(self) -> list[Track]:
        """The indexed files as tracks: tags where they exist, descriptors from the audio."""
        db = self._connect()
        try:
            rows = db.execute("SELECT path, data FROM files WHERE status='ok' ORDER BY path").fetchall()
        finally:
            db.close()
        entries = [(path, json.loads(data)) for path, data in rows]
        # A track without a genre or year takes its album's (then its artist's), as taggers often leave
        # them on one track; then its folders' names ("Music/Jazz/...").
        album_genre: dict[tuple[str, str], tuple[str, str]] = {}
        artist_genre: dict[str, tuple[str, str]] = {}
        album_year: dict[tuple[str, str], int] = {}
        for _path, data in entries:
            genre = normalize_genre(data.get("genre"))
            artist, album = _artist(data), data.get("album", "")
            if genre is not None:
                album_genre.setdefault((artist, album), genre)
                artist_genre.setdefault(artist, genre)
            if data.get("year"):
                album_year.setdefault((artist, album), int(data["year"]))
        tracks = []
        for path, data in entries:
            artist, album = _artist(data), data.get("album", "")
            relative = (
                Path(path).relative_to(self.folder) if path.startswith(str(self.folder)) else Path(path)
            )
            genre = (
                normalize_genre(data.get("genre"))
                or album_genre.get((artist, album))
                or artist_genre.get(artist)
                or normalize_genre(None, [p for p in reversed(relative.parent.parts)])
                or (UNCLASSIFIED, UNCLASSIFIED)
            )
            f = data["features"]
            tracks.append(
                Track(
                    id="lib-" + hashlib.sha1(path.encode("utf-8")).hexdigest()[:16],
                    title=data.get("title") or _title_from_name(Path(path).stem),
                    artist=artist,
                    album=album,
                    genre=genre[0],
                    subgenre=genre[1],
                    year=int(data.get("year") or album_year.get((artist, album), 0)),
                    energy=float(f["energy"]),
                    valence=float(f["valence"]),
                    tempo=float(min(max(f["tempo"], 0.0), 300.0)),
                    danceability=float(f["danceability"]),
                    acousticness=float(f["acousticness"]),
                    popularity=50.0,
                    duration_ms=round(float(data.get("duration") or 0.0) * 1000),
                    preview=path,
                    preview_start=float(f["preview_start"]),
                )
            )
        return tracks

    def catalog(self) -> Catalog:
        tracks = self.tracks()
        if not tracks:
            raise LibraryError(f"{self.folder}: no playable audio files found (see the scan's report)")
        return Catalog.from_tracks(tracks, name=self.folder.name or "library")

    def skipped(self) -> list[tuple[str, str, str]]:
        """(path, reason code, detail) of every file the index holds as unusable."""
        db = self._connect()
        try:
            return list(db.execute("SELECT path, status, detail FROM files WHERE status!='ok' ORDER BY path"))
        finally:
            db.close()


def _utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by Python as lone surrogates
        return False
    return True


def _shown(path: str) -> str:
    """A path as it can be printed and stored: undecodable bytes as \\xNN."""
    return path if _utf8(path) else os.fsencode(path).decode("utf-8", "backslashreplace")


def _artist(data: dict[str, Any]) -> str:
    return str(data.get("artist") or "Unknown artist")


def _title_from_name(stem: str) -> str:
    """ "03 - Some Song" -> "Some Song": file names often lead with a track number."""
    cleaned = stem.replace("_", " ").strip()
    head, _, rest = cleaned.partition(" ")
    if head.rstrip(".-").isdigit() and rest.strip(" -."):
        cleaned = rest.strip(" -.")
    return cleaned or stem
