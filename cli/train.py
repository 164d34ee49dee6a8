"""`train`: learn the dialogue policy from logs, choose the model by off-policy evaluation, gate promotion."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli._catalogs import add_catalog_option, open_catalog_option

NAME = "train"
HELP = "learn the dialogue policy from logs; choose by off-policy evaluation; gate its promotion"
ORDER = 61


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cli.simulate import add_nlu_option

    parser.add_argument(
        "--log", type=Path, nargs="*", default=[], help="logs to learn from (.db SQLite or Parquet folders)"
    )
    parser.add_argument(
        "--simulate",
        type=int,
        default=0,
        metavar="N",
        help="first simulate N conversations with the logging policy and learn from them too",
    )
    parser.add_argument(
        "--population", default="default", help="population for --simulate (file or shipped name)"
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="learn learned+history: simulated listeners' listening histories are read (affinity, history "
        "genre pairs, per-prompt affinity features); writes assets/policy/learned_history.npz, and must "
        "beat the shipped learned policy",
    )
    parser.add_argument(
        "--models", default="linear,trees,mlp", help="reward models to compare (comma-separated)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for simulation, splits and models")
    parser.add_argument(
        "--current",
        default="auto",
        help="the policy a candidate must beat: auto (shipped learned policy, else rules), rules, or a file",
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="policy file to write (default: the shipped one)"
    )
    parser.add_argument("--force", action="store_true", help="write the policy even if the gate says no")
    parser.add_argument("--report", type=Path, default=Path("reports/train"), help="report folder")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for OPE intervals")
    parser.add_argument(
        "--turn-discount",
        type=float,
        default=1.0,
        help="experiment: fit to usefulness x DISCOUNT^(later decisions) (1 = the published reward; OPE and "
        "the gate always use the published reward)",
    )
    parser.add_argument(
        "--export-npz",
        type=Path,
        default=None,
        help="also write the held-out rounds for `python main.py ope`",
    )
    parser.add_argument("--workers", type=int, default=2)
    add_nlu_option(parser)
    add_catalog_option(parser)
    parser.add_argument("--json", action="store_true", help="print the training summary as JSON")


def run(args: argparse.Namespace) -> int:
    from assistant.dialogue.state import ACTION_AFFINITY_FEATURES
    from assistant.learning.batch import simulate
    from assistant.learning.logging_policy import ExplorationPolicy
    from assistant.learning.population import PopulationError, load_population
    from assistant.learning.report import training_summary, write_training_report
    from assistant.learning.training import train_and_select
    from assistant.logs.dataset import LogFormatError, LogTable, read_log
    from assistant.music.catalog import CatalogError
    from assistant.policies.learned import save_policy
    from assistant.policies.store import HISTORY_POLICY, SHIPPED_POLICY, load_policy
    from cli.common import fail
    from cli.simulate import progress_bar, understander_factory

    if not args.log and args.simulate <= 0:
        return fail("nothing to learn from: give --log FILE(s) and/or --simulate N")
    kinds = [k.strip() for k in args.models.split(",") if k.strip()]
    try:
        catalog = open_catalog_option(args.catalog)
        tables = [read_log(p) for p in args.log]
        if args.simulate > 0:
            population = load_population(args.population)
            with progress_bar(args.simulate, f"simulating {population.name}") as bar:
                run_ = simulate(
                    args.simulate,
                    catalog,
                    population,
                    ExplorationPolicy,
                    seed=args.seed,
                    workers=args.workers,
                    progress=bar.update,
                    make_understander=understander_factory(args.nlu),
                    history=args.history,
                )
            assert run_.table is not None
            tables.append(run_.table)
    except (CatalogError, PopulationError, LogFormatError) as exc:
        return fail(str(exc))
    table = LogTable.concat(tables)
    current = load_policy(args.current, catalog, warn=lambda _m: None)
    try:
        result = train_and_select(
            table,
            catalog,
            current=current,
            kinds=kinds,
            seed=args.seed,
            n_bootstrap=args.bootstrap,
            progress=lambda m: print(f"train: {m}", file=sys.stderr),
            turn_discount=args.turn_discount,
        )
    except LogFormatError as exc:
        return fail(str(exc))
    except ValueError as exc:
        return fail(f"cannot train: {exc}")
    summary = training_summary(result)
    output = args.output or (HISTORY_POLICY if args.history else SHIPPED_POLICY)
    written = None
    if result.promoted or args.force:
        meta = {
            "name": "learned+history" if args.history else "learned",
            "action_features": ACTION_AFFINITY_FEATURES,
            "history": args.history,
            "turn_discount": args.turn_discount,
            "chosen_by": "doubly robust OPE on held-out logs",
            "promoted": result.promoted,
            "reason": result.reason,
            "seed": args.seed,
            "n_conversations": result.n_conversations,
            "estimates": {k: list(v) for k, v in result.chosen.report.estimates.items()},
        }
        written = save_policy(output, result.chosen.kind, result.chosen.model.export(), meta)
        output.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    summary["written"] = str(written) if written else None
    if args.export_npz is not None:
        _export_npz(result, args.export_npz)
    write_training_report(summary, args.report)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"chosen: {result.chosen.kind}; {result.reason}")
        print(
            f"policy written to {written}" if written else "policy not written (use --force to write anyway)"
        )
        print(f"report: {args.report}/README.md")
    return 0


def _export_npz(result: Any, path: Path) -> None:
    """Held-out rounds in the layout `python main.py ope` reads: the chosen policy as pi_e, the current
    one as pi_e_current is left out so the file has one evaluation policy; q_hat is cross-fitted."""
    import numpy as np

    test = result.test
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        action=test.action,
        reward=test.reward,
        pscore=test.pscore,
        pi_e=result.pi_e[result.chosen.kind],
        q_hat=result.q_hat,
        pi_b=test.pi_b,
    )
