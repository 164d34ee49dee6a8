"""Short music previews synthesized from a track's features (pure numpy), cached as WAV outside the repo.

What a listener should hear follows the features:
- tempo sets the beat grid (capped to 50..200 BPM so the grid stays playable);
- energy sets the rhythm density (hits per beat for drums, notes per beat for bass, chords and melody),
  the loudness (target RMS), and the brightness (harmonics per note and a low-pass on the mix);
- valence picks major or minor harmony and melody;
- genre and subgenre pick the instrument palette: four-on-the-floor and saw stabs for house, distorted
  power chords for rock and metal, walking bass and brushes for jazz, Karplus-Strong guitars for folk,
  offbeat skank for reggae, clave and congas for salsa, strings and piano without drums for classical,
  pads without drums for ambient. Unknown labels (a real catalogue's "edm", "k-pop") fall back to a
  related palette or to one chosen from the features.
The random generator is seeded from the track id, so a track always sounds the same. `clip_path` keys its
cache file by a hash of the features that shape the sound plus SYNTH_VERSION, so a change to either
makes a fresh clip and never serves a stale one.

The parts: palettes.py (styles), patterns.py (rhythm and harmony tables), plan.py (the decisions),
instruments.py (sound sources), render.py (the mix), cache.py (WAV cache and what to play).
"""

from audio.clips.cache import PREVIEW_SECONDS, clip_cache_dir, clip_path, clip_sound, load_clip
from audio.clips.palettes import PALETTES, Palette, palette_for
from audio.clips.plan import ClipPlan, plan_clip
from audio.clips.render import DEFAULT_RATE, DEFAULT_SECONDS, SYNTH_VERSION, synthesize_clip

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_SECONDS",
    "PALETTES",
    "PREVIEW_SECONDS",
    "SYNTH_VERSION",
    "ClipPlan",
    "Palette",
    "clip_cache_dir",
    "clip_path",
    "clip_sound",
    "load_clip",
    "palette_for",
    "plan_clip",
    "synthesize_clip",
]
