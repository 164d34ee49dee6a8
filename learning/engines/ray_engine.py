"""The Ray engine: Ray Core tasks for `map`, Ray Data for `extract`, on a local Ray or a cluster.

Imported only when `--engine ray` is chosen; Ray is the optional extra in requirements-ray.txt.
Every node runs the workers from this project's folder (PYTHONPATH is set in the job's runtime
environment), so a multi-machine cluster needs the project at the same path on each node (a shared
checkout or the same image), and a log dataset on storage every node can reach. Every address is
the loopback one unless --address names a cluster: a local Ray binds to 127.0.0.1 only.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from learning.engines import EngineUnavailable

__all__ = ["RayEngine"]

ROOT = Path(__file__).resolve().parents[2]
S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")
WINDOW_PER_CPU = 2
"""Tasks in flight per CPU of the cluster: enough to keep every core busy, few enough that finished
results do not pile up in the object store faster than the driver takes them (memory stays flat)."""


def _one_thread() -> Any:
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread per task: Ray already runs a task per core, and the tree fits' results do not
    # then depend on a node's thread count.
    return threadpool_limits(limits=1)


def _node() -> str:
    import ray

    return str(ray.get_runtime_context().get_node_id())


def _peak_rss() -> int:
    """This worker process's peak resident memory so far, in bytes (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _task(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> tuple[Any, str, int]:
    with _one_thread():
        return fn(shared, item), _node(), _peak_rss()


def _extract_row(row: dict[str, Any], fn: Callable[[Any], Any]) -> dict[str, Any]:
    with _one_thread():
        result = fn(pickle.loads(row["item"]))
    return {"index": row["index"], "result": pickle.dumps(result), "node": _node(), "rss": _peak_rss()}


def _loopback(address: str | None) -> bool:
    """A local Ray, or a cluster at the loopback address."""
    if not address:
        return True
    host = address.rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


class RayEngine:
    """Joins the cluster at `address`, or starts a Ray on this machine (loopback only, no dashboard)."""

    name = "ray"
    distributed = True

    def __init__(self, *, address: str | None = None, workers: int | None = None) -> None:
        # Ray reports usage statistics to its makers by default; an offline tool sends nothing anywhere.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if _loopback(address):
            # Ray 2.60 replaces a loopback address, the cluster's and `_node_ip_address`'s, by the machine's
            # outward one (ray._private.services.resolve_ip_for_localhost) unless this switch, meant for
            # single-machine Ray on laptops, is off; it only changes how this process names its own node.
            # Read when Ray is imported: a Ray already imported in this process keeps its own reading.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError as exc:
            raise EngineUnavailable(
                "--engine ray needs Ray, which is not installed: pip install -r requirements-ray.txt"
            ) from exc
        self._ray = ray
        self.address = address
        self.tasks: Counter[str] = Counter()
        self.peak_rss: dict[str, int] = {}
        """Per node, the highest peak resident memory reported by a worker process that ran a task there."""
        runtime_env = {"env_vars": {"PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}}
        options: dict[str, Any] = {
            "runtime_env": runtime_env,
            "logging_level": logging.WARNING,
            "log_to_driver": False,
            "configure_logging": True,
        }
        # An already initialized Ray (a test, a notebook) is used as it is and left running.
        self._started = not ray.is_initialized()
        if self._started:
            try:
                if address:
                    ray.init(address=address, **options)
                else:
                    ray.init(
                        _node_ip_address="127.0.0.1",
                        include_dashboard=False,
                        num_cpus=workers if workers is not None else min(2, os.cpu_count() or 1),
                        **options,
                    )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = f"the Ray cluster at {address}" if address else "a local Ray"
                raise EngineUnavailable(f"cannot start or join {where}: {str(exc).splitlines()[0]}") from exc
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._remote = ray.remote(num_cpus=1, scheduling_strategy="SPREAD")(_task)

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> Iterator[R]:
        ray = self._ray
        shared_ref = ray.put(shared)
        window = max(1, WINDOW_PER_CPU * self.workers)
        pending: deque[Any] = deque()
        queue = iter(items)
        done = object()

        def submit() -> None:
            item = next(queue, done)
            if item is not done:
                pending.append(self._remote.remote(fn, shared_ref, item))

        for _ in range(window):
            submit()
        while pending:
            value, node, rss = ray.get(pending.popleft())
            self.tasks[node] += 1
            self.peak_rss[node] = max(self.peak_rss.get(node, 0), rss)
            submit()
            yield value

    def extract(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        import ray.data

        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        # Ray Data announces every dataset it runs at INFO on stderr; the command's own progress is enough.
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        if not items:
            return
        rows = [{"index": i, "item": pickle.dumps(item)} for i, item in enumerate(items)]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map(
            partial(_extract_row, fn=fn), num_cpus=1
        )
        # Rows come back in order (preserve_order); kept by index anyway so order never rests on it.
        waiting: dict[int, Any] = {}
        expected = 0
        for row in dataset.iter_rows():
            node = str(row["node"])
            self.tasks[node] += 1
            self.peak_rss[node] = max(self.peak_rss.get(node, 0), int(row["rss"]))
            waiting[int(row["index"])] = row["result"]
            while expected in waiting:
                yield pickle.loads(waiting.pop(expected))
                expected += 1

    def describe(self) -> dict[str, Any]:
        nodes = [n["NodeID"] for n in self._ray.nodes() if n.get("Alive")]
        return {
            "name": self.name,
            "address": self.address or "local",
            "cpus": self.workers,
            "nodes": len(nodes),
            "tasks_by_node": dict(sorted(self.tasks.items())),
            "worker_peak_rss_mb": {k: round(v / 2**20, 1) for k, v in sorted(self.peak_rss.items())},
        }

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
