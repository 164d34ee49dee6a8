"""One music file, read in a worker process: its content hash, its tags (mutagen), its descriptors
(assistant/music/descriptors.py), or the reason it cannot be used. Nothing here touches the index."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["MIN_SECONDS", "analyze_file", "content_hash", "quiet_stderr", "read_tags", "warm_up"]

MIN_SECONDS = 2.0
"""Shorter files are skipped ("too_short"): too little to describe."""
_SAMPLE = 65_536


def content_hash(path: Path, size: int) -> str:
    """Size plus 64 KiB from the start, the middle and the end: cheap on big files, and it changes when
    tags (at the start or end) or audio change."""
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with path.open("rb") as handle:
        for offset in sorted({0, max(0, size // 2 - _SAMPLE // 2), max(0, size - _SAMPLE)}):
            handle.seek(offset)
            digest.update(handle.read(_SAMPLE))
    return digest.hexdigest()


def _first(tags: Any, *keys: str) -> str:
    for key in keys:
        try:
            value = tags.get(key)
        except (ValueError, KeyError, TypeError):
            value = None
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        text = getattr(value, "text", value)
        if isinstance(text, list | tuple):
            text = text[0] if text else None
        if text is not None and str(text).strip():
            return str(text).strip()
    return ""


def read_tags(path: Path) -> dict[str, Any]:
    """artist, title, album, genre, year (0 if none), duration (s) from the file's tags. Raises
    mutagen.MutagenError (or ValueError) for tags that cannot be parsed."""
    import mutagen

    audio = mutagen.File(str(path), easy=True)
    if audio is None:
        return {}
    tags = audio.tags
    found: dict[str, Any] = {"duration": float(getattr(audio.info, "length", 0.0) or 0.0)}
    if tags is None:
        return found
    from mutagen.id3 import ID3

    if isinstance(tags, ID3):  # WAV and AIFF carry raw ID3 frames, which mutagen has no "easy" view of
        found.update(
            artist=_first(tags, "TPE1", "TPE2"),
            title=_first(tags, "TIT2"),
            album=_first(tags, "TALB"),
            genre=_first(tags, "TCON"),
            date=_first(tags, "TDRC", "TYER"),
        )
    else:
        found.update(
            artist=_first(tags, "artist", "albumartist", "performer"),
            title=_first(tags, "title"),
            album=_first(tags, "album"),
            genre=_first(tags, "genre"),
            date=_first(tags, "date", "originaldate", "year"),
        )
    digits = "".join(ch for ch in str(found.pop("date", ""))[:4] if ch.isdigit())
    found["year"] = int(digits) if len(digits) == 4 and 1000 <= int(digits) <= 2100 else 0
    return found


def analyze_file(path_text: str) -> dict[str, Any]:
    """Everything the index keeps about one file, or {"status": reason, "detail": ...}. Never raises."""
    from assistant.music.decode import DecodeError, audio_info, read_segment

    path = Path(path_text)
    try:
        if path.suffix.lower() == ".m4p":
            return {"status": "drm", "detail": "iTunes-protected AAC (.m4p)"}
        # Audio first: a text file named .wav is not audio, whatever its "tags" look like.
        try:
            info = audio_info(path)
            if info.seconds < MIN_SECONDS:
                return {"status": "too_short", "detail": f"{info.seconds:.2f} s"}
            from assistant.music.descriptors import DESCRIPTOR_VERSION, analysis_window, describe

            start, length = analysis_window(info.seconds)
            samples, rate = read_segment(path, start, length, info)
        except DecodeError as exc:
            return {"status": exc.reason, "detail": str(exc)[:200]}
        try:
            tags = read_tags(path)
        except Exception as exc:  # mutagen raises many kinds for broken tags; all mean the same here
            return {"status": "broken_tags", "detail": f"{type(exc).__name__}: {exc}"[:200]}
        if len(samples) == 0 or not (abs(samples).max() > 0):
            return {"status": "corrupt", "detail": "decodes to silence"}
        found = describe(samples, rate, offset=start)
        return {
            "status": "ok",
            "detail": "",
            **tags,
            "duration": tags.get("duration") or info.seconds,
            "features": found.to_dict(),
            "version": DESCRIPTOR_VERSION,
        }
    except OSError as exc:
        return {"status": "unreadable", "detail": f"{exc.strerror or exc}"}
    except Exception as exc:  # a decoder bug on one odd file must not stop a scan of thousands
        return {"status": "corrupt", "detail": f"{type(exc).__name__}: {exc}"[:200]}


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 for a while: the decoders' C libraries print notes about odd files
    straight to it (each file's fate is reported by the scan instead)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def warm_up() -> None:
    """Per worker: silence the decoders' C libraries, which print notes about odd files straight to the
    terminal (each file's fate is reported by the scan), and import the analysis stack once (librosa's
    kernels take seconds to compile)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    import librosa.feature
    import librosa.onset  # noqa: F401

    from assistant.music import descriptors  # noqa: F401
