"""Is a file one of tunetalk's SQLite databases? Asked before opening one to write: a file that is not
recognisably ours is the user's, and is neither changed, renamed nor replaced."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["SQLITE_HEADER", "database_problem"]

SQLITE_HEADER = b"SQLite format 3\x00"


def database_problem(path: Path, what: str, tables: set[str], schema_version: int) -> str | None:
    """None when `path` may be opened as tunetalk's `what` (e.g. "conversation log"): it does not exist,
    is empty (nothing to lose), is an SQLite database without tables, or has the `meta` table with a
    schema version this code reads and `tables`. Otherwise one sentence naming the file and the problem.

    Read-only: nothing is written or created, even beside a file that is ours."""
    if not path.exists():
        return None
    if path.is_dir():
        return f"{path} is a folder, not a {what}"
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if not header:
        return None
    if header != SQLITE_HEADER:
        return f"{path} is not a tunetalk {what} (not an SQLite database); it was left as it is"
    # Without a -wal file beside it everything is in the file itself, and immutable=1 reads it without
    # creating the -wal and -shm files a WAL-mode database otherwise gets even when opened read-only.
    wal = Path(f"{path}-wal").exists()
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{'' if wal else '&immutable=1'}", uri=True)
    except sqlite3.Error as exc:
        return f"cannot open {path}: {exc}"
    try:
        found = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not found:
            return None
        version = None
        if "meta" in found:
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = row[0] if row else None
    except sqlite3.DatabaseError as exc:
        return f"{path} is not a readable tunetalk {what} ({exc}); it was left as it is"
    finally:
        db.close()
    if version is None or not tables <= found:
        listed = ", ".join(sorted(found)[:5]) + (" ..." if len(found) > 5 else "")
        return (
            f"{path} is an SQLite database but not a tunetalk {what} (tables: {listed}); it was left as it is"
        )
    if not str(version).isdigit() or int(version) > schema_version:
        return f"{path} was written by a newer tunetalk (schema {version}); it was left as it is"
    return None
