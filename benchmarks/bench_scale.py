"""The offline loop's parallel stages on the local engine and on Ray (one node, and two loopback nodes).

Method: each (engine, N, repeat) runs in a fresh Python process (so peak memory is its own), which times
with perf_counter, in order:
  1. simulate: N conversations of the exploring logging policy (seed = repeat) on the shipped catalogue,
     written as a partitioned Parquet dataset part by part (250 conversations a part);
  2. extract: the dataset's episodes (rewards and features), part by part on the engine
     (learning.dataset_episodes; Ray Data on the Ray engine);
  3. fit: fitted-Q iteration with LightGBM trees on those episodes (--fit-iterations, 150 trees of 31
     leaves as `train`): in the driver on the local engine, as one Ray Train job on Ray (one training
     worker per CPU of the cluster, data-parallel trees, learning.engines.ray_fit);
  4. bootstrap: the gate's conversation-level bootstrap of fitted-Q evaluation of the rules policy
     (learning.fqe_bootstrap.BootstrapFQE, --replicates refits of --iterations iterations, each
     replicate a task seeded by (seed, replicate)); the point fit before it runs in the driver.
Engines: local = forked worker processes (--workers, default 2); ray-1 = a Ray started by the driver with
1 CPU; ray-2 = a two-node cluster on this machine (`ray start --head` + `ray start --address`, loopback
addresses, 1 CPU each, a private token), joined with --address. Startup of Ray or of the cluster is not
timed; a Ray engine's first tasks start worker processes, and that is timed (it is what a run pays).
Printed per stage: median and range over --repeats (sizes from --big-from up run once), conversations per
second per core, and peak RSS: the driver's, and the largest worker process's (local: the largest reaped
child; Ray: the largest reported by a task). Last, a linear projection of the wall time for 100 million
conversations on 32 nodes, with its assumptions.

Usage: .venv/bin/python benchmarks/bench_scale.py [--sizes 2000,10000] [--repeats 3] [--big-from 10000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGES = ("simulate", "extract", "fit", "bootstrap")
TARGET = 100_000_000
NODES = 32


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    memory = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB RAM"
    except OSError:
        pass
    import ray

    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Ray {ray.__version__}"
    )


# -- one measured run, in its own process ----------------------------------------------------------------
def one(engine_name: str, n: int, seed: int, workers: int, address: str | None, args: Any) -> dict[str, Any]:
    from assistant.dialogue.actions import ACTIONS
    from assistant.music.catalog import load_catalog
    from assistant.policies.rules import RulePolicy
    from learning.batch import simulate
    from learning.conversation_training import trajectories
    from learning.dataset_episodes import episodes_from_dataset
    from learning.engines import make_engine
    from learning.fitted_q import FittedQ
    from learning.fqe_bootstrap import BootstrapFQE
    from learning.logging_policy import TRAINING_MIX, ExplorationPolicy
    from learning.population import load_population
    from learning.replayed_policies import distribution_on_steps
    from learning.training import ACTION_COLUMNS

    catalog = load_catalog()
    population = load_population("default")
    engine = make_engine("local" if engine_name == "local" else "ray", address=address, workers=workers)
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    times: dict[str, float] = {}
    try:
        t = time.perf_counter()
        simulate(
            n,
            catalog,
            population,
            lambda: ExplorationPolicy(mix=TRAINING_MIX),
            seed=seed,
            workers=workers,
            engine=engine,
            write_to=folder / "log",
        )
        times["simulate"] = time.perf_counter() - t
        t = time.perf_counter()
        episodes, _ = episodes_from_dataset(folder / "log", engine=engine)
        times["extract"] = time.perf_counter() - t
        t = time.perf_counter()
        FittedQ(
            len(ACTIONS),
            backend="lightgbm",
            n_iterations=args.fit_iterations,
            action_columns=ACTION_COLUMNS,
            engine=engine,
        ).fit(episodes)
        times["fit"] = time.perf_counter() - t
        data = trajectories(episodes, distribution_on_steps(RulePolicy(), episodes), seed=0)
        t = time.perf_counter()
        BootstrapFQE(
            n_replicates=args.replicates, n_iterations=args.iterations, random_state=seed, engine=engine
        ).fit({"rules": data})
        times["bootstrap"] = time.perf_counter() - t
        described = engine.describe()
    finally:
        engine.close()
        shutil.rmtree(folder, ignore_errors=True)
    worker_rss = max(described.get("worker_peak_rss_mb", {}).values(), default=0.0)
    if engine_name == "local":
        worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "times": times,
        "driver_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_rss_mb": worker_rss,
        "nodes": described.get("nodes", 1),
        "cores": described.get("cpus", workers),
        "n_decisions": len(episodes),
    }


# -- the two-node loopback cluster --------------------------------------------------------------------------
class Cluster:
    """`ray start --head` and `ray start --address` on loopback, one CPU each; stopped by process id."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"127.0.0.1:{port}"
        self.temp = tempfile.mkdtemp(prefix="tt-ray-", dir="/tmp")
        self.env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(32),
        }
        ray = str(Path(sys.executable).parent / "ray")
        common = ["--block", "--node-ip-address=127.0.0.1", "--num-cpus=1", f"--temp-dir={self.temp}"]
        self.nodes: list[subprocess.Popen[bytes]] = []
        head = [
            ray,
            "start",
            "--head",
            f"--port={port}",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ]
        self._start([*head, *common])
        self._wait(1)
        self._start([ray, "start", f"--address={self.address}", *common])
        self._wait(2)

    def _start(self, argv: list[str]) -> None:
        self.nodes.append(
            subprocess.Popen(
                argv,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    def _wait(self, n: int) -> None:
        probe = (
            "import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR', log_to_driver=False); "
            "print(sum(1 for n in ray.nodes() if n['Alive']))"
        )
        env = {**self.env, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
        for _ in range(45):
            done = subprocess.run(
                [sys.executable, "-c", probe, self.address],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if done.returncode == 0 and done.stdout.strip() == str(n):
                return
            time.sleep(2)
        raise RuntimeError(f"the cluster at {self.address} did not reach {n} nodes")

    def stop(self) -> None:
        started = _descendants([p.pid for p in self.nodes]) | {p.pid for p in self.nodes}
        for node in reversed(self.nodes):
            node.send_signal(signal.SIGTERM)
        for node in self.nodes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.wait(timeout=5)
        for pid in started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.temp, ignore_errors=True)


def _descendants(pids: list[int]) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    found: set[int] = set()
    frontier = set(pids)
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


# -- the orchestration --------------------------------------------------------------------------------------
def _child(config: str, n: int, seed: int, args: Any, cluster: Cluster | None) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--one", config, "--n", str(n), "--seed", str(seed)]
    argv += ["--replicates", str(args.replicates), "--iterations", str(args.iterations)]
    argv += ["--workers", str(args.workers), "--fit-iterations", str(args.fit_iterations)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    if cluster is not None:
        argv += ["--address", cluster.address]
        env = cluster.env
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{config} N={n}: {done.stderr[-1500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-from", type=int, default=10_000, help="sizes from here run once")
    parser.add_argument("--replicates", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="local engine worker processes")
    parser.add_argument("--fit-iterations", type=int, default=10, help="fitted-Q iterations of the fit stage")
    parser.add_argument("--configs", default="local,ray-1,ray-2")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--address", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        workers = args.workers if args.one == "local" else 1
        print(json.dumps(one(args.one, args.n, args.seed, workers, args.address, args)))
        return 0
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(__doc__.split("\n\n")[1])
    print(f"\nmachine: {machine()}")
    print(f"load: {os.getloadavg()[0]:.2f} (1-minute average at start; the machine is shared)")
    print(f"bootstrap: {args.replicates} replicates x {args.iterations} fitted-Q iterations; local workers: "
          f"{args.workers}\n")  # fmt: skip
    results: dict[tuple[str, int], list[dict[str, Any]]] = {}
    cluster = Cluster() if "ray-2" in configs else None
    try:
        for n in sizes:
            repeats = 1 if n >= args.big_from else args.repeats
            for r in range(repeats):
                for config in configs:
                    found = _child(config, n, r, args, cluster if config == "ray-2" else None)
                    results.setdefault((config, n), []).append(found)
                    timed = ", ".join(f"{k} {v:.1f} s" for k, v in found["times"].items())
                    print(f"  ran {config} N={n:,} repeat {r + 1}/{repeats}: {timed}", flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
    _report(results, configs, sizes)
    return 0


def _report(
    results: dict[tuple[str, int], list[dict[str, Any]]], configs: list[str], sizes: list[int]
) -> None:
    print(f"\n{'engine':<8}{'N':>8}{'runs':>5}{'cores':>6}  {'stage':<10}{'median s':>9}{'range s':>14}"
          f"{'conv/s/core':>12}{'driver MB':>10}{'worker MB':>10}")  # fmt: skip
    per_core: dict[tuple[str, str], float] = {}
    for n in sizes:
        for config in configs:
            runs = results[(config, n)]
            cores = runs[0]["cores"]
            for stage in STAGES:
                values = [run["times"][stage] for run in runs]
                median = statistics.median(values)
                # The local engine's fit runs in the driver, on one thread: one core, not the workers'.
                stage_cores = 1 if (config == "local" and stage == "fit") else cores
                rate = n / median / stage_cores
                per_core[(config, stage)] = rate  # the last (largest) size wins
                driver = max(run["driver_rss_mb"] for run in runs)
                worker = max(run["worker_rss_mb"] for run in runs)
                spread = f"{min(values):.1f}-{max(values):.1f}"
                print(f"{config:<8}{n:>8,}{len(runs):>5}{stage_cores:>6}  {stage:<10}{median:>9.1f}"
                      f"{spread:>14}{rate:>12.1f}{driver:>10.0f}{worker:>10.0f}")  # fmt: skip
    config = "ray-2" if "ray-2" in configs else configs[-1]
    print(
        f"\nprojection (linear, from {config} at N={sizes[-1]:,}): {TARGET:,} conversations on {NODES} nodes"
    )
    print(
        "assumptions: every stage's work splits into independent tasks (parts, chunks, replicates) with the"
    )
    for line in (
        "throughput per core measured here; nodes like this machine's cores; parts on storage every node",
        "reads at no extra cost; no driver bottleneck; the fit's trees are summed over the network once a",
        "tree level (data-parallel LightGBM), a cost that grows with nodes and is not in a one-machine",
        "figure; the bootstrap's replicates each refit on all N conversations: its cost grows with N x",
        "replicates.",
    ):
        print(line)
    for cores_per_node in (1, 16):
        cores = NODES * cores_per_node
        total = sum(TARGET / (per_core[(config, stage)] * cores) for stage in STAGES)
        parts = ", ".join(
            f"{stage} {TARGET / (per_core[(config, stage)] * cores) / 3600:.1f} h" for stage in STAGES
        )
        print(
            f"  {NODES} nodes x {cores_per_node:>2} cores = {cores:>3} cores: {total / 3600:.1f} h ({parts})"
        )


if __name__ == "__main__":
    raise SystemExit(main())
