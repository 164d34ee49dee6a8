"""Listening history per user in an embedded SQLite store: imported plays, likes and rejections.

Profiles are keyed by a salted hash of the profile name; the name itself is never written. Plays keep the
artist and title as exported (so a later catalogue can still match them) and the catalogue track they
matched at import, if any. Imports are streamed in batched transactions and either complete or leave
nothing behind; re-importing a file adds nothing (plays are unique per user, time, artist and title).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import secrets
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.events import ConversationEnded, Event, NluResult, ReplyEvent
from assistant.music.catalog import Catalog
from nlu.linking import name_key

__all__ = [
    "LIKE_WEIGHT",
    "PARTIAL_WEIGHT",
    "REJECT_WEIGHT",
    "SKIP_MS",
    "SKIP_WEIGHT",
    "THROUGH_SHARE",
    "THROUGH_WEIGHT",
    "FeedbackRecorder",
    "HistoryError",
    "HistoryStore",
    "ImportReport",
    "ListeningSignals",
    "PlayRow",
    "UserOverview",
    "genre_shares",
    "parse_timestamp",
    "play_weights",
    "read_history_file",
    "signals_from_rows",
]

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS plays (
    user INTEGER NOT NULL REFERENCES users(id),
    timestamp INTEGER NOT NULL,
    artist TEXT NOT NULL,
    title TEXT NOT NULL,
    artist_key TEXT NOT NULL,
    title_key TEXT NOT NULL,
    track_id TEXT,
    ms_played INTEGER NOT NULL,
    source TEXT NOT NULL,
    import_id INTEGER,
    UNIQUE (user, timestamp, artist_key, title_key)
);
CREATE INDEX IF NOT EXISTS plays_by_import ON plays(import_id);
CREATE TABLE IF NOT EXISTS feedback (
    user INTEGER NOT NULL REFERENCES users(id),
    track_id TEXT NOT NULL,
    artist TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('like', 'reject')),
    conversation_id TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,
    UNIQUE (user, track_id, kind, conversation_id)
);
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY,
    user INTEGER NOT NULL REFERENCES users(id),
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    bad INTEGER NOT NULL DEFAULT 0
);
"""

# -- implicit feedback ----------------------------------------------------------------------------
SKIP_MS = 30_000
"""A play shorter than this was skipped early: the person heard enough to say no."""
THROUGH_SHARE = 0.6
"""A play of at least this share of the track's length counts as played through."""
THROUGH_MS_UNKNOWN = 120_000
"""Played through, for a track whose length the catalogue does not know."""
SKIP_WEIGHT = -0.3
"""Weak negative: early skips are noisy (a wrong mood, not necessarily a wrong track)."""
PARTIAL_WEIGHT = 0.3
THROUGH_WEIGHT = 1.0
LIKE_WEIGHT = 3.0
"""Accepted in a conversation: the strongest evidence the app ever gets."""
REJECT_WEIGHT = -2.0
MAX_MS_PLAYED = 24 * 3600 * 1000


@lru_cache(maxsize=1 << 16)
def _key(name: str) -> str:
    """name_key, memoized: a history repeats the same artists and titles many times over."""
    return name_key(name)


def play_weights(ms_played: np.ndarray, duration_ms: np.ndarray | None = None) -> np.ndarray:
    """Implicit-feedback weight of each play: skipped early < 0 < partly played < played through.

    `duration_ms` is the track's length where known (0 or NaN for unknown): "through" is then at least
    THROUGH_SHARE of it, otherwise at least THROUGH_MS_UNKNOWN.
    """
    ms = np.asarray(ms_played, dtype=np.float64)
    if duration_ms is None:
        through_at = np.full(ms.shape, float(THROUGH_MS_UNKNOWN))
    else:
        duration = np.nan_to_num(np.asarray(duration_ms, dtype=np.float64), nan=0.0)
        through_at = np.where(duration > 0, THROUGH_SHARE * duration, float(THROUGH_MS_UNKNOWN))
    return np.where(ms < SKIP_MS, SKIP_WEIGHT, np.where(ms >= through_at, THROUGH_WEIGHT, PARTIAL_WEIGHT))


@dataclass(frozen=True)
class PlayRow:
    """One listening event as an export describes it."""

    timestamp: int
    """Seconds since 1970-01-01 UTC."""
    artist: str
    title: str
    ms_played: int
    track_id: str | None = None
    """A catalogue track id, when the export names one (Spotify's spotify_track_uri)."""


@dataclass(frozen=True)
class ListeningSignals:
    """A user's history reduced to implicit-feedback weights over one catalogue."""

    track_weight: np.ndarray
    """(n_tracks,) summed weights of plays, likes and rejections of each catalogue track."""
    artist_weight: np.ndarray
    """(n_artists,) summed weights of plays of tracks the catalogue lacks, by artists it holds."""
    n_plays: int
    """All plays, matched or not."""
    n_skips: int
    n_through: int
    n_likes: int = 0
    n_rejects: int = 0
    n_matched: int = 0
    """Plays of tracks the catalogue holds."""
    n_artist_only: int = 0
    """Plays of other tracks by artists the catalogue holds."""

    @property
    def empty(self) -> bool:
        return not (np.any(self.track_weight) or np.any(self.artist_weight))

    @classmethod
    def none(cls, catalog: Catalog) -> ListeningSignals:
        return cls(np.zeros(len(catalog)), np.zeros(len(catalog.artist_names)), 0, 0, 0)


@dataclass
class _CatalogKeys:
    """Name keys of a catalogue, for matching exported (artist, title) pairs to its tracks."""

    tracks: dict[tuple[str, str], int]
    artists: dict[str, int]
    ids: dict[str, int]

    @classmethod
    def of(cls, catalog: Catalog) -> _CatalogKeys:
        tracks: dict[tuple[str, str], int] = {}
        for i, t in enumerate(catalog.tracks):
            tracks.setdefault((name_key(t.artist), name_key(t.title)), i)
        artists: dict[str, int] = {}
        for a, name in enumerate(catalog.artist_names):
            artists.setdefault(name_key(name), a)
        return cls(tracks, artists, dict(catalog.index))


_KEYS_CACHE: dict[int, tuple[Catalog, _CatalogKeys]] = {}


def _keys_for(catalog: Catalog) -> _CatalogKeys:
    cached = _KEYS_CACHE.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        if len(_KEYS_CACHE) > 8:
            _KEYS_CACHE.clear()
        cached = (catalog, _CatalogKeys.of(catalog))
        _KEYS_CACHE[id(catalog)] = cached
    return cached[1]


def signals_from_rows(
    rows: Iterable[tuple[str | None, str, str, int, int]],
    catalog: Catalog,
    feedback: Iterable[tuple[str, str]] = (),
) -> ListeningSignals:
    """Aggregate plays into signals. Each row: (track_id or None, artist_key, title_key, ms_played, count).

    A play is matched by track id, else by (artist, title) keys; a play of a track the catalogue lacks
    by an artist it holds counts for the artist. `feedback` holds (track_id, "like" | "reject").
    """
    keys = _keys_for(catalog)
    track_idx: list[int] = []
    artist_idx: list[int] = []
    ms: list[float] = []
    counts: list[float] = []
    n_plays = 0
    for track_id, artist_key, title_key, ms_played, count in rows:
        n_plays += count
        i = keys.ids.get(track_id, -1) if track_id else -1
        if i < 0:
            i = keys.tracks.get((artist_key, title_key), -1)
        track_idx.append(i)
        artist_idx.append(-1 if i >= 0 else keys.artists.get(artist_key, -1))
        ms.append(ms_played)
        counts.append(count)
    t_idx = np.asarray(track_idx, dtype=np.int64)
    a_idx = np.asarray(artist_idx, dtype=np.int64)
    ms_arr = np.asarray(ms, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    durations = np.zeros(len(t_idx))
    matched = t_idx >= 0
    if matched.any():
        durations[matched] = [catalog.tracks[i].duration_ms for i in t_idx[matched]]
    base = play_weights(ms_arr, durations)
    w = base * n
    track_weight = np.bincount(t_idx[matched], weights=w[matched], minlength=len(catalog)).astype(np.float64)
    by_artist = a_idx >= 0
    artist_weight = np.bincount(
        a_idx[by_artist], weights=w[by_artist], minlength=len(catalog.artist_names)
    ).astype(np.float64)
    n_likes = n_rejects = 0
    for track_id, kind in feedback:
        found = keys.ids.get(track_id)
        if found is None:
            continue
        i = found
        if kind == "like":
            track_weight[i] += LIKE_WEIGHT
            n_likes += 1
        elif kind == "reject":
            track_weight[i] += REJECT_WEIGHT
            n_rejects += 1
    through = base == THROUGH_WEIGHT
    return ListeningSignals(
        track_weight,
        artist_weight,
        n_plays,
        n_skips=int(n[ms_arr < SKIP_MS].sum()),
        n_through=int(n[through].sum()),
        n_likes=n_likes,
        n_rejects=n_rejects,
        n_matched=int(n[matched].sum()),
        n_artist_only=int(n[by_artist].sum()),
    )


# -- import parsing -------------------------------------------------------------------------------
class HistoryError(ValueError):
    """A history file or database that cannot be used; the message names it and says what to do."""


COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "ts", "endtime", "end_time", "played_at", "time", "date", "datetime"),
    "artist": (
        "artist",
        "artistname",
        "artist_name",
        "master_metadata_album_artist_name",
        "track_artist",
    ),
    "title": ("track", "trackname", "track_name", "title", "master_metadata_track_name", "song"),
    "ms_played": ("ms_played", "msplayed", "ms", "duration_played_ms", "play_duration_ms"),
    "track_uri": ("spotify_track_uri", "track_uri", "uri", "track_id"),
}
REQUIRED = ("timestamp", "artist", "title", "ms_played")
MAX_FIELD = 10_000
"""Longer fields are junk (a binary file, an unclosed quote swallowing lines); such rows are skipped."""
MAX_LINE_CHARS = 100_000
"""A longer physical line is not read into memory whole: it is skipped in chunks and reported."""
MAX_REPORTED = 20
PROBE_ROWS = 500
"""Rows read before the first write: enough to tell a listening history from the wrong file."""


def _columns(header: list[str]) -> dict[str, int]:
    normalized = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    found: dict[str, int] = {}
    for column, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in normalized:
                found[column] = normalized.index(alias)
                break
    return found


def parse_timestamp(raw: object) -> int:
    """Seconds since the epoch (UTC) from ISO 8601 ("2023-01-05T12:34:56Z", "2023-01-05 12:34") or a
    number of seconds or milliseconds since the epoch."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError("timestamp is empty")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            raise ValueError("timestamp is empty")
        try:
            value = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text.replace(" UTC", "").replace("/", "-"))
            except ValueError:
                raise ValueError(f"timestamp {text[:40]!r} is not a date and time") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            value = moment.timestamp()
    if value > 1e11:  # milliseconds
        value /= 1000.0
    if not 631_152_000 <= value <= 4_102_444_800:  # 1990 .. 2100
        raise ValueError(f"timestamp {raw!r} is outside 1990..2100")
    return int(value)


def _parse_ms(raw: object) -> int:
    if isinstance(raw, bool) or raw is None or raw == "":
        raise ValueError("ms_played is empty")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"ms_played {str(raw)[:40]!r} is not a number") from None
    if not 0 <= value <= MAX_MS_PLAYED:
        raise ValueError(f"ms_played {raw!r} is outside 0..{MAX_MS_PLAYED} (one day)")
    return int(value)


def _clean(raw: object, column: str) -> str:
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise ValueError(f"{column} is empty")
    if len(text) > 500:
        raise ValueError(f"{column} is {len(text)} characters long")
    return text


def _row(timestamp: object, artist: object, title: object, ms: object, uri: object = None) -> PlayRow:
    track_id = None
    if isinstance(uri, str) and uri.strip():
        track_id = uri.strip().rsplit(":", 1)[-1]
    return PlayRow(
        parse_timestamp(timestamp), _clean(artist, "artist"), _clean(title, "track"), _parse_ms(ms), track_id
    )


# One parsed record: (line number, the play or None, the problem or None, not music).
Record = tuple[int, PlayRow | None, str | None]
NOT_MUSIC = "not music (a podcast episode or audiobook)"


def _bounded_lines(handle: io.TextIOBase, overlong: set[int]) -> Iterator[str]:
    """Physical lines, each read with a length bound; an overlong line is drained in chunks and stands
    in as an empty line whose number is noted, so line numbers stay right."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE_CHARS)
        if not line:
            return
        number += 1
        if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
            while True:
                rest = handle.readline(MAX_LINE_CHARS)
                if not rest or rest.endswith("\n"):
                    break
            overlong.add(number)
            yield "\n"
            continue
        yield line


def _csv_records(path: Path, handle: io.TextIOBase) -> Iterator[Record]:
    overlong: set[int] = set()
    lines = _bounded_lines(handle, overlong)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise HistoryError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise HistoryError(f"{path}, line 1: not a CSV header: {exc}") from exc
    columns = _columns(header)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        shown = ", ".join(h[:30] for h in header[:8]) or "nothing"
        raise HistoryError(
            f"{path}, line 1: no {', '.join(missing)} column (found: {shown}); expected a streaming-service "
            "export with columns like timestamp, artist, track, ms_played"
        )
    width = len(header)
    errors_in_a_row = 0
    while True:
        try:
            fields = next(reader)
            errors_in_a_row = 0
        except StopIteration:
            return
        except csv.Error as exc:
            errors_in_a_row += 1
            if errors_in_a_row > 1000:
                raise HistoryError(f"{path}, line {reader.line_num}: unreadable as CSV ({exc})") from exc
            yield reader.line_num, None, f"malformed CSV: {exc}"
            continue
        line = reader.line_num
        if line in overlong:
            yield line, None, f"line longer than {MAX_LINE_CHARS} characters"
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) != width:
            yield line, None, f"{len(fields)} fields where the header has {width}"
            continue
        if any(len(f) > MAX_FIELD for f in fields):
            yield line, None, f"a field longer than {MAX_FIELD} characters"
            continue
        try:
            play = _row(
                fields[columns["timestamp"]],
                fields[columns["artist"]],
                fields[columns["title"]],
                fields[columns["ms_played"]],
                fields[columns["track_uri"]] if "track_uri" in columns else None,
            )
        except ValueError as exc:
            yield line, None, str(exc)
            continue
        yield line, play, None


def _json_record(line: int, obj: object) -> Record:
    if not isinstance(obj, dict):
        return line, None, f"expected an object, found {type(obj).__name__}"
    keys = {k.lower(): k for k in obj if isinstance(k, str)}

    def get(column: str) -> object:
        for alias in COLUMN_ALIASES[column]:
            if alias in keys:
                return obj[keys[alias]]
        return None

    artist, title = get("artist"), get("title")
    if not artist and not title and (obj.get("episode_name") or obj.get("audiobook_title")):
        return line, None, NOT_MUSIC
    try:
        return line, _row(get("timestamp"), artist, title, get("ms_played"), get("track_uri")), None
    except ValueError as exc:
        return line, None, str(exc)


def _json_lines_records(handle: io.TextIOBase) -> Iterator[Record]:
    """JSON Lines: one object per line."""
    overlong: set[int] = set()
    for number, text in enumerate(_bounded_lines(handle, overlong), start=1):
        if number in overlong:
            yield number, None, f"line longer than {MAX_LINE_CHARS} characters"
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, None, f"malformed JSON: {exc.msg}"
            continue
        yield _json_record(number, obj)


def _json_array_records(handle: io.TextIOBase) -> Iterator[Record]:
    """Objects of a top-level JSON array (Spotify's export layouts), decoded one at a time from a
    sliding buffer so that a large file never sits in memory whole."""
    decoder = json.JSONDecoder()
    buffer = ""
    pos = 0
    line = 1  # the line number at `pos`
    eof = False

    def fill() -> bool:
        nonlocal buffer, pos, eof
        if pos > 0:  # drop what was decoded: keep the buffer small
            buffer, pos = buffer[pos:], 0
        chunk = handle.read(1 << 16)
        if not chunk:
            eof = True
            return False
        buffer += chunk
        return True

    def skip(chars: str) -> None:
        nonlocal pos, line
        while True:
            while pos < len(buffer) and buffer[pos] in chars:
                line += buffer[pos] == "\n"
                pos += 1
            if pos < len(buffer) or not fill():
                return

    skip(" \t\r\n")
    pos += 1  # the opening bracket, checked by the caller
    while True:
        skip(" \t\r\n,")
        if pos >= len(buffer):
            yield line, None, "the JSON array is not closed (a truncated file?)"
            return
        if buffer[pos] == "]":
            return
        while True:
            try:
                obj, end = decoder.raw_decode(buffer, pos)
                break
            except json.JSONDecodeError as exc:
                if eof or len(buffer) - pos > MAX_LINE_CHARS:
                    # Nothing after a syntax error can be trusted to line up: stop reading here.
                    where = line + buffer.count("\n", pos, exc.pos)
                    yield where, None, f"malformed JSON ({exc.msg}); the rest of the file was not read"
                    return
                fill()
        yield _json_record(line, obj)
        line += buffer.count("\n", pos, end)
        pos = end


def read_history_file(path: str | Path) -> Iterator[Record]:
    """Stream (line, play, problem) records from a CSV or JSON export. Raises HistoryError when the file
    as a whole cannot be a listening history (missing, unreadable, no usable header)."""
    path = Path(path)
    if not path.is_file():
        raise HistoryError(f"{path}: no such file")
    try:
        handle = path.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise HistoryError(f"{path}: cannot open: {exc.strerror}") from exc
    with handle:
        head = handle.read(4096)
        handle.seek(0)
        if "\x00" in head:
            raise HistoryError(f"{path}: a binary file, not a listening-history export")
        first = head.lstrip()[:1]
        if first == "[":
            yield from _json_array_records(handle)
        elif first == "{":
            yield from _json_lines_records(handle)
        elif path.suffix.lower() in (".json", ".jsonl", ".ndjson"):
            raise HistoryError(
                f"{path}: not a JSON array or JSON Lines of plays; expected a streaming-service export"
            )
        else:
            yield from _csv_records(path, handle)


@dataclass
class ImportReport:
    """What an import did, and the rows it could not use (the first MAX_REPORTED of them)."""

    path: str
    records: int = 0
    added: int = 0
    duplicates: int = 0
    not_music: int = 0
    bad: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    matched: int = 0
    """Added plays of tracks the catalogue holds."""
    artist_only: int = 0
    """Added plays of other tracks by artists the catalogue holds."""

    def lines(self) -> list[str]:
        out = [
            f"{self.path}: {self.records} records read; {self.added} plays added, "
            f"{self.duplicates} already stored, {self.bad} unusable rows skipped"
            + (f", {self.not_music} non-music entries ignored" if self.not_music else ""),
            f"  matched to the catalogue: {self.matched} plays by track, {self.artist_only} more by artist",
        ]
        for line, problem in self.bad_rows:
            out.append(f"  line {line}: {problem}")
        if self.bad > len(self.bad_rows):
            out.append(f"  ... and {self.bad - len(self.bad_rows)} more unusable rows")
        return out


@dataclass(frozen=True)
class UserOverview:
    """What `history show` prints."""

    n_plays: int
    n_skips: int
    n_through: int
    n_likes: int
    n_rejects: int
    first: int | None
    last: int | None
    top_artists: list[tuple[str, int]]
    top_genres: list[tuple[str, float]]
    """(genre, share of matched plays)."""
    matched_share: float
    """Share of plays matched to the catalogue by track or by artist."""


# -- the store ------------------------------------------------------------------------------------
class HistoryStore:
    """Listening history for every profile on this machine. Opens the database on first use."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._salt: str | None = None

    def connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                # Forgotten listening history is overwritten on disk, not merely unlinked.
                db.execute("PRAGMA secure_delete=ON")
                db.executescript(SCHEMA)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                self._salt = db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                raise HistoryError(
                    f"{self.path}: the listening-history database is unreadable ({exc}); move it aside to "
                    "start a new one"
                ) from exc
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- users ------------------------------------------------------------------------------------
    def user_hash(self, user: str) -> str:
        if not user:
            raise HistoryError("a profile name is needed (--user NAME)")
        self.connect()
        return hashlib.sha256(f"{self._salt}:{user}".encode()).hexdigest()[:24]

    def _user_id(self, user: str, *, create: bool) -> int | None:
        db = self.connect()
        digest = self.user_hash(user)
        row = db.execute("SELECT id FROM users WHERE hash=?", (digest,)).fetchone()
        if row is None and create:
            db.execute("INSERT OR IGNORE INTO users (hash, created_at) VALUES (?, ?)", (digest, time.time()))
            row = db.execute("SELECT id FROM users WHERE hash=?", (digest,)).fetchone()
        return None if row is None else int(row[0])

    def version(self, user: str) -> int:
        """Changes whenever the user's history does: a cache key for derived affinity."""
        uid = self._user_id(user, create=False)
        if uid is None:
            return -1
        return int(self.connect().execute("SELECT version FROM users WHERE id=?", (uid,)).fetchone()[0])

    def has_history(self, user: str) -> bool:
        uid = self._user_id(user, create=False)
        if uid is None:
            return False
        db = self.connect()
        return bool(
            db.execute("SELECT 1 FROM plays WHERE user=? LIMIT 1", (uid,)).fetchone()
            or db.execute("SELECT 1 FROM feedback WHERE user=? LIMIT 1", (uid,)).fetchone()
        )

    # -- writing ----------------------------------------------------------------------------------
    def import_file(
        self,
        user: str,
        path: str | Path,
        catalog: Catalog | None = None,
        *,
        max_bad_share: float = 0.5,
        batch_size: int = 5000,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Stream a CSV/JSON export into the user's history.

        Rows that cannot be used are skipped and reported by line. If more than `max_bad_share` of the
        rows are unusable the file is rejected (HistoryError) and this import's plays are removed again;
        plays stored before are never touched. Plays already stored are not added twice.
        """
        path = Path(path)
        report = ImportReport(str(path))
        records = read_history_file(path)
        first = next(records, None)  # a file that is not a history at all fails here, before any write
        if first is None:
            raise HistoryError(f"{path}: no plays in the file; nothing was imported")
        records = itertools.chain([first], records)
        db = self.connect()
        uid = self._user_id(user, create=True)
        keys = _keys_for(catalog) if catalog is not None else None
        cursor = db.execute(
            "INSERT INTO imports (user, started_at, status) VALUES (?, ?, 'running')", (uid, time.time())
        )
        import_id = cursor.lastrowid
        pending: list[tuple[Any, ...]] = []
        probed = False

        def check(final: bool) -> None:
            usable = report.records - report.not_music
            if usable and report.bad > max_bad_share * usable:
                line, problem = report.bad_rows[0]
                where = "" if final else f" of the first {usable}"
                raise HistoryError(
                    f"{path}: {report.bad}{where} rows unusable (line {line}: {problem}); is this a "
                    "listening-history export? Nothing from it was imported."
                )
            if final and usable == 0:
                raise HistoryError(f"{path}: no plays in the file; nothing was imported")

        def flush() -> None:
            if not pending:
                return
            with db:
                db.execute("BEGIN")
                before = db.total_changes
                db.executemany(
                    "INSERT OR IGNORE INTO plays (user, timestamp, artist, title, artist_key, title_key, "
                    "track_id, ms_played, source, import_id) VALUES (?,?,?,?,?,?,?,?,'import',?)",
                    pending,
                )
                added = db.total_changes - before
            report.added += added
            report.duplicates += len(pending) - added
            pending.clear()

        try:
            for line, play, problem in records:
                report.records += 1
                if play is not None:
                    pending.append(self._play_row(uid, play, keys, catalog, import_id))
                elif problem == NOT_MUSIC:
                    report.not_music += 1
                else:
                    report.bad += 1
                    if len(report.bad_rows) < MAX_REPORTED:
                        report.bad_rows.append((line, problem or "unusable"))
                if not probed and report.records >= PROBE_ROWS:
                    check(final=False)
                    probed = True
                if probed and len(pending) >= batch_size:
                    flush()
                    if progress is not None:
                        progress(report.records)
            check(final=True)
            flush()
        except BaseException:
            # Either the whole file or none of it: remove what this import added, keep everything else.
            pending.clear()
            with db:
                db.execute("BEGIN")
                db.execute("DELETE FROM plays WHERE import_id=?", (import_id,))
                db.execute(
                    "UPDATE imports SET status='rejected', finished_at=?, records=?, bad=? WHERE id=?",
                    (time.time(), report.records, report.bad, import_id),
                )
            raise
        self._count_matches(report, import_id, keys)
        with db:
            db.execute("BEGIN")
            db.execute(
                "UPDATE imports SET status='done', finished_at=?, records=?, added=?, duplicates=?, bad=? "
                "WHERE id=?",
                (time.time(), report.records, report.added, report.duplicates, report.bad, import_id),
            )
            db.execute("UPDATE users SET version=version+1 WHERE id=?", (uid,))
        return report

    @staticmethod
    def _play_row(
        uid: int | None,
        play: PlayRow,
        keys: _CatalogKeys | None,
        catalog: Catalog | None,
        import_id: int | None,
    ) -> tuple[Any, ...]:
        a_key, t_key = _key(play.artist), _key(play.title)
        track_id = None
        if keys is not None and catalog is not None:
            i = keys.ids.get(play.track_id, -1) if play.track_id else -1
            if i < 0:
                i = keys.tracks.get((a_key, t_key), -1)
            track_id = catalog.tracks[i].id if i >= 0 else None
        return (
            uid,
            play.timestamp,
            play.artist,
            play.title,
            a_key,
            t_key,
            track_id,
            play.ms_played,
            import_id,
        )

    def _count_matches(self, report: ImportReport, import_id: int | None, keys: _CatalogKeys | None) -> None:
        if keys is None:
            return
        db = self.connect()
        report.matched = db.execute(
            "SELECT count(*) FROM plays WHERE import_id=? AND track_id IS NOT NULL", (import_id,)
        ).fetchone()[0]
        by_artist = db.execute(
            "SELECT artist_key, count(*) FROM plays WHERE import_id=? AND track_id IS NULL "
            "GROUP BY artist_key",
            (import_id,),
        )
        report.artist_only = sum(n for key, n in by_artist if key in keys.artists)

    def add_plays(self, user: str, plays: Iterable[PlayRow], source: str = "import") -> int:
        """Add plays directly (the simulator, tests); returns how many were new."""
        db = self.connect()
        uid = self._user_id(user, create=True)
        rows = [
            (uid, p.timestamp, p.artist, p.title, _key(p.artist), _key(p.title), p.track_id,
             p.ms_played, source)
            for p in plays
        ]  # fmt: skip
        with db:
            db.execute("BEGIN")
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO plays (user, timestamp, artist, title, artist_key, title_key, "
                "track_id, ms_played, source) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )
            added = db.total_changes - before
            db.execute("UPDATE users SET version=version+1 WHERE id=?", (uid,))
        return added

    def record_feedback(
        self,
        user: str,
        track_id: str,
        kind: str,
        conversation_id: str = "",
        artist: str = "",
        title: str = "",
    ) -> None:
        """A like (accepted in a conversation) or a rejection (a sample turned down)."""
        if kind not in ("like", "reject"):
            raise ValueError(f"feedback kind must be 'like' or 'reject', not {kind!r}")
        db = self.connect()
        uid = self._user_id(user, create=True)
        with db:
            db.execute("BEGIN")
            db.execute(
                "INSERT OR IGNORE INTO feedback (user, track_id, artist, title, kind, conversation_id, at) "
                "VALUES (?,?,?,?,?,?,?)",
                (uid, track_id, artist, title, kind, conversation_id, time.time()),
            )
            db.execute("UPDATE users SET version=version+1 WHERE id=?", (uid,))

    def forget(self, user: str) -> dict[str, int]:
        """Delete everything stored for this profile; returns how many plays, feedback and imports went."""
        db = self.connect()
        uid = self._user_id(user, create=False)
        counts = {"plays": 0, "feedback": 0, "imports": 0}
        if uid is None:
            return counts
        with db:
            db.execute("BEGIN")
            for table in counts:
                counts[table] = db.execute(f"DELETE FROM {table} WHERE user=?", (uid,)).rowcount
            db.execute("DELETE FROM users WHERE id=?", (uid,))
        # Fold the write-ahead log back so the deleted pages do not linger in the -wal file either.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts

    # -- reading ----------------------------------------------------------------------------------
    def signals(self, user: str, catalog: Catalog) -> ListeningSignals:
        """The user's history as implicit-feedback weights over `catalog` (empty for an unknown user)."""
        uid = self._user_id(user, create=False)
        if uid is None:
            return ListeningSignals.none(catalog)
        db = self.connect()
        # Aggregate in SQL by track and by second played: a long history becomes a few thousand rows.
        rows = db.execute(
            "SELECT max(track_id), artist_key, title_key, ms_played / 1000 * 1000 + 500, count(*) "
            "FROM plays WHERE user=? GROUP BY artist_key, title_key, ms_played / 1000",
            (uid,),
        )
        feedback = db.execute("SELECT track_id, kind FROM feedback WHERE user=?", (uid,)).fetchall()
        return signals_from_rows(rows, catalog, feedback)

    def overview(self, user: str, catalog: Catalog | None = None, top: int = 5) -> UserOverview | None:
        uid = self._user_id(user, create=False)
        if uid is None:
            return None
        db = self.connect()
        n, n_skips, first, last = db.execute(
            "SELECT count(*), coalesce(sum(ms_played < ?), 0), min(timestamp), max(timestamp) "
            "FROM plays WHERE user=?",
            (SKIP_MS, uid),
        ).fetchone()
        likes = db.execute("SELECT count(*) FROM feedback WHERE user=? AND kind='like'", (uid,)).fetchone()[0]
        rejects = db.execute(
            "SELECT count(*) FROM feedback WHERE user=? AND kind='reject'", (uid,)
        ).fetchone()[0]
        artists = db.execute(
            "SELECT max(artist), count(*) AS n FROM plays WHERE user=? AND ms_played >= ? "
            "GROUP BY artist_key ORDER BY n DESC, max(artist) LIMIT ?",
            (uid, SKIP_MS, top),
        ).fetchall()
        genres: list[tuple[str, float]] = []
        matched_share = 0.0
        n_through = 0
        if catalog is not None:
            signals = self.signals(user, catalog)
            n_through = signals.n_through
            genres = genre_shares(signals, catalog)[:top]
            matched_share = (signals.n_matched + signals.n_artist_only) / max(n, 1)
        else:
            n_through = db.execute(
                "SELECT count(*) FROM plays WHERE user=? AND ms_played >= ?", (uid, THROUGH_MS_UNKNOWN)
            ).fetchone()[0]
        return UserOverview(
            int(n),
            int(n_skips),
            int(n_through),
            int(likes),
            int(rejects),
            first,
            last,
            [(a, int(c)) for a, c in artists],
            genres,
            matched_share,
        )


def genre_shares(signals: ListeningSignals, catalog: Catalog) -> list[tuple[str, float]]:
    """Genres by share of positive listening (tracks, and artists' usual genres)."""
    positive = np.clip(signals.track_weight, 0, None)
    per_genre = np.bincount(catalog.genre_ids, weights=positive, minlength=len(catalog.genre_names))
    artist_pos = np.clip(signals.artist_weight, 0, None)
    if artist_pos.any():
        # An artist's plays count for the genres of that artist's catalogue tracks, in proportion.
        per_artist = np.bincount(catalog.artist_ids, minlength=len(catalog.artist_names)).astype(float)
        share = artist_pos[catalog.artist_ids] / np.maximum(per_artist[catalog.artist_ids], 1)
        per_genre += np.bincount(catalog.genre_ids, weights=share, minlength=len(catalog.genre_names))
    total = per_genre.sum()
    if total <= 0:
        return []
    order = np.argsort(-per_genre, kind="stable")
    return [(catalog.genre_names[g], float(per_genre[g] / total)) for g in order if per_genre[g] > 0]


# -- conversations into history -------------------------------------------------------------------
class FeedbackRecorder:
    """An event sink that records a conversation's verdicts into the listening history: the accepted
    track as a like, each sample turned down ("no", "skip", "something else") as a rejection.

    A write that fails is reported once and the conversation goes on without recording.
    """

    DECLINES = frozenset({"reject", "skip", "request_alternative"})

    def __init__(
        self,
        store: HistoryStore,
        user: str,
        catalog: Catalog | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.user = user
        self.catalog = catalog
        self._warn = warn or (lambda message: print(f"tunetalk: {message}", file=sys.stderr))
        self._pending: dict[str, str] = {}
        """conversation id -> the sample awaiting a verdict."""
        self._failed = False

    def __call__(self, event: Event) -> None:
        if self._failed:
            return
        try:
            self._handle(event)
        except (sqlite3.Error, OSError, HistoryError) as exc:
            self._failed = True
            self._warn(f"could not record feedback into the listening history {self.store.path}: {exc}")

    def _handle(self, event: Event) -> None:
        cid = event.conversation_id
        if isinstance(event, ReplyEvent):
            if event.action == "play_sample" and event.sample_id:
                self._pending[cid] = event.sample_id
            elif event.action not in ("repeat", "confirm", "answer"):
                self._pending.pop(cid, None)
        elif isinstance(event, NluResult):
            sample = self._pending.get(cid)
            if sample is not None and event.understanding.act.value in self.DECLINES:
                self._record(sample, "reject", cid)
                self._pending.pop(cid, None)
        elif isinstance(event, ConversationEnded):
            self._pending.pop(cid, None)
            if event.status == "accepted" and event.track_id:
                self._record(event.track_id, "like", cid)

    def _record(self, track_id: str, kind: str, conversation_id: str) -> None:
        track = self.catalog.get(track_id) if self.catalog is not None else None
        self.store.record_feedback(
            self.user,
            track_id,
            kind,
            conversation_id,
            track.artist if track else "",
            track.title if track else "",
        )
