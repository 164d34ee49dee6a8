"""Many simulated conversations through the real dialogue manager, seeded, optionally on several cores.

Conversation i of a run with seed s draws its listener from the generator [s, i, 0], the listener's
words from [s, i, 1], the assistant's randomness from [s, i, 2] and the listener's listening history
from [s, i, 3]: the same seed meets the same listeners whatever the policy (paired comparisons), and the
split across worker processes does not change any result. With `history=True` the assistant is handed
what it would read from each listener's history (affinity and summary, learning.listening);
without it every listener is a cold start (the same listeners, their histories simply not read).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.policy import Policy
from assistant.logs.dataset import LogTable, TableRecorder
from assistant.music.catalog import Catalog
from assistant.music.retrieval import Retriever
from learning.listeners import CachedUnderstander, World, draw_listener
from learning.population import Population
from learning.simulator import ConversationResult, SimulatedUser, run_conversation
from nlu.linking import EntityLinker
from nlu.meaning import Understander
from nlu.rules import RuleUnderstanding

__all__ = ["SimulationRun", "simulate"]

CHUNK = 250


@dataclass
class SimulationRun:
    table: LogTable | None
    """The log of every turn (None when recording was switched off)."""
    results: list[ConversationResult]


@dataclass
class _Job:
    catalog: Catalog
    population: Population
    make_policy: Callable[[], Policy]
    make_understander: Callable[[Catalog], Understander] | None
    seed: int
    record: bool
    history: bool = False


_JOB: _Job | None = None
_STATE: dict[str, object] = {}


def _setup(job: _Job) -> None:
    global _JOB
    _JOB = job
    catalog = job.catalog
    inner = (
        job.make_understander(catalog)
        if job.make_understander is not None
        else RuleUnderstanding(EntityLinker.for_catalog(catalog))
    )
    understander = CachedUnderstander(inner)
    _STATE.clear()
    _STATE.update(
        world=World(catalog),
        understander=understander,
        retriever=Retriever(catalog, getattr(inner, "linker", None)),
        policy=job.make_policy(),
    )
    if job.history:
        from assistant.taste.affinity import load_affinity_model

        # Loaded once per worker: the shipped model serves every listener of the run.
        _STATE["affinity_model"] = load_affinity_model(catalog)


def _run_chunk(indices: tuple[int, int]) -> tuple[LogTable | None, list[ConversationResult]]:
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the workers already use every core, and the affinity fold-in (a small linear
    # solve per listener) slowed tenfold with two multi-threaded BLAS pools competing for two cores.
    # It also keeps floating-point results independent of the machine's thread count.
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_chunk_inner(indices)


def _run_chunk_inner(indices: tuple[int, int]) -> tuple[LogTable | None, list[ConversationResult]]:
    assert _JOB is not None
    job = _JOB
    world: World = _STATE["world"]  # type: ignore[assignment]
    recorder = TableRecorder() if job.record else None
    results = []
    for i in range(*indices):
        listener = draw_listener(world, job.population, np.random.default_rng([job.seed, i, 0]))
        user = SimulatedUser(world, job.population, np.random.default_rng([job.seed, i, 1]), listener)
        affinity, summary = None, None
        if job.history:
            from learning.listening import draw_history, history_rng

            drawn = draw_history(
                world,
                listener,
                job.population,
                history_rng(job.seed, i),
                _STATE["affinity_model"],  # type: ignore[arg-type]
            )
            if drawn is not None:
                affinity, summary = drawn.affinity, drawn.summary
        manager = DialogueManager(
            job.catalog,
            _STATE["understander"],  # type: ignore[arg-type]
            _STATE["policy"],  # type: ignore[arg-type]
            np.random.default_rng([job.seed, i, 2]),
            emit=recorder,
            conversation_id=f"sim-{job.seed}-{i:07d}",
            retriever=_STATE["retriever"],  # type: ignore[arg-type]
            affinity=affinity,
            history=summary,
            seed=job.seed,
        )
        policy = _STATE["policy"]
        meet = getattr(policy, "meet", None)
        if callable(meet):
            # Evaluation-only policies (the oracle) peek at who they are talking to; others never can.
            meet(user, affinity)
        own_run = getattr(policy, "run", None)
        # The planning oracle holds the conversation itself (it tries prompts on copies first).
        results.append(own_run(manager, user) if callable(own_run) else run_conversation(manager, user))
    return (recorder.table() if recorder else None), results


def _chunks(n: int, start: int = 0) -> Iterator[tuple[int, int]]:
    for lo in range(start, start + n, CHUNK):
        yield lo, min(lo + CHUNK, start + n)


def simulate(
    n: int,
    catalog: Catalog,
    population: Population,
    make_policy: Callable[[], Policy],
    *,
    seed: int = 0,
    workers: int | None = None,
    record: bool = True,
    progress: Callable[[int], None] | None = None,
    make_understander: Callable[[Catalog], Understander] | None = None,
    start: int = 0,
    history: bool = False,
) -> SimulationRun:
    """Run conversations start..start+n. `progress(k)` is called as k more conversations finish.
    `history`: hand the assistant each listener's listening history (those who have one)."""
    job = _Job(catalog, population, make_policy, make_understander, seed, record, history)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    chunks = list(_chunks(n, start))
    parts: list[tuple[LogTable | None, list[ConversationResult]]] = []
    if workers <= 1 or len(chunks) <= 1:
        _setup(job)
        for chunk in chunks:
            parts.append(_run_chunk(chunk))
            if progress:
                progress(chunk[1] - chunk[0])
    else:
        # fork: the catalogue and the policy are inherited, not pickled; results come back as columns.
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_setup, initargs=(job,)) as pool:
            for (lo, hi), part in zip(chunks, pool.imap(_run_chunk, chunks), strict=True):
                parts.append(part)
                if progress:
                    progress(hi - lo)
    tables = [t for t, _ in parts if t is not None]
    return SimulationRun(LogTable.concat(tables) if record else None, [r for _, rs in parts for r in rs])
