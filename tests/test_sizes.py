"""The size rule: no file over 600 lines except data, and no folder over 35 % of the code.

"The code" is what ships and what measures it: assistant, learning, nlu, audio, cli, tui, benchmarks,
scripts and main.py. The tests are not counted (the rule is about the code, and specifications may grow
with what they specify); test files are held to the 600-line limit by review, not here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CODE_FOLDERS = ("assistant", "learning", "nlu", "audio", "cli", "tui", "benchmarks", "scripts")
CODE_FILES = ("main.py",)
MAX_LINES = 600
MAX_SHARE = 0.35
DATA_FILES: frozenset[str] = frozenset()
"""Python files that are data (tables, corpora) rather than code, exempt from MAX_LINES; none today."""
OVER_THE_SHARE: dict[str, float] = {}
"""Folders allowed over MAX_SHARE, each with a ceiling it must not pass; none since the offline loop
became the top-level learning/ package."""
SKIPPED_PARTS = {".venv", ".git", "var", "__pycache__", "node_modules"}


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _code_files() -> list[Path]:
    found = [ROOT / name for name in CODE_FILES]
    for folder in CODE_FOLDERS:
        found.extend(sorted((ROOT / folder).rglob("*.py")))
    return found


def _python_outside_tests() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts)
        and path.relative_to(ROOT).parts[0] != "tests"
    )


def shares() -> dict[str, tuple[int, float]]:
    """{folder or file: (lines, share of the code's lines)}."""
    counts: dict[str, int] = {}
    for path in _code_files():
        top = path.relative_to(ROOT).parts[0]
        counts[top] = counts.get(top, 0) + _lines(path)
    total = sum(counts.values())
    return {name: (lines, lines / total) for name, lines in counts.items()}


def test_no_python_file_outside_tests_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): _lines(path)
        for path in _python_outside_tests()
        if str(path.relative_to(ROOT)) not in DATA_FILES
    }
    assert {name: n for name, n in long.items() if n > MAX_LINES} == {}, (
        f"split these into modules named for what they do (limit {MAX_LINES} lines)"
    )


@pytest.mark.parametrize("folder", [*CODE_FOLDERS, *CODE_FILES])
def test_no_folder_is_over_35_percent_of_the_code(folder: str) -> None:
    lines, share = shares()[folder]
    ceiling = OVER_THE_SHARE.get(folder, MAX_SHARE)
    assert share <= ceiling, f"{folder}: {lines:,} lines, {share:.1%} of the code (limit {ceiling:.0%})"


def test_an_exception_to_the_share_is_still_needed() -> None:
    """An exception the folder no longer needs must go, so the rule applies to it again."""
    shares_now = shares()
    unneeded = {folder for folder in OVER_THE_SHARE if shares_now[folder][1] <= MAX_SHARE}
    assert unneeded == set(), f"remove {sorted(unneeded)} from OVER_THE_SHARE"


def test_every_python_file_outside_tests_is_counted_as_code() -> None:
    """A new top-level folder of Python must be added to CODE_FOLDERS, or its share is never checked."""
    counted = set(_code_files())
    outside = [str(p.relative_to(ROOT)) for p in _python_outside_tests() if p not in counted]
    assert outside == []


def test_no_diary_numbering_in_docs_or_code() -> None:
    """Docs and code are reference: what changed when goes to CHANGELOG.md, never "stop 12" in a doc or a
    comment (a newcomer cannot act on a landing number)."""
    import re
    import subprocess

    listed = subprocess.run(
        ["git", "ls-files", "*.md", "*.py", "*.toml", "*.sh", "*.txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the files to check are the tracked ones")
    diary = re.compile(r"\bstops? \d+\b", re.IGNORECASE)
    found = []
    for name in listed.stdout.split():
        if name.startswith("tests/") or name == "CHANGELOG.md":
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        found += [f"{name}:{i}" for i, line in enumerate(text.splitlines(), 1) if diary.search(line)]
    assert not found, found
