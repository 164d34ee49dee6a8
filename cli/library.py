"""`library scan DIR`: make a catalogue of a music folder (tags and descriptors computed from the audio),
incrementally; `library skipped DIR` lists the files it could not use and why."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.music.library import ScanReport

NAME = "library"
HELP = "scan a music folder into a catalogue (use it with --catalog DIR), or list the files it skipped"
ORDER = 61


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    scan = sub.add_parser(
        "scan",
        help="read new and changed files (tags, audio descriptors) and drop removed ones; "
        "the folder itself is only read",
    )
    scan.add_argument("folder", type=Path, metavar="DIR", help="the music folder")
    scan.add_argument("--workers", type=int, default=None, help="decoding processes (default: one per core)")
    skipped = sub.add_parser("skipped", help="list the files of a scanned folder that were skipped, and why")
    skipped.add_argument("folder", type=Path, metavar="DIR")


def run(args: argparse.Namespace) -> int:
    from assistant.music.catalog import CatalogError
    from cli.common import fail

    if args.library_command == "skipped":
        return _skipped(args.folder)
    if args.workers is not None and args.workers < 1:
        return fail("--workers must be at least 1")
    from cli._catalogs import open_catalog_option

    def report(scan: ScanReport) -> None:
        print("\n".join(scan.lines()))

    try:
        catalog = open_catalog_option([args.folder], workers=args.workers, on_report=report)
    except CatalogError as exc:
        return fail(str(exc))
    genres = ", ".join(catalog.genre_names)
    print(
        f"catalogue {catalog.name}: {len(catalog)} tracks by {len(catalog.artist_names)} artists "
        f"({genres}); use it with --catalog {args.folder}"
    )
    return 0


def _skipped(folder: Path) -> int:
    from assistant.music.library import REASONS, Library, LibraryError
    from cli.common import fail

    library = Library(folder)
    if library.digest() is None:
        return fail(f"{folder} has not been scanned yet: run `python main.py library scan {folder}`")
    try:
        rows = library.skipped()
    except LibraryError as exc:
        return fail(str(exc))
    for path, reason, detail in rows:
        print(f"{path}\t{REASONS.get(reason, reason)}" + (f"\t{detail}" if detail else ""))
    print(f"{len(rows)} files skipped", file=sys.stderr)
    return 0
