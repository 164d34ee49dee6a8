"""The Ray engine gives the local engine's results: the same logged conversations, the same episodes from a
dataset, the same gate bootstrap replicates and the same `ope` report. On a Ray started in this process
(one CPU, loopback only); the two-node cluster and the whole `train` command: tests/test_ray_cluster.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-ray.txt)")

from assistant.logs.dataset import read_log
from assistant.logs.partitioned import list_parts
from assistant.music.catalog import Catalog
from learning.batch import simulate
from learning.dataset_episodes import episodes_from_dataset
from learning.engines import LocalEngine
from learning.engines.ray_engine import RayEngine
from learning.fqe_bootstrap import BootstrapFQE
from learning.logging_policy import ExplorationPolicy
from learning.population import load_population
from tests.test_scale import N, same_episodes, same_log


@pytest.fixture(scope="module")
def ray_engine() -> Iterator[RayEngine]:
    import ray

    if ray.is_initialized():
        pytest.skip("a Ray is already running in this process; these tests start their own")
    engine = RayEngine(workers=1)
    try:
        yield engine
    finally:
        engine.close()


def _run(folder: Path, catalog: Catalog, engine: object) -> Path:
    simulate(
        N,
        catalog,
        load_population("default"),
        ExplorationPolicy,
        seed=3,
        workers=1,
        engine=engine,  # type: ignore[arg-type]
        write_to=folder,
    )
    return folder


def test_ray_tasks_write_the_same_dataset_as_local_processes(
    ray_engine: RayEngine, tiny_catalog: Catalog, tmp_path: Path
) -> None:
    local = _run(tmp_path / "local", tiny_catalog, LocalEngine(2))
    on_ray = _run(tmp_path / "ray", tiny_catalog, ray_engine)
    assert [p.relative for p in list_parts(on_ray)] == [p.relative for p in list_parts(local)]
    same_log(read_log(on_ray), read_log(local))
    assert sum(ray_engine.tasks.values()) >= 3  # a task per chunk
    local_episodes, _ = episodes_from_dataset(local, engine=LocalEngine(2))
    ray_episodes, _ = episodes_from_dataset(on_ray, engine=ray_engine)
    same_episodes(ray_episodes, local_episodes)


def test_the_gate_bootstrap_on_ray_equals_the_local_one(
    ray_engine: RayEngine, tiny_catalog: Catalog, tmp_path: Path
) -> None:
    from assistant.policies.rules import RulePolicy
    from learning.conversation_training import trajectories
    from learning.episodes import episodes_from_log
    from learning.replayed_policies import distribution_on_steps

    run = simulate(200, tiny_catalog, load_population("default"), ExplorationPolicy, seed=6, workers=1)
    assert run.table is not None
    episodes = episodes_from_log(run.table)
    data = trajectories(episodes, distribution_on_steps(RulePolicy(), episodes), seed=0)
    fits = [
        BootstrapFQE(n_replicates=4, n_iterations=2, random_state=5, engine=engine).fit({"rules": data})
        for engine in (LocalEngine(2), ray_engine)
    ]
    assert np.array_equal(fits[0].replicates_["rules"], fits[1].replicates_["rules"])
    assert fits[0].interval("rules").ci == fits[1].interval("rules").ci


def test_ope_on_ray_prints_the_local_report(ray_engine: RayEngine) -> None:
    import json

    from cli.ope import _evaluate
    from learning.logged_data import LoggedBanditData

    rng = np.random.default_rng(0)
    n, k = 400, 3
    pi_e = rng.dirichlet(np.ones(k), n)[:, :, None]
    data = LoggedBanditData(
        action=rng.integers(0, k, n), reward=rng.random(n), pscore=np.full(n, 1 / k), pi_e=pi_e, n_actions=k
    )
    settings = (float("inf"), 200, 7)
    (local,) = LocalEngine(1).map(_evaluate, settings, [data])
    (on_ray,) = ray_engine.map(_evaluate, settings, [data])
    # As JSON: a report may hold nan (an estimator left out), which no two floats compare equal on.
    assert json.dumps(on_ray, sort_keys=True) == json.dumps(local, sort_keys=True)


def test_fitted_q_on_ray_train_equals_the_local_lightgbm_fit(
    ray_engine: RayEngine, tiny_catalog: Catalog
) -> None:
    """One Ray Train worker is LightGBM on one machine: the same trees, bit for bit, as the local fit.
    (Several workers bin each feature from samples of their own shards; the two-node test measures that.)"""
    pytest.importorskip("ray.train.lightgbm", reason="Ray Train is not installed (requirements-ray.txt)")
    from assistant.dialogue.actions import ACTIONS
    from learning.episodes import episodes_from_log
    from learning.fitted_q import FittedQ
    from learning.training import ACTION_COLUMNS

    run = simulate(200, tiny_catalog, load_population("default"), ExplorationPolicy, seed=8, workers=1)
    assert run.table is not None
    episodes = episodes_from_log(run.table)
    settings = {"backend": "lightgbm", "n_iterations": 3, "n_trees": 20, "min_samples_leaf": 10}
    local = FittedQ(len(ACTIONS), action_columns=ACTION_COLUMNS, **settings).fit(episodes)  # type: ignore[arg-type]
    said: list[str] = []
    on_ray = FittedQ(len(ACTIONS), action_columns=ACTION_COLUMNS, engine=ray_engine, **settings).fit(  # type: ignore[arg-type]
        episodes, progress=said.append
    )
    assert on_ray.fitted_on_["engine"] == "ray-train"
    assert sum(on_ray.fitted_on_["rows_by_node"].values()) == len(episodes)
    assert local.fitted_on_ == {"engine": "local"}
    for name, values in local.export().items():
        assert np.array_equal(on_ray.export()[name], values), name
    assert on_ray.history_ == pytest.approx(local.history_, rel=1e-12)
    assert len(said) == 3 and "Ray Train" in said[0]
