"""Many simulated conversations through the real dialogue manager, seeded, optionally on several cores.

Conversation i of a run with seed s draws its listener from the generator [s, i, 0], the listener's
words from [s, i, 1], the assistant's randomness from [s, i, 2] and the listener's listening history
from [s, i, 3]: the same seed meets the same listeners whatever the policy (paired comparisons), and the
split across worker processes does not change any result. With `history=True` the assistant is handed
what it would read from each listener's history (affinity and summary, learning.listening);
without it every listener is a cold start (the same listeners, their histories simply not read).

The chunks run on forked worker processes, or on another engine (learning.engines: Ray tasks);
since every conversation is seeded by its own index, the engine and the number of workers change no
result. With `write_to` each chunk is written by the worker that ran it as one part of a partitioned
Parquet dataset (assistant.logs.partitioned) and only its outcomes come back: the log never sits whole in
one process.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.policy import Policy
from assistant.logs.dataset import LogTable, TableRecorder
from assistant.logs.partitioned import DatasetWriter
from assistant.music.catalog import Catalog
from assistant.music.retrieval import Retriever
from learning.listeners import CachedUnderstander, World, draw_listener
from learning.population import Population
from learning.simulator import ConversationResult, SimulatedUser, run_conversation
from nlu.linking import EntityLinker
from nlu.meaning import Understander
from nlu.rules import RuleUnderstanding

if TYPE_CHECKING:
    from learning.engines import Engine

__all__ = ["SimulationRun", "run_job_chunk", "simulate"]

CHUNK = 250


@dataclass
class SimulationRun:
    table: LogTable | None
    """The log of every turn (None when recording was switched off, or the log was written as parts)."""
    results: list[ConversationResult]
    n_turns: int = 0
    """Turns logged."""
    engine: dict[str, object] = field(default_factory=dict)
    """What ran where (the engine's own description), when an engine was given."""


@dataclass
class _Job:
    catalog: Catalog
    population: Population
    make_policy: Callable[[], Policy]
    make_understander: Callable[[Catalog], Understander] | None
    seed: int
    record: bool
    history: bool = False
    write_to: str | None = None
    """A dataset folder: each chunk is written there as a part by the process that ran it."""
    token: str = ""
    """Names this job, so a worker that runs several of its chunks sets up once."""


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


_Output = tuple[LogTable | None, list[ConversationResult], int]
"""A chunk's log (None when not kept), its outcomes, and the turns it logged."""


def run_job_chunk(job: _Job, indices: tuple[int, int]) -> _Output:
    """One chunk of `job` in a process of another engine: set up on the job's first chunk here."""
    if _JOB is None or _JOB.token != job.token or not job.token:
        _setup(job)
    return _run_chunk(indices)


def _run_chunk(indices: tuple[int, int]) -> _Output:
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the workers already use every core, and the affinity fold-in (a small linear
    # solve per listener) slowed tenfold with two multi-threaded BLAS pools competing for two cores.
    # It also keeps floating-point results independent of the machine's thread count.
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_chunk_inner(indices)


def _run_chunk_inner(indices: tuple[int, int]) -> _Output:
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
    if recorder is None:
        return None, results, 0
    table = recorder.table()
    if job.write_to is not None:
        # The part is named by the chunk's first conversation: the same files whoever runs it.
        written = DatasetWriter(job.write_to).write(table, f"sim-{job.seed}-{indices[0]:010d}")
        return None, results, written
    return table, results, len(table)


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
    engine: Engine | None = None,
    write_to: str | Path | None = None,
) -> SimulationRun:
    """Run conversations start..start+n. `progress(k)` is called as k more conversations finish.
    `history`: hand the assistant each listener's listening history (those who have one). `engine`: where
    the chunks run (default: forked processes, `workers` of them). `write_to`: write the log as a
    partitioned Parquet dataset there, part by part, instead of returning it."""
    if write_to is not None:
        DatasetWriter(write_to).open()
    token = uuid.uuid4().hex
    job = _Job(
        catalog,
        population,
        make_policy,
        make_understander,
        seed,
        record or write_to is not None,
        history,
        None if write_to is None else str(write_to),
        token,
    )
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    chunks = list(_chunks(n, start))
    parts: list[_Output] = []
    if engine is not None and engine.distributed:
        for (lo, hi), part in zip(chunks, engine.map(run_job_chunk, job, chunks), strict=True):
            parts.append(part)
            if progress:
                progress(hi - lo)
    elif workers <= 1 or len(chunks) <= 1:
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
    tables = [t for t, _, _ in parts if t is not None]
    return SimulationRun(
        LogTable.concat(tables) if record and write_to is None else None,
        [r for _, rs, _ in parts for r in rs],
        sum(k for _, _, k in parts),
        engine.describe() if engine is not None else {},
    )
