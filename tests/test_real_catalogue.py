"""The README's examples with real artist names work on a real catalogue (the Spotify CSV in
../shared/data): its transcript on that catalogue is what `main.py` prints, and every real name in "What
you can say" is understood as the catalogue's artist. Skipped where the reference data is absent."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED_DATA

SPOTIFY = SHARED_DATA / "catalog" / "spotify_songs.csv"
README = (ROOT / "README.md").read_text(encoding="utf-8")

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(
        not SPOTIFY.exists(), reason=f"{SPOTIFY} is absent (reference data, developer machines)"
    ),
]


def _spotify_blocks() -> list[tuple[list[str], list[str], list[str]]]:
    """(command arguments, turns, expected output lines) of each README block that replays on the CSV."""
    blocks = []
    for body in re.findall(r"```text\n(.*?)```", README, flags=re.S):
        lines = body.rstrip("\n").split("\n")
        if not lines[0].startswith("$ python main.py replay - --catalog ../shared/data/catalog/"):
            continue
        command = lines[0][len("$ python main.py ") :].split(" <<")[0].split()
        end = lines.index("EOF")
        blocks.append((command, lines[1:end], lines[end + 1 :]))
    return blocks


def test_the_readme_shows_a_conversation_on_the_spotify_catalogue() -> None:
    assert len(_spotify_blocks()) >= 1


@pytest.mark.parametrize("block", range(len(_spotify_blocks())))
def test_the_readme_transcript_is_what_the_command_prints(block: int, tmp_path: Path) -> None:
    """As a person would run it from the repository (default policy and understanding). A deliberate
    change of wording or ranking shows up here: update the README block with the new output."""
    command, turns, expected = _spotify_blocks()[block]
    result = subprocess.run(
        [sys.executable, "main.py", *command],
        cwd=ROOT,
        input="\n".join(turns) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TUNETALK_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n").split("\n") == expected


@cache
def _understanders() -> dict[str, object]:
    from assistant.music.sources import open_catalog
    from nlu.linking import EntityLinker
    from nlu.loader import make_understander

    linker = EntityLinker.for_catalog(open_catalog([SPOTIFY]))
    return {name: make_understander(name, linker) for name in ("rules", "model")}


# What you can say -> (artists it names, wanted or not, as the catalogue writes them).
EXAMPLES = {
    "something like Radiohead": ({"Radiohead"}, False),
    "songs by Radiohead": ({"Radiohead"}, False),
    "how about Radiohead?": ({"Radiohead"}, False),
    "like Dolly Parton and Kenny Loggins": ({"Dolly Parton", "Kenny Loggins"}, False),
    "not into Blondie": ({"Blondie"}, True),
}


def test_every_real_name_in_the_readme_is_checked() -> None:
    section = README.split("## What you can say", 1)[1].split("\n## ", 1)[0]
    for phrase in EXAMPLES:
        assert f'"{phrase}"' in " ".join(section.split()), phrase


@pytest.mark.parametrize("understanding", ["rules", "model"])
@pytest.mark.parametrize("phrase", list(EXAMPLES))
def test_the_readme_names_link_to_the_real_catalogue(phrase: str, understanding: str) -> None:
    names, unwanted = EXAMPLES[phrase]
    meaning = _understanders()[understanding].understand(phrase)  # type: ignore[attr-defined]
    artists = [s for s in meaning.slots if s.name == "artist"]
    assert {s.value for s in artists} == names, meaning
    assert all(s.linked for s in artists)
    assert all(s.negated == unwanted for s in artists), meaning
