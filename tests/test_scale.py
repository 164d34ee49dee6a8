"""The offline loop at scale without Ray: the partitioned Parquet dataset (written part by part, schema
checked, read part by part), episodes extracted per part equal those of the whole log, the local engine's
workers change no result, and `--engine ray` where Ray is not installed is one line and exit status 2.

The Ray engine itself: tests/test_ray_engine.py (in-process local Ray) and tests/test_ray_cluster.py (a
real two-node cluster on this machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from assistant.logs.dataset import LogFormatError, LogTable, read_log
from assistant.logs.partitioned import MANIFEST, list_parts
from assistant.music.catalog import Catalog
from learning.batch import simulate
from learning.dataset_episodes import episodes_from_dataset, training_episodes
from learning.engines import LocalEngine
from learning.episodes import Episodes, episodes_from_log
from learning.fqe_bootstrap import BootstrapFQE
from learning.logging_policy import ExplorationPolicy
from learning.population import load_population
from tests.conftest import ROOT

N = 600
"""Three chunks of the simulation (learning.batch.CHUNK = 250): three parts."""
CLOCK = ("started_at", "ended_at")
"""Wall-clock times of a conversation: the only fields that differ between two runs of one seed."""


def _dataset(folder: Path, catalog: Catalog, workers: int) -> Path:
    simulate(
        N, catalog, load_population("default"), ExplorationPolicy, seed=3, workers=workers, write_to=folder
    )
    return folder


@pytest.fixture(scope="module")
def dataset(tiny_catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _dataset(tmp_path_factory.mktemp("scale") / "log", tiny_catalog, workers=2)


def same_log(a: LogTable, b: LogTable) -> None:
    """The same logged conversations: every turn column, feature and probability, and every conversation
    record, wall-clock times aside."""
    assert a.columns.keys() == b.columns.keys()
    for name in a.columns:
        assert list(a.columns[name]) == list(b.columns[name]), name
    assert a.feature_names == b.feature_names
    assert np.array_equal(a.features, b.features, equal_nan=True)
    assert np.array_equal(a.probabilities, b.probabilities, equal_nan=True)
    strip = [{k: v for k, v in c.items() if k not in CLOCK} for c in a.conversations]
    assert strip == [{k: v for k, v in c.items() if k not in CLOCK} for c in b.conversations]


def same_episodes(a: Episodes, b: Episodes) -> None:
    assert a.conversation_ids == b.conversation_ids
    for name in ("episode", "step", "features", "action", "pscore", "pi_b", "available", "forced", "success",
                 "turns", "accepted", "total_turns"):  # fmt: skip
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.dropped == b.dropped


def test_the_simulation_writes_a_part_per_chunk_and_it_reads_back_as_the_same_log(
    dataset: Path, tiny_catalog: Catalog
) -> None:
    parts = list_parts(dataset)
    assert [p.name for p in parts] == [f"sim-3-{i:010d}.parquet" for i in (0, 250, 500)]
    assert all(p.relative.split("/")[0].startswith("date=") for p in parts)
    assert all(p.relative.split("/")[1] == "policy=logging" for p in parts)
    whole = simulate(N, tiny_catalog, load_population("default"), ExplorationPolicy, seed=3, workers=1)
    assert whole.table is not None
    same_log(read_log(dataset), whole.table)


def test_the_number_of_workers_changes_no_part(dataset: Path, tiny_catalog: Catalog, tmp_path: Path) -> None:
    one = _dataset(tmp_path / "one", tiny_catalog, workers=1)
    assert [p.relative for p in list_parts(one)] == [p.relative for p in list_parts(dataset)]
    same_log(read_log(one), read_log(dataset))


def test_episodes_extracted_part_by_part_equal_those_of_the_whole_log(dataset: Path) -> None:
    whole = episodes_from_log(read_log(dataset))
    for engine in (LocalEngine(1), LocalEngine(2)):
        found, skipped = episodes_from_dataset(dataset, engine=engine)
        same_episodes(found, whole)
        assert skipped == {}


def test_training_episodes_join_datasets_and_other_logs_in_order(
    dataset: Path, tiny_catalog: Catalog
) -> None:
    other = simulate(40, tiny_catalog, load_population("default"), ExplorationPolicy, seed=8, workers=1).table
    assert other is not None
    joined = training_episodes([dataset], other, engine=LocalEngine(1))
    expected = episodes_from_log(LogTable.concat([read_log(dataset), other]))
    same_episodes(joined, expected)


def test_a_dataset_of_another_schema_version_is_refused_naming_it(dataset: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    (copy / MANIFEST).write_text(json.dumps({**manifest, "schema_version": 99}))
    with pytest.raises(LogFormatError, match="schema version 99"):
        list_parts(copy)
    (copy / MANIFEST).write_text(json.dumps(manifest))
    part = list_parts(copy)[1].path("turns")
    table = pq.read_table(part)
    pq.write_table(table.replace_schema_metadata({b"tunetalk.log_schema": b"0"}), part)
    with pytest.raises(LogFormatError, match=f"{part.name}: log schema version 0"):
        read_log(copy)
    part.unlink()
    with pytest.raises(LogFormatError, match="has turns or conversations but not both"):
        list_parts(copy)


def test_the_gate_bootstrap_gives_the_same_interval_on_any_number_of_local_workers(dataset: Path) -> None:
    from assistant.policies.rules import RulePolicy
    from learning.conversation_training import trajectories
    from learning.replayed_policies import distribution_on_steps

    episodes = episodes_from_log(read_log(dataset))
    data = trajectories(episodes, distribution_on_steps(RulePolicy(), episodes), seed=0)
    runs = [
        BootstrapFQE(n_replicates=4, n_iterations=2, random_state=5, engine=engine).fit({"rules": data})
        for engine in (LocalEngine(1), LocalEngine(2), None)
    ]
    for run in runs[1:]:
        assert np.array_equal(run.replicates_["rules"], runs[0].replicates_["rules"])


# -- --engine ray without Ray: one line, exit status 2 -------------------------------------------------
NO_RAY = "raise ImportError('ray is hidden by tests/test_scale.py')\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--conversations", "5", "--engine", "ray"],
        ["train", "--simulate", "5", "--engine", "ray", "--report", "{tmp}/r", "--output", "{tmp}/p.npz"],
        ["ope", "{tmp}/x.npz", "--engine", "ray"],
        ["evaluate", "--conversations", "5", "--engine", "ray", "--ope-conversations", "0"],
    ],
    ids=["simulate", "train", "ope", "evaluate"],
)
def test_engine_ray_without_ray_installed_is_one_line_and_exit_2(argv: list[str], tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "ray.py").write_text(NO_RAY)
    np.savez(
        tmp_path / "x.npz", action=[0, 1, 1], reward=[1.0, 0, 1], pscore=[0.5] * 3, pi_e=[[[0.5], [0.5]]] * 3
    )
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    done = subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(shim), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "tunetalk: --engine ray needs Ray, which is not installed: pip install -r requirements-ray.txt"
    ]


def test_the_local_engine_never_imports_ray(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "ray.py").write_text(NO_RAY)
    done = subprocess.run(
        [sys.executable, "main.py", "simulate", "--conversations", "5", "--workers", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(shim), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["engine"] == {"name": "local", "workers": 1}


def test_address_without_engine_ray_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "main.py", "simulate", "--conversations", "5", "--address", "127.0.0.1:1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "tunetalk: --address joins a Ray cluster: give it with --engine ray"


def test_a_sqlite_log_exported_as_a_dataset_reads_back_the_same(
    tiny_catalog: Catalog, tmp_path: Path
) -> None:
    from assistant.logs.dataset import write_log
    from assistant.logs.partitioned import export_dataset
    from assistant.logs.store import LogStore

    run = simulate(60, tiny_catalog, load_population("default"), ExplorationPolicy, seed=2, workers=1)
    assert run.table is not None
    db = write_log(run.table, tmp_path / "log.db")
    counts = export_dataset(LogStore(db), tmp_path / "exported", batch=25)
    assert counts["conversations"] == 60 and counts["parts"] == 3
    assert [p.name for p in list_parts(tmp_path / "exported")][:2] == [
        "export-0000000.parquet",
        "export-0000001.parquet",
    ]
    same_log(read_log(tmp_path / "exported"), read_log(db))
