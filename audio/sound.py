"""Mono float32 audio in memory: the one currency between microphone, recognizers, synthesis and players."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

__all__ = ["Sound", "read_wav", "resample", "write_wav"]


@dataclass(frozen=True, eq=False)
class Sound:
    """A mono clip of float32 samples in [-1, 1]."""

    samples: np.ndarray
    rate: int
    """Samples per second."""

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.rate)

    def at_rate(self, rate: int) -> Sound:
        return self if rate == self.rate else Sound(resample(self.samples, self.rate, rate), rate)

    def padded(self, seconds: float) -> Sound:
        """The same sound followed by `seconds` of silence."""
        pad = np.zeros(round(seconds * self.rate), dtype=np.float32)
        return Sound(np.concatenate([self.samples, pad]), self.rate)

    def rms(self) -> float:
        return (
            float(np.sqrt(np.mean(np.square(self.samples, dtype=np.float64)))) if len(self.samples) else 0.0
        )

    def to_int16(self) -> bytes:
        return (np.clip(self.samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()

    @classmethod
    def from_int16(cls, data: bytes, rate: int) -> Sound:
        return cls(np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, rate)

    @classmethod
    def silence(cls, seconds: float, rate: int) -> Sound:
        return cls(np.zeros(round(seconds * rate), dtype=np.float32), rate)

    @classmethod
    def concat(cls, sounds: list[Sound], rate: int) -> Sound:
        parts = [s.at_rate(rate).samples for s in sounds]
        return cls(np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32), rate)


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling (anti-aliased), float32 out."""
    if rate_in == rate_out or len(samples) == 0:
        return np.asarray(samples, dtype=np.float32)
    from scipy.signal import resample_poly

    g = gcd(int(rate_in), int(rate_out))
    return resample_poly(samples, rate_out // g, rate_in // g).astype(np.float32)


def read_wav(path: str | Path) -> Sound:
    """Read a PCM WAV (8/16/24/32-bit integer or 32/64-bit float, any channel count) as mono float32.

    Raises ValueError with the reason when the file is not a WAV this can read, OSError when unreadable.
    """
    from scipy.io import wavfile

    try:
        rate, data = wavfile.read(str(path))
    except ValueError as exc:
        raise ValueError(f"{path}: not a readable WAV file ({exc})") from exc
    if data.ndim == 2:
        data = (
            data.mean(axis=1)
            if data.dtype.kind == "f"
            else data.astype(np.float64).mean(axis=1).astype(data.dtype)
        )
    if data.dtype.kind == "f":
        samples = data.astype(np.float32)
    elif data.dtype == np.uint8:
        samples = (data.astype(np.float32) - 128.0) / 128.0
    else:
        samples = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
    return Sound(samples, int(rate))


def write_wav(path: str | Path, sound: Sound) -> Path:
    """Write 16-bit mono PCM, the format every tool (and every recognizer) reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Opened here, not by wave.open(name): when the open fails, wave leaves a half-built writer whose
    # __del__ prints an AttributeError at exit, after the real error has been reported.
    with path.open("wb") as raw, wave.open(raw, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sound.rate)
        handle.writeframes(sound.to_int16())
    return path
