"""Bad input of every kind gets a sensible reply, never a crash."""

from __future__ import annotations

import json
import re
import string
import subprocess
import sys

import numpy as np
import pytest

from assistant.dialogue import replay
from assistant.dialogue.actions import Action
from tests.conftest import ROOT

VALID_ACTIONS = {a.value for a in Action} | {"repeat", "confirm", "close", "ended"}
PLACEHOLDER = re.compile(r"\{[a-zA-Z_]*\}|\bNone\b|\bnan\b")


def assert_sensible(reply) -> None:
    assert reply.action in VALID_ACTIONS
    assert reply.text and len(reply.text) < 700
    assert reply.text.rstrip()[-1] in '.?!"', reply.text
    assert not PLACEHOLDER.search(reply.text), reply.text
    if reply.action == Action.PLAY_SAMPLE:
        assert reply.sample is not None and reply.sample.title in reply.text


def junk_lines(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    alphabet = np.array(list(string.printable.strip() + " " * 10))
    return ["".join(rng.choice(alphabet, size=int(rng.integers(0, 60)))) for _ in range(n)]


def test_a_thousand_turns_of_printable_junk(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    conversations = 1
    for line in junk_lines(1000, seed=1):
        if manager.done:
            manager, _ = make_manager(tiny_catalog, seed=conversations)
            conversations += 1
        assert_sensible(manager.step(line))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\t",
        "a" * 5000,
        "🎵🎶🔥",
        "こんにちは音楽をかけて",
        "Bonjour, je voudrais écouter du jazz",
        "\x00\x01\x02",
        "'; DROP TABLE turns; --",
        "{title} {artist}",
        "%s %d",
        "\\n\\n",
        "¿¡",
        "NaN",
        "None",
    ],
)
def test_odd_input_gets_a_sensible_reply(tiny_catalog, make_manager, text):
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    assert_sensible(manager.step(text))


def test_replay_of_a_junk_transcript_through_the_cli(tiny_catalog_csv, tmp_path):
    transcript = tmp_path / "junk.txt"
    transcript.write_text("\n".join(junk_lines(1000, seed=2)), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "main.py",
            "replay",
            str(transcript),
            "--json",
            "--catalog",
            str(tiny_catalog_csv),
            "--no-log",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["outcome"]["status"] in {"accepted", "abandoned", "stopped", "unfinished"}
    assert all(t["text"] for t in data["turns"] if t["speaker"] == "assistant")


def test_replay_reads_comments_and_keeps_empty_lines_as_turns():
    lines = ["# a comment", "help me find music", "", "  # indented comment", "jazz"]
    assert list(replay.read_turns(lines)) == ["help me find music", "", "jazz"]
