"""Start to first prompt of the terminal UI: from launching `python main.py` to the welcome on screen.

Method: each run starts `python main.py --no-log --no-audio` (plus any options given) as a new process
in a pseudo-terminal of 80x24 (TERM=xterm-256color), reads everything the app writes to the terminal,
strips the escape sequences, and notes the time at which
  - first prompt: the welcome text ("Hi, I'm tunetalk") has been written,
  - ready: the status line shows the loaded catalogue ("N tracks"), i.e. the session built in its
    worker (catalogue, understanding model, policy) and a typed request would be answered,
counted from just before the process is spawned (interpreter start-up and imports included). Then it
sends ctrl+q and waits for the exit. The first run warms the file cache and is reported but not counted.

Usage: .venv/bin/python benchmarks/bench_tui.py [--runs 7] [-- main.py options, e.g. --catalog FILE]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import platform
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WELCOME_MARK = "Hi, I'm tunetalk"
READY_MARK = re.compile(r"[\d,]+ tracks")
ESCAPES = re.compile(
    r"\x1b(\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, modes
    r"|\][^\x07\x1b]*(\x07|\x1b\\)"  # OSC: titles, clipboard
    r"|[PX^_][^\x1b]*\x1b\\"  # DCS and other strings
    r"|[()][0-9A-B]|.)"
)


def one_run(options: list[str], timeout: float = 60.0) -> tuple[float, float]:
    """(seconds to the welcome, seconds to ready) for one launch."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "main.py", "--no-log", "--no-audio", *options],
        cwd=ROOT,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    raw = b""
    welcome = ready = None
    try:
        while ready is None:
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"no {'welcome' if welcome is None else 'ready status'} in {timeout} s")
            readable, _, _ = select.select([leader], [], [], 0.05)
            if not readable:
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError as exc:  # the app exited: its output ended
                screen = ESCAPES.sub("", raw.decode(errors="replace"))
                raise RuntimeError(f"the app exited early:\n{screen}") from exc
            now = time.perf_counter()
            raw += chunk
            text = ESCAPES.sub("", raw.decode("utf-8", errors="replace"))
            if welcome is None and WELCOME_MARK in text:
                welcome = now - started
            if welcome is not None and READY_MARK.search(text):
                ready = now - started
        os.write(leader, b"\x11")  # ctrl+q
        deadline = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.05)[0]:
                try:
                    os.read(leader, 65536)
                except OSError:
                    break
        process.wait(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    assert welcome is not None
    return welcome, ready


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import textual

    return (
        f"{cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; Textual {textual.__version__}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="counted runs (after one warm-up)")
    parser.add_argument("options", nargs=argparse.REMAINDER, help="options passed on to main.py")
    args = parser.parse_args()
    options = [o for o in args.options if o != "--"]
    print(" ".join(__doc__.split("\n\n")[1].split()))
    print(f"machine: {machine()}")
    print(f"command: python main.py --no-log --no-audio {' '.join(options)}".rstrip())
    warm = one_run(options)
    print(f"warm-up run: first prompt {warm[0]:.3f} s, ready {warm[1]:.3f} s (not counted)")
    results = []
    for i in range(args.runs):
        results.append(one_run(options))
        print(f"run {i + 1}: first prompt {results[-1][0]:.3f} s, ready {results[-1][1]:.3f} s")
    welcome = [r[0] for r in results]
    ready = [r[1] for r in results]
    print(
        f"start to first prompt: median {statistics.median(welcome):.2f} s "
        f"(min {min(welcome):.2f}, max {max(welcome):.2f}) over {len(welcome)} runs"
    )
    print(
        f"start to ready (session loaded): median {statistics.median(ready):.2f} s "
        f"(min {min(ready):.2f}, max {max(ready):.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
