"""`tune`: choose the best variant of the rule policy from a small grid by simulation (rules-tuned)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli._catalogs import add_catalog_option, open_catalog_option

NAME = "tune"
HELP = "choose rules-tuned: the best rule variant of a small grid, simulated on the training populations"
ORDER = 63
POPULATIONS = "default,impatient,knows_little,experts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from learning.tuning import TUNING_SEED

    parser.add_argument(
        "--populations",
        default=POPULATIONS,
        help=f"training populations the grid is judged on, comma-separated (default {POPULATIONS})",
    )
    parser.add_argument(
        "--conversations", type=int, default=1000, help="listeners per setting and population (default 1000)"
    )
    parser.add_argument(
        "--seed", type=int, default=TUNING_SEED, help=f"listener seed (default {TUNING_SEED})"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="settings file to write (default: the shipped rules_tuned.json)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --output file")
    parser.add_argument("--workers", type=int, default=2)
    add_catalog_option(parser)
    parser.add_argument("--json", action="store_true", help="print the chosen settings and the table as JSON")


def run(args: argparse.Namespace) -> int:
    from assistant.music.catalog import CatalogError
    from assistant.policies.store import TUNED_RULES
    from cli.common import fail
    from cli.simulate import MAX_CONVERSATIONS, check_population
    from cli.validate import UsageError, at_least, output_file
    from learning.population import PopulationError, load_population
    from learning.tuning import tune_rules, write_tuned

    names = [p.strip() for p in args.populations.split(",") if p.strip()]
    if not names:
        raise UsageError("--populations names no population")
    for name in names:
        check_population(name)
    at_least(args.conversations, 1, "--conversations", MAX_CONVERSATIONS)
    at_least(args.workers, 1, "--workers", 64)
    if args.output is not None:
        output_file(args.output, "rule settings file", force=args.force)
    try:
        catalog = open_catalog_option(args.catalog)
        populations = [load_population(name) for name in names]
    except (CatalogError, PopulationError) as exc:
        return fail(str(exc))
    result = tune_rules(
        catalog,
        populations,
        n=args.conversations,
        seed=args.seed,
        workers=args.workers,
        progress=lambda m: print(f"tune: {m}", file=sys.stderr),
    )
    written = write_tuned(result, args.output or TUNED_RULES)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        best = max(result.table, key=lambda row: row["mean_G"])
        print(f"rules-tuned: {result.settings.to_dict()} (mean G {best['mean_G']:.4f}); written to {written}")
    return 0
