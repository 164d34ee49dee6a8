"""`train`: learn the dialogue policy from logged conversations; judge it off-policy; gate its promotion.

The objective is a conversation's return G = 1{accepted} - turn cost x (user turns): fitted-Q iteration
over whole logged conversations (one candidate per tree library), trajectory-level off-policy evaluation
on held-out conversations, and a gate on the paired difference of G against the current policy. What is
written to the shipped policy file has passed the gate; nothing else is. `--objective usefulness` runs the
per-decision prompt-usefulness learner instead (a signal and a comparison, not the product's objective).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli._catalogs import add_catalog_option, open_catalog_option
from cli._engines import add_engine_options, engine_for

NAME = "train"
HELP = "learn the dialogue policy from logged conversations; judge it off-policy; gate its promotion"
ORDER = 61
DEFAULT_REPORT = Path("reports/train")
REPORT_FILES = ("README.md", "training.json", "estimators.png")
BACKENDS = ("sklearn", "lightgbm", "xgboost")


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
        help="first simulate N conversations with the exploring logging policy and learn from them too",
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
        "--objective",
        choices=("conversation", "usefulness"),
        default="conversation",
        help="conversation: fitted-Q on G = accepted - turn cost x turns (the default); usefulness: the "
        "per-decision prompt-usefulness learner",
    )
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="tree libraries for fitted-Q, one candidate each (comma-separated; default all three)",
    )
    parser.add_argument("--iterations", type=int, default=10, help="fitted-Q iterations (default 10)")
    parser.add_argument(
        "--turn-cost", type=float, default=0.05, help="what a user turn costs in units of success (0.05)"
    )
    parser.add_argument(
        "--mix",
        type=float,
        default=None,
        help="share of uniform exploration in the --simulate logs (default 0.3; 0: the rules' own)",
    )
    parser.add_argument(
        "--tradeoff",
        action="store_true",
        help="also train at turn costs 0, 0.025, 0.05 and 0.1 and plot success against turns",
    )
    parser.add_argument(
        "--models",
        default="linear,trees,mlp",
        help="--objective usefulness: reward models to compare (comma-separated)",
    )
    parser.add_argument(
        "--turn-discount",
        type=float,
        default=1.0,
        help="--objective usefulness: fit to usefulness x DISCOUNT^(later decisions)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for simulation, splits and models")
    parser.add_argument(
        "--current",
        default="auto",
        help="the policy a candidate must beat: auto (shipped learned policy, else rules), rules, "
        "rules-tuned, learned, learned+history, or a policy file",
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="policy file to write (default: the shipped one)"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing --output file or --report folder"
    )
    parser.add_argument(
        "--report", type=Path, default=None, help=f"report folder (default: {DEFAULT_REPORT})"
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for OPE intervals")
    parser.add_argument(
        "--gate-replicates",
        type=int,
        default=30,
        metavar="R",
        help="refits of the critics in the gate's conversation-level bootstrap (default 30; spread over "
        "the engine's workers)",
    )
    parser.add_argument(
        "--export-npz",
        type=Path,
        default=None,
        help="--objective usefulness: also write the held-out rounds for `python main.py ope`",
    )
    parser.add_argument("--workers", type=int, default=2)
    add_engine_options(parser)
    add_nlu_option(parser)
    add_catalog_option(parser)
    parser.add_argument("--json", action="store_true", help="print the training summary as JSON")


def run(args: argparse.Namespace) -> int:
    from cli.common import fail

    if not args.log and args.simulate <= 0:
        return fail("nothing to learn from: give --log FILE(s) and/or --simulate N")
    _check(args)
    with engine_for(args) as args.engine_session:
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from assistant.logs.dataset import LogFormatError
    from assistant.music.catalog import CatalogError
    from cli.common import fail
    from learning.population import PopulationError

    try:
        catalog, table = _logs(args)
    except (CatalogError, PopulationError, LogFormatError) as exc:
        return fail(str(exc))
    try:
        if args.objective == "usefulness":
            return _usefulness(args, catalog, table)
        return _conversation(args, catalog, table)
    except LogFormatError as exc:
        return fail(str(exc))
    except ValueError as exc:
        return fail(f"cannot train: {exc}")


def _logs(args: argparse.Namespace) -> tuple[Any, Any]:
    from assistant.logs.dataset import LogTable, read_log
    from cli.simulate import progress_bar, understander_factory
    from learning.batch import simulate
    from learning.logging_policy import TRAINING_MIX
    from learning.population import load_population

    catalog = open_catalog_option(args.catalog)
    # Datasets are streamed into episodes by the engine (learning.dataset_episodes), not read whole.
    tables = [read_log(p) for p in args.log if not _streamed(args, p)]
    if args.simulate > 0:
        population = load_population(args.population)
        mix = TRAINING_MIX if args.mix is None else args.mix
        if args.objective == "usefulness" and args.mix is None:
            mix = 0.0  # the usefulness learner was specified on the rules' own exploration
        with progress_bar(args.simulate, f"simulating {population.name}") as bar:
            run_ = simulate(
                args.simulate,
                catalog,
                population,
                _logging_policy(mix),
                seed=args.seed,
                workers=args.workers,
                progress=bar.update,
                make_understander=understander_factory(args.nlu),
                history=args.history,
                engine=args.engine_session,
            )
        assert run_.table is not None
        tables.append(run_.table)
    for t in tables:
        if t.skipped:
            print(
                f"train: left out {len(t.skipped)} conversation(s) of {t.source} whose turns interleave "
                f"(ids reused by an earlier version; `python main.py logs check {t.source}` lists them)",
                file=sys.stderr,
            )
    return catalog, LogTable.concat(tables)


def _streamed(args: argparse.Namespace, path: Path) -> bool:
    """A partitioned dataset that the whole-conversation learner reads part by part on the engine."""
    from assistant.logs.partitioned import is_dataset

    return args.objective == "conversation" and is_dataset(path)


def _logging_policy(mix: float) -> Any:
    from learning.logging_policy import ExplorationPolicy

    return lambda: ExplorationPolicy(mix=mix)


def _say(message: str) -> None:
    print(f"train: {message}", file=sys.stderr)


def _conversation(args: argparse.Namespace, catalog: Any, table: Any) -> int:
    from assistant.dialogue.state import ACTION_AFFINITY_FEATURES
    from assistant.policies.learned import save_policy
    from assistant.policies.store import HISTORY_POLICY, SHIPPED_POLICY, load_policy
    from learning.conversation_report import training_summary, write_training_report
    from learning.conversation_training import tradeoff, train_fitted_q
    from learning.dataset_episodes import training_episodes
    from learning.training import ACTION_COLUMNS

    datasets = [p for p in args.log if _streamed(args, p)]
    episodes = training_episodes(
        datasets, table, turn_cost=args.turn_cost, engine=args.engine_session, warn=_say
    )
    current = load_policy(args.current, catalog, warn=lambda _m: None, history=args.history)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    result = train_fitted_q(
        episodes,
        current=current,
        backends=backends,
        seed=args.seed,
        n_iterations=args.iterations,
        n_bootstrap=args.bootstrap,
        action_columns=ACTION_COLUMNS,
        progress=_say,
        engine=args.engine_session,
        gate_replicates=args.gate_replicates,
    )
    points = None
    if args.tradeoff:
        points = tradeoff(
            episodes,
            backend=result.chosen.backend,
            seed=args.seed,
            n_iterations=args.iterations,
            action_columns=ACTION_COLUMNS,
            progress=_say,
        )
    summary = training_summary(result, points)
    summary["engine"] = args.engine_session.describe()
    output = args.output or (HISTORY_POLICY if args.history else SHIPPED_POLICY)
    written = None
    if result.gate.promoted:
        meta = {
            "name": "learned+history" if args.history else "learned",
            "action_features": ACTION_AFFINITY_FEATURES,
            "history": args.history,
            "objective": summary["objective"],
            "turn_cost": args.turn_cost,
            "learner": f"fitted-Q iteration, {args.iterations} iterations, {result.chosen.backend} trees",
            "chosen_by": f"{result.gate.estimator.upper()} of G on held-out conversations",
            "promoted": True,
            "reason": result.gate.reason,
            "current": result.current_name,
            "seed": args.seed,
            "n_conversations": result.n_conversations,
        }
        written = save_policy(output, "q-trees", result.chosen.model.export(), meta)
        output.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    summary["written"] = str(written) if written else None
    report_dir = args.report or DEFAULT_REPORT
    write_training_report(summary, report_dir)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"chosen: {result.chosen.backend}; {result.gate.reason}")
        print(f"policy written to {written}" if written else "policy not written: it did not pass the gate")
        print(f"report: {report_dir}/README.md")
    return 0


def _usefulness(args: argparse.Namespace, catalog: Any, table: Any) -> int:
    from assistant.dialogue.state import ACTION_AFFINITY_FEATURES
    from assistant.policies.learned import save_policy
    from assistant.policies.store import load_policy
    from learning.report import training_summary, write_training_report
    from learning.training import train_and_select

    current = load_policy(args.current, catalog, warn=lambda _m: None)
    kinds = [k.strip() for k in args.models.split(",") if k.strip()]
    result = train_and_select(
        table,
        catalog,
        current=current,
        kinds=kinds,
        seed=args.seed,
        n_bootstrap=args.bootstrap,
        progress=_say,
        turn_discount=args.turn_discount,
    )
    summary = training_summary(result)
    written = None
    # The usefulness learner never replaces a shipped policy: its objective is not the product's.
    if result.promoted and args.output is not None:
        meta = {
            "name": "usefulness",
            "action_features": ACTION_AFFINITY_FEATURES,
            "history": args.history,
            "turn_discount": args.turn_discount,
            "chosen_by": "doubly robust OPE of prompt usefulness on held-out logs",
            "promoted": result.promoted,
            "reason": result.reason,
            "seed": args.seed,
            "n_conversations": result.n_conversations,
            "estimates": {k: list(v) for k, v in result.chosen.report.estimates.items()},
        }
        written = save_policy(args.output, result.chosen.kind, result.chosen.model.export(), meta)
    summary["written"] = str(written) if written else None
    if args.export_npz is not None:
        _export_npz(result, args.export_npz)
    report_dir = args.report or DEFAULT_REPORT
    write_training_report(summary, report_dir)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"chosen: {result.chosen.kind}; {result.reason}")
        print(f"policy written to {written}" if written else "policy not written (give --output to keep it)")
        print(f"report: {report_dir}/README.md")
    return 0


def _check(args: argparse.Namespace) -> None:
    """Inputs exist and outputs may be written, before any simulation or fitting. Raises UsageError."""
    from cli.common import check_policy
    from cli.simulate import MAX_CONVERSATIONS, check_simulation
    from cli.validate import UsageError, at_least, choose, output_file, output_folder
    from learning.learner import MODELS

    check_simulation(args)
    for path in args.log:
        if not path.exists():
            raise UsageError(
                f"{path}: no such log (a .db file from `simulate --log` or the app, or a Parquet folder)"
            )
    at_least(args.simulate, 0, "--simulate", MAX_CONVERSATIONS)
    at_least(args.bootstrap, 0, "--bootstrap", 1_000_000)
    at_least(args.iterations, 1, "--iterations", 100)
    at_least(args.gate_replicates, 2, "--gate-replicates", 10_000)
    if not 0.0 <= args.turn_cost <= 1.0:
        raise UsageError(f"--turn-cost must be in 0..1, got {args.turn_cost}")
    if args.mix is not None and not 0.0 <= args.mix <= 1.0:
        raise UsageError(f"--mix must be in 0..1, got {args.mix}")
    if not 0.0 < args.turn_discount <= 1.0:
        raise UsageError(f"--turn-discount must be in (0, 1], got {args.turn_discount}")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends:
        raise UsageError(f"--backends names no library: choose from {', '.join(BACKENDS)}")
    for backend in backends:
        choose(backend, list(BACKENDS), "tree library")
    kinds = [k.strip() for k in args.models.split(",") if k.strip()]
    if not kinds:
        raise UsageError(f"--models names no model: choose from {', '.join(MODELS)}")
    for kind in kinds:
        choose(kind, list(MODELS), "reward model")
    check_policy(args.current, ("auto", "rules", "rules-tuned", "learned", "learned+history"), "--current")
    if args.output is not None:
        output_file(args.output, "policy file", force=args.force)
    report = args.report or DEFAULT_REPORT
    if args.report is not None:
        output_folder(report, "training report", writes=REPORT_FILES, force=args.force)
    # Into a report folder not made yet (as scripts/train_policy.sh asks): nothing there to replace.
    into_new_report = args.export_npz is not None and args.export_npz.parent == report and not report.exists()
    if args.export_npz is not None and not into_new_report:
        output_file(args.export_npz, "held-out rounds (.npz)", force=args.force)


def _export_npz(result: Any, path: Path) -> None:
    """Held-out rounds in the layout `python main.py ope` reads: the chosen policy as pi_e; q_hat is
    cross-fitted."""
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
