"""Conversation logs as a partitioned Parquet dataset: what the offline loop reads at service scale.

Layout (Hive partitioning, read with pyarrow.dataset):

    DIR/_tunetalk_log.json                                  manifest: schema version, features, prompts
    DIR/turns/date=YYYY-MM-DD/policy=NAME/PART.parquet      one row per user turn (the Parquet layout of
                                                            assistant.logs.dataset: f_ and p_ columns)
    DIR/conversations/date=YYYY-MM-DD/policy=NAME/PART.parquet   one row per conversation

`date` is the UTC day a conversation started, `policy` the version of the policy that logged it (its
name, made safe for a path). A part holds whole conversations: the turns of a conversation and its
record are in the part of the same name under turns/ and conversations/, so a part can be turned into
episodes on its own, by any worker, without a shuffle. Part names sort in the order the conversations
were logged (a simulation's names carry the index of their first conversation), and readers visit parts
in the order of their names, not of their folders, so the order does not depend on the day a run took.

The schema is versioned: the manifest and every file's Parquet metadata carry DATASET_SCHEMA_VERSION, and
a reader refuses another version, or a part missing a required column, with a message naming the file.
Reading is lazy and streamed: `iter_parts` opens one part at a time, so memory follows the size of a
part, not of the log.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.logs.dataset import (
    ACTION_NAMES,
    LogFormatError,
    LogTable,
    table_from_arrow,
    turns_arrow,
)

__all__ = [
    "DATASET_SCHEMA_VERSION",
    "MANIFEST",
    "DatasetWriter",
    "Part",
    "export_dataset",
    "is_dataset",
    "iter_parts",
    "list_parts",
    "read_dataset",
    "read_part",
]

DATASET_SCHEMA_VERSION = 1
"""Raised when a column changes meaning or a required column is added; readers refuse other versions."""
MANIFEST = "_tunetalk_log.json"
METADATA_KEY = b"tunetalk.log_schema"
KINDS = ("turns", "conversations")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")

_CONVERSATION_SCHEMA: list[tuple[str, str]] = [
    ("id", "string"),
    ("user_hash", "string"),
    ("policy", "string"),
    ("catalog", "string"),
    ("seed", "int64"),
    ("status", "string"),
    ("track_id", "string"),
    ("station", "string"),
    ("n_turns", "int64"),
    ("started_at", "float64"),
    ("ended_at", "float64"),
]


def is_dataset(path: str | Path) -> bool:
    """A folder written by DatasetWriter (it has the manifest)."""
    return (Path(path) / MANIFEST).is_file()


def _partition(conversation: dict[str, Any]) -> tuple[str, str]:
    started = conversation.get("started_at")
    day = dt.datetime.fromtimestamp(float(started), dt.UTC).date() if started is not None else None
    policy = _UNSAFE.sub("_", str(conversation.get("policy") or "unknown")) or "unknown"
    return (day.isoformat() if day else "unknown"), policy


def _conversation_arrow(conversations: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in _CONVERSATION_SCHEMA])
    return pa.Table.from_pylist(
        [{k: c.get(k) for k, _ in _CONVERSATION_SCHEMA} for c in conversations], schema
    )


def _with_version(table: Any) -> Any:
    return table.replace_schema_metadata({METADATA_KEY: str(DATASET_SCHEMA_VERSION).encode()})


class DatasetWriter:
    """Writes parts into a dataset folder; safe to use from several processes at once (each part is its
    own files, named by the caller; the manifest is written once, by `open`)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def open(self) -> DatasetWriter:
        """Create the folder and write the manifest (the driver does this before any worker writes)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": "tunetalk conversation log, partitioned Parquet",
            "schema_version": DATASET_SCHEMA_VERSION,
            "partitioning": ["date", "policy"],
            "kinds": list(KINDS),
            "actions": list(ACTION_NAMES),
        }
        (self.directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return self

    def write(self, table: LogTable, name: str) -> int:
        """Write the conversations of `table` as part `name` (split by partition); returns turns written."""
        import pyarrow.parquet as pq

        if not _SAFE_NAME.fullmatch(name):
            raise ValueError(f"part name {name!r}: use letters, digits, '.', '_' and '-'")
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for conversation in table.conversations:
            groups.setdefault(_partition(conversation), []).append(conversation)
        if len(groups) > 1:
            order = {c["id"]: key for key, cs in groups.items() for c in cs}
        written = 0
        for (day, policy), conversations in sorted(groups.items()):
            if len(groups) > 1:
                part = table.without(
                    {c: "other partition" for c, key in order.items() if key != (day, policy)}
                )
            else:
                part = table
            for kind, arrow in (
                ("turns", turns_arrow(part)),
                ("conversations", _conversation_arrow(conversations)),
            ):
                folder = self.directory / kind / f"date={day}" / f"policy={policy}"
                folder.mkdir(parents=True, exist_ok=True)
                # One row group: a part is small and read whole by one worker.
                pq.write_table(_with_version(arrow), folder / f"{name}.parquet", row_group_size=1 << 30)
            written += len(part)
        return written


_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Part:
    """One part of a dataset: the relative path shared by its turns and its conversations files."""

    directory: str
    relative: str

    @property
    def name(self) -> str:
        return Path(self.relative).name

    def path(self, kind: str) -> Path:
        return Path(self.directory) / kind / self.relative


def _check_manifest(directory: Path) -> None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LogFormatError(f"{directory / MANIFEST}: unreadable manifest ({exc})") from exc
    version = manifest.get("schema_version") if isinstance(manifest, dict) else None
    if version != DATASET_SCHEMA_VERSION:
        raise LogFormatError(
            f"{directory}: log dataset schema version {version!r}, this version reads "
            f"{DATASET_SCHEMA_VERSION} (written by another version of tunetalk?)"
        )


def list_parts(directory: str | Path) -> list[Part]:
    """Every part of the dataset, in logging order (by part name). Lists files only (pyarrow.dataset
    discovers them); nothing is read. Raises LogFormatError for a folder that is not a dataset, another
    schema version, or a part whose turns and conversations do not pair up."""
    import pyarrow.dataset as ds

    root = Path(directory)
    if not is_dataset(root):
        raise LogFormatError(f"{root}: not a partitioned log dataset ({MANIFEST} missing)")
    _check_manifest(root)
    found: dict[str, set[str]] = {}
    for kind in KINDS:
        if not (root / kind).is_dir():
            found[kind] = set()
            continue
        dataset = ds.dataset(root / kind, format="parquet", partitioning="hive")
        found[kind] = {str(Path(f).relative_to(root / kind)) for f in dataset.files}
    unpaired = found["turns"] ^ found["conversations"]
    if unpaired:
        first = sorted(unpaired)[0]
        raise LogFormatError(f"{root}: part {first} has turns or conversations but not both")
    return [Part(str(root), r) for r in sorted(found["turns"], key=lambda r: (Path(r).name, r))]


def _read_checked(path: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise LogFormatError(f"{path}: unreadable Parquet: {exc}") from exc
    version = (table.schema.metadata or {}).get(METADATA_KEY)
    if version != str(DATASET_SCHEMA_VERSION).encode():
        shown = version.decode(errors="replace") if version else "none"
        raise LogFormatError(
            f"{path}: log schema version {shown}, this version reads {DATASET_SCHEMA_VERSION}"
        )
    return table


def read_part(part: Part) -> LogTable:
    """One part as a LogTable (columns checked; interleaved conversations left out, as read_log does)."""
    turns = _read_checked(part.path("turns"))
    conversations = _read_checked(part.path("conversations")).to_pylist()
    return table_from_arrow(
        turns, conversations, f"{part.directory}:{part.relative}", where=str(part.path("turns"))
    )


def iter_parts(directory: str | Path) -> Iterator[LogTable]:
    """The dataset part by part, in logging order: one part in memory at a time."""
    for part in list_parts(directory):
        yield read_part(part)


def read_dataset(directory: str | Path) -> LogTable:
    """The whole dataset as one LogTable (for the learners that need it all; `iter_parts` streams)."""
    tables = list(iter_parts(directory))
    table = LogTable.concat(tables)
    table.source = str(directory)
    return table


def export_dataset(store: Any, directory: str | Path, *, batch: int = 1000) -> dict[str, int]:
    """Write a SQLite log (assistant.logs.store.LogStore) as a dataset, `batch` conversations per part,
    streamed: one batch of conversations and their turns is in memory at a time."""
    from assistant.logs.dataset import _from_rows

    writer = DatasetWriter(directory).open()
    db = store.connect()
    ids = [r[0] for r in db.execute("SELECT id FROM conversations ORDER BY started_at, id")]
    counts = {"conversations": 0, "turns": 0, "parts": 0}
    for k, chunk in enumerate(_batches(ids, batch)):
        conversations = [c for c in _conversation_rows(db, chunk)]
        rows = [t for cid in chunk for t in store.turns(cid)]
        table = _from_rows(conversations, rows, str(store.path))
        counts["turns"] += writer.write(table, f"export-{k:07d}")
        counts["conversations"] += len(conversations)
        counts["parts"] += 1
    return counts


def _batches(ids: list[str], size: int) -> Iterable[list[str]]:
    for lo in range(0, len(ids), size):
        yield ids[lo : lo + size]


def _conversation_rows(db: Any, ids: list[str]) -> list[dict[str, Any]]:
    marks = ",".join("?" * len(ids))
    cursor = db.execute(f"SELECT * FROM conversations WHERE id IN ({marks})", ids)
    names = [d[0] for d in cursor.description]
    by_id = {row[0]: dict(zip(names, row, strict=True)) for row in cursor}
    return [by_id[i] for i in ids if i in by_id]
