"""`simulate`: simulated listeners talk to the assistant; logs for training, or the outcomes of a policy."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli._catalogs import add_catalog_option, check_catalog_option, open_catalog_option
from cli._engines import add_engine_options, engine_for

if TYPE_CHECKING:
    from assistant.dialogue.policy import Policy

NAME = "simulate"
HELP = "simulate listeners talking to the assistant (logs for training, or a policy's outcomes)"
ORDER = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--conversations", type=int, default=1000, help="how many conversations (default 1000)"
    )
    parser.add_argument(
        "--population",
        default="default",
        help="population file (JSON), or a shipped one by name: default, impatient, knows_little, experts",
    )
    parser.add_argument(
        "--policy",
        default="logging",
        help="logging (rules with exploration, the default), uniform, rules, learned (shipped), "
        "or a policy file",
    )
    parser.add_argument("--floor", type=float, default=0.03, help="exploration floor of the logging policy")
    parser.add_argument(
        "--history",
        action="store_true",
        help="the assistant reads the listening histories most listeners have (population history.share)",
    )
    parser.add_argument(
        "--log",
        type=Path,
        default=None,
        help="write the log: FILE.db for SQLite (app schema), else a folder: a partitioned Parquet dataset "
        "(turns/ and conversations/ by date and policy), written part by part",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --log file or folder")
    parser.add_argument("--seed", type=int, default=0, help="seed: the same seed meets the same listeners")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    add_engine_options(parser)
    add_catalog_option(parser)
    add_nlu_option(parser)
    parser.add_argument("--json", action="store_true", help="print the outcome summary as JSON")


def add_nlu_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nlu",
        choices=("rules", "model", "auto"),
        default="rules",
        help="understanding of the simulated replies (default rules: fast; replies are cached by text)",
    )


LOG_FOLDER_FILES = ("turns.parquet", "conversations.parquet", "turns", "conversations", "_tunetalk_log.json")
"""What a --log folder may already hold (a flat Parquet log of an earlier version, or a dataset)."""
MAX_CONVERSATIONS = 10_000_000
"""Far above any run made here (50,000 for the shipped policies); a larger number is taken as a typo."""
SIMULATION_POLICIES = ("logging", "uniform", "rules", "learned", "learned+history")


def check_population(choice: str) -> None:
    """A shipped population's name, or a readable population file (JSON)."""
    from cli.validate import UsageError, did_you_mean, text_file
    from learning.population import POPULATIONS

    shipped = sorted(p.stem for p in POPULATIONS.glob("*.json"))
    if choice in shipped:
        return
    path = Path(choice)
    if not path.exists():
        raise UsageError(
            f"--population {choice!r}: no such population file; shipped populations: {', '.join(shipped)}"
            f"{did_you_mean(choice, shipped)}"
        )
    text_file(path, "population file (JSON)")


def check_simulation(args: argparse.Namespace, *, conversations: int | None = None) -> None:
    """What simulate, train and evaluate share: catalogue, population, workers, number of conversations."""
    from cli.validate import at_least

    check_catalog_option(args.catalog)
    check_population(args.population)
    at_least(args.workers, 1, "--workers", 64)
    if conversations is not None:
        at_least(conversations, 1, "--conversations", MAX_CONVERSATIONS)


def check_log_output(path: Path, force: bool) -> None:
    """--log of simulate: a .db file or a Parquet folder, never replacing an existing one without --force."""
    from cli.validate import output_file, output_folder

    if path.suffix in (".db", ".sqlite", ".sqlite3"):
        output_file(path, "log", force=force)
    else:
        output_folder(path, "log", writes=LOG_FOLDER_FILES, force=force)


def understander_factory(choice: str) -> Callable[[Any], Any] | None:
    """None means the rule understanding (the simulator's default); otherwise nlu.loader's choice."""
    if choice == "rules":
        return None

    def make(catalog: Any) -> Any:
        from nlu.linking import EntityLinker
        from nlu.loader import make_understander

        return make_understander(choice, EntityLinker.for_catalog(catalog))

    return make


def make_policy_factory(choice: str, floor: float = 0.03) -> Callable[[], Policy]:
    """A zero-argument policy factory for worker processes."""
    from assistant.policies.rules import RulePolicy
    from assistant.policies.store import load_policy
    from learning.logging_policy import ExplorationPolicy

    if choice == "logging":
        return lambda: ExplorationPolicy(floor=floor)
    if choice == "uniform":
        return lambda: ExplorationPolicy(uniform=True)
    if choice == "rules":
        return RulePolicy
    return lambda: load_policy(choice)  # "learned", "learned+history" or a file


def progress_bar(total: int, description: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="conv", file=sys.stderr, disable=None, leave=False)


def run(args: argparse.Namespace) -> int:
    from assistant.logs.dataset import write_log
    from assistant.music.catalog import CatalogError
    from cli.common import check_policy, fail
    from cli.validate import at_least
    from learning.ab import Arm
    from learning.batch import simulate
    from learning.population import PopulationError, load_population

    check_simulation(args, conversations=args.conversations)
    check_policy(args.policy, SIMULATION_POLICIES)
    at_least(args.floor, 0.0, "--floor", 1.0)
    if args.log is not None:
        check_log_output(args.log, args.force)
    try:
        catalog = open_catalog_option(args.catalog)
        population = load_population(args.population)
    except (CatalogError, PopulationError) as exc:
        return fail(str(exc))
    factory = make_policy_factory(args.policy, args.floor)
    dataset = args.log is not None and args.log.suffix not in (".db", ".sqlite", ".sqlite3")
    if dataset and args.force:
        _clear_log_folder(args.log)
    with engine_for(args) as engine, progress_bar(args.conversations, f"simulating {population.name}") as bar:
        result = simulate(
            args.conversations,
            catalog,
            population,
            factory,
            seed=args.seed,
            workers=args.workers,
            record=args.log is not None and not dataset,
            progress=bar.update,
            make_understander=understander_factory(args.nlu),
            history=args.history,
            engine=engine,
            write_to=args.log if dataset else None,
        )
    arm = Arm(args.policy, result.results)
    summary = {
        "policy": args.policy,
        "population": population.name,
        "history": args.history,
        "n_conversations": arm.n,
        **{k: v for k, v in arm.summary().items()},
        "prompt_mix": arm.action_mix(),
    }
    summary["engine"] = result.engine
    if dataset:
        summary["log"] = str(args.log)
        summary["n_turns_logged"] = result.n_turns
    if args.log is not None and result.table is not None:
        if args.log.suffix in (".db", ".sqlite", ".sqlite3") and args.log.is_file():
            # --force said replace: a SQLite log is otherwise added to, so take the old one away first.
            for old in (args.log, Path(f"{args.log}-wal"), Path(f"{args.log}-shm")):
                old.unlink(missing_ok=True)
        path = write_log(result.table, args.log)
        summary["log"] = str(path)
        summary["n_turns_logged"] = len(result.table)
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{arm.n:,} conversations, population {population.name}, policy {args.policy}: "
            f"success {summary['success_rate']:.1%}, mean turns {summary['mean_turns']:.2f}, "
            f"abandoned {summary['abandon_rate']:.1%}"
        )
        if "log" in summary:
            print(f"log: {summary['log']} ({summary['n_turns_logged']:,} turns)")
    return 0


def _clear_log_folder(folder: Path) -> None:
    """--force: take away the log an earlier run left in the folder (and nothing else of it)."""
    import shutil

    for name in LOG_FOLDER_FILES:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
