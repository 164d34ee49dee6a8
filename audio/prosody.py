"""How something was said: loudness and pitch of an utterance, relative to the speaker's own usual level.

Recognized speech has no capitals or "!", so "YES!" and "yes" arrive as the same word; a louder or higher
"yes" than this person's usual one is what carries the intensity. Absolute levels mean little (microphone
gain, distance, voice), hence a running per-speaker baseline: 1.0 = as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Prosody", "ProsodyTracker", "loudness_db", "pitch_hz", "yin"]

FMIN, FMAX = 65.0, 450.0


def loudness_db(
    samples: np.ndarray, rate: int, voiced: np.ndarray | None = None, frame_seconds: float = 0.03
) -> float:
    """RMS level in dBFS over the voiced frames (over everything when no frame flags are given)."""
    x = np.asarray(samples, dtype=np.float64)
    if voiced is not None and voiced.any():
        frame = round(frame_seconds * rate)
        n = min(len(voiced), len(x) // frame)
        frames = x[: n * frame].reshape(n, frame)[voiced[:n]]
        x = frames.ravel()
    if len(x) == 0:
        return -120.0
    return float(10.0 * np.log10(np.mean(x * x) + 1e-12))


def yin(
    frame: np.ndarray, rate: int, fmin: float = FMIN, fmax: float = FMAX, threshold: float = 0.15
) -> tuple[float, float]:
    """Fundamental frequency of one frame by YIN (de Cheveigné & Kawahara 2002): (f0 Hz, aperiodicity).

    f0 is 0.0 when the frame has no clear period. The difference function comes from FFT autocorrelation.
    """
    x = np.asarray(frame, dtype=np.float64)
    x = x - x.mean()
    tau_max = min(int(rate / fmin), len(x) // 2)
    tau_min = max(2, int(rate / fmax))
    if tau_max <= tau_min + 2:
        return 0.0, 1.0
    w = len(x) - tau_max
    size = 1 << int(np.ceil(np.log2(len(x) + w)))
    spectrum = np.fft.rfft(x, size)
    kernel = np.fft.rfft(x[:w][::-1], size)
    # d(tau) = sum (x[j] - x[j+tau])^2 over j < w, written with energies and a cross-correlation.
    cross = np.fft.irfft(spectrum * kernel, size)[w - 1 : w - 1 + tau_max + 1]
    energy = np.concatenate([[0.0], np.cumsum(x * x)])
    e0 = energy[w]
    e_tau = energy[np.arange(tau_max + 1) + w] - energy[np.arange(tau_max + 1)]
    d = np.maximum(e0 + e_tau - 2.0 * cross, 0.0)
    cmnd = np.ones_like(d)
    running = np.cumsum(d[1:])
    cmnd[1:] = d[1:] * np.arange(1, len(d)) / np.maximum(running, 1e-12)
    below = np.flatnonzero(cmnd[tau_min:tau_max] < threshold)
    if len(below) == 0:
        tau = tau_min + int(np.argmin(cmnd[tau_min:tau_max]))
        return 0.0, float(cmnd[tau])
    tau = tau_min + int(below[0])
    while tau + 1 < tau_max and cmnd[tau + 1] < cmnd[tau]:  # walk to the bottom of the dip
        tau += 1
    # Parabolic interpolation around the minimum for sub-sample precision.
    if 1 <= tau < len(cmnd) - 1:
        a, b, c = cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if abs(denom) > 1e-12 else 0.0
    else:
        shift = 0.0
    return float(rate / (tau + shift)), float(cmnd[tau])


def pitch_hz(
    samples: np.ndarray,
    rate: int,
    frame_seconds: float = 0.04,
    hop_seconds: float = 0.02,
    min_level_db: float = -45.0,
) -> float:
    """Median f0 over the periodic frames of an utterance (0.0 if none are periodic)."""
    x = np.asarray(samples, dtype=np.float64)
    frame, hop = int(frame_seconds * rate), int(hop_seconds * rate)
    f0s = []
    for start in range(0, max(0, len(x) - frame) + 1, hop):
        chunk = x[start : start + frame]
        if len(chunk) < frame or 10 * np.log10(np.mean(chunk * chunk) + 1e-12) < min_level_db:
            continue
        f0, aperiodicity = yin(chunk, rate)
        if f0 > 0 and aperiodicity < 0.2:
            f0s.append(f0)
    return float(np.median(f0s)) if f0s else 0.0


@dataclass(frozen=True)
class Prosody:
    level_db: float
    f0_hz: float
    loudness: float
    """Relative to the speaker's usual level: 2 ** (dB difference / 10), i.e. twice as loud per +10 dB
    (how perceived loudness grows); 1.0 = usual."""
    pitch: float
    """f0 / the speaker's usual f0; 1.0 = usual, 1.12 = two semitones higher."""


@dataclass
class ProsodyTracker:
    """Measures utterances and keeps a running baseline per speaker (exponential average)."""

    smoothing: float = 0.3
    """Weight of the newest utterance in the baseline."""
    _level: dict[str, float] = field(default_factory=dict)
    _log_f0: dict[str, float] = field(default_factory=dict)

    def measure(
        self, samples: np.ndarray, rate: int, voiced: np.ndarray | None = None, speaker: str = "default"
    ) -> Prosody:
        level = loudness_db(samples, rate, voiced)
        f0 = pitch_hz(samples, rate)
        base_level = self._level.get(speaker, level)
        loudness = float(2.0 ** ((level - base_level) / 10.0))
        pitch = 1.0
        if f0 > 0:
            log_f0 = float(np.log(f0))
            base = self._log_f0.get(speaker, log_f0)
            pitch = float(np.exp(log_f0 - base))
            self._log_f0[speaker] = (1 - self.smoothing) * base + self.smoothing * log_f0
        self._level[speaker] = (1 - self.smoothing) * base_level + self.smoothing * level
        return Prosody(level, f0, loudness, pitch)
