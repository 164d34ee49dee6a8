"""The layout is the pipeline: each package imports only from the layers below it, and only audio/
touches devices. Checked over every import statement, including the ones inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS: tuple[str, ...] = (
    "nlu",  # words -> meaning
    "assistant.events",  # the one stream of typed events every stage speaks
    "assistant.dbfile",  # recognising the SQLite files tunetalk owns, read-only, before touching them
    "assistant.music",  # catalogue, constraints, retrieval
    "assistant.taste",  # listening history and affinity
    "assistant.dialogue",  # one conversation: manager, state, prompts, phrasing
    "assistant.policies",  # which prompt next, at run time
    "assistant.logs",  # the conversation log, written and read
    "learning",  # new policies from the logs, checked off-policy
    "audio",  # devices and speech: the voice way in
    "tui",  # the terminal way in
    "cli",  # the command line: composes everything
    "main",
)
PACKAGES = ("nlu", "assistant", "learning", "audio", "tui", "cli")
DEVICE_LIBRARIES = ("sounddevice", "vosk", "pyttsx3", "pocketsphinx", "speech_recognition", "webrtcvad")
"""Hardware and speech engines: only audio/ may import them."""


def _layer(module: str) -> int | None:
    if module == "assistant":
        return LAYERS.index("assistant.events")  # the package's own __init__: a docstring, no imports
    best: int | None = None
    for rank, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            best = rank
    return best


def _modules() -> list[tuple[str, Path]]:
    found = [("main", ROOT / "main.py")]
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found.append((name, path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from assistant.dialogue import replay` imports a submodule: judge it by the submodule.
            names.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            names.append((node.lineno, base))
    return names


MODULES = _modules()


def test_every_module_belongs_to_a_layer() -> None:
    assert [name for name, _ in MODULES if _layer(name) is None] == []


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_only_run_downwards(module: str, path: Path) -> None:
    own = _layer(module)
    assert own is not None
    upward = []
    for line, imported in _imports(module, path):
        rank = _layer(imported)
        if rank is not None and rank > own:
            upward.append(f"{path.relative_to(ROOT)}:{line} imports {imported} ({LAYERS[rank]})")
    assert upward == [], f"{module} ({LAYERS[own]}) imports from a higher layer"


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_only_audio_touches_devices(module: str, path: Path) -> None:
    if module == "audio" or module.startswith("audio."):
        return
    touching = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for line, imported in _imports(module, path)
        if imported.split(".")[0] in DEVICE_LIBRARIES
    ]
    assert touching == []


def test_the_layering_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: an upward import inside a function is found, a downward one is not."""
    source = tmp_path / "music_module.py"
    source.write_text(
        "from nlu.meaning import Act\n"
        "def later():\n"
        "    from assistant.dialogue import manager\n"
        "    from assistant.events import Event\n"
    )
    found = [(line, name) for line, name in _imports("assistant.music.x", source) if _layer(name) is not None]
    higher = [name for _, name in found if (_layer(name) or 0) > (_layer("assistant.music.x") or 0)]
    assert "assistant.dialogue.manager" in higher
    assert not any(name.startswith(("assistant.events", "nlu")) for name in higher)


DIALOGUE_MAY_USE_FROM_NLU = ("nlu.meaning", "nlu.lexicon")
"""What the dialogue may take from nlu/: the meaning representation and the vocabulary (genre names and
their families, to phrase and to check slot values). Never a reader of text: what a turn means is nlu's
job, so the trained model, the simulator and the voice path all reach the manager the same way."""


@pytest.mark.parametrize(
    ("module", "path"),
    [(m, p) for m, p in MODULES if m.startswith("assistant.dialogue")],
    ids=[m for m, _ in MODULES if m.startswith("assistant.dialogue")],
)
def test_the_dialogue_reads_meanings_not_words(module: str, path: Path) -> None:
    readers = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for line, imported in _imports(module, path)
        if imported.split(".")[0] == "nlu"
        and imported != "nlu"
        and not imported.startswith(DIALOGUE_MAY_USE_FROM_NLU)
    ]
    assert readers == []
    if path.name in ("manager.py", "conversation.py"):  # the turn in context, and deciding and acting
        assert "re" not in {name for _, name in _imports(module, path)}, f"{path.name} matches text itself"
