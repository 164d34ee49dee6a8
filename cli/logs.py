"""`logs`: look at, check and export the conversation log."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import data_home, fail
from cli.validate import UsageError, output_folder

NAME = "logs"
HELP = (
    "summarize the conversation log, check it for mixed conversations, or export it "
    "(export --parquet DIR | --dataset DIR)"
)
ORDER = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log", type=Path, default=None, help="log database (default: $TUNETALK_HOME/tunetalk.db)"
    )
    sub = parser.add_subparsers(dest="logs_command", metavar="ACTION")
    sub.add_parser("show", help="counts of conversations by outcome and policy")
    check = sub.add_parser(
        "check",
        help="list conversations whose turns interleave (ids reused by earlier versions); exit status 1 "
        "if there are any",
        description="Versions that drew conversation ids from the seeded random generator gave every replay "
        "with the same seed the same id, so their logs can mix several conversations under one id. This "
        "lists each such conversation and what shows it; `train --log` leaves them out.",
    )
    check.add_argument(
        "file", type=Path, nargs="?", metavar="LOG", help="the log (default: --log, or the app's)"
    )
    export = sub.add_parser("export", help="export conversations and turns")
    into = export.add_mutually_exclusive_group(required=True)
    into.add_argument(
        "--parquet", type=Path, metavar="DIR", help="folder for two Parquet files (conversations, turns)"
    )
    into.add_argument(
        "--dataset",
        type=Path,
        metavar="DIR",
        help="folder for a partitioned Parquet dataset (by day and policy, streamed; what `train --log DIR` "
        "and the Ray engine read part by part; docs/scale.md)",
    )
    export.add_argument(
        "--part-size",
        type=int,
        default=1000,
        metavar="N",
        help="conversations per part of a --dataset (default 1000)",
    )
    export.add_argument(
        "--force", action="store_true", help="replace the Parquet files, or the dataset, already in DIR"
    )


def run(args: argparse.Namespace) -> int:
    from assistant.logs.store import LogError, LogStore, export_parquet, log_problem

    path = getattr(args, "file", None) or args.log or data_home() / "tunetalk.db"
    if not path.exists():
        return fail(f"no conversation log at {path} yet: have a conversation first (or pass --log FILE)")
    if path.is_dir() or path.stat().st_size == 0:
        raise UsageError(f"{path} is not a conversation log ({'a folder' if path.is_dir() else 'empty'})")
    problem = log_problem(path)
    if problem is not None:
        raise UsageError(problem)
    if args.logs_command == "export":
        if args.dataset is not None:
            _check_dataset_folder(args.dataset, args.part_size, args.force)
        else:
            output_folder(
                args.parquet, "export", writes=("conversations.parquet", "turns.parquet"), force=args.force
            )
    store = LogStore(path)
    try:
        if args.logs_command == "export" and args.dataset is not None:
            return _export_dataset(store, args.dataset, args.part_size)
        if args.logs_command == "export":
            paths = export_parquet(store, args.parquet)
            for kind, p in paths.items():
                print(f"{kind}: {p}")
            return 0
        if args.logs_command == "check":
            return _check(store, path)
        conversations = store.conversations()
        by: dict[tuple[str, str], int] = {}
        for c in conversations:
            by[(c["policy"], c["status"])] = by.get((c["policy"], c["status"]), 0) + 1
        print(f"{path}: {len(conversations)} conversations")
        for (policy, status), n in sorted(by.items()):
            print(f"  {policy:<16} {status:<11} {n}")
        mixed = store.interleaved()
        if mixed:
            print(
                f"  {len(mixed)} of them mix the turns of several conversations (ids reused by an earlier "
                f"version): `python main.py logs check {path}` lists them; learning leaves them out"
            )
        return 0
    except LogError as exc:
        return fail(str(exc))
    finally:
        store.close()


def _check(store: object, path: Path) -> int:
    from assistant.logs.store import LogStore

    assert isinstance(store, LogStore)
    conversations = {c["id"]: c for c in store.conversations()}
    mixed = store.interleaved()
    for cid, why in sorted(mixed.items()):
        c = conversations.get(cid, {})
        print(f"{cid}\t{c.get('status', '?')}\t{c.get('policy', '?')}\t{why}")
    print(
        f"{path}: {len(conversations)} conversations, {len(mixed)} with interleaved turns"
        + (" (left out by `train --log`)" if mixed else "")
    )
    return 1 if mixed else 0


def _check_dataset_folder(folder: Path, part_size: int, force: bool) -> None:
    """Only a dataset tunetalk wrote (it has the manifest) may be replaced, and only with --force: parts
    left from an earlier export would otherwise be read as part of this one."""
    from assistant.logs.partitioned import KINDS, MANIFEST, is_dataset
    from cli.validate import at_least

    at_least(part_size, 1, "--part-size", 1_000_000)
    if folder.is_dir() and not is_dataset(folder) and any((folder / kind).exists() for kind in KINDS):
        raise UsageError(
            f"{folder} holds turns/ or conversations/ but is not a tunetalk log dataset ({MANIFEST} "
            "missing); it is left alone: choose another folder"
        )
    output_folder(folder, "dataset", writes=(MANIFEST, *KINDS), force=force)


def _export_dataset(store: object, folder: Path, part_size: int) -> int:
    import shutil

    from assistant.logs.partitioned import KINDS, export_dataset, is_dataset
    from assistant.logs.store import LogStore

    assert isinstance(store, LogStore)
    if is_dataset(folder):
        # --force on a dataset tunetalk wrote (checked above): its parts are ours to replace.
        for kind in KINDS:
            shutil.rmtree(folder / kind, ignore_errors=True)
    counts = export_dataset(store, folder, batch=part_size)
    print(
        f"{folder}: {counts['conversations']} conversations, {counts['turns']} turns in "
        f"{counts['parts']} part(s)"
    )
    return 0
