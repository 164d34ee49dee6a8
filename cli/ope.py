"""`ope`: off-policy evaluation of a candidate policy on logged bandit data (.npz).

With `--engine ray` the whole evaluation (estimators and their bootstrap) runs as one Ray task on the
cluster, with the same code and seed, so it prints the same figures as the local engine. It is not split
further: the bootstrap's resamples share one random stream (vectorized over the rounds, which fit in one
process: an .npz is read whole), and cutting that stream into per-worker seeds would change every interval.
The conversation-level bootstrap of `train`'s gate is the one spread over workers.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from cli._engines import add_engine_options, engine_for

NAME = "ope"
HELP = "estimate a policy's value from logged bandit data (.npz): IPW, SNIPW, DM, DR, SNDR with bootstrap CIs"
ORDER = 70


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE.npz",
        help="arrays action, reward, pscore, pi_e [, position, q_hat, pi_b] (the ../shared/data/obd layout)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--bootstrap",
        type=_non_negative_int,
        default=2000,
        metavar="N",
        help="bootstrap resamples per confidence interval (default 2000; 0 skips the intervals)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap (default 0)")
    parser.add_argument(
        "--clip",
        type=_positive_float,
        default=None,
        metavar="LAMBDA",
        help="clip importance weights at LAMBDA in IPW, SNIPW, DR and SNDR (default: no clipping)",
    )
    parser.add_argument(
        "--policy",
        default=None,
        metavar="NAME",
        help="which evaluation policy pi_e_NAME to score when the file holds several "
        "(synthetic.npz: egreedy or softmax)",
    )
    add_engine_options(parser)


def run(args: argparse.Namespace) -> int:
    from learning.logged_data import LoggedDataError, load_npz

    try:
        data = load_npz(args.file, policy=args.policy)
    except LoggedDataError as exc:
        return _fail(str(exc))
    clip = args.clip if args.clip is not None else math.inf
    with engine_for(args) as engine:
        (report,) = engine.map(_evaluate, (clip, args.bootstrap, args.seed), [data])
    if isinstance(report, str):  # e.g. no q_hat for the model-based estimators
        return _fail(f"{args.file}: {report}")
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    title = args.file.name + (f" (policy {args.policy})" if args.policy else "")
    print(_table(title, report, seed=args.seed))
    return 0


def _evaluate(settings: tuple[float, int, int], data: Any) -> dict[str, Any] | str:
    """The report of every estimator on `data` as a plain dict, or why there is none (one line): it may
    come back from another node, where an exception would arrive wrapped in Ray's own."""
    from learning.logged_data import LoggedDataError
    from learning.ope import default_estimators, evaluate

    clip, n_bootstrap, seed = settings
    try:
        report = evaluate(data, default_estimators(clip=clip), n_bootstrap=n_bootstrap, random_state=seed)
    except LoggedDataError as exc:
        return str(exc)
    return report.to_dict()


def _fail(message: str) -> int:
    import sys

    print(f"tunetalk: {message}", file=sys.stderr)
    return 2


def _num(value: float | None, width: int = 10) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.5g}"


def _table(title: str, report: dict[str, Any], *, seed: int) -> str:
    d = report["diagnostics"]
    n = d["n_rounds"]
    level = f"{d['ci_level']:.0%}"
    interval = (
        f"{level} CI ({d['n_bootstrap']:,} bootstrap resamples, seed {seed})"
        if d["n_bootstrap"]
        else "no CI (--bootstrap 0)"
    )
    lines = [
        f"{title}: {n:,} rounds, {d['n_actions']} actions, {d['n_positions']} position(s)",
        "",
        f"{'estimator':<10}{'value':>10}   {interval}",
    ]
    for name, entry in report["estimates"].items():
        lo, hi = entry["ci"]
        ci = f"[{_num(lo).strip()}, {_num(hi).strip()}]" if d["n_bootstrap"] else ""
        lines.append(f"{name.upper():<10}{_num(entry['value'])}   {ci}")
    ess = d["ess"]
    lines += [
        "",
        "diagnostics",
        f"  effective sample size  {ess:,.1f} of {n:,} ({d['ess_fraction']:.2%})",
        f"  importance weights     mean {d['weight_mean']:.4g}, min {d['weight_min']:.4g}, "
        f"max {d['weight_max']:,.5g} ({d['max_weight_share']:.1%} of the total)",
        f"  min propensity         {d['pscore_min']:.4g}",
        f"  low-support actions    {d['low_support_mass']:.1%} of pi_e's probability, in "
        f"{d['low_support_rounds']:.0%} of rounds (support < {d['min_support']:g}, from {d['support_from']})",
        f"  reward range           [{d['reward_min']:g}, {d['reward_max']:g}]",
    ]
    if "clip" in d:
        lines.append(
            f"  weight clipping        lambda {d['clip']:g}: {d['clipped_fraction']:.2%} of rounds clipped"
        )
    lines += ["", "warnings" if report["warnings"] else "warnings: none"]
    lines += [f"  ! {w}" for w in report["warnings"]]
    return "\n".join(lines)
