"""Fitted-Q iteration as one Ray Train job: LightGBM's data-parallel learner over shards of the decisions.

The training decisions go to the cluster once, as a Ray Dataset split into one shard per training
worker, whole conversations to a shard. Every fitted-Q iteration is then a distributed LightGBM fit
(`tree_learner=data`: each worker builds histograms of its own shard and LightGBM's network sums them,
so every worker ends the fit with the same trees), after which each worker recomputes the targets of its
own shard, r + max over the next state's prompts of the new Q, with that model. No decision travels
again: per iteration only histograms cross the network, and the driver receives the last model and the
per-shard sums that make the iteration's progress figure.

Same results as the local LightGBM fit on one worker (tests/test_ray_engine.py); on several,
LightGBM picks each feature's bin boundaries from samples of every shard rather than of the whole
data, so thresholds, and hence predictions, differ slightly (docs/scale.md measures by how much).

Imported only by the Ray engine; needs ray[train] and lightgbm.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DistributedFit", "FitSpec", "fit_fitted_q"]


@dataclass(frozen=True)
class FitSpec:
    """What one fitted-Q run needs: the training decisions and the learner's settings."""

    features: np.ndarray
    """(n, d) state features of each logged decision."""
    action: np.ndarray
    reward: np.ndarray
    last: np.ndarray
    """True on a conversation's last decision: nothing follows it."""
    next_features: np.ndarray
    next_available: np.ndarray
    episode: np.ndarray
    """Conversation index of each decision (shards keep conversations whole)."""
    n_actions: int
    action_columns: np.ndarray | None
    params: dict[str, Any]
    """n_trees, learning_rate, max_leaves, min_samples_leaf, l2 (as learning.fitted_q.FittedQ)."""
    n_iterations: int
    random_state: int


@dataclass(frozen=True)
class DistributedFit:
    model_text: str
    """The last iteration's LightGBM model (`lightgbm.Booster(model_str=...)`)."""
    history: list[dict[str, float]]
    """Per iteration: how far the targets moved (RMS over every shard)."""
    rows_by_node: dict[str, int]
    """Decisions each node held and fitted on."""
    workers: int


class _Progress:
    """A small actor the workers report to: per-iteration sums from every shard, and rank 0's model.
    The model comes back through it rather than through a Ray Train checkpoint, so a cluster needs no
    storage shared by its nodes for a model of a few megabytes."""

    def __init__(self) -> None:
        self.sums: dict[int, list[tuple[float, int]]] = {}
        self.rows: dict[str, int] = {}
        self.model: str | None = None
        self.addresses: dict[int, dict[int, str]] = {}

    def register(self, iteration: int, rank: int, address: str) -> None:
        self.addresses.setdefault(iteration, {})[rank] = address

    def machines(self, iteration: int, world: int) -> str | None:
        """Every worker's "ip:port" for this iteration's fit, in rank order, once all have registered."""
        found = self.addresses.get(iteration, {})
        return ",".join(found[r] for r in range(world)) if len(found) == world else None

    def add(self, iteration: int, squared: float, count: int) -> None:
        self.sums.setdefault(iteration, []).append((squared, count))

    def node_rows(self, node: str, rows: int) -> None:
        self.rows[node] = self.rows.get(node, 0) + rows

    def set_model(self, text: str) -> None:
        self.model = text

    def result(self) -> tuple[dict[int, list[tuple[float, int]]], dict[str, int], str | None]:
        return self.sums, self.rows, self.model


def _lightgbm_params(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """The local `lightgbm` backend's settings (learning.fitted_q._regressor), as lgb.train takes them.
    Written twice, so tests/test_ray_engine.py asks one Ray Train worker for the local trees bit for bit:
    a setting changed on one side only fails it."""
    return {
        "objective": "regression",
        "learning_rate": params["learning_rate"],
        "num_leaves": params["max_leaves"],
        "min_data_in_leaf": params["min_samples_leaf"],
        "lambda_l2": params["l2"],
        "seed": seed,
        "num_threads": 1,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }


def _shard_arrays(batches: list[dict[str, np.ndarray]], n_actions: int, width: int) -> dict[str, np.ndarray]:
    columns = {name: np.concatenate([b[name] for b in batches]) for name in batches[0]}
    order = np.argsort(columns["row"], kind="stable")  # the driver's order, whatever order blocks came in
    columns = {name: values[order] for name, values in columns.items()}
    return {
        "features": np.stack([columns[f"s{i}"] for i in range(width)], axis=1),
        "next_features": np.stack([columns[f"n{i}"] for i in range(width)], axis=1),
        "next_available": np.stack([columns[f"a{j}"] for j in range(n_actions)], axis=1),
        "action": columns["action"].astype(np.int64),
        "reward": columns["reward"].astype(np.float64),
        "last": columns["last"].astype(bool),
    }


def _network(progress: Any, iteration: int, rank: int, world: int, timeout: float = 300.0) -> dict[str, Any]:
    """LightGBM's network settings for one fit, on a port of this node that is free now.

    LightGBM binds its listening port at every fit and its sockets do not ask for the port to be reusable,
    so binding the port of the previous fit again fails while the closed connections wait out TCP's
    TIME_WAIT. Ray Train's `get_network_params()` names one port per worker for the whole run, which
    suits one fit; here every fit gets fresh ports, met at the progress actor (as LightGBM's Dask
    interface finds open ports for each fit)."""
    import socket
    import time

    import ray

    host = ray.util.get_node_ip_address()
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = int(probe.getsockname()[1])
    ray.get(progress.register.remote(iteration, rank, f"{host}:{port}"))
    deadline = time.monotonic() + timeout
    while (machines := ray.get(progress.machines.remote(iteration, world))) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fitted-Q iteration {iteration + 1}: the other training workers never came")
        time.sleep(0.05)
    return {
        "tree_learner": "data",
        "pre_partition": True,
        "num_machines": world,
        "machines": machines,
        "local_listen_port": port,
    }


def _worker(config: dict[str, Any]) -> None:
    """One training worker: fitted-Q iteration over its shard, the trees fitted jointly with the others."""
    import lightgbm
    import ray
    import ray.train
    from threadpoolctl import threadpool_limits

    from learning.learner import _all_pairs, _joint

    progress = config["progress"]
    n_actions: int = config["n_actions"]
    action_columns = config["action_columns"]
    shard = ray.train.get_dataset_shard("train")
    batches = list(shard.iter_batches(batch_size=None, batch_format="numpy"))
    data = _shard_arrays(batches, n_actions, config["width"])
    node = str(ray.get_runtime_context().get_node_id())
    ray.get(progress.node_rows.remote(node, len(data["reward"])))
    x = _joint(data["features"], data["action"], n_actions, action_columns)
    pairs = _all_pairs(data["next_features"], n_actions, action_columns)
    target = data["reward"].copy()
    context = ray.train.get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    booster = None
    with threadpool_limits(limits=1):
        for k in range(config["n_iterations"]):
            params = {**_lightgbm_params(config["params"], config["random_state"] + k)}
            if world > 1:
                params.update(_network(progress, k, rank, world))
            train_set = lightgbm.Dataset(x, label=target, params={"verbose": -1})
            booster = lightgbm.train(params, train_set, num_boost_round=config["params"]["n_trees"])
            if world > 1:
                booster.free_network()  # the trees predict without it; the next fit meets on new ports
            q_next = np.asarray(booster.predict(pairs), dtype=np.float64).reshape(len(target), n_actions)
            best = np.where(data["next_available"], q_next, -np.inf).max(axis=1)
            new_target = data["reward"] + np.where(data["last"], 0.0, best)
            squared = float(np.sum((new_target - target) ** 2))
            ray.get(progress.add.remote(k, squared, len(target)))
            target = new_target
    if booster is not None and rank == 0:
        ray.get(progress.set_model.remote(booster.model_to_string()))


def _table(spec: FitSpec) -> Any:
    import pyarrow as pa

    columns: dict[str, Any] = {"row": np.arange(len(spec.reward), dtype=np.int64)}
    for i in range(spec.features.shape[1]):
        columns[f"s{i}"] = spec.features[:, i].astype(np.float32)
        columns[f"n{i}"] = spec.next_features[:, i].astype(np.float32)
    for j in range(spec.n_actions):
        columns[f"a{j}"] = spec.next_available[:, j].astype(bool)
    columns["action"] = spec.action.astype(np.int64)
    columns["reward"] = spec.reward.astype(np.float64)
    columns["last"] = spec.last.astype(bool)
    return pa.table(columns)


def fit_fitted_q(spec: FitSpec, *, workers: int) -> DistributedFit:
    """Fitted-Q iteration on `workers` Ray Train workers of the Ray this process has joined."""
    import ray
    import ray.data
    from ray.train import RunConfig, ScalingConfig
    from ray.train.lightgbm import LightGBMTrainer

    table = _table(spec)
    # Whole conversations to a shard: a decision's next state stays beside it (its targets are computed
    # where it lives). Shards split at conversation boundaries into equal numbers of decisions.
    starts = np.flatnonzero(np.r_[True, spec.episode[1:] != spec.episode[:-1]])
    bounds = [0]
    for w in range(1, workers):
        cut = starts[np.searchsorted(starts, w * len(spec.reward) // workers)] if len(starts) else 0
        bounds.append(int(max(cut, bounds[-1])))
    bounds.append(len(spec.reward))
    parts = [table.slice(lo, hi - lo) for lo, hi in itertools.pairwise(bounds) if hi > lo]
    dataset = ray.data.from_arrow(parts)
    progress: Any = ray.remote(num_cpus=0)(_Progress).remote()
    storage = tempfile.mkdtemp(prefix="tunetalk-ray-train-")
    try:
        trainer = LightGBMTrainer(
            _worker,
            train_loop_config={
                "progress": progress,
                "n_actions": spec.n_actions,
                "action_columns": spec.action_columns,
                "width": spec.features.shape[1],
                "params": spec.params,
                "n_iterations": spec.n_iterations,
                "random_state": spec.random_state,
            },
            datasets={"train": dataset},
            scaling_config=ScalingConfig(num_workers=len(parts), resources_per_worker={"CPU": 1}),
            run_config=RunConfig(storage_path=storage, name="fitted-q"),
        )
        trainer.fit()
        sums, rows, model = ray.get(progress.result.remote())
    finally:
        ray.kill(progress)
        shutil.rmtree(storage, ignore_errors=True)
    if model is None:
        raise RuntimeError("the Ray Train fit returned no model")
    history = []
    for k in range(spec.n_iterations):
        squared = sum(s for s, _ in sums.get(k, []))
        count = sum(c for _, c in sums.get(k, []))
        history.append({"iteration": k + 1, "target_rmse_change": float(np.sqrt(squared / max(count, 1)))})
    return DistributedFit(model, history, dict(sorted(rows.items())), len(parts))
