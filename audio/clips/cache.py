"""Clips kept as 16-bit WAV files in the cache folder, keyed by the features that shape their sound; and
what to play for a track: a stretch of its real audio file when it has one, else its synthesized clip."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import wave
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audio.clips.render import DEFAULT_RATE, DEFAULT_SECONDS, SYNTH_VERSION, synthesize_clip

if TYPE_CHECKING:
    from assistant.music.catalog import Track
    from audio.sound import Sound

__all__ = ["PREVIEW_SECONDS", "clip_cache_dir", "clip_path", "clip_sound", "load_clip"]


def clip_cache_dir() -> Path:
    """Where synthesized clips are kept: $TUNETALK_CACHE/clips, else ~/.cache/tunetalk/clips
    ($XDG_CACHE_HOME respected). Outside the repository: clips are derived data, never committed."""
    configured = os.environ.get("TUNETALK_CACHE")
    if configured:
        return Path(configured).expanduser() / "clips"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "tunetalk" / "clips"


def _cache_key(track: Track, rate: int, seconds: float) -> str:
    features = {
        "version": SYNTH_VERSION,
        "rate": rate,
        "seconds": round(seconds, 3),
        "id": track.id,
        "genre": track.genre,
        "subgenre": track.subgenre,
        "genres": list(track.genres),
        "energy": round(float(track.energy), 6),
        "valence": round(float(track.valence), 6),
        "tempo": round(float(track.tempo), 6),
        "danceability": round(float(track.danceability), 6),
        "acousticness": round(float(track.acousticness), 6),
    }
    return hashlib.sha256(json.dumps(features, sort_keys=True).encode("utf-8")).hexdigest()


def _write_wav16(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write atomically (temporary file, then rename) so a concurrent reader never sees half a clip."""
    data = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clip-", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a clip is no secret
        with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_wav16(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as handle:
        if handle.getsampwidth() != 2 or handle.getnchannels() != 1:
            raise ValueError(f"{path}: not a 16-bit mono clip")
        rate = handle.getframerate()
        data = handle.readframes(handle.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, rate


def clip_path(
    track: Track,
    cache_dir: str | Path | None = None,
    *,
    sample_rate: int = DEFAULT_RATE,
    seconds: float = DEFAULT_SECONDS,
) -> Path:
    """The cached 16-bit WAV clip of a track, synthesized on first use. Raises OSError if the cache
    folder cannot be written."""
    folder = Path(cache_dir) if cache_dir is not None else clip_cache_dir()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", track.id)[:40] or "track"
    path = folder / f"{slug}-{_cache_key(track, sample_rate, seconds)[:16]}.wav"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    _write_wav16(path, synthesize_clip(track, sample_rate, seconds), sample_rate)
    return path


PREVIEW_SECONDS = 30.0
"""Longest stretch played from a file that is a preview already (starts at 0: a Spotify-style 30 s clip)."""


def load_clip(
    track: Track, *, cache_dir: str | Path | None = None, use_cache: bool = True
) -> tuple[np.ndarray, int]:
    """(float32 samples, sample rate) to play for a track: cut from its real audio file when it has a
    readable one (DEFAULT_SECONDS from `preview_start`, the representative stretch a library scan found;
    a preview file from its start), else the synthesized clip (from the cache when it can be written,
    else made in memory)."""
    if track.preview:
        real = _cut_real(Path(track.preview).expanduser(), track.preview_start)
        if real is not None:
            return real
    if use_cache:
        try:
            return _read_wav16(clip_path(track, cache_dir))
        except (OSError, ValueError, EOFError, wave.Error):
            pass  # no writable cache, or a damaged cache file: synthesize in memory
    return synthesize_clip(track), DEFAULT_RATE


def _cut_real(path: Path, start: float) -> tuple[np.ndarray, int] | None:
    """A stretch of a real file, decoded (libsndfile; FFmpeg via PyAV for M4A), or None if the file is
    gone or unreadable (a synthesized clip will do). Only the stretch is read, however long the song."""
    from assistant.music.decode import DecodeError, read_segment

    if not path.is_file():
        return None
    seconds = DEFAULT_SECONDS if start > 0 else PREVIEW_SECONDS
    try:
        samples, rate = read_segment(path, start, seconds)
    except (DecodeError, OSError, ValueError):
        return None
    if not len(samples):
        return None
    if start > 0:
        # Cut from the middle of a song: short fades, so the preview does not start or end on a click.
        fade = min(len(samples) // 4, int(0.02 * rate))
        if fade:
            ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
            samples = samples.copy()
            samples[:fade] *= ramp
            samples[-fade:] *= ramp[::-1]
    return samples.astype(np.float32, copy=False), rate


def clip_sound(track: Track) -> Sound:
    """load_clip as a Sound, the shape the voice loop's `clips` seam takes."""
    from audio.sound import Sound

    samples, rate = load_clip(track)
    return Sound(samples, rate)
