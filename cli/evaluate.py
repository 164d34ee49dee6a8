"""`evaluate`: simulated A/B of the rules, the tuned rules, the learned and learned+history policies and the
oracle on fresh listeners, plus a check of off-policy evaluation against the learned policies' simulated
on-policy value of G.

All arms meet the same listeners, most of whom have a listening history (population `history.share`).
"rules", "rules-tuned" and "learned" do not read it (every conversation a cold start: no affinity, no
history genre pairs, no history features), as in the published comparison, where "learned + history" is
the learned policy with the affinity added; "learned+history" reads it. The oracle peeks at each simulated
listener's hidden state (evaluation only): it bounds what any policy could do with the same prompts; it is
run on the first --oracle-conversations listeners, the same ones the other arms met first.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli._catalogs import add_catalog_option, open_catalog_option
from cli._engines import add_engine_options, engine_for

NAME = "evaluate"
HELP = (
    "simulated A/B of the rules, tuned rules, learned and learned+history policies and the oracle on "
    "fresh listeners (success, turns, abandonment, G)"
)
ORDER = 62
FRESH_SEED = 1_000_003
"""Default seed of evaluation listeners; training runs use small seeds, so these listeners are new."""
REPORT_FILES = ("README.md", "evaluation.json", "outcomes.png", "prompt_mix.png", "estimators.png")
BRIEF = ("success_rate", "success_ci", "mean_turns", "abandon_rate", "value", "value_ci")
"""Per arm in the JSON printed by --json: the published comparison's figures and the objective's value."""


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
        help="the policy that reads the histories: learned+history (shipped; else learned), learned "
        "or a file; 'none' leaves it out",
    )
    parser.add_argument(
        "--tuned-rules",
        default="rules-tuned",
        help="the tuned rules: rules-tuned (shipped settings) or a settings file; 'none' leaves them out",
    )
    parser.add_argument(
        "--oracle-conversations",
        type=int,
        default=None,
        help="listeners the oracle meets (default: the smaller of --conversations and 1000; 0 skips): "
        "it plans every turn on copies of the conversation, so it costs about 50 times a policy",
    )
    parser.add_argument(
        "--ope-conversations",
        type=int,
        default=None,
        help="fresh logging-policy conversations for the OPE-vs-on-policy check "
        "(default: --conversations; 0 skips)",
    )
    parser.add_argument("--report", type=Path, default=None, help="write a report folder (Markdown + plots)")
    parser.add_argument(
        "--force", action="store_true", help="replace the files of an existing --report folder"
    )
    parser.add_argument("--workers", type=int, default=2)
    add_engine_options(parser)
    add_nlu_option(parser)
    add_catalog_option(parser)
    parser.add_argument("--json", action="store_true", help="print the A/B summary as JSON")


def _plan(
    args: argparse.Namespace, n: int, n_ope: int, catalog: Any
) -> list[tuple[str, Any, int, bool, bool]]:
    """(arm, policy factory, listeners, record the log, read histories) for every arm."""
    from assistant.policies.learned import load_learned_policy
    from assistant.policies.rules import RulePolicy, load_rule_settings
    from assistant.policies.store import TUNED_RULES, policy_path

    path = policy_path(args.policy)
    plan: list[tuple[str, Any, int, bool, bool]] = [("rules", RulePolicy, n, False, False)]
    if args.tuned_rules != "none":
        settings = load_rule_settings(TUNED_RULES if args.tuned_rules == "rules-tuned" else args.tuned_rules)
        plan.append(("rules-tuned", lambda: RulePolicy(settings, name="rules-tuned"), n, False, False))
    plan.append(("learned", lambda: load_learned_policy(path), n, n_ope > 0, False))
    if args.history_policy != "none":
        hp = policy_path(args.history_policy)
        plan.append(("learned+history", lambda: load_learned_policy(hp), n, n_ope > 0, True))
    n_oracle = min(n, 1000) if args.oracle_conversations is None else args.oracle_conversations
    if n_oracle > 0:
        from learning.oracle import PlanningOracle

        catalog = open_catalog_option(args.catalog)
        plan.append(("oracle", lambda: PlanningOracle(catalog), n_oracle, False, False))
        if args.history_policy != "none":
            plan.append(("oracle+history", lambda: PlanningOracle(catalog), n_oracle, False, True))
    return plan


def run(args: argparse.Namespace) -> int:
    _check(args)
    with engine_for(args) as args.engine_session:
        if args.no_history_arm:
            print(
                "evaluate: no learned+history policy file ships; the learned+history arm is the learned "
                "policy reading the histories, as a person with a history gets",
                file=sys.stderr,
            )
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from assistant.music.catalog import CatalogError
    from assistant.policies.learned import load_learned_policy
    from assistant.policies.store import policy_path
    from cli.common import fail
    from cli.simulate import progress_bar, understander_factory
    from learning.ab import compare, run_arm
    from learning.population import PopulationError, load_population
    from learning.report import write_evaluation_report

    try:
        catalog = open_catalog_option(args.catalog)
        population = load_population(args.population)
    except (CatalogError, PopulationError) as exc:
        return fail(str(exc))
    n = args.conversations
    n_ope = n if args.ope_conversations is None else args.ope_conversations
    arms = {}
    for name, factory, size, record, history in _plan(args, n, n_ope, catalog):
        with progress_bar(size, f"{population.name}: {name}") as bar:
            arms[name] = run_arm(
                name,
                factory,
                size,
                catalog,
                population,
                seed=args.seed,
                workers=args.workers,
                record=record,
                progress=bar.update,
                make_understander=understander_factory(args.nlu),
                history=history,
                engine=args.engine_session,
            )
    evaluation: dict[str, Any] = {
        "policies": {name: {k: arm.summary()[k] for k in BRIEF} for name, arm in arms.items()},
        "n_conversations": n,
        "population": population.name,
    }
    if args.json and args.report is None and n_ope == 0:
        print(json.dumps(evaluation))
        return 0
    path = policy_path(args.policy)
    history_path = None if args.history_policy == "none" else policy_path(args.history_policy)
    full = {
        **evaluation,
        "policies": {name: {**arm.summary(), "n": arm.n} for name, arm in arms.items()},
        "seed": args.seed,
        "engine": args.engine_session.describe(),
        "policy_file": str(path),
        "history_policy_file": str(history_path) if history_path else None,
        "history_share": population.history.share,
        "comparison": compare(arms["learned"], arms["rules"]),
        "prompt_mix": {name: arm.action_mix() for name, arm in arms.items()},
        "first_prompt_mix": {name: arm.first_prompt_mix() for name, arm in arms.items()},
    }
    if "rules-tuned" in arms:
        full["comparison_tuned"] = compare(arms["learned"], arms["rules-tuned"])
    if "learned+history" in arms:
        full["comparison_history"] = compare(arms["learned+history"], arms["learned"])
        full["comparison_history_vs_rules"] = compare(arms["learned+history"], arms["rules"])
    if "oracle" in arms:
        full["comparison_oracle"] = compare(arms["oracle"], arms["rules"])
    if n_ope > 0:
        full["ope_check"] = _ope_check(
            arms["learned"], load_learned_policy(path), catalog, population, args, n_ope
        )
        evaluation["ope_check"] = full["ope_check"]
        if history_path is not None:
            # The same check for learned+history, on exploration logs of the same listeners with their
            # histories read (the states learned+history is trained and gated on).
            full["ope_check_history"] = _ope_check(
                arms["learned+history"], load_learned_policy(history_path), catalog, population, args,
                n_ope, history=True,
            )  # fmt: skip
            evaluation["ope_check_history"] = full["ope_check_history"]
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


def _check(args: argparse.Namespace) -> None:
    """Names, numbers and paths, before any listener is simulated. Raises UsageError."""
    from assistant.policies.rules import load_rule_settings
    from assistant.policies.store import HISTORY_POLICY, TUNED_RULES
    from cli.common import check_policy
    from cli.simulate import MAX_CONVERSATIONS, check_simulation
    from cli.validate import UsageError, at_least, input_file, output_folder

    # With no learned+history file shipped, a person with a history gets the learned policy, whose
    # samples and genre pairs still read the history (Session.policy_for); the arm measures that, not
    # nothing. Said only once the checks passed and the engine started, so a mistake still reads as
    # one line.
    no_history_arm = args.history_policy == "learned+history" and not HISTORY_POLICY.exists()
    if no_history_arm:
        args.history_policy = args.policy

    check_simulation(args, conversations=args.conversations)
    if args.ope_conversations is not None:
        at_least(args.ope_conversations, 0, "--ope-conversations", MAX_CONVERSATIONS)
    if args.oracle_conversations is not None:
        at_least(args.oracle_conversations, 0, "--oracle-conversations", MAX_CONVERSATIONS)
    check_policy(args.policy, ("learned",))
    if args.history_policy != "none":
        check_policy(args.history_policy, ("learned+history", "learned", "none"), "--history-policy")
    if args.tuned_rules != "none":
        settings = TUNED_RULES if args.tuned_rules == "rules-tuned" else Path(args.tuned_rules)
        if args.tuned_rules != "rules-tuned":
            input_file(settings, "rule settings file")
        try:
            load_rule_settings(settings)
        except ValueError as exc:
            raise UsageError(f"--tuned-rules: {exc} (tune them with `python main.py tune`)") from None
    if args.report is not None:
        output_folder(args.report, "evaluation report", writes=REPORT_FILES, force=args.force)
    args.no_history_arm = no_history_arm


def _ope_check(
    arm: Any, learned: Any, catalog: Any, population: Any, args: Any, n_ope: int, history: bool = False
) -> dict[str, Any]:
    """Trajectory OPE of a learned policy's G on fresh exploration logs, against its simulated on-policy
    value: does each estimator's interval cover the truth?"""
    from cli.simulate import progress_bar, understander_factory
    from learning.batch import simulate
    from learning.conversation_training import BOOTSTRAP_REPLICATES, GATE_ESTIMATOR, trajectories
    from learning.episodes import DEFAULT_TURN_COST, episodes_from_log
    from learning.fqe_bootstrap import BootstrapFQE
    from learning.logging_policy import TRAINING_MIX, ExplorationPolicy
    from learning.replayed_policies import distribution_on_steps
    from learning.sequential_ope import evaluate_trajectories

    on_policy = float(arm.returns.mean())
    with progress_bar(n_ope, f"{population.name}: logging for OPE{' (history)' if history else ''}") as bar:
        logged = simulate(
            n_ope,
            catalog,
            population,
            lambda: ExplorationPolicy(mix=TRAINING_MIX),
            seed=args.seed + 1,
            workers=args.workers,
            progress=bar.update,
            make_understander=understander_factory(args.nlu),
            history=history,
            engine=args.engine_session,
        )
    assert logged.table is not None
    episodes = episodes_from_log(logged.table, turn_cost=DEFAULT_TURN_COST)
    data = trajectories(episodes, distribution_on_steps(learned, episodes), seed=args.seed)
    report = evaluate_trajectories(data, objectives=("G",), n_bootstrap=1000, random_state=args.seed)
    rows = dict(report.estimates["G"])
    # The gate's own estimator, so that whether its interval covers the truth is measured on every
    # population evaluate meets, not only on the one the estimator was chosen on.
    boot = BootstrapFQE(
        n_replicates=BOOTSTRAP_REPLICATES, random_state=args.seed, engine=args.engine_session
    ).fit({"target": data}, "G")
    interval = boot.interval("target")
    rows["fqe-boot"] = (interval.value, *interval.ci)
    estimates = {}
    for name, (value, lo, hi) in rows.items():
        estimates[name] = {
            "value": value,
            "ci": [lo, hi],
            "bias": value - on_policy,
            "covers": bool(lo <= on_policy <= hi),
        }
    return {
        "objective": "G",
        "on_policy_value": on_policy,
        "gate_estimator": GATE_ESTIMATOR,
        "n_logged_conversations": episodes.n_episodes,
        "n_logged_decisions": len(episodes),
        "estimates": estimates,
        "diagnostics": report.to_dict()["diagnostics"],
        "warnings": report.warnings,
    }


def _print_text(full: dict[str, Any]) -> None:
    print(f"population {full['population']}, {full['n_conversations']:,} fresh listeners per policy")
    for name, p in full["policies"].items():
        size = f" ({p['n']:,} listeners)" if p["n"] != full["n_conversations"] else ""
        print(
            f"  {name:15s} success {p['success_rate']:.1%} "
            f"[{p['success_ci'][0]:.1%}, {p['success_ci'][1]:.1%}]  "
            f"turns {p['mean_turns']:.2f}  abandoned {p['abandon_rate']:.1%}  G {p['value']:.3f}{size}"
        )
    for key, label in (
        ("comparison", "learned vs rules"),
        ("comparison_tuned", "learned vs rules-tuned"),
        ("comparison_history", "learned+history vs learned"),
        ("comparison_history_vs_rules", "learned+history vs rules"),
        ("comparison_oracle", "oracle vs rules"),
    ):
        c = full.get(key)
        if c:
            lo, hi = c["value_gain_ci"]
            print(
                f"  {label}: success {c['relative_success_gain']:+.1%} relative, "
                f"turns {-c['turn_reduction']:+.1%}, G {c['value_gain']:+.3f} [{lo:+.3f}, {hi:+.3f}]"
            )
    for key, who in (("ope_check", "learned"), ("ope_check_history", "learned+history")):
        o = full.get(key)
        gate = o["estimates"].get(o["gate_estimator"]) if o else None
        if o and gate:
            print(
                f"  OPE ({o['gate_estimator'].upper()}) of {who}'s G {gate['value']:.4f} "
                f"[{gate['ci'][0]:.4f}, {gate['ci'][1]:.4f}] vs on-policy {o['on_policy_value']:.4f} "
                f"({'covered' if gate['covers'] else 'not covered'})",
                file=sys.stdout,
            )
