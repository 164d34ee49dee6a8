"""Sound sources: band-limited oscillators, envelopes, Karplus-Strong strings, a drum kit, and one note
of any named instrument."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from audio.clips.plan import ClipPlan

__all__ = ["BASS_VOICE", "DRUM_GAIN", "PLUCKED", "VOICES", "drum_kit", "midi_hz", "play_note"]

TABLE_SIZE = 2048


@lru_cache(maxsize=256)
def _table(kind: str, harmonics: int) -> np.ndarray:
    """One band-limited cycle of a waveform with `harmonics` partials, peak-normalized."""
    k = np.arange(1, harmonics + 1, dtype=np.float64)
    if kind == "saw":
        amps = 1.0 / k
    elif kind == "square":
        amps = np.where(k % 2 == 1, 1.0 / k, 0.0)
    elif kind == "soft":  # triangle-like: flute, sine-ish leads
        amps = np.where(k % 2 == 1, 1.0 / k**2, 0.0)
        amps[1:2] += 0.15
    elif kind == "organ":
        amps = np.zeros_like(k)
        for h, a in ((1, 1.0), (2, 0.7), (3, 0.5), (4, 0.35), (6, 0.25), (8, 0.2)):
            if h <= harmonics:
                amps[h - 1] = a
    elif kind == "reed":  # sax, harmonica, brass: strong mid partials
        amps = 1.0 / k * (1.0 + 1.5 * np.exp(-((k - 4.0) ** 2) / 6.0))
    elif kind == "piano":
        amps = 1.0 / k**1.6
    else:  # "sine"
        amps = np.zeros_like(k)
        amps[0] = 1.0
    spectrum = np.zeros(TABLE_SIZE // 2 + 1, dtype=np.complex128)
    spectrum[1 : harmonics + 1] = amps * -1j
    wave_ = np.fft.irfft(spectrum, n=TABLE_SIZE)
    return (wave_ / (np.max(np.abs(wave_)) or 1.0)).astype(np.float32)


def _osc(kind: str, freq: float, n: int, rate: int, max_harmonics: int, vibrato: float = 0.0) -> np.ndarray:
    harmonics = max(1, min(max_harmonics, int(0.45 * rate / max(freq, 1.0))))
    table = _table(kind, harmonics)
    t = np.arange(n, dtype=np.float64)
    if vibrato:
        inst = freq * (1.0 + vibrato * np.sin(2 * np.pi * 5.2 * t / rate))
        phase = np.cumsum(inst) / rate
    else:
        phase = t * (freq / rate)
    index = ((phase - np.floor(phase)) * TABLE_SIZE).astype(np.int32) & (TABLE_SIZE - 1)
    return table[index]


def _envelope(n: int, rate: int, attack: float, decay: float, sustain: float, release: float) -> np.ndarray:
    t = np.arange(n, dtype=np.float32) / rate
    env = sustain + (1.0 - sustain) * np.exp(-np.maximum(t - attack, 0.0) / max(decay, 1e-3))
    a = max(1, int(attack * rate))
    env[:a] *= np.linspace(0.0, 1.0, min(a, n), dtype=np.float32)
    r = min(n, max(1, int(release * rate)))
    env[-r:] *= np.linspace(1.0, 0.0, r, dtype=np.float32)
    return env


@lru_cache(maxsize=160)
def _pluck(period: int, n: int, damping: float, rate: int) -> np.ndarray:
    """Karplus-Strong plucked string: a noise burst in a delay line of `period` samples, averaged and
    damped each pass. Computed one period at a time (each period depends only on the one before)."""
    rng = np.random.default_rng(period * 7919 + rate)
    out = np.zeros(n + 1, dtype=np.float64)  # out[0] is a silent sample before the pluck
    burst = rng.uniform(-1.0, 1.0, period)
    burst -= burst.mean()
    out[1 : period + 1] = burst[: min(period, n)]
    gain = 0.5 * damping
    k = period + 1
    while k < n + 1:
        end = min(k + period, n + 1)
        out[k:end] = gain * (out[k - period : end - period] + out[k - period - 1 : end - period - 1])
        k = end
    return out[1:].astype(np.float32)


@lru_cache(maxsize=4)
def drum_kit(rate: int) -> dict[str, np.ndarray]:
    """One-shot percussion samples, the same for every clip (a drum kit does not change per song)."""
    rng = np.random.default_rng(1234)

    def t(seconds: float) -> np.ndarray:
        return np.arange(int(seconds * rate), dtype=np.float64) / rate

    def noise(seconds: float) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, int(seconds * rate))

    def highpass(x: np.ndarray, times: int = 1) -> np.ndarray:
        for _ in range(times):
            x = np.diff(x, prepend=0.0)
        return x / (np.max(np.abs(x)) or 1.0)

    def lowpass(x: np.ndarray, width: int) -> np.ndarray:
        return np.convolve(x, np.ones(width) / width, mode="same")

    kit: dict[str, np.ndarray] = {}
    tk = t(0.35)
    sweep = 48.0 + 110.0 * np.exp(-tk / 0.035)
    kit["kick"] = np.sin(2 * np.pi * np.cumsum(sweep) / rate) * np.exp(-tk / 0.22)
    ts = t(0.25)
    kit["snare"] = 0.75 * highpass(noise(0.25)) * np.exp(-ts / 0.09) + 0.5 * np.sin(
        2 * np.pi * 185.0 * ts
    ) * np.exp(-ts / 0.06)
    kit["hat"] = highpass(noise(0.07), 2) * np.exp(-t(0.07) / 0.018)
    kit["open"] = highpass(noise(0.35), 2) * np.exp(-t(0.35) / 0.12)
    tr = t(0.9)
    metal = np.sum(
        [np.sign(np.sin(2 * np.pi * f * tr)) for f in (317.0, 421.0, 593.0, 767.0, 1043.0)], axis=0
    )
    kit["ride"] = 0.25 * highpass(metal, 2) * np.exp(-tr / 0.45) + 0.2 * highpass(noise(0.9), 2) * np.exp(
        -tr / 0.3
    )
    kit["crash"] = highpass(noise(1.2), 1) * np.exp(-t(1.2) / 0.5)
    tb = t(0.22)
    kit["brush"] = lowpass(noise(0.22), 6) * np.sin(np.pi * tb / 0.22) ** 2
    tr2 = t(0.05)
    kit["rim"] = (np.sin(2 * np.pi * 1700 * tr2) + 0.6 * np.sin(2 * np.pi * 420 * tr2)) * np.exp(-tr2 / 0.012)
    tc = t(0.18)
    clap = highpass(noise(0.18)) * np.exp(-tc / 0.05)
    for delay in (0.008, 0.017):
        d = int(delay * rate)
        clap[d:] += 0.7 * highpass(noise(0.18))[: len(clap) - d] * np.exp(-tc[: len(clap) - d] / 0.01)
    kit["clap"] = clap / np.max(np.abs(clap))
    tcl = t(0.08)
    kit["clave"] = np.sin(2 * np.pi * 2500 * tcl) * np.exp(-tcl / 0.02)
    tco = t(0.3)
    kit["conga"] = np.sin(2 * np.pi * np.cumsum(210 + 60 * np.exp(-tco / 0.02)) / rate) * np.exp(-tco / 0.11)
    tcb = t(0.25)
    bell = np.sign(np.sin(2 * np.pi * 545 * tcb)) + np.sign(np.sin(2 * np.pi * 815 * tcb))
    kit["cowbell"] = 0.5 * highpass(bell) * np.exp(-tcb / 0.07)
    tsh = t(0.09)
    kit["shaker"] = highpass(noise(0.09), 2) * np.sin(np.pi * tsh / 0.09) ** 3
    tta = t(0.2)
    jingle = np.sum([np.sin(2 * np.pi * f * tta) for f in (5200.0, 6900.0, 8300.0)], axis=0)
    kit["tamb"] = (0.6 * highpass(noise(0.2), 2) + 0.25 * jingle) * np.exp(-tta / 0.06)
    kit["pedal"] = 0.6 * highpass(noise(0.05), 2) * np.exp(-t(0.05) / 0.01)
    kit["roll"] = kit["hat"]
    return {name: (s / (np.max(np.abs(s)) or 1.0)).astype(np.float32) for name, s in kit.items()}


DRUM_GAIN = {
    "kick": 1.0, "snare": 0.7, "hat": 0.28, "open": 0.25, "ride": 0.3, "crash": 0.3, "brush": 0.22,
    "rim": 0.35, "clap": 0.55, "clave": 0.35, "conga": 0.55, "cowbell": 0.25, "shaker": 0.18, "tamb": 0.2,
    "pedal": 0.2, "roll": 0.22,
}  # fmt: skip

# Tonal instruments: (waveform, most harmonics, attack s, decay s, sustain level, release s, vibrato)
VOICES: dict[str, tuple[str, int, float, float, float, float, float]] = {
    "power": ("saw", 24, 0.005, 0.6, 0.55, 0.04, 0.0),
    "distorted": ("saw", 20, 0.01, 0.5, 0.7, 0.05, 0.004),
    "square": ("square", 18, 0.01, 0.3, 0.5, 0.06, 0.0),
    "sine": ("soft", 6, 0.03, 0.4, 0.7, 0.12, 0.005),
    "flute": ("soft", 8, 0.05, 0.5, 0.75, 0.12, 0.006),
    "sax": ("reed", 16, 0.04, 0.5, 0.7, 0.08, 0.005),
    "harp": ("reed", 14, 0.03, 0.4, 0.6, 0.08, 0.008),
    "brass": ("reed", 18, 0.03, 0.25, 0.6, 0.06, 0.003),
    "organ": ("organ", 8, 0.005, 0.15, 0.8, 0.03, 0.0),
    "strings": ("saw", 16, 0.18, 0.8, 0.8, 0.25, 0.006),
    "pad": ("saw", 10, 0.45, 1.5, 0.8, 0.6, 0.0),
    "stab": ("saw", 16, 0.004, 0.12, 0.2, 0.05, 0.0),
    "piano": ("piano", 14, 0.003, 0.45, 0.12, 0.15, 0.0),
    "rhodes": ("soft", 6, 0.004, 0.7, 0.25, 0.2, 0.0),
    "bell": ("sine", 1, 0.002, 0.5, 0.0, 0.2, 0.0),
    "marimba": ("sine", 1, 0.002, 0.18, 0.0, 0.05, 0.0),
    "steel": ("soft", 8, 0.06, 0.6, 0.7, 0.2, 0.009),
    "bass": ("saw", 6, 0.005, 0.25, 0.55, 0.04, 0.0),
    "sub": ("sine", 1, 0.005, 0.6, 0.6, 0.06, 0.0),
    "upright": ("soft", 5, 0.01, 0.3, 0.25, 0.06, 0.0),
}
PLUCKED = {"guitar": 0.996, "nylon": 0.993, "harpsichord": 0.998, "pluck": 0.994}
"""Karplus-Strong instruments and how long they ring (damping per pass)."""
BASS_VOICE: dict[str, str] = {
    "picked": "bass", "synth": "bass", "walking": "upright", "upright": "upright", "sub": "sub", "808": "sub",
    "reggae": "sub", "dub": "sub", "tumbao": "upright", "pedal": "bass", "boogie": "bass",
    "boomchick": "upright", "continuo": "bass", "slap": "bass", "drone": "sub",
}  # fmt: skip


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def play_note(
    name: str, midi: float, seconds: float, plan: ClipPlan, rate: int, velocity: float
) -> np.ndarray:
    """One note of instrument `name` (a key of VOICES or PLUCKED), `seconds` long plus its release."""
    freq = midi_hz(midi)
    if name in PLUCKED:
        period = max(2, round(rate / freq - 0.5))  # the averaging filter adds half a sample of delay
        n = int(min(seconds + 0.15, 1.6) * rate)
        damping = PLUCKED[name] - (0.004 if plan.energy < 0.3 else 0.0)
        out = _pluck(period, n, damping, rate).copy()
        fade = min(len(out), int(0.02 * rate))
        out[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        return out * velocity
    kind, most, attack, decay, sustain, release, vibrato = VOICES[name]
    # Brighter (more energetic) clips get more partials per note.
    harmonics = max(1, round(most * (0.35 + 0.65 * min(plan.brightness / 8000.0, 1.0))))
    n = int((seconds + release) * rate)
    if n <= 0:
        return np.zeros(0, dtype=np.float32)
    sound = _osc(kind, freq, n, rate, harmonics, vibrato)
    if name == "pad":  # a second, detuned oscillator makes it wide and soft
        sound = 0.5 * (sound + _osc(kind, freq * 1.006, n, rate, harmonics))
    elif name == "bell":
        sound = sound + 0.35 * _osc("sine", freq * 2.76, n, rate, 1) * np.exp(
            -np.arange(n, dtype=np.float32) / (0.12 * rate)
        )
    elif name == "marimba":
        sound = sound + 0.3 * _osc("sine", freq * 3.93, n, rate, 1)
    elif name == "rhodes":
        sound = sound * (1.0 + 0.15 * np.sin(2 * np.pi * 4.5 * np.arange(n) / rate)).astype(np.float32)
    env = _envelope(n, rate, attack, decay, sustain, min(release, n / rate))
    return sound * env * velocity
