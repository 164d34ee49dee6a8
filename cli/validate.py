"""Checks every command runs on its paths and names before it starts work.

A mistake in what was asked for (a missing or unreadable input, an output that exists or cannot be
written, a name that is not one of the valid ones) raises `UsageError`; main.py prints its message as
one line on stderr and exits with status 2. Nothing is created, changed or renamed by a check, so a
refused command leaves the user's files as they were. Light on imports: main.py imports every cli/
module at start-up.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "UsageError",
    "at_least",
    "choose",
    "did_you_mean",
    "input_file",
    "output_file",
    "output_folder",
    "text_file",
]

TEXT_SAMPLE = 1 << 16
"""Bytes read to tell text from binary: enough for any header, cheap for a file of any size."""


class UsageError(Exception):
    """What the user asked for cannot be done as asked; the message (one line) names the thing and the fix."""


def did_you_mean(value: str, valid: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest valid name, or '' when none is close."""
    from rapidfuzz import fuzz, process

    best = process.extractOne(value, list(valid), scorer=fuzz.ratio, score_cutoff=60)
    return f"; did you mean {best[0]!r}?" if best else ""


def choose(value: str, valid: Sequence[str], what: str) -> str:
    """`value` if it is one of `valid`, else UsageError listing them (and the closest one)."""
    if value in valid:
        return value
    raise UsageError(f"no {what} {value!r}: choose one of {', '.join(valid)}{did_you_mean(value, valid)}")


def at_least(
    value: int | float, minimum: int | float, option: str, maximum: int | float | None = None
) -> None:
    """`option` must lie in [minimum, maximum]."""
    if value != value or value < minimum or (maximum is not None and value > maximum):  # value != value: nan
        bound = f"from {minimum:,} to {maximum:,}" if maximum is not None else f"at least {minimum:,}"
        raise UsageError(f"{option} must be {bound}, got {value}")


def input_file(path: Path, what: str, *, allow_empty: bool = False) -> Path:
    """An existing, readable regular file (not a folder); empty only when `allow_empty`."""
    if not path.exists():
        raise UsageError(f"cannot read {what} {path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; expected a {what} file")
    try:
        with path.open("rb") as handle:
            first = handle.read(1)
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not first and not allow_empty:
        raise UsageError(f"{path} is empty; expected a {what}")
    return path


def text_file(path: Path, what: str, *, allow_empty: bool = False) -> Path:
    """`input_file`, and UTF-8 text (a binary file given by mistake is refused, not read as text)."""
    input_file(path, what, allow_empty=allow_empty)
    with path.open("rb") as handle:
        sample = handle.read(TEXT_SAMPLE)
    problem = None
    if b"\x00" in sample:
        problem = "binary data (NUL bytes)"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        except UnicodeDecodeError as exc:
            problem = f"not UTF-8 text (byte {exc.start})"
    if problem:
        raise UsageError(f"{path} is not a text {what}: {problem}")
    return path


def _writable_parent(path: Path, what: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise UsageError(f"cannot write {what} {path}: folder {parent} does not exist (it is not created)")
    if not parent.is_dir():
        raise UsageError(f"cannot write {what} {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {what} {path}: folder {parent} is not writable")


def output_file(path: Path, what: str, *, force: bool = False, flag: str = "--force") -> Path:
    """A file that may be written: its folder exists and is writable; an existing file is replaced only
    with `force` (`flag` names the option that says so) and must itself be writable."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name for the {what}")
    if path.exists() or path.is_symlink():
        if not force:
            raise UsageError(
                f"{path} already exists; pass {flag} to replace it, or choose another {what} file"
            )
        if not os.access(path, os.W_OK):
            raise UsageError(f"cannot write {what} {path}: the file is not writable")
    _writable_parent(path, what)
    if not path.exists() and not _creatable(path):
        raise UsageError(f"cannot write {what} {path}: files cannot be created there")
    return path


def _creatable(path: Path) -> bool:
    """Whether a file can be created at `path` (folders like /proc pass access() but refuse files).
    Tried with an exclusive create and removed at once, so nothing is left behind."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return False
    os.close(fd)
    os.unlink(path)
    return True


def output_folder(
    path: Path, what: str, *, writes: Iterable[str] = (), force: bool = False, flag: str = "--force"
) -> Path:
    """A folder to write `what` into: created if absent (its parent must exist), else an existing folder
    in which none of the files `writes` (or, without a list, no file at all) exists unless `force`."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file; the {what} is written to a folder: choose a folder name")
    if not path.exists():
        _writable_parent(path, what)
        return path
    names = list(writes)
    present = [n for n in names if (path / n).exists()] if names else [p.name for p in path.iterdir()]
    if present and not force:
        raise UsageError(
            f"{path} already holds {', '.join(sorted(present)[:3])}{' ...' if len(present) > 3 else ''}; "
            f"pass {flag} to replace it, or choose another folder"
        )
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {what} into {path}: the folder is not writable")
    return path
