"""`catalog show|clip`: summarize a catalogue, render a track's clip (scripts/build_catalog.py builds one)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli._catalogs import add_catalog_option, check_catalog_option, open_catalog_option

NAME = "catalog"
HELP = "show what a catalogue holds, or write a track's preview clip to a WAV"
ORDER = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="counts per genre, artists, years and energy spread of a catalogue")
    add_catalog_option(show)
    show.add_argument("--tracks", action="store_true", help="also list every track (id, artist, title, mood)")
    clip = sub.add_parser("clip", help="write the preview clip of one track to a WAV file")
    clip.add_argument("track_id", metavar="TRACK_ID", help="track id (as `catalog show --tracks` lists)")
    clip.add_argument("--out", type=Path, required=True, help="WAV file to write")
    clip.add_argument("--force", action="store_true", help="replace an existing --out file")
    add_catalog_option(clip)
    clip.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="synthesize a clip of this length (1..30) even when the track has a real preview",
    )


def run(args: argparse.Namespace) -> int:
    from cli.validate import at_least, output_file

    if getattr(args, "catalog", None) is not None:
        check_catalog_option(args.catalog)
    if args.catalog_command == "clip":
        output_file(args.out, "clip (WAV)", force=args.force)
        if args.seconds is not None:
            at_least(args.seconds, 1, "--seconds", 30)
    action = {"show": _show, "clip": _clip}[args.catalog_command]
    return action(args)


def _fail(message: str) -> int:
    print(f"tunetalk: {message}", file=sys.stderr)
    return 2


def _show(args: argparse.Namespace) -> int:
    import numpy as np

    from assistant.music.catalog import CatalogError

    try:
        catalog = open_catalog_option(args.catalog)
    except CatalogError as exc:
        return _fail(str(exc))
    years = catalog.year
    print(
        f"{catalog.name}: {len(catalog)} tracks, {len(catalog.artist_names)} artists, "
        f"{len(catalog.genre_names)} genres, {len(catalog.subgenre_names)} subgenres, "
        f"years {int(years.min())}-{int(years.max())}"
    )
    print(
        f"{'genre':<12} {'tracks':>6} {'artists':>7} {'years':>9}  "
        f"{'energy min/median/max':>21}  {'calm':>4} {'upbeat':>6}  subgenres"
    )
    for g, genre in enumerate(catalog.genre_names):
        rows = np.flatnonzero(catalog.genre_ids == g)
        if len(rows) == 0:
            continue  # listed only as a second genre of some tracks
        energy = catalog.energy[rows]
        artists = len(set(catalog.artist_ids[rows].tolist()))
        span = f"{int(catalog.year[rows].min())}-{int(catalog.year[rows].max())}"
        spread = f"{energy.min():.2f}/{np.median(energy):.2f}/{energy.max():.2f}"
        calm = int(np.sum(energy <= 0.4))
        upbeat = int(np.sum(energy >= 0.66))
        subgenres = ", ".join(catalog.subgenres_of(genre))
        counts = f"{len(rows):>6} {artists:>7} {span:>9}  {spread:>21}  {calm:>4} {upbeat:>6}"
        print(f"{genre:<12} {counts}  {subgenres}")
    if args.tracks:
        for t in catalog.tracks:
            print(f"{t.id}\t{t.artist}\t{t.title}\t{t.subgenre}\t{t.year}\t{t.mood}")
    return 0


def _clip(args: argparse.Namespace) -> int:
    from assistant.music.catalog import CatalogError
    from audio.clips import DEFAULT_RATE, load_clip, plan_clip, synthesize_clip
    from audio.sound import Sound, write_wav

    try:
        catalog = open_catalog_option(args.catalog)
    except CatalogError as exc:
        return _fail(str(exc))
    track = catalog.get(args.track_id)
    if track is None:
        from cli.validate import did_you_mean

        return _fail(
            f"no track {args.track_id!r} in {catalog.name}{did_you_mean(args.track_id, catalog.index)}; "
            "`python main.py catalog show --tracks` lists them"
        )
    try:
        if args.seconds is None:
            samples, rate = load_clip(track)  # the real preview if there is one, else the cached clip
        else:
            samples, rate = synthesize_clip(track, seconds=args.seconds), DEFAULT_RATE
    except ValueError as exc:
        return _fail(str(exc))
    try:
        write_wav(args.out, Sound(samples, rate))
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror or exc}")
    plan = plan_clip(track)
    print(
        f"wrote {args.out}: {len(samples) / rate:.1f} s of {track.artist} - {track.title} "
        f"({track.subgenre}, energy {track.energy:.2f}, valence {track.valence:.2f}, {track.tempo:.0f} BPM) "
        f"as {plan.palette}, {'minor' if plan.minor else 'major'}, density {plan.level}/3"
    )
    return 0
