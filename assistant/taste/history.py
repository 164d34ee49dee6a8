"""Listening history per user in an embedded SQLite store: imported plays, likes and rejections.

Profiles are keyed by a salted hash of the profile name; the name itself is never written. Plays keep the
artist and title as exported (so a later catalogue can still match them) and the catalogue track they
matched at import, if any. Imports are streamed in batched transactions and either complete or leave
nothing behind; re-importing a file adds nothing (plays are unique per user, time, artist and title).
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.dbfile import database_problem
from assistant.events import ConversationEnded, Event, NluResult, ReplyEvent
from assistant.music.catalog import Catalog
from assistant.taste.exports import MAX_REPORTED, NOT_MUSIC, PROBE_ROWS, HistoryError, read_history_file
from assistant.taste.signals import (
    SKIP_MS,
    THROUGH_MS_UNKNOWN,
    CatalogKeys,
    ListeningSignals,
    PlayRow,
    catalog_keys,
    genre_shares,
    memo_name_key,
    signals_from_rows,
)

__all__ = ["FeedbackRecorder", "HistoryStore", "ImportReport", "UserOverview"]

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
def history_db_problem(path: Path) -> str | None:
    """None when `path` may be opened as the listening-history database, else why not. Reads only."""
    return database_problem(path, "listening-history database", {"users", "plays"}, SCHEMA_VERSION)


class HistoryStore:
    """Listening history for every profile on this machine. Opens the database on first use."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._salt: str | None = None

    def connect(self) -> sqlite3.Connection:
        if self._db is None:
            problem = history_db_problem(self.path)
            if problem is not None:  # someone else's file: left as it is
                raise HistoryError(problem)
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
        keys = catalog_keys(catalog) if catalog is not None else None
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
        keys: CatalogKeys | None,
        catalog: Catalog | None,
        import_id: int | None,
    ) -> tuple[Any, ...]:
        a_key, t_key = memo_name_key(play.artist), memo_name_key(play.title)
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

    def _count_matches(self, report: ImportReport, import_id: int | None, keys: CatalogKeys | None) -> None:
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
            (uid, p.timestamp, p.artist, p.title, memo_name_key(p.artist), memo_name_key(p.title), p.track_id,
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
