"""Regenerate the embedded demo catalogue (assets/catalog.csv) from its seed, or check it is up to date.

Usage: .venv/bin/python scripts/build_catalog.py [--seed N] [--out PATH] [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.music.catalog import DEFAULT_CATALOG
from assistant.music.demo_catalog import DEFAULT_SEED, render_csv, write_catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the file differs from a fresh build"
    )
    args = parser.parse_args(argv)
    if args.check:
        fresh = render_csv(args.seed).encode("utf-8")
        current = args.out.read_bytes() if args.out.exists() else b""
        if current != fresh:
            print(f"{args.out} is stale: rebuild it with scripts/build_catalog.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date (seed {args.seed})")
        return 0
    write_catalog(args.out, args.seed)
    print(f"wrote {args.out} (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
