"""Where the offline loop's parallel work runs: on this machine (local) or on a Ray cluster (ray).

Three kinds of work are spread, each by one method, so the learning code names no engine library:
`map` runs a function over items with a shared payload (simulation chunks, bootstrap replicates; Ray
Core tasks), `extract` runs a function over the parts of a log dataset (rewards and features; Ray Data),
and results come back in the order of the items, so a result never depends on which worker ran what.
The local engine is today's: forked processes, no new dependency. Ray is optional and imported only
when `--engine ray` is chosen (learning/engines/ray_engine.py).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

__all__ = ["ENGINES", "Engine", "EngineUnavailable", "LocalEngine", "make_engine"]

ENGINES = ("local", "ray")
S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


class EngineUnavailable(RuntimeError):
    """The engine cannot be used here (Ray not installed, or its cluster not reachable); one line why."""


class Engine(Protocol):
    name: str
    distributed: bool
    """True when work leaves this process tree (results must be pickled; setup runs in each worker)."""
    workers: int

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> Iterator[R]:
        """fn(shared, item) for every item, results in the items' order."""
        ...

    def extract(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """fn(item) over the parts of a dataset, results in the items' order."""
        ...

    def describe(self) -> dict[str, Any]:
        """What ran where, for the summary: engine name and, for Ray, tasks per node."""
        ...

    def close(self) -> None: ...


_SHARED: dict[str, Any] = {}


def _call_shared(job: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    fn, item = job
    return fn(_SHARED["value"], item)


def _call(job: tuple[Callable[[Any], Any], Any]) -> Any:
    fn, item = job
    return fn(item)


class LocalEngine:
    """Forked worker processes on this machine (the shared payload is inherited, not pickled)."""

    name = "local"
    distributed = False

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> Iterator[R]:
        if self.workers <= 1 or len(items) <= 1:
            for item in items:
                yield fn(shared, item)
            return
        _SHARED["value"] = shared
        try:
            with multiprocessing.get_context("fork").Pool(self.workers) as pool:
                yield from pool.imap(_call_shared, [(fn, item) for item in items])
        finally:
            _SHARED.clear()

    def extract(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        if self.workers <= 1 or len(items) <= 1:
            yield from (fn(item) for item in items)
            return
        with multiprocessing.get_context("fork").Pool(self.workers) as pool:
            yield from pool.imap(_call, [(fn, item) for item in items])

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "workers": self.workers}

    def close(self) -> None:
        return None


def make_engine(name: str, *, address: str | None = None, workers: int | None = None) -> Engine:
    """The engine called `name`. Raises EngineUnavailable (one line) when Ray is asked for and missing,
    or its cluster cannot be joined."""
    if name == "local":
        return LocalEngine(workers)
    if name == "ray":
        from learning.engines.ray_engine import RayEngine

        return RayEngine(address=address, workers=workers)
    raise ValueError(f"unknown engine {name!r}: choose from {', '.join(ENGINES)}")
