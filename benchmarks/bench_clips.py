"""How long one preview clip takes to synthesize, and what a cached clip costs.

Method: load the demo catalogue; synthesize one clip first (cold: builds the drum kit, wavetables and
pluck caches) and time it apart; then time `synthesize_clip` (8 s, 22,050 Hz) with perf_counter for
every n-th track (default: all 910), printing median, p95 and max overall and the slowest palettes.
The same for a sample of real Spotify tracks when ../shared/data is present (their genres map onto
palettes). Finally the cost of `clip_path` when the WAV is already cached (a stat) and of `load_clip`
reading it back. Single process, single thread; the machine's load average is printed because other
work on a shared machine slows every figure.

Usage: .venv/bin/python benchmarks/bench_clips.py [--every 1] [--spotify 200] [--seconds 8]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.music.catalog import Track, load_catalog
from audio.clips import clip_path, load_clip, plan_clip, synthesize_clip

ROOT = Path(__file__).resolve().parents[1]
SPOTIFY = ROOT.parent / "shared" / "data" / "catalog" / "spotify_songs.csv"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _time(tracks: list[Track], seconds: float) -> tuple[np.ndarray, dict[str, list[float]]]:
    times: list[float] = []
    by_palette: dict[str, list[float]] = defaultdict(list)
    for track in tracks:
        start = time.perf_counter()
        synthesize_clip(track, seconds=seconds)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        by_palette[plan_clip(track).palette].append(elapsed)
    return np.array(times) * 1000.0, by_palette


def _report(label: str, ms: np.ndarray) -> None:
    print(
        f"{label:<22} n={len(ms):4d}  median {np.median(ms):6.1f} ms  p95 {np.percentile(ms, 95):6.1f} ms  "
        f"max {ms.max():6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="time every n-th demo track")
    parser.add_argument("--spotify", type=int, default=200, help="how many real tracks to time (0: none)")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()

    print(f"machine: {_cpu()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.platform()}")
    demo = load_catalog()
    tracks = list(demo.tracks[:: max(1, args.every)])

    start = time.perf_counter()
    synthesize_clip(tracks[0], seconds=args.seconds)
    print(f"first clip (cold caches): {(time.perf_counter() - start) * 1000:.1f} ms")

    ms, by_palette = _time(tracks, args.seconds)
    _report(f"demo, {args.seconds:g} s clips", ms)
    slowest = sorted(by_palette.items(), key=lambda kv: -float(np.median(kv[1])))[:5]
    print("slowest palettes (median): " + ", ".join(f"{k} {np.median(v) * 1000:.0f} ms" for k, v in slowest))

    if args.spotify and SPOTIFY.exists():
        real = load_catalog(SPOTIFY)
        sample = random.Random(0).sample(list(real.tracks), min(args.spotify, len(real)))
        ms_real, _ = _time(sample, args.seconds)
        _report("spotify (real genres)", ms_real)

    with tempfile.TemporaryDirectory() as folder:
        cached = tracks[: min(50, len(tracks))]
        start = time.perf_counter()
        for t in cached:
            clip_path(t, folder)
        first = (time.perf_counter() - start) / len(cached) * 1000.0
        start = time.perf_counter()
        for t in cached:
            clip_path(t, folder)
        hit = (time.perf_counter() - start) / len(cached) * 1000.0
        start = time.perf_counter()
        for t in cached:
            load_clip(t, cache_dir=Path(folder))
        read = (time.perf_counter() - start) / len(cached) * 1000.0
    print(f"clip_path: {first:.1f} ms to synthesize and write, {hit:.2f} ms when cached")
    print(f"load_clip of a cached clip: {read:.2f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
