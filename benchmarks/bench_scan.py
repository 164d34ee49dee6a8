"""Music-folder scan throughput: first scan, rescans, and the catalogue store built from the folder.

Method: a folder of N generated files (scripts/make_music_folder.py: 20 s each - a 5 s quiet intro and
15 s of a demo track's synthesized clip - cycling over MP3, FLAC, Ogg Vorbis, Opus, M4A and WAV, each
tagged with mutagen) is scanned through `assistant.music.sources.open_catalog`, as `library scan` does:
  1. first scan, one worker process per core (workers start, import librosa, analyze every file);
  2. baseline in the same run: the first scan of the first --baseline files with one worker, the rate
     one core reaches;
  3. rescan with nothing changed (stat every file, compare with the index, open the stored catalogue);
  4. rescan after touching 1 % of the files (content hash read, descriptors reused) and re-tagging
     another 1 % (read and analyzed again).
Wall-clock times with perf_counter; tracks/s = files scanned / seconds. The index and the store live in
a temporary cache folder.

Usage: .venv/bin/python benchmarks/bench_scan.py [--files 2000] [--baseline 100] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from make_music_folder import tag, write_music_folder

from assistant.music.library import Library
from assistant.music.sources import open_catalog


def _timed(label: str, files: int, run: object) -> float:
    start = time.perf_counter()
    result = run()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"{label:<44}{files:>7}{seconds:>10.2f}{files / seconds:>12.1f}   {result}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=100, help="files in the one-worker baseline")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--distinct", type=int, default=40, help="distinct clips (encoding is slow)")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        base = Path(tmp)
        os.environ["TUNETALK_CATALOG_CACHE"] = str(base / "cache")
        folder = base / "Music"
        start = time.perf_counter()
        written = write_music_folder(folder, args.files, distinct=args.distinct)
        size = sum(w.path.stat().st_size for w in written) / 2**20
        print(
            f"folder: {len(written)} files, {size:.0f} MiB, 20 s each, six formats "
            f"(written in {time.perf_counter() - start:.0f} s)"
        )
        small = base / "Small"
        small.mkdir()
        for w in written[: args.baseline]:
            target = small / w.path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(w.path, target)

        def quiet(line: str) -> None:
            pass

        def scan(where: Path, workers: int) -> str:
            catalog = open_catalog([where], workers=workers, log=quiet)
            return f"{len(catalog)} tracks"

        print(f"{'step':<44}{'files':>7}{'seconds':>10}{'tracks/s':>12}")
        _timed("baseline: first scan, 1 worker", args.baseline, lambda: scan(small, 1))
        _timed(f"first scan, {args.workers} workers", len(written), lambda: scan(folder, args.workers))
        _timed("rescan, nothing changed", len(written), lambda: scan(folder, args.workers))
        step = max(1, len(written) // 100)
        for w in written[::step]:
            os.utime(w.path, ns=(w.path.stat().st_atime_ns, w.path.stat().st_mtime_ns + 10**9))
        for w in written[step // 2 :: step]:
            tag(w.path, w.artist, w.title + " (retagged)", w.album, w.genre, w.year)
        changed = len(written[::step]) + len(written[step // 2 :: step])
        _timed(f"rescan, {changed} touched or re-tagged", len(written), lambda: scan(folder, args.workers))
        report = Library(folder).scan(workers=args.workers)
        print(f"index: {report.tracks} tracks, {report.unchanged} unchanged on a last rescan")


if __name__ == "__main__":
    main()
