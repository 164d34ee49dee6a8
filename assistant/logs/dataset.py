"""Conversation logs as columns: one row per user turn, the same fields as the app's log (logstore.py).

Simulated runs are too big for one SQLite transaction per turn, so `TableRecorder` is an event sink that
keeps the rows in memory exactly as LogStore would write them, and `write_log` stores them either as a
SQLite file with LogStore's schema (batched) or as Parquet in the layout of `logstore.export_parquet`
(plus an `available` column, because a zero probability does not say whether an action was on offer).
`read_log` reads any of the three (app SQLite log, simulated SQLite log, Parquet folder) back, so the
offline pipeline treats app logs and simulated logs alike.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.dialogue.actions import ACTIONS
from assistant.dialogue.state import FEATURE_NAMES, OPTIONAL_FEATURES
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
from assistant.logs.store import (
    SCHEMA,
    SCHEMA_VERSION,
    LogError,
    LogStore,
    interleaved_conversations,
    understanding_record,
)

__all__ = [
    "ACTION_NAMES",
    "LogFormatError",
    "LogTable",
    "TableRecorder",
    "conversation_bounds",
    "read_log",
    "write_log",
]

ACTION_NAMES: tuple[str, ...] = tuple(a.value for a in ACTIONS)
_ACTION_INDEX = {a: i for i, a in enumerate(ACTION_NAMES)}
TURN_COLUMNS = (
    "conversation_id",
    "turn",
    "understanding",
    "act",
    "action",
    "propensity",
    "policy",
    "reply_action",
    "empathy",
    "closeness",
    "sample_id",
    "errors",
)


class LogFormatError(ValueError):
    """A log that cannot be used for learning; the message names the file, the row and the problem."""


@dataclass
class LogTable:
    """Turns as columns plus one record per conversation.

    `features` is (n_turns, len(FEATURE_NAMES)), NaN on turns without a decision (repairs, closings);
    `probabilities` is (n_turns, len(ACTION_NAMES)), NaN for actions that were not available.
    """

    conversations: list[dict[str, Any]]
    columns: dict[str, list[Any]]
    features: np.ndarray
    probabilities: np.ndarray
    feature_names: tuple[str, ...] = FEATURE_NAMES
    source: str = "memory"
    skipped: dict[str, str] = field(default_factory=dict)
    """Conversations left out when read because their turns interleave (ids that collided in logs of
    earlier versions): id -> what showed it. Learning from them would mix several people's answers."""

    def __len__(self) -> int:
        return len(self.columns["turn"])

    @staticmethod
    def empty() -> LogTable:
        return LogTable(
            [],
            {c: [] for c in TURN_COLUMNS},
            np.zeros((0, len(FEATURE_NAMES)), np.float32),
            np.zeros((0, len(ACTION_NAMES)), np.float32),
        )

    @staticmethod
    def concat(tables: Iterable[LogTable]) -> LogTable:
        tables = list(tables)
        if not tables:
            return LogTable.empty()
        columns = {c: [v for t in tables for v in t.columns[c]] for c in TURN_COLUMNS}
        return LogTable(
            [c for t in tables for c in t.conversations],
            columns,
            np.concatenate([t.features for t in tables]),
            np.concatenate([t.probabilities for t in tables]),
            tables[0].feature_names,
            tables[0].source,
            {k: v for t in tables for k, v in t.skipped.items()},
        )

    def without(self, found: dict[str, str]) -> LogTable:
        """This table less the conversations in `found` (id -> why), which are added to `skipped`."""
        if not found:
            return self
        keep = np.array([c not in found for c in self.columns["conversation_id"]], dtype=bool)
        return LogTable(
            [c for c in self.conversations if c["id"] not in found],
            {
                name: [v for v, k in zip(values, keep, strict=True) if k]
                for name, values in self.columns.items()
            },
            self.features[keep],
            self.probabilities[keep],
            self.feature_names,
            self.source,
            {**self.skipped, **found},
        )

    # -- LogStore-compatible reading (so logstore.export_parquet works on a table too) -------------
    def as_store(self) -> _StoreView:
        """A read-only view with LogStore's reading methods (conversations(), turns())."""
        return _StoreView(self)

    def turns(self) -> Iterable[dict[str, Any]]:
        for i in range(len(self)):
            row = {c: self.columns[c][i] for c in TURN_COLUMNS}
            row["understanding"] = json.loads(row["understanding"])
            row["errors"] = json.loads(row["errors"]) if row["errors"] else None
            row["user_text"] = None
            row["reply_text"] = None
            row["scores"] = None
            decided = row["action"] is not None
            row["features"] = (
                dict(zip(self.feature_names, map(float, self.features[i]), strict=True)) if decided else None
            )
            row["probabilities"] = (
                {
                    a: float(p)
                    for a, p in zip(ACTION_NAMES, self.probabilities[i], strict=True)
                    if not math.isnan(p)
                }
                if decided
                else None
            )
            yield row


class _StoreView:
    def __init__(self, table: LogTable) -> None:
        self._table = table

    def conversations(self) -> list[dict[str, Any]]:
        return list(self._table.conversations)

    def turns(self) -> Iterable[dict[str, Any]]:
        return self._table.turns()


class TableRecorder:
    """An event sink that builds a LogTable in memory (no text is kept, as in the app's default log)."""

    def __init__(self) -> None:
        self.conversations: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}
        self.columns: dict[str, list[Any]] = {c: [] for c in TURN_COLUMNS}
        self._features: list[list[float]] = []
        self._probabilities: list[list[float]] = []
        self._turn: dict[str, Any] = {}
        self._nan_features = [math.nan] * len(FEATURE_NAMES)
        self._nan_probabilities = [math.nan] * len(ACTION_NAMES)

    def __call__(self, event: Event) -> None:
        if isinstance(event, ConversationStarted):
            record = {
                "id": event.conversation_id,
                "user_hash": None,
                "policy": event.policy,
                "catalog": event.catalog,
                "seed": event.seed,
                "status": "active",
                "track_id": None,
                "station": None,
                "n_turns": 0,
                "started_at": time.time(),
                "ended_at": None,
            }
            self.conversations.append(record)
            self._by_id[event.conversation_id] = record
        elif isinstance(event, TurnStarted):
            self._turn = {"errors": []}
        elif isinstance(event, NluResult):
            self._turn["understanding"] = event.understanding
        elif isinstance(event, Resolved):
            self._turn["resolved"] = event
        elif isinstance(event, Decision):
            self._turn["decision"] = event
        elif isinstance(event, ErrorEvent):
            self._turn.setdefault("errors", []).append({"stage": event.stage, "code": event.code})
        elif isinstance(event, ReplyEvent):
            self._write_turn(event)
        elif isinstance(event, Playback) and event.kind == "station":
            self._by_id[event.conversation_id]["station"] = json.dumps(list(event.station))
        elif isinstance(event, ConversationEnded) and event.conversation_id in self._by_id:
            record = self._by_id.pop(event.conversation_id)
            record.update(status=event.status, track_id=event.track_id, ended_at=time.time())

    def _write_turn(self, reply: ReplyEvent) -> None:
        turn, self._turn = self._turn, {}
        decision: Decision | None = turn.get("decision")
        u = turn.get("understanding")
        understanding = understanding_record(u.to_dict() if u is not None else None, turn.get("resolved"))
        c = self.columns
        c["conversation_id"].append(reply.conversation_id)
        c["turn"].append(reply.turn)
        c["understanding"].append(json.dumps(understanding))
        c["act"].append(understanding["act"])
        c["action"].append(decision.action if decision else None)
        c["propensity"].append(decision.propensity if decision else None)
        c["policy"].append(decision.policy if decision else None)
        c["reply_action"].append(reply.action)
        c["empathy"].append(reply.empathy)
        c["closeness"].append(reply.closeness)
        c["sample_id"].append(reply.sample_id)
        c["errors"].append(json.dumps(turn["errors"]) if turn.get("errors") else None)
        if decision is not None:
            self._features.append(list(decision.features.values()))
            row = list(self._nan_probabilities)
            for name, p in decision.probabilities.items():
                row[_ACTION_INDEX[name]] = p
            self._probabilities.append(row)
        else:
            self._features.append(self._nan_features)
            self._probabilities.append(self._nan_probabilities)
        record = self._by_id.get(reply.conversation_id)
        if record is not None:
            record["n_turns"] = reply.turn

    def table(self) -> LogTable:
        n_f, n_a = len(FEATURE_NAMES), len(ACTION_NAMES)
        return LogTable(
            self.conversations,
            self.columns,
            np.asarray(self._features, dtype=np.float32).reshape(-1, n_f),
            np.asarray(self._probabilities, dtype=np.float32).reshape(-1, n_a),
        )


# -- writing --------------------------------------------------------------------------------------
def write_log(table: LogTable, path: str | Path) -> Path:
    """SQLite (LogStore schema) for a .db/.sqlite path, else a Parquet folder (turns + conversations)."""
    path = Path(path)
    if path.suffix in (".db", ".sqlite", ".sqlite3"):
        _write_sqlite(table, path)
    else:
        _write_parquet(table, path)
    return path


def _write_sqlite(table: LogTable, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", ("simulated",))
        db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        keys = ("id", "user_hash", "policy", "catalog", "seed", "status", "track_id", "station", "n_turns")
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO conversations (id, user_hash, policy, catalog, seed, status, "
                "track_id, "
                "station, n_turns, started_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                ((*(c[k] for k in keys), c["started_at"], c["ended_at"]) for c in table.conversations),
            )
            db.executemany(
                "INSERT OR REPLACE INTO turns (conversation_id, turn, user_text, understanding, act, action, "
                "propensity, probabilities, features, scores, policy, reply_action, reply_text, empathy, "
                "closeness, sample_id, errors, logged_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                _sqlite_rows(table),
            )
    finally:
        db.close()


def _sqlite_rows(table: LogTable) -> Iterable[tuple[Any, ...]]:
    c = table.columns
    now = time.time()
    for i in range(len(table)):
        decided = c["action"][i] is not None
        features = probabilities = None
        if decided:
            features = json.dumps(dict(zip(table.feature_names, map(float, table.features[i]), strict=True)))
            probabilities = json.dumps(
                {
                    a: float(p)
                    for a, p in zip(ACTION_NAMES, table.probabilities[i], strict=True)
                    if not math.isnan(p)
                }
            )
        yield (
            c["conversation_id"][i],
            c["turn"][i],
            None,
            c["understanding"][i],
            c["act"][i],
            c["action"][i],
            c["propensity"][i],
            probabilities,
            features,
            None,
            c["policy"][i],
            c["reply_action"][i],
            None,
            c["empathy"][i],
            c["closeness"][i],
            c["sample_id"][i],
            c["errors"][i],
            now,
        )


def _write_parquet(table: LogTable, directory: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(turns_arrow(table), directory / "turns.parquet")
    pq.write_table(pa.Table.from_pylist(table.conversations), directory / "conversations.parquet")


def turns_arrow(table: LogTable) -> Any:
    """The turns of a table as an Arrow table in the Parquet layout (f_ and p_ columns, `available`)."""
    import pyarrow as pa

    arrays: dict[str, Any] = {c: table.columns[c] for c in TURN_COLUMNS}
    decided = np.array([a is not None for a in table.columns["action"]], dtype=bool)
    for j, name in enumerate(table.feature_names):
        arrays[f"f_{name}"] = pa.array(table.features[:, j], mask=~decided)
    probabilities = np.nan_to_num(table.probabilities, nan=0.0)
    for j, name in enumerate(ACTION_NAMES):
        arrays[f"p_{name}"] = pa.array(probabilities[:, j], mask=~decided)
    arrays["available"] = [
        ",".join(a for a, p in zip(ACTION_NAMES, row, strict=True) if not math.isnan(p)) if d else None
        for row, d in zip(table.probabilities, decided, strict=True)
    ]
    return pa.table(arrays)


# -- reading --------------------------------------------------------------------------------------
def read_log(path: str | Path) -> LogTable:
    """Read a SQLite log (app or simulated), a Parquet folder or a partitioned Parquet dataset
    (assistant.logs.partitioned). Raises LogFormatError naming the problem.

    Conversations whose turns interleave (ids that collided in logs of earlier versions) are left out and
    named in the table's `skipped`: learning from them would mix several people's answers."""
    path = Path(path)
    if not path.exists():
        raise LogFormatError(
            f"{path}: no such log (a .db file from `simulate --log` or the app, or a Parquet folder)"
        )
    if path.is_dir():
        from assistant.logs.partitioned import is_dataset, read_dataset

        if is_dataset(path):
            return read_dataset(path)
    if path.is_dir() or path.suffix == ".parquet":
        return _read_parquet(path if path.is_dir() else path.parent)
    return _read_sqlite(path)


def _read_sqlite(path: Path) -> LogTable:
    try:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise LogFormatError(f"{path}: not a SQLite log (expected a .db written by tunetalk)")
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise LogFormatError(f"{path}: unreadable SQLite log: {exc}") from exc
    missing = {"conversations", "turns"} - tables
    if missing:
        raise LogFormatError(f"{path}: not a tunetalk log: table(s) {', '.join(sorted(missing))} missing")
    store = LogStore(path)
    try:
        conversations = store.conversations()
        recorder_rows = list(store.turns())
    except (sqlite3.Error, LogError, json.JSONDecodeError) as exc:
        raise LogFormatError(f"{path}: unreadable log rows: {exc}") from exc
    finally:
        store.close()
    found = interleaved_conversations(conversations, recorder_rows)
    return _from_rows(conversations, recorder_rows, str(path)).without(found)


def _from_rows(conversations: list[dict[str, Any]], rows: list[dict[str, Any]], source: str) -> LogTable:
    columns: dict[str, list[Any]] = {c: [] for c in TURN_COLUMNS}
    features = np.full((len(rows), len(FEATURE_NAMES)), np.nan, dtype=np.float32)
    probabilities = np.full((len(rows), len(ACTION_NAMES)), np.nan, dtype=np.float32)
    for i, row in enumerate(rows):
        for c in TURN_COLUMNS:
            value = row.get(c)
            if c == "understanding":
                value = json.dumps(value) if not isinstance(value, str) else value
            elif c == "errors" and value is not None and not isinstance(value, str):
                value = json.dumps(value)
            columns[c].append(value)
        if row.get("action") is None:
            continue
        f = {**OPTIONAL_FEATURES, **(row.get("features") or {})}
        missing = [n for n in FEATURE_NAMES if n not in f]
        if missing:
            raise LogFormatError(
                f"{source}: turn {row.get('turn')} of conversation {row.get('conversation_id')}: "
                "features lack "
                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} (logged by an older version?)"
            )
        features[i] = [f[n] for n in FEATURE_NAMES]
        for name, p in (row.get("probabilities") or {}).items():
            if name not in _ACTION_INDEX:
                raise LogFormatError(
                    f"{source}: turn {row.get('turn')}: unknown action {name!r} in probabilities"
                )
            probabilities[i, _ACTION_INDEX[name]] = p
    return LogTable(conversations, columns, features, probabilities, FEATURE_NAMES, source)


def _feature_column(turns: Any, name: str, n: int) -> np.ndarray:
    """A feature column of a Parquet log; an optional feature an older log lacks gets its default."""
    if f"f_{name}" not in turns.column_names:
        return np.full(n, OPTIONAL_FEATURES[name], dtype=np.float32)
    return np.asarray(turns.column(f"f_{name}").to_numpy(zero_copy_only=False), dtype=np.float32)


def _read_parquet(directory: Path) -> LogTable:
    import pyarrow.parquet as pq

    turns_path, conv_path = directory / "turns.parquet", directory / "conversations.parquet"
    for p in (turns_path, conv_path):
        if not p.exists():
            raise LogFormatError(
                f"{directory}: {p.name} missing (expected turns.parquet and conversations.parquet)"
            )
    try:
        turns = pq.read_table(turns_path)
        conversations = pq.read_table(conv_path).to_pylist()
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise LogFormatError(f"{directory}: unreadable Parquet: {exc}") from exc
    return table_from_arrow(turns, conversations, str(directory), where=str(turns_path))


def table_from_arrow(
    turns: Any, conversations: list[dict[str, Any]], source: str, *, where: str = ""
) -> LogTable:
    """A LogTable from turns in the Parquet layout (an Arrow table) and their conversations' records.
    Conversations whose turns interleave are left out (named in `skipped`). Raises LogFormatError."""
    names = set(turns.column_names)
    needed = [c for c in TURN_COLUMNS if c not in ("policy", "errors")]
    # p_ columns may be absent in an app export for prompts never available there: read as NaN.
    needed += [f"f_{n}" for n in FEATURE_NAMES if n not in OPTIONAL_FEATURES]
    missing = [c for c in needed if c not in names]
    if missing:
        more = " ..." if len(missing) > 6 else ""
        raise LogFormatError(f"{where or source}: column(s) {', '.join(missing[:6])}{more} missing")
    n = turns.num_rows
    columns = {c: (turns.column(c).to_pylist() if c in names else [None] * n) for c in TURN_COLUMNS}
    features = (
        np.column_stack([_feature_column(turns, f, n) for f in FEATURE_NAMES])
        if n
        else np.zeros((0, len(FEATURE_NAMES)), np.float32)
    )
    probabilities = (
        np.column_stack(
            [
                turns.column(f"p_{a}").to_numpy(zero_copy_only=False).astype(np.float32)
                if f"p_{a}" in names
                else np.full(n, np.nan, np.float32)
                for a in ACTION_NAMES
            ]
        )
        if n
        else np.zeros((0, len(ACTION_NAMES)), np.float32)
    )
    if "available" in names:
        for i, available in enumerate(turns.column("available").to_pylist()):
            if available is None:
                continue
            mask = np.ones(len(ACTION_NAMES), bool)
            for a in available.split(","):
                if a:
                    mask[_ACTION_INDEX[a]] = False
            probabilities[i, mask] = np.nan
    else:
        # An export without the availability column: a zero probability is read as "not on offer".
        probabilities[probabilities == 0] = np.nan
    logged_at = turns.column("logged_at").to_pylist() if "logged_at" in names else [None] * n
    found = interleaved_conversations(
        conversations,
        (
            {"conversation_id": c, "turn": t, "logged_at": at}
            for c, t, at in zip(columns["conversation_id"], columns["turn"], logged_at, strict=True)
        ),
    )
    table = LogTable(conversations, columns, features, probabilities, FEATURE_NAMES, source)
    return table.without(found)


def conversation_bounds(table: LogTable) -> list[tuple[str, int, int]]:
    """(conversation_id, first row, end row) for each conversation, rows grouped and ordered by turn."""
    ids = table.columns["conversation_id"]
    bounds: list[tuple[str, int, int]] = []
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] != ids[start]:
            bounds.append((ids[start], start, i))
            start = i
    return bounds
