"""The `--catalog` option every command that takes a catalogue shares, and opening what it names."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.music.catalog import Catalog
    from assistant.music.library import ScanReport

__all__ = [
    "CATALOG_HELP",
    "add_catalog_option",
    "check_catalog_option",
    "open_catalog_option",
    "scan_progress",
]

CATALOG_HELP = (
    "a catalogue CSV in the Spotify audio-features layout, or a music folder (scanned on first use, "
    "then only for changes); repeat to combine (default: the embedded demo catalogue)"
)


def add_catalog_option(parser: argparse.ArgumentParser, help: str = CATALOG_HELP) -> None:
    parser.add_argument(
        "--catalog", type=Path, action="append", default=None, metavar="CSV|FOLDER", help=help
    )


def check_catalog_option(values: Sequence[Path] | Path | None) -> None:
    """Every --catalog exists: a CSV must be UTF-8 text, a folder is scanned later. Raises UsageError."""
    from cli.validate import UsageError, text_file

    if values is None:
        return
    for source in [values] if isinstance(values, Path) else values:
        if source.is_dir():
            continue
        if not source.exists():
            raise UsageError(f"{source}: no such catalogue file or music folder")
        text_file(source, "catalogue CSV")


def scan_progress(description: str) -> Callable[[int, int], Any]:
    """A progress bar with an ETA on stderr (drawn only on a terminal), made on the first update."""
    from tqdm import tqdm

    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=description, unit="file", file=sys.stderr, disable=None, leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def open_catalog_option(
    values: Sequence[Path] | Path | None,
    *,
    workers: int | None = None,
    on_report: Callable[[ScanReport], None] | None = None,
) -> Catalog:
    """The catalogue `--catalog` names (music folders brought up to date first). Raises CatalogError."""
    from assistant.music.sources import open_catalog

    return open_catalog(values, progress=scan_progress, workers=workers, on_report=on_report)
