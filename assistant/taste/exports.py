"""Reading listening-history exports (CSV, JSON lines, JSON arrays) into play rows, streamed and bounded."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from assistant.taste.signals import (
    MAX_MS_PLAYED,
    PlayRow,
)

__all__ = [
    "MAX_FIELD",
    "MAX_LINE_CHARS",
    "MAX_REPORTED",
    "NOT_MUSIC",
    "PROBE_ROWS",
    "REQUIRED",
    "HistoryError",
    "parse_timestamp",
    "read_history_file",
]


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


# One parsed record: (line number, the play or None, the problem or None, not music).
Record = tuple[int, PlayRow | None, str | None]


# -- import parsing -------------------------------------------------------------------------------
class HistoryError(ValueError):
    """A history file or database that cannot be used; the message names it and says what to do."""


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
