"""Per-utterance latency, load time and memory of the NLU model and the rules, idle and with a busy core.

Method: each component is built in this process, its first call (which loads it) is timed, then every
held-out utterance is understood one call at a time (`--repeat` passes), each timed with perf_counter.
With `--busy` the same runs again while a child process spins on one core, as when audio or the TUI is busy
on a 2-core laptop. Memory is this process's resident set size after each stage (it only grows).

Usage: .venv/bin/python benchmarks/bench_nlu.py [--repeat 5] [--busy]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.evaluate import eval_linker, load_gold, rss_mb
from nlu.meaning import Understander


def _latencies(component: Understander, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        component.understand(text)
        times.append(1000 * (time.perf_counter() - started))
    return sorted(times)


def _row(name: str, times: list[float]) -> str:
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    cells = f"{pick(0.5):.2f} | {pick(0.95):.2f} | {pick(0.99):.2f} | {times[-1]:.1f}"
    return f"| {name} | {cells} | {rss_mb():.0f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--busy", action="store_true", help="also measure with one core kept busy")
    args = parser.parse_args()
    texts = [g.text for g in load_gold()] * args.repeat

    from nlu.model import ModelUnderstanding
    from nlu.rules import RuleUnderstanding

    components: dict[str, Understander] = {}
    print("| component | first call incl. load (s) | RSS after (MB) |\n|---|---|---|")
    for name, make in (("rules", RuleUnderstanding), ("model", ModelUnderstanding)):
        started = time.perf_counter()
        component = make(eval_linker())
        component.understand("hello")
        print(f"| {name} | {time.perf_counter() - started:.2f} | {rss_mb():.0f} |")
        components[name] = component

    print(f"\n{len(texts)} calls each, one utterance at a time\n")
    print("| component | median ms | p95 ms | p99 ms | max ms | RSS MB |\n|---|---|---|---|---|---|")
    for name, understander in components.items():
        print(_row(f"{name}, idle", _latencies(understander, texts)))
    if args.busy:
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            time.sleep(0.5)
            for name, understander in components.items():
                print(_row(f"{name}, one core busy", _latencies(understander, texts)))
        finally:
            spinner.kill()
            spinner.wait()
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
