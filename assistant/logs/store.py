"""The conversation log: an embedded SQLite store (WAL, one transaction per turn), exportable to Parquet.

Anonymized by construction: user text and reply text are kept only when asked (--log-text); profile
names are stored as a salted hash whose salt never leaves this database. A write that fails is reported
once and the conversation goes on: losing the log must not lose the music.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from assistant.dbfile import database_problem
from assistant.events import (
    ConversationEnded,
    ConversationStarted,
    Decision,
    ErrorEvent,
    Event,
    NluResult,
    Playback,
    ReplyEvent,
    Resolved,
    TurnStarted,
)

__all__ = [
    "SCHEMA_VERSION",
    "LogError",
    "LogStore",
    "export_parquet",
    "interleaved_conversations",
    "log_problem",
    "understanding_record",
]

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    user_hash TEXT,
    policy TEXT NOT NULL,
    catalog TEXT NOT NULL,
    seed INTEGER,
    status TEXT NOT NULL DEFAULT 'active',
    track_id TEXT,
    station TEXT,
    n_turns INTEGER NOT NULL DEFAULT 0,
    started_at REAL NOT NULL,
    ended_at REAL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    turn INTEGER NOT NULL,
    user_text TEXT,
    understanding TEXT NOT NULL,
    act TEXT NOT NULL,
    action TEXT,
    propensity REAL,
    probabilities TEXT,
    features TEXT,
    scores TEXT,
    policy TEXT,
    reply_action TEXT NOT NULL,
    reply_text TEXT,
    empathy TEXT,
    closeness REAL,
    sample_id TEXT,
    errors TEXT,
    logged_at REAL NOT NULL,
    PRIMARY KEY (conversation_id, turn)
);
CREATE INDEX IF NOT EXISTS turns_by_action ON turns(action);
"""


def understanding_record(understanding: dict[str, Any] | None, resolved: Resolved | None) -> dict[str, Any]:
    """The `understanding` JSON of a turn: the NLU output as heard, plus, when the manager read it
    differently in context, "resolved" (the slots it applied, in the format of "slots") and
    "resolved_by" (why). Extra keys inside the JSON column rather than new columns, so the schema stays
    at SCHEMA_VERSION and logs written before this (no "resolved" key) read as they always did."""
    record: dict[str, Any] = (
        dict(understanding) if understanding is not None else {"act": "unclear", "slots": []}
    )
    if resolved is not None:
        record["resolved"] = [s.to_dict() for s in resolved.slots]
        record["resolved_by"] = resolved.reason
    return record


class LogError(RuntimeError):
    """The log cannot be opened or read; the message says what to do."""


def log_problem(path: Path) -> str | None:
    """None when `path` may be opened as a conversation log (absent, empty, or a tunetalk log), else why
    not, naming the file. Reads only."""
    return database_problem(path, "conversation log", {"conversations", "turns"}, SCHEMA_VERSION)


class LogStore:
    """An event sink that persists conversations. Opens the database on first use."""

    def __init__(self, path: str | Path, *, log_text: bool = False, warn: Any = None) -> None:
        self.path = Path(path)
        self.log_text = log_text
        self._warn = warn or (lambda message: print(f"tunetalk: {message}", file=sys.stderr))
        self._db: sqlite3.Connection | None = None
        self._turn: dict[str, Any] = {}
        self._station: dict[str, list[str]] = {}
        self._failed = False

    # -- connection -------------------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        """Open (or create) the log. Raises LogError, leaving the file as it is, when the file is not
        recognisably a tunetalk log: it may be anything of the user's."""
        if self._db is not None:
            return self._db
        problem = log_problem(self.path)
        if problem is not None:
            raise LogError(problem)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open(self.path)
        except sqlite3.DatabaseError as exc:
            # Ours (its schema says so) but damaged: set aside, not deleted, so it can still be recovered.
            aside = self.path.with_suffix(self.path.suffix + f".corrupt-{int(time.time())}")
            self.path.rename(aside)
            self._warn(
                f"the log {self.path} was unreadable ({exc}); moved it to {aside.name} and started a new one"
            )
            self._db = self._open(self.path)
        return self._db

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a crashed or killed process in WAL mode; only power loss can drop the
        # last transactions, and a conversation log does not warrant an fsync per turn.
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
        db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        db.execute("SELECT count(*) FROM conversations").fetchone()  # fails now if the file is not a db
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def user_hash(self, user: str | None) -> str | None:
        if not user:
            return None
        salt = self.connect().execute("SELECT value FROM meta WHERE key='salt'").fetchone()[0]
        return hashlib.sha256(f"{salt}:{user}".encode()).hexdigest()[:20]

    # -- the sink ---------------------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        if self._failed:
            return
        try:
            self._handle(event)
        except LogError as exc:
            self._failed = True
            self._warn(f"{exc}; continuing without logging")
        except (sqlite3.Error, OSError) as exc:
            self._failed = True
            self._warn(f"could not write the conversation log {self.path}: {exc}; continuing without logging")

    def _handle(self, event: Event) -> None:
        if isinstance(event, ConversationStarted):
            db = self.connect()
            with db:
                db.execute("BEGIN")
                db.execute(
                    "INSERT OR REPLACE INTO conversations (id, user_hash, policy, catalog, seed, started_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        event.conversation_id,
                        self.user_hash(event.user),
                        event.policy,
                        event.catalog,
                        event.seed,
                        time.time(),
                    ),
                )
        elif isinstance(event, TurnStarted):
            self._turn = {
                "turn": event.turn,
                "user_text": event.text if self.log_text else None,
                "errors": [],
            }
        elif isinstance(event, NluResult):
            self._turn["understanding"] = event.understanding.to_dict()
        elif isinstance(event, Resolved):
            self._turn["resolved"] = event
        elif isinstance(event, Decision):
            self._turn["decision"] = event
        elif isinstance(event, ErrorEvent):
            self._turn.setdefault("errors", []).append({"stage": event.stage, "code": event.code})
        elif isinstance(event, ReplyEvent):
            self._write_turn(event)
        elif isinstance(event, Playback) and event.kind == "station":
            self._station[event.conversation_id] = list(event.station)
        elif isinstance(event, ConversationEnded):
            db = self.connect()
            station = self._station.pop(event.conversation_id, None)
            with db:
                db.execute("BEGIN")
                db.execute(
                    "UPDATE conversations SET status=?, track_id=?, station=?, ended_at=? WHERE id=?",
                    (
                        event.status,
                        event.track_id,
                        json.dumps(station) if station else None,
                        time.time(),
                        event.conversation_id,
                    ),
                )

    def _write_turn(self, reply: ReplyEvent) -> None:
        turn, self._turn = self._turn, {}
        decision: Decision | None = turn.get("decision")
        understanding = understanding_record(turn.get("understanding"), turn.get("resolved"))
        db = self.connect()
        with db:  # one transaction per turn: a killed process keeps every turn written before it
            db.execute("BEGIN")
            db.execute(
                "INSERT OR REPLACE INTO turns (conversation_id, turn, user_text, understanding, act, action, "
                "propensity, probabilities, features, scores, policy, reply_action, reply_text, empathy, "
                "closeness, sample_id, errors, logged_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    reply.conversation_id,
                    reply.turn,
                    turn.get("user_text"),
                    json.dumps(understanding),
                    understanding["act"],
                    decision.action if decision else None,
                    decision.propensity if decision else None,
                    json.dumps(decision.probabilities) if decision else None,
                    json.dumps(decision.features) if decision else None,
                    json.dumps(decision.scores) if decision else None,
                    decision.policy if decision else None,
                    reply.action,
                    reply.text if self.log_text else None,
                    reply.empathy,
                    reply.closeness,
                    reply.sample_id,
                    json.dumps(turn["errors"]) if turn.get("errors") else None,
                    time.time(),
                ),
            )
            db.execute("UPDATE conversations SET n_turns=? WHERE id=?", (reply.turn, reply.conversation_id))

    # -- reading ----------------------------------------------------------------------------------
    def interleaved(self) -> dict[str, str]:
        """Conversations whose turns interleave (see `interleaved_conversations`): id -> what shows it."""
        db = self.connect()
        turns = (
            {"conversation_id": c, "turn": t, "logged_at": at}
            for c, t, at in db.execute("SELECT conversation_id, turn, logged_at FROM turns")
        )
        return interleaved_conversations(self.conversations(), turns)

    def conversations(self) -> list[dict[str, Any]]:
        db = self.connect()
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute("SELECT * FROM conversations ORDER BY started_at, id")]
        finally:
            db.row_factory = None

    def turns(self, conversation_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Turns in order, JSON columns decoded."""
        db = self.connect()
        query = "SELECT * FROM turns"
        params: tuple[Any, ...] = ()
        if conversation_id is not None:
            query += " WHERE conversation_id=?"
            params = (conversation_id,)
        cursor = db.execute(query + " ORDER BY conversation_id, turn", params)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            record = dict(zip(names, row, strict=True))
            for key in ("understanding", "probabilities", "features", "scores", "errors"):
                if record[key] is not None:
                    record[key] = json.loads(record[key])
            yield record


def interleaved_conversations(
    conversations: Iterable[dict[str, Any]], turns: Iterable[dict[str, Any]]
) -> dict[str, str]:
    """Conversations whose turns belong to more than one conversation: id -> what shows it.

    Versions before ids were drawn independently of the seed gave every replay with the same seed (and the
    first conversation of every UI or voice run) the same id, so a log can hold several conversations
    under one id, each start replacing the conversation's row and each turn replacing the turn with its
    number. What is left mixes them, and shows as: a second record of the id; turns logged before the
    conversation's (last) start; turn numbers that restart in the order they were logged; turns past the
    conversation's recorded length. `turns` in the order they were stored; `logged_at` is used when
    present (the app's log), else that order (simulated and exported tables)."""
    found: dict[str, str] = {}
    started: dict[str, float | None] = {}
    length: dict[str, int | None] = {}
    for c in conversations:
        cid = str(c["id"])
        if cid in started:
            found.setdefault(cid, "two conversation records")
        started[cid] = c.get("started_at")
        length[cid] = c.get("n_turns")
    by_id: dict[str, list[tuple[float, int, int]]] = {}
    for order, t in enumerate(turns):
        logged_at = t.get("logged_at")
        key = float(logged_at) if logged_at is not None else 0.0
        by_id.setdefault(str(t["conversation_id"]), []).append((key, order, int(t["turn"])))
    for cid, rows in by_id.items():
        if cid in found:
            continue
        rows.sort()
        first_logged = rows[0][0]
        numbers = [turn for _, _, turn in rows]
        start, recorded = started.get(cid), length.get(cid)
        if start is not None and first_logged and first_logged < start:
            found[cid] = "turns logged before the conversation started (two starts)"
        elif any(b <= a for a, b in itertools.pairwise(numbers)):
            found[cid] = "turn numbers restart"
        elif recorded and max(numbers) > recorded:
            found[cid] = f"turns past its recorded length ({max(numbers)} > {recorded})"
    return found


def export_parquet(store: LogStore, directory: str | Path) -> dict[str, Path]:
    """Write conversations.parquet and turns.parquet (features and probabilities flattened into columns,
    so a distributed engine can read them without parsing JSON)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    conversations = store.conversations()
    turns = list(store.turns())
    feature_names = sorted({k for t in turns if t["features"] for k in t["features"]})
    action_names = sorted({k for t in turns if t["probabilities"] for k in t["probabilities"]})
    rows: list[dict[str, Any]] = []
    for t in turns:
        row = {k: v for k, v in t.items() if k not in ("features", "probabilities", "scores", "errors")}
        row["understanding"] = json.dumps(t["understanding"])
        row["errors"] = json.dumps(t["errors"]) if t["errors"] else None
        for name in feature_names:
            row[f"f_{name}"] = (t["features"] or {}).get(name)
        for name in action_names:
            row[f"p_{name}"] = (t["probabilities"] or {}).get(name, 0.0) if t["probabilities"] else None
        rows.append(row)
    paths = {"conversations": out / "conversations.parquet", "turns": out / "turns.parquet"}
    pq.write_table(pa.Table.from_pylist(conversations), paths["conversations"])
    pq.write_table(pa.Table.from_pylist(rows), paths["turns"])
    return paths
