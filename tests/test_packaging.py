"""Reproducible, torch-free installs: the lock files pin every package with hashes, agree with the
requirements files they were made from and with each other, hold no torch or CUDA package; and the app
understands with the trained model in a process where torch cannot be imported at all.

Whether the requirements files resolve to torch on the registry is checked by scripts/check_requirements.py
(scripts/test.sh runs it; it needs the network, these tests do not).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT

LOCKS = {
    "requirements.lock": ("requirements.txt", "requirements-nodeps.txt"),
    "requirements-dev.lock": ("requirements-dev.txt", "requirements.txt", "requirements-nodeps.txt"),
}
_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _check_requirements_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_requirements", ROOT / "scripts" / "check_requirements.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _entries(lock: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) for every package in a lock file."""
    entries: dict[str, tuple[str, int]] = {}
    current = ""
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        match = _ENTRY.match(line)
        if match:
            current = _normalize(match.group(1))
            assert current not in entries, f"{lock} pins {current} twice"
            entries[current] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
        elif line and not line.startswith(("#", " ")):
            pytest.fail(f"{lock}: an unpinned line: {line!r}")
    return entries


def _requirement_names(path: str) -> set[str]:
    names = set()
    for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
            assert match, f"{path}: cannot read {line!r}"
            names.add(_normalize(match.group(0)))
    return names


@pytest.mark.parametrize(("lock", "inputs"), LOCKS.items())
def test_each_lock_was_made_from_its_requirements_files_as_they_are_now(
    lock: str, inputs: tuple[str]
) -> None:
    header = (ROOT / lock).read_text(encoding="utf-8").splitlines()[:3]
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in inputs)).hexdigest()[:16]
    assert f"# inputs sha256: {digest}" in header, (
        f"{lock} is older than {', '.join(inputs)}: run scripts/lock.sh"
    )


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_is_pinned_to_one_version_with_its_hashes(lock: str) -> None:
    entries = _entries(lock)
    assert len(entries) >= 40
    assert not [name for name, (_, hashes) in entries.items() if hashes == 0]


@pytest.mark.parametrize(("lock", "inputs"), LOCKS.items())
def test_every_requirement_is_in_its_lock(lock: str, inputs: tuple[str]) -> None:
    wanted = set().union(*(_requirement_names(name) for name in inputs))
    assert wanted - set(_entries(lock)) == set()


def test_the_runtime_lock_has_the_dev_lock_s_versions() -> None:
    runtime, dev = _entries("requirements.lock"), _entries("requirements-dev.lock")
    assert {name: dev.get(name, ("missing", 0))[0] for name in runtime} == {
        name: version for name, (version, _) in runtime.items()
    }


@pytest.mark.parametrize("lock", LOCKS)
def test_no_lock_holds_torch_or_a_cuda_package(lock: str) -> None:
    forbidden = _check_requirements_module().FORBIDDEN
    assert forbidden.match("torch") and forbidden.match("nvidia-cublas")
    assert [name for name in _entries(lock) if forbidden.match(name)] == []


def test_the_training_extras_name_the_cpu_build_of_torch() -> None:
    lines = (ROOT / "requirements-train.txt").read_text(encoding="utf-8").splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert [line for line in lines if line.startswith("torch")] == ["torch==2.13.0+cpu"]


# The app's packages: every top-level folder with an __init__.py but the tests.
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests")

# Run in a fresh interpreter: every module of the app is imported with torch and the Hub libraries made
# unimportable, the encoder graph is built into an empty cache, and the trained model understands a request
# and carries a whole replayed conversation.
_NO_TORCH = """
import importlib, importlib.abc, json, pkgutil, sys
BLOCKED = ("torch", "transformers", "sentence_transformers", "huggingface_hub")
class Unimportable(importlib.abc.MetaPathFinder):
    # A finder that refuses them, as on a machine without them; a None in sys.modules would instead
    # be seen by libraries that look for torch there (scipy's array-API checks) and crash them.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None
sys.meta_path.insert(0, Unimportable())
imported = []
for name in PACKAGES:
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
from nlu.evaluate import eval_linker
from nlu.model import ModelUnderstanding
model = ModelUnderstanding(eval_linker())
loaded = model.load()
heard = model.understand("play some jazz from the nineties")
import main
code = main.main(["replay", "tests/transcripts/knows_exactly.txt", "--json", "--no-log", "--nlu", "model"])
loaded_torch = sorted(m for m, v in sys.modules.items() if v is not None and m.split(".")[0] in
                      ("torch", "transformers", "sentence_transformers", "huggingface_hub"))
print(json.dumps({"imported": len(imported), "loaded": loaded, "error": model.load_error,
                  "act": heard.act.value, "slots": [(s.name, s.value) for s in heard.slots],
                  "source": heard.source, "code": code, "loaded_torch": loaded_torch}))
"""


@pytest.mark.model
def test_the_app_understands_with_the_model_when_torch_cannot_be_imported(tmp_path: Path) -> None:
    env = {**os.environ, "TUNETALK_CACHE": str(tmp_path / "cache"), "TUNETALK_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", f"PACKAGES = {PACKAGES!r}\n{_NO_TORCH}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *replay_output, summary_line = done.stdout.strip().splitlines()
    summary = json.loads(summary_line)
    assert {"assistant", "nlu", "audio", "cli"} <= set(PACKAGES)
    assert summary["imported"] >= 50
    assert summary["loaded"], summary["error"]
    assert (summary["source"], summary["act"]) == ("model", "inform")
    assert {tuple(slot) for slot in summary["slots"]} >= {("genre", "jazz"), ("era", "1990s")}
    assert summary["loaded_torch"] == []
    conversation = json.loads("\n".join(replay_output))
    assert summary["code"] == 0
    assert conversation["outcome"]["status"] == "accepted", conversation["outcome"]
    assert list((tmp_path / "cache").glob("minilm-l6-*.onnx")), "the graph was not built into the empty cache"
