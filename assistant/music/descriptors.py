"""Audio descriptors computed from the music itself with librosa, on the Spotify features' scales, so a
scanned folder is searched like a Spotify catalogue ("something upbeat" means energy near 0.8 either way).

What each descriptor is (frame hop 512 at 22,050 Hz, mono, over an analysis window of at most 30 s taken
past the intro; see `analysis_window`):
- tempo: librosa's tempo estimate (the onset-strength envelope's tempogram, with a prior around 120 BPM)
  in BPM;
  0 when no beat is found (as Spotify writes 0 for "not detected").
- loudness: the RMS level of the window's loudest 8 s, in dBFS (Spotify's `loudness` is an integrated
  level in dB too).
- brightness: median spectral centroid as a share of 5 kHz, clipped to 0..1.
- energy (0..1, Spotify: "perceptual intensity"): a weighted mean of loudness (-35..-5 dBFS -> 0..1),
  onset density (median onset strength, 0..2 -> 0..1), brightness, and the beat-level of the tempo
  (60..180 BPM -> 0..1); the weights are ENERGY_WEIGHTS.
- danceability (0..1): pulse clarity (the onset envelope's autocorrelation at the beat period, relative
  to lag 0) times a preference for 90..130 BPM.
- valence (0..1, "musical positiveness"): mode and brightness: the chroma's correlation with the best
  major key profile minus that with the best minor profile (Krumhansl-Kessler), mixed with brightness
  and tempo; the weakest of the proxies (as valence is the hardest Spotify feature to hear).
- acousticness (0..1): one minus spectral flatness and brightness combined (noisy, bright, distorted
  spectra read as electric).

How well they track the features they stand for is measured on clips whose features are known (the
demo catalogue's synthesized clips, which are made from energy, valence and tempo): see docs/library.md
and tests/test_library.py. No Spotify rows come with audio, so there is no overlap to check there.

Only the library scan imports this module (librosa and numba are slow to import and compile): never at
start-up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["ANALYSIS_SECONDS", "DESCRIPTOR_VERSION", "Descriptors", "analysis_window", "describe"]

DESCRIPTOR_VERSION = 1
"""Bumped when a formula changes: cached descriptors of an older version are computed again."""
ANALYSIS_RATE = 22_050
ANALYSIS_SECONDS = 30.0
CLIP_SECONDS = 8.0
"""Length of the preview the clip player cuts (audio.clips.DEFAULT_SECONDS)."""
ENERGY_WEIGHTS = {"loudness": 0.35, "onsets": 0.3, "brightness": 0.15, "tempo": 0.2}

# Krumhansl-Kessler key profiles (C major / C minor), rotated for the other keys.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True)
class Descriptors:
    tempo: float
    loudness: float
    brightness: float
    energy: float
    danceability: float
    valence: float
    acousticness: float
    preview_start: float
    """Seconds into the file where the most representative (loudest sustained) 8 s begin."""

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def analysis_window(duration: float) -> tuple[float, float]:
    """(start, length) in seconds: the whole of a short file; otherwise 30 s starting 30 % in (past the
    intro, where verse and chorus are), so a long file is never decoded whole."""
    if duration <= ANALYSIS_SECONDS:
        return 0.0, duration
    return min(0.3 * duration, duration - ANALYSIS_SECONDS), ANALYSIS_SECONDS


def describe(samples: np.ndarray, rate: int, offset: float = 0.0) -> Descriptors:
    """Descriptors of a mono signal that starts `offset` seconds into its file."""
    import librosa

    y = np.asarray(samples, dtype=np.float32)
    if rate != ANALYSIS_RATE:
        y = librosa.resample(y, orig_sr=rate, target_sr=ANALYSIS_RATE, res_type="soxr_hq")
    sr = ANALYSIS_RATE
    hop = 512
    rms = librosa.feature.rms(y=y, hop_length=hop)[0]
    # The level of the loudest 8 s (the preview's stretch): intros, fades and breaks do not make a loud
    # song quiet.
    best = _loudest_start(rms, sr, hop, CLIP_SECONDS)
    part = y[int(best * sr) : int((best + CLIP_SECONDS) * sr)]
    level = float(np.sqrt(np.mean(part.astype(np.float64) ** 2))) if len(part) else 0.0
    loudness = 20.0 * np.log10(max(level, 1e-6))
    spectrum = np.abs(librosa.stft(y, n_fft=2048, hop_length=hop))
    power = spectrum**2
    freqs = librosa.fft_frequencies(sr=sr, n_fft=2048)
    total = spectrum.sum(axis=0) + 1e-12
    centroid = (freqs[:, None] * spectrum).sum(axis=0) / total
    # Spectral flatness: geometric over arithmetic mean of the power spectrum, per frame.
    flatness = np.exp(np.mean(np.log(power + 1e-10), axis=0)) / (np.mean(power, axis=0) + 1e-10)
    audible = rms > 0.1 * (rms.max() if len(rms) else 0.0)
    brightness = _clip(float(np.median(centroid[audible])) / 5000.0) if audible.any() else 0.0
    onset = librosa.onset.onset_strength(S=librosa.amplitude_to_db(spectrum, ref=np.max), sr=sr)
    # The beat tracker's own tempo estimate (tempogram autocorrelation with a prior around 120 BPM),
    # without importing librosa.beat, whose numba kernels add seconds to every worker's start.
    tempo_raw = librosa.feature.tempo(onset_envelope=onset, sr=sr, hop_length=hop)
    tempo = float(np.atleast_1d(tempo_raw)[0]) if level > 1e-4 else 0.0
    onsets = _clip(float(np.median(onset)) / 2.0)
    loud = _clip((loudness + 35.0) / 30.0)
    beat_level = _clip((tempo - 60.0) / 120.0) if tempo > 0 else 0.0
    w = ENERGY_WEIGHTS
    energy = _clip(
        w["loudness"] * loud + w["onsets"] * onsets + w["brightness"] * brightness + w["tempo"] * beat_level
    )
    danceability = _clip(_pulse_clarity(onset, tempo, sr, hop) * _dance_tempo(tempo))
    chroma = librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0)  # A440: skips a pitch search
    mode = _mode(chroma.mean(axis=1))
    valence = _clip(0.5 + 0.4 * mode + 0.15 * (brightness - 0.35) + 0.1 * (beat_level - 0.5))
    acousticness = _clip(1.0 - 0.6 * min(1.0, float(np.median(flatness)) * 20.0) - 0.4 * brightness)
    return Descriptors(
        tempo=round(tempo, 2),
        loudness=round(loudness, 2),
        brightness=round(brightness, 4),
        energy=round(energy, 4),
        danceability=round(danceability, 4),
        valence=round(valence, 4),
        acousticness=round(acousticness, 4),
        preview_start=round(offset + best, 2),
    )


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _pulse_clarity(onset: np.ndarray, tempo: float, sr: int, hop: int) -> float:
    """How strongly the onset envelope repeats at the beat period: its autocorrelation there over lag 0."""
    if tempo <= 0 or len(onset) < 8:
        return 0.0
    x = onset - onset.mean()
    lag = round(60.0 / tempo * sr / hop)
    if lag <= 0 or lag >= len(x):
        return 0.0
    denominator = float(np.dot(x, x))
    return 0.0 if denominator <= 0 else max(0.0, float(np.dot(x[:-lag], x[lag:])) / denominator)


def _dance_tempo(tempo: float) -> float:
    """1 inside 90..130 BPM, falling to 0.3 an octave away."""
    if tempo <= 0:
        return 0.0
    if 90 <= tempo <= 130:
        return 1.0
    distance = (90 - tempo) / 45 if tempo < 90 else (tempo - 130) / 65
    return max(0.3, 1.0 - 0.7 * distance)


def _mode(profile: np.ndarray) -> float:
    """-1 (clearly minor) .. 1 (clearly major): best major-key correlation minus best minor-key one."""
    if not np.isfinite(profile).all() or profile.std() == 0:
        return 0.0
    major = max(float(np.corrcoef(profile, np.roll(_MAJOR, k))[0, 1]) for k in range(12))
    minor = max(float(np.corrcoef(profile, np.roll(_MINOR, k))[0, 1]) for k in range(12))
    return max(-1.0, min(1.0, (major - minor) * 4.0))


def _loudest_start(rms: np.ndarray, sr: int, hop: int, seconds: float) -> float:
    """Start (seconds into the window) of the `seconds`-long stretch with the highest mean level."""
    width = int(seconds * sr / hop)
    if len(rms) <= width or width <= 0:
        return 0.0
    sums = np.convolve(rms, np.ones(width), mode="valid")
    return float(int(np.argmax(sums)) * hop / sr)
