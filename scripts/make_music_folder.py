"""Write a music folder of real, tagged audio files (and, on request, the broken files a real collection
has), for tests, benchmarks and trying `library scan` without one's own music.

The audio is the demo catalogue's synthesized clips (so each file's energy, valence and tempo are known),
each preceded by a quiet intro so a preview cut from the file should start past it. Formats rotate over
WAV, FLAC, Ogg Vorbis, Opus and MP3 (written by libsndfile) and M4A/AAC (written by PyAV's FFmpeg);
tags are written with mutagen. Distinct clips are encoded once per format and copied under other tags,
so thousands of files take seconds.

Usage: .venv/bin/python scripts/make_music_folder.py OUT [--files N] [--broken] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.music.catalog import Track, load_catalog

FORMATS: tuple[str, ...] = ("mp3", "flac", "ogg", "opus", "m4a", "wav")
RATE = 24_000
"""One of Opus's rates, so every format takes the same samples."""
INTRO_SECONDS = 5.0
BODY_SECONDS = 15.0
BROKEN: dict[str, str] = {
    "empty.mp3": "empty",
    "truncated.flac": "truncated",
    "noise.ogg": "not_audio",
    "readme.wav": "not_audio",
    "bad tags.mp3": "broken_tags",
    "protected.m4p": "drm",
    "tiny.wav": "too_short",
}
"""File name -> the reason `library scan` should give (plus one file whose name is not UTF-8: bad_name)."""


@dataclass(frozen=True)
class Written:
    path: Path
    track: Track
    """The demo track whose clip the file holds (its features are what the descriptors should find)."""
    artist: str
    title: str
    album: str
    genre: str
    year: int


def render(track: Track) -> np.ndarray:
    """A quiet intro, then the track's clip at full level: mono float32 at RATE."""
    from audio.clips import synthesize_clip

    body = synthesize_clip(track, sample_rate=RATE, seconds=BODY_SECONDS)
    intro = 0.05 * synthesize_clip(track, sample_rate=RATE, seconds=INTRO_SECONDS)
    return np.concatenate([intro, body]).astype(np.float32)


def encode(samples: np.ndarray, path: Path) -> None:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "m4a":
        _encode_m4a(samples, path)
        return
    import soundfile as sf

    format_, subtype = {
        "wav": ("WAV", "PCM_16"),
        "flac": ("FLAC", "PCM_16"),
        "ogg": ("OGG", "VORBIS"),
        "opus": ("OGG", "OPUS"),
        "mp3": ("MP3", "MPEG_LAYER_III"),
    }[suffix]
    sf.write(str(path), samples, RATE, format=format_, subtype=subtype)


def _encode_m4a(samples: np.ndarray, path: Path) -> None:
    import av

    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=RATE)
        stream.layout = "mono"
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + 1024].reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def tag(path: Path, artist: str, title: str, album: str, genre: str, year: int) -> None:
    """Write tags the way common taggers do for each format."""
    suffix = path.suffix.lower()
    if suffix == ".wav":
        from mutagen.id3 import TALB, TCON, TDRC, TIT2, TPE1
        from mutagen.wave import WAVE

        wave = WAVE(str(path))
        if wave.tags is None:
            wave.add_tags()
        assert wave.tags is not None
        for frame in (
            TPE1(text=artist),
            TIT2(text=title),
            TALB(text=album),
            TCON(text=genre),
            TDRC(text=str(year)),
        ):
            wave.tags.add(frame)
        wave.save()
        return
    tags: Any
    if suffix == ".mp3":
        from mutagen.easyid3 import EasyID3
        from mutagen.id3 import ID3NoHeaderError

        try:
            tags = EasyID3(str(path))
        except ID3NoHeaderError:
            tags = EasyID3()
    elif suffix == ".m4a":
        from mutagen.easymp4 import EasyMP4

        tags = EasyMP4(str(path))
    else:
        import mutagen

        tags = mutagen.File(str(path), easy=True)
    tags["artist"] = artist
    tags["title"] = title
    tags["album"] = album
    tags["genre"] = genre
    tags["date"] = str(year)
    if suffix == ".mp3":
        tags.save(str(path))
    else:
        tags.save()


def write_music_folder(
    folder: Path,
    n_files: int = 24,
    *,
    formats: Sequence[str] = FORMATS,
    distinct: int = 12,
    broken: bool = False,
    artists: Sequence[str] = (),
    seed: int = 0,
) -> list[Written]:
    """`n_files` tagged files under folder/Artist/Album/, cycling over `distinct` clips and `formats`.
    `artists` (if given) replace the demo catalogue's artist names, cyclically."""
    rng = np.random.default_rng(seed)
    demo = load_catalog()
    picks = rng.choice(len(demo), size=min(distinct, len(demo)), replace=False)
    sources = [demo.tracks[int(i)] for i in picks]
    cache = folder.parent / f".{folder.name}-encoded"
    cache.mkdir(parents=True, exist_ok=True)
    written: list[Written] = []
    try:
        for n in range(n_files):
            track = sources[n % len(sources)]
            fmt = formats[n % len(formats)]
            master = cache / f"{n % len(sources)}.{fmt}"
            if not master.exists():
                encode(render(track), master)
            artist = artists[n % len(artists)] if artists else track.artist
            title = f"{track.title} {n // len(sources) + 1}" if n >= len(sources) else track.title
            album = track.album or "Singles"
            path = folder / _safe(artist) / _safe(album) / f"{n + 1:04d} {_safe(title)}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(master, path)
            tag(path, artist, title, album, track.subgenre, track.year)
            written.append(Written(path, track, artist, title, album, track.subgenre, track.year))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if broken:
        write_broken_files(folder / "Broken", written[0].path if written else None)
    return written


def write_broken_files(folder: Path, good: Path | None) -> dict[Path, str]:
    """One file per reason a scan skips a file; returns path -> expected reason code."""
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[Path, str] = {}
    rng = np.random.default_rng(1)
    (folder / "empty.mp3").write_bytes(b"")
    (folder / "noise.ogg").write_bytes(rng.integers(0, 256, 40_000, dtype=np.uint8).tobytes())
    (folder / "readme.wav").write_text("These are my favourite songs.\n" * 200)
    (folder / "protected.m4p").write_bytes(b"\x00\x00\x00\x20ftypM4P " + bytes(2000))
    samples = (0.3 * np.sin(np.linspace(0, 2 * np.pi * 440, RATE))).astype(np.float32)[: RATE // 2]
    encode(samples, folder / "tiny.wav")
    full = folder / ".full.flac"
    encode(render(load_catalog().tracks[0]), full)
    data = full.read_bytes()
    (folder / "truncated.flac").write_bytes(data[: len(data) * 3 // 10])
    full.unlink()
    # An ID3v2 header whose frames are garbage: mutagen refuses it, though the audio after it is fine.
    mp3 = folder / ".good.mp3"
    encode(samples.repeat(8), mp3)
    header = b"ID3\x04\x00\x40\x00\x00\x10\x00" + b"\xff\xff\xff\xff" + bytes(2044)  # bad extended header
    (folder / "bad tags.mp3").write_bytes(header + mp3.read_bytes())
    mp3.unlink()
    for name, reason in BROKEN.items():
        made[folder / name] = reason
    raw = os.fsencode(str(folder)) + b"/caf\xe9 latin-1.mp3"  # a name written by an old Latin-1 system
    if good is not None:
        with open(raw, "wb") as handle:
            handle.write(good.read_bytes())
        made[Path(os.fsdecode(raw))] = "bad_name"
    return made


def _safe(name: str) -> str:
    return "".join("_" if ch in '/\\:*?"<>|' else ch for ch in name).strip() or "_"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write (created)")
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--distinct", type=int, default=12, help="distinct clips (encoding is the slow part)")
    parser.add_argument("--broken", action="store_true", help="also write one broken file per skip reason")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    written = write_music_folder(
        args.out, args.files, distinct=args.distinct, broken=args.broken, seed=args.seed
    )
    print(
        f"wrote {len(written)} audio files to {args.out}"
        + (" and broken ones under Broken/" if args.broken else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
