"""Decoding a stretch of a real audio file to mono float samples: libsndfile (via soundfile) for WAV, FLAC,
Ogg Vorbis, Opus and MP3, and FFmpeg's decoders (via PyAV, whose wheels carry them) for what libsndfile
lacks (M4A/AAC/ALAC). Used by the library scan (descriptors) and by the clip player (previews cut from the
listener's own files); both read only the stretch they need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["AudioInfo", "DecodeError", "audio_info", "read_segment"]

SNDFILE_SUFFIXES = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3"})
"""What libsndfile 1.2 decodes; anything else (".m4a", ".mp4", ".aac") goes to PyAV."""


class DecodeError(Exception):
    """The file is not audio a decoder can read; `reason` is a short code (corrupt, truncated, not_audio,
    drm, unreadable) and the message says what happened."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class AudioInfo:
    rate: int
    frames: int
    channels: int

    @property
    def seconds(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def _uses_sndfile(path: Path) -> bool:
    return path.suffix.lower() in SNDFILE_SUFFIXES


def audio_info(path: Path) -> AudioInfo:
    """Rate, length and channels from the file's header. Raises DecodeError."""
    if _uses_sndfile(path):
        import soundfile as sf

        try:
            info = sf.info(str(path))
        except sf.LibsndfileError as exc:
            raise DecodeError("not_audio", f"libsndfile cannot open it ({exc.error_string})") from exc
        except OSError as exc:
            raise DecodeError("unreadable", f"cannot read it ({exc.strerror or exc})") from exc
        if info.frames <= 0 or info.samplerate <= 0:
            raise DecodeError("corrupt", "no audio frames")
        return AudioInfo(int(info.samplerate), int(info.frames), int(info.channels))
    container = _open_av(path)
    try:
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        if stream.duration is not None and stream.time_base is not None:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            seconds = container.duration / 1_000_000
        else:
            seconds = 0.0
        if rate <= 0 or seconds <= 0:
            raise DecodeError("corrupt", "no audio frames")
        return AudioInfo(rate, int(seconds * rate), int(stream.codec_context.channels or 1))
    finally:
        container.close()


def read_segment(
    path: Path, start: float, seconds: float, info: AudioInfo | None = None
) -> tuple[np.ndarray, int]:
    """(mono float32 samples, rate) of `seconds` from `start` (clamped to the file). Raises DecodeError;
    "truncated" when the file holds less audio than its header promises."""
    info = info or audio_info(path)
    start = max(0.0, min(start, max(0.0, info.seconds - seconds)))
    if _uses_sndfile(path):
        return _read_sndfile(path, info, start, seconds), info.rate
    return _read_av(path, info, start, seconds)


def _read_sndfile(path: Path, info: AudioInfo, start: float, seconds: float) -> np.ndarray:
    import soundfile as sf

    first = int(start * info.rate)
    wanted = min(int(seconds * info.rate), info.frames - first)
    blocks: list[np.ndarray] = []
    got = 0
    try:
        with sf.SoundFile(str(path)) as handle:
            if first:
                handle.seek(first)
            # In blocks, so that a file cut short shows as such: it decodes up to the cut, then fails.
            while got < wanted:
                block = handle.read(min(wanted - got, 1 << 17), dtype="float32", always_2d=True)
                if len(block) == 0:
                    break
                blocks.append(block)
                got += len(block)
    except (sf.LibsndfileError, OSError, RuntimeError) as exc:
        message = getattr(exc, "error_string", None) or str(exc)
        if got:
            raise DecodeError(
                "truncated", f"decoding stops after {got} of {wanted} frames ({message})"
            ) from exc
        raise DecodeError("corrupt", f"decoding failed ({message})") from exc
    data = np.concatenate(blocks) if blocks else np.zeros((0, max(1, info.channels)), dtype=np.float32)
    if len(data) < 0.9 * wanted:
        raise DecodeError("truncated", f"{len(data)} of {wanted} frames where the header promises more")
    return _mono(data)


def _open_av(path: Path):
    import av

    try:
        container = av.open(str(path))
    except av.error.PermissionError as exc:
        raise DecodeError("unreadable", f"cannot read it ({exc})") from exc
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise DecodeError("not_audio", f"FFmpeg cannot open it ({exc})") from exc
    if not container.streams.audio:
        container.close()
        raise DecodeError("not_audio", "no audio stream")
    stream = container.streams.audio[0]
    if stream.codec_context.name in ("none", "") or stream.codec_context.codec is None:
        container.close()
        raise DecodeError("drm", "the audio stream cannot be decoded (protected or unknown codec)")
    return container


def _read_av(path: Path, info: AudioInfo, start: float, seconds: float) -> tuple[np.ndarray, int]:
    import av

    container = _open_av(path)
    try:
        stream = container.streams.audio[0]
        if start > 0 and stream.time_base is not None:
            container.seek(int(start / stream.time_base), stream=stream, any_frame=False, backward=True)
        rate = info.rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        pieces: list[np.ndarray] = []
        got = 0
        wanted = int(seconds * rate)
        first_time: float | None = None
        for frame in container.decode(stream):
            if first_time is None and frame.time is not None:
                first_time = float(frame.time)
            for out in resampler.resample(frame):
                block = out.to_ndarray().reshape(-1)
                pieces.append(block)
                got += len(block)
            if got >= wanted + int(max(0.0, start - (first_time or start)) * rate):
                break
    except av.error.FFmpegError as exc:
        raise DecodeError("corrupt", f"decoding failed ({exc})") from exc
    finally:
        container.close()
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    skip = int(max(0.0, start - (first_time if first_time is not None else start)) * rate)
    samples = samples[skip : skip + wanted]
    expected = min(wanted, info.frames - int(start * rate))
    if len(samples) < 0.9 * expected:
        raise DecodeError("truncated", f"{len(samples)} of {expected} samples decoded")
    return samples.astype(np.float32, copy=False), rate


def _mono(data: np.ndarray) -> np.ndarray:
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return np.ascontiguousarray(mono, dtype=np.float32)
