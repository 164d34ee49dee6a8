"""The plan of a clip: every musical decision (style, tempo, key, mode, density, loudness, brightness,
chord progression), made from the track's features alone and seeded by its id."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from audio.clips.palettes import PALETTES, palette_for
from audio.clips.patterns import PROGRESSIONS

if TYPE_CHECKING:
    from assistant.music.catalog import Track

__all__ = ["ClipPlan", "plan_clip"]


@dataclass(frozen=True)
class ClipPlan:
    """What a track's clip will sound like; `synthesize_clip` renders exactly this."""

    palette: str
    bpm: float
    tonic: int
    """Pitch class of the key (0 = C)."""
    minor: bool
    level: int
    """Rhythm density 0 (sparse) .. 3 (busy), from energy."""
    energy: float
    brightness: float
    """Low-pass cutoff of the mix in Hz."""
    target_rms: float
    progression: tuple[tuple[int, str], ...] = field(default=())
    seed: int = 0

    @property
    def seconds_per_step(self) -> float:
        return 60.0 / self.bpm / 4.0


def _seed(track_id: str) -> int:
    return int.from_bytes(hashlib.sha256(track_id.encode("utf-8")).digest()[:8], "little")


def plan_clip(track: Track) -> ClipPlan:
    """Decide tempo, key, mode, density, loudness and brightness of a track's clip from its features."""
    name = palette_for(track)
    palette = PALETTES[name]
    energy = min(max(float(track.energy), 0.0), 1.0)
    valence = min(max(float(track.valence), 0.0), 1.0)
    seed = _seed(track.id)
    rng = np.random.default_rng(seed)
    tempo = float(track.tempo)
    if not math.isfinite(tempo) or tempo <= 0:
        tempo = 70.0 + 90.0 * energy  # unknown tempo: guess from energy
    bpm = min(max(tempo, 50.0), 200.0)
    level = 0 if energy < 0.3 else 1 if energy < 0.55 else 2 if energy < 0.78 else 3
    minor = valence < 0.5
    options = PROGRESSIONS[palette.harmony][minor]
    progression = tuple(options[int(rng.integers(len(options)))])
    # Brightness: a low-pass from about 1.3 kHz (calm) to 10 kHz (driving); happier is a little brighter.
    tilt = 0.15 + 0.75 * energy + 0.1 * valence
    brightness = float(min(10_500.0, 650.0 * 2.0 ** (4.0 * tilt) * palette.bright))
    target_rms = float(10 ** ((-29.0 + 19.0 * energy) / 20.0))  # -29 dBFS calm .. -10 dBFS loud
    return ClipPlan(
        palette=name,
        bpm=round(bpm, 3),
        tonic=int(rng.integers(12)),
        minor=minor,
        level=level,
        energy=energy,
        brightness=brightness,
        target_rms=target_rms,
        progression=progression,
        seed=seed,
    )
