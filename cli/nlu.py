"""`nlu TEXT` / `nlu --file F --json`: show what the understanding makes of text, one frame per utterance."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli._catalogs import add_catalog_option, check_catalog_option, open_catalog_option

NAME = "nlu"
HELP = "show the dialogue act, attributes and sentiment understood from text (or a file, one per line)"
ORDER = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="*", help="an utterance (several words are joined)")
    parser.add_argument("--file", type=Path, help="read utterances from this file, one a line (- for stdin)")
    parser.add_argument("--json", action="store_true", help="one JSON object a line")
    parser.add_argument(
        "--nlu",
        choices=("auto", "model", "rules"),
        default="auto",
        help="understanding: the trained model (auto falls back to rules), or rules only",
    )
    add_catalog_option(
        parser,
        help="catalogue whose artist, title and genre names are linked to: a CSV or a music folder "
        "(default: the demo catalogue)",
    )


def _linker(path: list[Path] | None) -> object:
    from assistant.music.catalog import CatalogError
    from nlu.linking import EntityLinker

    try:
        return EntityLinker.for_catalog(open_catalog_option(path))
    except CatalogError as exc:
        if path is not None:
            raise
        print(f"tunetalk: {exc}; linking to no catalogue", file=sys.stderr)
        return EntityLinker()


def run(args: argparse.Namespace) -> int:
    from assistant.music.catalog import CatalogError
    from cli.common import fail
    from cli.validate import text_file
    from nlu.loader import make_understander

    if args.file is None and not args.text:
        return fail("give an utterance, or --file FILE (one utterance a line)")
    if args.file is not None and str(args.file) != "-":
        text_file(args.file, "file of utterances")
    check_catalog_option(args.catalog)
    if args.file is not None:
        try:
            stream = (
                sys.stdin if str(args.file) == "-" else args.file.open(encoding="utf-8", errors="replace")
            )
        except OSError as exc:
            return fail(f"cannot read {args.file}: {exc.strerror}")
        with stream:
            lines = [line.rstrip("\n") for line in stream]
    else:
        lines = [" ".join(args.text)]
    try:
        linker = _linker(args.catalog)
    except CatalogError as exc:
        return fail(str(exc))
    understander = make_understander(args.nlu, linker)  # type: ignore[arg-type]
    batch = getattr(understander, "understand_batch", None)
    frames = batch(lines) if batch and len(lines) > 1 else [understander.understand(t) for t in lines]
    for text, u in zip(lines, frames, strict=True):
        if args.json:
            record = {
                "text": text,
                "act": u.act.value,
                "slots": [
                    {
                        "slot": s.name,
                        "value": s.value,
                        "start": s.start,
                        "end": s.end,
                        "confidence": round(s.confidence, 3),
                        "linked": s.linked,
                        "negated": s.negated,
                    }
                    for s in u.slots
                ],
                "sentiment": round(u.sentiment, 3),
                "confidence": round(u.confidence, 3),
                "source": u.source,
            }
            print(json.dumps(record, ensure_ascii=False))
        else:
            slots = "  ".join(
                f"{'not ' if s.negated else ''}{s.name}={s.value!r}[{s.start}:{s.end}] {s.confidence:.2f}"
                for s in u.slots
            )
            print(
                f"{text}\n  act={u.act.value} sentiment={u.sentiment:+.2f} confidence={u.confidence:.2f}"
                f" ({u.source}){'  ' + slots if slots else ''}"
            )
    return 0
