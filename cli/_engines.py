"""--engine and --address: where the offline commands (simulate, train, ope, evaluate) run their work.

Shared by the four commands so the options read and fail the same way. Ray is never imported here: only
`make_engine("ray")` imports it, so the default local engine needs nothing new, and a missing Ray is one
line and exit status 2 (a UsageError), not a traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cli.validate import UsageError

__all__ = ["add_engine_options", "engine_for"]


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: worker processes on this machine (the default); ray: Ray tasks and Ray Data, on a "
        "local Ray or the cluster at --address (needs `pip install -r requirements-ray.txt`)",
    )
    parser.add_argument(
        "--address",
        default=None,
        metavar="HOST:PORT",
        help="--engine ray: join the running Ray cluster there (default: start Ray on this machine)",
    )


@contextmanager
def engine_for(args: argparse.Namespace) -> Iterator[Any]:
    """The engine the options ask for, closed afterwards. Raises UsageError (one line, exit 2) when Ray
    is asked for and is not installed or its cluster cannot be joined."""
    from learning.engines import EngineUnavailable, make_engine

    if args.address is not None and args.engine != "ray":
        raise UsageError("--address joins a Ray cluster: give it with --engine ray")
    try:
        engine = make_engine(args.engine, address=args.address, workers=getattr(args, "workers", None))
    except EngineUnavailable as exc:
        raise UsageError(str(exc)) from exc
    try:
        yield engine
    finally:
        engine.close()
