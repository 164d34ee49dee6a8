"""Check that the runtime requirements resolve to no torch and no CUDA package (CI runs this).

Method: `pip install --dry-run --ignore-installed --report` of requirements.txt, and of
requirements-nodeps.txt with --no-deps as set-up installs it, resolved afresh by the registry as on a fresh
machine; the packages pip would install are read from the JSON report. Exits 1 when torch, an nvidia-*,
cuda-* or triton package is among them (or pip cannot resolve), 0 otherwise. Needs the package registry.

Usage: .venv/bin/python scripts/check_requirements.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = re.compile(r"^(torch|torchvision|torchaudio|triton|nvidia-.*|cuda-.*)$")
"""torch and what only its CUDA build brings."""


def resolve(requirements: str, *options: str) -> list[tuple[str, str]]:
    """(name, version) of every package pip would install for this file into an empty environment."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
        command += ["--report", str(report), *options, "-r", str(ROOT / requirements)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not report.is_file():
            lines = [line for line in done.stderr.splitlines() if "is ignored: it is neither" not in line]
            raise RuntimeError(f"pip could not resolve {requirements}: {' '.join(lines[-3:]) or 'no output'}")
        installs = json.loads(report.read_text())["install"]
    return [(item["metadata"]["name"].lower(), item["metadata"]["version"]) for item in installs]


def main() -> int:
    try:
        packages = resolve("requirements.txt") + resolve("requirements-nodeps.txt", "--no-deps")
    except RuntimeError as exc:
        print(f"check_requirements: {exc}", file=sys.stderr)
        return 1
    bad = sorted(f"{name}=={version}" for name, version in packages if FORBIDDEN.match(name))
    if bad:
        print(f"check_requirements: the runtime requirements pull in {', '.join(bad)}", file=sys.stderr)
        return 1
    print(f"check_requirements: the runtime resolves to {len(packages)} packages; no torch, no nvidia-*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
