"""`history`: a profile's listening history (import, show, forget) and the affinity models' metrics."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from cli._catalogs import add_catalog_option, check_catalog_option, open_catalog_option
from cli.common import data_home, fail

NAME = "history"
HELP = "listening history per profile: import FILE, show, forget; evaluate the affinity models"
ORDER = 55


def _profile_options(parser: argparse.ArgumentParser, *, catalog: bool = True) -> None:
    parser.add_argument(
        "--user", required=True, metavar="NAME", help="profile name (stored only as a salted hash)"
    )
    if catalog:
        add_catalog_option(
            parser, help="catalogue to match plays to: a CSV or a music folder (default: the demo)"
        )
    parser.add_argument(
        "--db", type=Path, default=None, help="history database (default: $TUNETALK_HOME/history.db)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="history_command", metavar="ACTION")
    imp = sub.add_parser(
        "import",
        help="add a streaming-service export (CSV: timestamp, artist, track, ms_played; or Spotify JSON)",
        description="Stream a listening-history export into the profile. Importing the same file twice "
        "adds nothing; unusable rows are reported by line and skipped; a file that is mostly unusable is "
        "rejected and changes nothing.",
    )
    imp.add_argument("file", type=Path, help="the export: CSV, a JSON array (Spotify) or JSON Lines")
    _profile_options(imp)
    show = sub.add_parser("show", help="plays, skips, likes, top artists and genres of a profile")
    _profile_options(show)
    forget = sub.add_parser("forget", help="delete everything stored for a profile")
    _profile_options(forget, catalog=False)
    evaluate = sub.add_parser(
        "evaluate",
        help="ranking metrics (recall@k, NDCG@10) of the affinity models on held-out synthetic plays",
    )
    add_catalog_option(evaluate)
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the synthetic populations")
    evaluate.add_argument(
        "--retrain",
        action="store_true",
        help="train and tune every model again (about a minute) instead of scoring the shipped ones",
    )
    evaluate.add_argument("--quick", action="store_true", help="smaller populations and grid (a rough look)")


def _check(args: argparse.Namespace, command: str) -> None:
    """Files and names, before the database is opened. Raises UsageError."""
    from assistant.taste.history import history_db_problem
    from cli.validate import UsageError, text_file

    if getattr(args, "catalog", None) is not None:
        check_catalog_option(args.catalog)
    if command == "import":
        text_file(args.file, "listening-history export")
    if command == "evaluate":
        return
    if not args.user.strip():
        raise UsageError("--user needs a profile name")
    db = args.db or data_home() / "history.db"
    problem = history_db_problem(db)
    if problem is not None:
        raise UsageError(f"{problem}: choose another --db file")
    if args.db is not None and not args.db.exists() and not args.db.parent.is_dir():
        raise UsageError(
            f"cannot write {args.db}: folder {args.db.parent} does not exist (it is not created)"
        )


def _day(ts: int | None) -> str:
    return "?" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def run(args: argparse.Namespace) -> int:
    from assistant.music.catalog import CatalogError
    from assistant.taste.exports import HistoryError
    from assistant.taste.history import HistoryStore

    command = getattr(args, "history_command", None)
    if command is None:
        return fail("say what to do: history import FILE | show | forget | evaluate (see history --help)")
    _check(args, command)
    try:
        catalog = open_catalog_option(args.catalog) if command != "forget" else None
    except CatalogError as exc:
        return fail(str(exc))
    if command == "evaluate":
        return _evaluate(args, catalog)
    store = HistoryStore(args.db or data_home() / "history.db")
    try:
        if command == "import":
            return _import(args, store, catalog)
        if command == "show":
            return _show(args, store, catalog)
        counts = store.forget(args.user)
        if not any(counts.values()) and store.version(args.user) < 0:
            print(f"Nothing was stored for {args.user}.")
        else:
            print(
                f"Forgot everything stored for {args.user}: {counts['plays']} plays, "
                f"{counts['feedback']} likes and rejections, {counts['imports']} import records."
            )
        return 0
    except HistoryError as exc:
        return fail(str(exc))
    finally:
        store.close()


def _import(args: argparse.Namespace, store: object, catalog: object) -> int:
    from assistant.taste.history import HistoryStore

    assert isinstance(store, HistoryStore)
    interactive = sys.stderr.isatty()

    def progress(records: int) -> None:
        if interactive:
            print(f"\r  {records:,} records read ...", end="", file=sys.stderr, flush=True)

    report = store.import_file(args.user, args.file, catalog, progress=progress)  # type: ignore[arg-type]
    if interactive:
        print("\r", end="", file=sys.stderr)
    for line in report.lines():
        print(line)
    return 0


def _show(args: argparse.Namespace, store: object, catalog: object) -> int:
    from assistant.music.constraints import Constraints
    from assistant.music.retrieval import Retriever
    from assistant.taste.affinity import Personalizer, history_genre_pair
    from assistant.taste.history import HistoryStore

    assert isinstance(store, HistoryStore)
    overview = store.overview(args.user, catalog)  # type: ignore[arg-type]
    if overview is None or not store.has_history(args.user):
        print(
            f"No listening history for {args.user}: conversations start cold. "
            f"Import one with: python main.py history import FILE --user {args.user}"
        )
        return 0
    o = overview
    print(f"{args.user}: {o.n_plays} plays from {_day(o.first)} to {_day(o.last)}")
    print(
        f"  played through {o.n_through}, skipped early (< 30 s) {o.n_skips}; "
        f"from conversations: {o.n_likes} liked, {o.n_rejects} turned down"
    )
    print(f"  matched to the catalogue (by track or artist): {o.matched_share:.0%} of plays")
    if o.top_artists:
        print("  top artists: " + ", ".join(f"{a} ({n})" for a, n in o.top_artists))
    if o.top_genres:
        shown = [(g, share) for g, share in o.top_genres if share >= 0.005]
        print("  top genres: " + ", ".join(f"{g} {share:.0%}" for g, share in shown))
    personalizer = Personalizer(store, catalog)  # type: ignore[arg-type]
    affinity, _summary = personalizer.profile(args.user)
    pair = history_genre_pair(Retriever(catalog), Constraints(), affinity)  # type: ignore[arg-type]
    print(f"  affinity model: {personalizer.model.name}")
    if pair:
        print(f'  would suggest: "May I suggest some {pair[0]}? Or perhaps {pair[1]}?"')
    return 0


def _evaluate(args: argparse.Namespace, catalog: object) -> int:
    from assistant.taste.evaluation import evaluate_shipped, machine_line, run_experiment

    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    if args.retrain:
        sizes = {"n_train": 600, "n_valid": 200, "n_test": 300} if args.quick else {}
        experiment = run_experiment(catalog, seed=args.seed, quick=args.quick, log=log, **sizes)  # type: ignore[arg-type]
    else:
        experiment = evaluate_shipped(catalog, seed=args.seed, n_test=300 if args.quick else 1000, log=log)  # type: ignore[arg-type]
    print(experiment.summary())
    print()
    print(experiment.table())
    print()
    print(machine_line())
    return 0
