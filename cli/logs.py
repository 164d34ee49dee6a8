"""`logs`: look at and export the conversation log."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import data_home, fail

NAME = "logs"
HELP = "summarize the conversation log or export it (logs export --parquet DIR)"
ORDER = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log", type=Path, default=None, help="log database (default: $TUNETALK_HOME/tunetalk.db)"
    )
    sub = parser.add_subparsers(dest="logs_command", metavar="ACTION")
    sub.add_parser("show", help="counts of conversations by outcome and policy")
    export = sub.add_parser("export", help="export conversations and turns")
    export.add_argument(
        "--parquet", type=Path, required=True, metavar="DIR", help="folder for the Parquet files"
    )


def run(args: argparse.Namespace) -> int:
    from assistant.logs.store import LogStore, export_parquet

    path = args.log or data_home() / "tunetalk.db"
    if not path.exists():
        return fail(f"no conversation log at {path} yet: have a conversation first (or pass --log FILE)")
    store = LogStore(path)
    try:
        if args.logs_command == "export":
            paths = export_parquet(store, args.parquet)
            for kind, p in paths.items():
                print(f"{kind}: {p}")
            return 0
        conversations = store.conversations()
        by: dict[tuple[str, str], int] = {}
        for c in conversations:
            by[(c["policy"], c["status"])] = by.get((c["policy"], c["status"]), 0) + 1
        print(f"{path}: {len(conversations)} conversations")
        for (policy, status), n in sorted(by.items()):
            print(f"  {policy:<16} {status:<11} {n}")
        return 0
    finally:
        store.close()
