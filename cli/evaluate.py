"""`evaluate`: simulated A/B of the rule policy, the learned policy and the learned+history policy on fresh
listeners, plus a check of off-policy evaluation against the learned policy's simulated on-policy value.

All arms meet the same listeners, most of whom have a listening history (population `history.share`).
"rules" and "learned" do not read it (every conversation a cold start: no affinity, no history genre
pairs, no history features), as in the published comparison, where "learned + history" is the learned
policy with the affinity added; "learned+history" reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli._catalogs import add_catalog_option, open_catalog_option

NAME = "evaluate"
HELP = (
    "simulated A/B of the rule, learned and learned+history policies on fresh listeners "
    "(success, turns, abandonment)"
)
ORDER = 62
FRESH_SEED = 1_000_003
"""Default seed of evaluation listeners; training runs use small seeds, so these listeners are new."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cli.simulate import add_nlu_option

    parser.add_argument("--population", default="default", help="population file or shipped name")
    parser.add_argument("--conversations", type=int, default=2000, help="listeners per policy (default 2000)")
    parser.add_argument("--seed", type=int, default=FRESH_SEED, help=f"listener seed (default {FRESH_SEED})")
    parser.add_argument(
        "--policy", default="learned", help="the learned policy: learned (shipped) or a policy file"
    )
    parser.add_argument(
        "--history-policy",
        default="learned+history",
        help="the learned+history policy: learned+history (shipped) or a file; 'none' leaves it out",
    )
    parser.add_argument(
        "--ope-conversations",
        type=int,
        default=None,
        help="fresh logging-policy conversations for the OPE-vs-on-policy check "
        "(default: --conversations; 0 skips)",
    )
    parser.add_argument("--report", type=Path, default=None, help="write a report folder (Markdown + plots)")
    parser.add_argument("--workers", type=int, default=2)
    add_nlu_option(parser)
    add_catalog_option(parser)
    parser.add_argument("--json", action="store_true", help="print the A/B summary as JSON")


def run(args: argparse.Namespace) -> int:
    from assistant.learning.ab import compare, run_arm
    from assistant.learning.population import PopulationError, load_population
    from assistant.learning.report import write_evaluation_report
    from assistant.music.catalog import CatalogError
    from assistant.policies.learned import PolicyFileError, load_learned_policy
    from assistant.policies.rules import RulePolicy
    from assistant.policies.store import policy_path
    from cli.common import fail
    from cli.simulate import progress_bar, understander_factory

    if args.conversations < 1:
        return fail("--conversations must be at least 1")
    try:
        catalog = open_catalog_option(args.catalog)
        population = load_population(args.population)
    except (CatalogError, PopulationError) as exc:
        return fail(str(exc))
    path = policy_path(args.policy)
    try:
        learned = load_learned_policy(path)
    except PolicyFileError as exc:
        return fail(f"{exc} (train one with `python main.py train`)")
    history_path = None if args.history_policy == "none" else policy_path(args.history_policy)
    if history_path is not None:
        try:
            load_learned_policy(history_path)
        except PolicyFileError as exc:
            return fail(f"{exc} (train one with `python main.py train --history`, or --history-policy none)")
    n = args.conversations
    n_ope = n if args.ope_conversations is None else args.ope_conversations
    arms = {}
    plan: list[tuple[str, Any, bool, bool]] = [
        ("rules", RulePolicy, False, False),
        ("learned", lambda: load_learned_policy(path), n_ope > 0, False),
    ]
    if history_path is not None:
        hp = history_path
        plan.append(("learned+history", lambda: load_learned_policy(hp), n_ope > 0, True))
    for name, factory, record, history in plan:
        with progress_bar(n, f"{population.name}: {name}") as bar:
            arms[name] = run_arm(
                name,
                factory,
                n,
                catalog,
                population,
                seed=args.seed,
                workers=args.workers,
                record=record,
                progress=bar.update,
                make_understander=understander_factory(args.nlu),
                history=history,
            )
    evaluation: dict[str, Any] = {
        "policies": {
            name: {k: arm.summary()[k] for k in ("success_rate", "success_ci", "mean_turns", "abandon_rate")}
            for name, arm in arms.items()
        },
        "n_conversations": n,
        "population": population.name,
    }
    if args.json and args.report is None:
        print(json.dumps(evaluation))
        return 0
    full = {
        **evaluation,
        "policies": {name: arm.summary() for name, arm in arms.items()},
        "seed": args.seed,
        "policy_file": str(path),
        "history_policy_file": str(history_path) if history_path else None,
        "history_share": population.history.share,
        "comparison": compare(arms["learned"], arms["rules"]),
        "prompt_mix": {name: arm.action_mix() for name, arm in arms.items()},
        "first_prompt_mix": {name: arm.first_prompt_mix() for name, arm in arms.items()},
    }
    if "learned+history" in arms:
        full["comparison_history"] = compare(arms["learned+history"], arms["learned"])
        full["comparison_history_vs_rules"] = compare(arms["learned+history"], arms["rules"])
    if n_ope > 0:
        full["ope_check"] = _ope_check(arms["learned"], learned, catalog, population, args, n_ope)
        if history_path is not None:
            # The same check for learned+history, on exploration logs of the same listeners with their
            # histories read (the states learned+history is trained and gated on).
            full["ope_check_history"] = _ope_check(
                arms["learned+history"], load_learned_policy(history_path), catalog, population, args,
                n_ope, history=True,
            )  # fmt: skip
    if args.report is not None:
        training = None
        sidecar = path.with_suffix(".json")
        if sidecar.exists():
            training = json.loads(sidecar.read_text())
        write_evaluation_report(full, arms, args.report, training)
    if args.json:
        print(json.dumps(evaluation))
    else:
        _print_text(full)
        if args.report is not None:
            print(f"report: {args.report}/README.md")
    return 0


def _ope_check(
    arm: Any, learned: Any, catalog: Any, population: Any, args: Any, n_ope: int, history: bool = False
) -> dict[str, Any]:
    """OPE of the learned policy on fresh exploration logs vs its simulated on-policy value."""
    import numpy as np

    from assistant.learning.batch import simulate
    from assistant.learning.logging_policy import ExplorationPolicy
    from assistant.learning.reward import prompt_usefulness
    from assistant.learning.training import _critic, _ope, policy_distribution, rounds_from_log
    from cli.simulate import progress_bar, understander_factory

    rewards = prompt_usefulness(arm.table, catalog)
    on_policy = float(np.nanmean(rewards))
    with progress_bar(n_ope, f"{population.name}: logging for OPE{' (history)' if history else ''}") as bar:
        logged = simulate(
            n_ope,
            catalog,
            population,
            ExplorationPolicy,
            seed=args.seed + 1,
            workers=args.workers,
            progress=bar.update,
            make_understander=understander_factory(args.nlu),
            history=history,
        )
    assert logged.table is not None
    rounds = rounds_from_log(logged.table, catalog)
    report = _ope(rounds, policy_distribution(learned, rounds), _critic(rounds, args.seed), 1000, args.seed)
    estimates = {}
    for name, (value, lo, hi) in report.estimates.items():
        estimates[name] = {
            "value": value,
            "ci": [lo, hi],
            "bias": value - on_policy,
            "covers": bool(lo <= on_policy <= hi),
        }
    return {
        "on_policy_value": on_policy,
        "n_on_policy_decisions": int(np.sum(~np.isnan(rewards))),
        "n_logged_conversations": n_ope,
        "n_logged_rounds": len(rounds),
        "estimates": estimates,
        "diagnostics": report.to_dict()["diagnostics"],
        "warnings": report.warnings,
    }


def _print_text(full: dict[str, Any]) -> None:
    print(f"population {full['population']}, {full['n_conversations']:,} fresh listeners per policy")
    for name, p in full["policies"].items():
        print(
            f"  {name:15s} success {p['success_rate']:.1%} "
            f"[{p['success_ci'][0]:.1%}, {p['success_ci'][1]:.1%}]  "
            f"turns {p['mean_turns']:.2f}  abandoned {p['abandon_rate']:.1%}"
        )
    for key, label in (
        ("comparison", "learned vs rules"),
        ("comparison_history", "learned+history vs learned"),
    ):
        c = full.get(key)
        if c:
            print(
                f"  {label}: success {c['relative_success_gain']:+.1%} relative, "
                f"turns {-c['turn_reduction']:+.1%}"
            )
    for key, who in (("ope_check", "learned"), ("ope_check_history", "learned+history")):
        o = full.get(key)
        dr = o["estimates"].get("dr") if o else None
        if o and dr:
            print(
                f"  OPE (DR) of {who} {dr['value']:.4f} [{dr['ci'][0]:.4f}, {dr['ci'][1]:.4f}] "
                "vs on-policy "
                f"{o['on_policy_value']:.4f} (bias {dr['bias']:+.4f})",
                file=sys.stdout,
            )
