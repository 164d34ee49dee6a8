"""Time of a full off-policy evaluation report: five estimators, 2,000 bootstrap resamples, diagnostics.

Method: `evaluate(data, n_bootstrap=2000)` is timed with perf_counter, after one warm-up call, over
--repeats runs (seed 0 each time); the median and the range are printed. Inputs, 10,000 rounds each:
  - synthetic/8 actions: a generated log shaped like the dialogue policy's (8 prompt types, one
    position, per-round pi_e and q_hat), always available;
  - obd/46 actions x 3 positions: ../shared/data/obd/ope_random_from_bts_women.npz (context-free pi_e,
    q_hat of shape (10000, 46, 3)), when that folder is present.
For scale, the same intervals computed the straightforward way (a Python loop over resamples, each
recomputing every estimator on an index array) are timed once.

Usage: .venv/bin/python benchmarks/bench_ope.py [--repeats 7] [--bootstrap 2000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning.logged_data import LoggedBanditData, load_npz
from learning.ope import default_estimators, evaluate

OBD_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "obd" / "ope_random_from_bts_women.npz"


def synthetic_log(n: int = 10_000, n_actions: int = 8, seed: int = 0) -> LoggedBanditData:
    rng = np.random.default_rng(seed)
    pi_b = rng.dirichlet(np.full(n_actions, 2.0), size=n)
    action = (pi_b.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    truth = rng.uniform(0.1, 0.6, size=(n, n_actions))
    return LoggedBanditData(
        action=action,
        reward=rng.binomial(1, truth[np.arange(n), action]).astype(float),
        pscore=pi_b[np.arange(n), action],
        pi_e=rng.dirichlet(np.full(n_actions, 0.5), size=n),
        q_hat=np.clip(truth + rng.normal(0, 0.05, truth.shape), 0, 1),
        n_actions=n_actions,
    )


def naive_bootstrap(data: LoggedBanditData, n_bootstrap: int) -> None:
    """Reference point: one resample at a time, every estimator recomputed from its per-round pieces."""
    rng = np.random.default_rng(0)
    w, r = data.weights, data.reward
    pi_e, q = data.pi_e_rounds, data.q_hat_rounds
    assert q is not None
    dm = (pi_e * q).sum(axis=1)
    residual = r - q[np.arange(data.n_rounds), data.action]
    values = np.empty((n_bootstrap, 5))
    for b in range(n_bootstrap):
        i = rng.integers(0, data.n_rounds, data.n_rounds)
        wi, ri, dmi, ei = w[i], r[i], dm[i], residual[i]
        values[b] = (
            np.mean(wi * ri),
            np.mean(wi * ri) / np.mean(wi),
            np.mean(dmi),
            np.mean(dmi + wi * ei),
            np.mean(dmi + wi * ei / np.mean(wi)),
        )
    np.quantile(values, [0.025, 0.975], axis=0)


def point_estimates(data: LoggedBanditData) -> list[float]:
    return [e.estimate(data) for e in default_estimators()]


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm-up: caches of per-round arrays, BLAS start-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--bootstrap", type=int, default=2000)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print(
        f"method: evaluate(data, n_bootstrap={args.bootstrap}) after a warm-up, median of {args.repeats} "
        "runs (perf_counter); five estimators, shared resamples, diagnostics and warnings included"
    )
    cases: list[tuple[str, Callable[[], LoggedBanditData]]] = [("synthetic/8 actions", synthetic_log)]
    if OBD_FILE.exists():
        cases.append(("obd/46 actions x 3 positions", lambda: load_npz(OBD_FILE)))
    else:
        print(f"(skipping the OBD case: {OBD_FILE} is absent)")

    for label, make in cases:
        start = time.perf_counter()
        data = make()
        prepared = time.perf_counter() - start
        times = timed(partial(evaluate, data, n_bootstrap=args.bootstrap, random_state=0), args.repeats)
        points = timed(partial(point_estimates, data), args.repeats)
        print(
            f"{label:<30} n={data.n_rounds:,}: report median {statistics.median(times) * 1000:7.1f} ms "
            f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}); point estimates alone "
            f"{statistics.median(points) * 1000:.1f} ms; loading/building {prepared * 1000:.0f} ms"
        )
        start = time.perf_counter()
        naive_bootstrap(data, args.bootstrap)
        naive_ms = (time.perf_counter() - start) * 1000
        print(f"{'':<30} per-resample Python loop, same intervals: {naive_ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
