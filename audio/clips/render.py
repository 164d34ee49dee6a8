"""Rendering a clip plan: drums, bass, chords and melody mixed on buses, then echo, crackle, the room,
a low-pass for brightness, loudness and fades."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from audio.clips.instruments import BASS_VOICE, DRUM_GAIN, drum_kit, play_note
from audio.clips.palettes import PALETTES, Palette
from audio.clips.patterns import (
    BASS_RHYTHMS,
    CHORD_PARTS,
    DRUM_PATTERNS,
    MAJOR_SCALE,
    MINOR_SCALE,
    QUALITY,
    STEPS,
)
from audio.clips.plan import ClipPlan, plan_clip

if TYPE_CHECKING:
    from assistant.music.catalog import Track

__all__ = ["DEFAULT_RATE", "DEFAULT_SECONDS", "SYNTH_VERSION", "synthesize_clip"]

SYNTH_VERSION = 2
"""Bump when the sound of any clip changes: cached clips of older versions are then never used."""
DEFAULT_RATE = 22050
DEFAULT_SECONDS = 8.0


@dataclass
class _Mix:
    rate: int
    n: int
    buses: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, bus: str, sound: np.ndarray, at: float, gain: float) -> None:
        start = round(at * self.rate)
        if start >= self.n or gain == 0.0:
            return
        target = self.buses.setdefault(bus, np.zeros(self.n, dtype=np.float32))
        if start < 0:
            sound, start = sound[-start:], 0
        end = min(self.n, start + len(sound))
        target[start:end] += gain * sound[: end - start]


def _step_time(plan: ClipPlan, swing: float, bar: int, step: int) -> float:
    """Seconds from the clip start to a 16th-note step, with the off-beats swung toward triplets."""
    beat, sub = divmod(step, 4)
    offsets = (0.0, 0.25 + swing * (1 / 3 - 0.25), 0.5 + swing * (2 / 3 - 0.5), 0.75 + swing * (5 / 6 - 0.75))
    return (bar * 4 + beat + offsets[sub]) * 4 * plan.seconds_per_step


def _hits(pattern: str) -> list[tuple[int, float]]:
    return [(i, 1.0 if c == "x" else 0.55) for i, c in enumerate(pattern) if c in "xo"]


def _voiced(tonic: int, root: int, quality: str, low: int = 52) -> list[int]:
    """Close-voiced chord tones at or above MIDI note `low`."""
    base = low + (tonic + root - low) % 12
    return [base + interval for interval in QUALITY.get(quality, QUALITY["M"])]


def _render_drums(mix: _Mix, plan: ClipPlan, palette: Palette, bars: int, rng: np.random.Generator) -> None:
    if palette.drums is None:
        return
    kit = drum_kit(mix.rate)
    pattern = DRUM_PATTERNS[palette.drums][plan.level]
    push = 0.75 + 0.5 * plan.energy  # harder playing when more energetic
    for instrument, steps in pattern.items():
        gain = DRUM_GAIN[instrument] * push
        hits = _hits(steps)
        for bar in range(bars):
            for step, velocity in hits:
                at = _step_time(plan, palette.swing, bar, step) + float(rng.normal(0.0, 0.003))
                v = velocity * float(rng.uniform(0.85, 1.0))
                mix.add("drums", kit[instrument], at, gain * v)
                if instrument == "roll":  # trap hi-hat roll: 32nd notes through the beat
                    for k in range(1, 8):
                        mix.add("drums", kit["hat"], at + k * plan.seconds_per_step / 2, gain * v * 0.8)


def _render_bass(mix: _Mix, plan: ClipPlan, palette: Palette, bars: int, rng: np.random.Generator) -> None:
    rhythm = BASS_RHYTHMS[palette.bass][plan.level]
    if not rhythm:
        return
    voice = BASS_VOICE[palette.bass]
    hits = _hits(rhythm)
    scale = MINOR_SCALE if plan.minor else MAJOR_SCALE
    low = 28 if palette.bass in ("808", "sub", "dub") else 36
    for bar in range(bars):
        root, quality = plan.progression[bar % len(plan.progression)]
        tones = QUALITY.get(quality, QUALITY["M"])
        base = low + (plan.tonic + root - low) % 12
        for i, (step, velocity) in enumerate(hits):
            note = base
            if palette.bass == "walking":  # chord tones and passing notes, one per beat
                note = base + (tones[i % len(tones)] if i % 2 == 0 else scale[int(rng.integers(len(scale)))])
            elif palette.bass == "boogie":
                note = base + (0, tones[1], 7, 9, 10, 9, 7, tones[1])[i % 8]
            elif palette.bass in ("boomchick", "tumbao", "reggae"):
                note = base + (0, 7)[i % 2]
            elif plan.level == 3 and palette.bass in ("picked", "synth", "slap") and i % 2 == 1:
                note = base + 12
            nxt = hits[i + 1][0] if i + 1 < len(hits) else STEPS
            length = max(1, nxt - step) * plan.seconds_per_step
            if voice == "sub":
                length = max(length, 2 * plan.seconds_per_step)
            at = _step_time(plan, palette.swing, bar, step)
            mix.add("bass", play_note(voice, note, length * 0.95, plan, mix.rate, velocity), at, 0.55)


def _render_chords(mix: _Mix, plan: ClipPlan, palette: Palette, bars: int, rng: np.random.Generator) -> None:
    instrument, rhythms, arpeggio, ring = CHORD_PARTS[palette.chords]
    hits = _hits(rhythms[plan.level])
    low = 40 if instrument == "power" else 55 if instrument in ("bell", "marimba", "harpsichord") else 50
    cache: dict[tuple[float, float], np.ndarray] = {}
    for bar in range(bars):
        root, quality = plan.progression[bar % len(plan.progression)]
        third = None
        if instrument == "power":
            # Root, fifth and octave are distorted; the chord's third is doubled on a clean voice an
            # octave up, so major and minor stay audible (the distorted root's fifth harmonic alone
            # would always suggest a major third).
            base = low + (plan.tonic + root - low) % 12
            tones = [base, base + 7, base + 12]
            third = base + 12 + QUALITY.get(quality, QUALITY["M"])[1]
        else:
            tones = _voiced(plan.tonic, root, quality, low)
        if arpeggio:
            tones = tones + [tones[0] + 12] + ([tones[1] + 12] if plan.level >= 2 else [])
        for i, (step, velocity) in enumerate(hits):
            nxt = hits[i + 1][0] if i + 1 < len(hits) else STEPS
            span = (nxt - step) * plan.seconds_per_step
            length = span if ring else min(span, plan.seconds_per_step) * 0.9
            if instrument == "power" and plan.level >= 2:
                length = plan.seconds_per_step * 0.9  # palm-muted chugs
            at = _step_time(plan, palette.swing, bar, step)
            notes = [tones[i % len(tones)]] if arpeggio else tones
            if third is not None:
                mix.add("thirds", play_note("organ", third, length, plan, mix.rate, velocity), at, 1.0)
            for j, note in enumerate(notes):
                key = (note, round(length, 3))
                if key not in cache:
                    cache[key] = play_note(instrument, note, length, plan, mix.rate, 1.0)
                strum = 0.012 * j if instrument in ("guitar", "nylon") else 0.0
                mix.add(
                    "chords",
                    cache[key],
                    at + strum,
                    velocity * float(rng.uniform(0.8, 1.0)) / len(notes) ** 0.5,
                )


def _render_lead(mix: _Mix, plan: ClipPlan, palette: Palette, bars: int, rng: np.random.Generator) -> None:
    if palette.lead == "none":
        return
    scale = MINOR_SCALE if plan.minor else MAJOR_SCALE
    per_bar = (2, 4, 6, 8)[plan.level]
    grid = STEPS // per_bar if per_bar in (2, 4, 8) else None
    # The tonic's octave: C4 (60) up to B4, so melodies sit around the top of the treble staff.
    home = 60 + plan.tonic
    degree = 0
    for bar in range(bars):
        root, quality = plan.progression[bar % len(plan.progression)]
        chord = {(root + i) % 12 for i in QUALITY.get(quality, QUALITY["M"])}
        if grid is not None:
            steps = list(range(0, STEPS, grid))
        else:
            steps = sorted(int(s) for s in rng.choice(STEPS // 2, size=per_bar, replace=False) * 2)
        for i, step in enumerate(steps):
            if i > 0 and rng.random() < 0.2:
                continue  # a rest
            degree = int(np.clip(degree + int(rng.choice((-2, -1, -1, 1, 1, 2, 0))), -3, 9))
            octave, index = divmod(degree, len(scale))
            pitch = scale[index] + 12 * octave
            if step % 4 == 0:  # strong beats land on a chord tone
                while pitch % 12 not in chord:
                    pitch -= 1
            note = home + pitch
            nxt = steps[i + 1] if i + 1 < len(steps) else STEPS
            length = (nxt - step) * plan.seconds_per_step * 0.9
            at = _step_time(plan, palette.swing, bar, step)
            mix.add("lead", play_note(palette.lead, note, length, plan, mix.rate, 1.0), at, 0.8)


@lru_cache(maxsize=8)
def _room(rate: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Spectrum of a 1.6 s room (decaying noise, slightly darkened) at FFT `size`, and its frequencies."""
    rng = np.random.default_rng(99)
    seconds = 1.6
    n = int(seconds * rate)
    ir = rng.normal(0.0, 1.0, n) * np.exp(-np.arange(n) / rate / (seconds / 5.0))
    ir = np.convolve(ir, np.ones(4) / 4, mode="same")
    ir /= np.sqrt(np.sum(ir**2))
    return np.fft.rfft(ir.astype(np.float32), size), np.fft.rfftfreq(size, 1.0 / rate).astype(np.float32)


def _room_and_tone(signal: np.ndarray, rate: int, reverb: float, cutoff: float) -> np.ndarray:
    """Reverb (convolution with the room) and a zero-phase second-order low-pass at `cutoff` Hz, both
    applied in one trip through the frequency domain: the costliest step of a clip, so done once."""
    size = 1 << math.ceil(math.log2(len(signal) + int(1.6 * rate)))
    room, freqs = _room(rate, size)
    response = ((1.0 - 0.5 * reverb) + reverb * room) / np.sqrt(1.0 + (freqs / cutoff) ** 4)
    spectrum = np.fft.rfft(signal.astype(np.float32), size) * response
    return np.fft.irfft(spectrum, size)[: len(signal)].astype(np.float32)


def _render(plan: ClipPlan, rate: int, seconds: float) -> np.ndarray:
    palette = PALETTES[plan.palette]
    rng = np.random.default_rng(plan.seed)
    n = round(seconds * rate)
    mix = _Mix(rate, n)
    bars = math.ceil(seconds / (16 * plan.seconds_per_step)) + 1
    _render_drums(mix, plan, palette, bars, rng)
    _render_bass(mix, plan, palette, bars, rng)
    _render_chords(mix, plan, palette, bars, rng)
    _render_lead(mix, plan, palette, bars, rng)
    gains = {"drums": 1.0, "bass": 0.8, "chords": 0.55, "thirds": 0.7, "lead": 0.4}
    out = np.zeros(n, dtype=np.float32)
    for bus, signal in mix.buses.items():
        peak = float(np.max(np.abs(signal))) or 1.0
        signal = signal / peak
        if bus == "chords" and palette.drive > 0:
            drive = 1.0 + 6.0 * palette.drive * (0.4 + 0.6 * plan.energy)
            signal = np.tanh(drive * signal) / np.tanh(drive)
        out += gains[bus] * signal
    if "echo" in palette.extras:  # dub: dotted-eighth echoes
        delay = int(3 * plan.seconds_per_step * rate)
        for k, g in ((1, 0.45), (2, 0.22), (3, 0.1)):
            if k * delay < n:
                out[k * delay :] += g * out[: n - k * delay]
    if "vinyl" in palette.extras:  # lo-fi: crackle and hiss
        crackle = (rng.random(n) < 8.0 / rate).astype(np.float32) * rng.uniform(-0.3, 0.3, n).astype(
            np.float32
        )
        out += crackle + rng.normal(0.0, 0.004, n).astype(np.float32)
    out = _room_and_tone(out, rate, palette.reverb, plan.brightness)
    # Loudness: scale to the energy's target RMS, then saturate softly so peaks never clip.
    rms = float(np.sqrt(np.mean(np.square(out, dtype=np.float64)))) or 1.0
    out = np.tanh(out * (plan.target_rms / rms) * 1.1) / 1.1
    fade_in, fade_out = int(0.02 * rate), int(0.35 * rate)
    out[:fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    out[n - fade_out :] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)
    peak = float(np.max(np.abs(out)))
    if peak > 0.98:
        out *= 0.98 / peak
    return out.astype(np.float32)


def synthesize_clip(
    track: Track, sample_rate: int = DEFAULT_RATE, seconds: float = DEFAULT_SECONDS
) -> np.ndarray:
    """A mono float32 clip in [-1, 1] that sounds like the track's features; deterministic per track."""
    if not 8000 <= int(sample_rate) <= 96_000:
        raise ValueError(f"sample_rate={sample_rate} is outside 8000..96000 Hz")
    if not 1.0 <= float(seconds) <= 30.0:
        raise ValueError(f"seconds={seconds} is outside 1..30")
    return _render(plan_clip(track), int(sample_rate), float(seconds))
