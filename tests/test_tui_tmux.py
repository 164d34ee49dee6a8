"""The terminal UI in a real terminal: `python main.py` in tmux, keys sent with send-keys, the screen read
with capture-pane, one whole conversation from the welcome to music playing, then ctrl+q."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.music.catalog import DEFAULT_CATALOG

ROOT = Path(__file__).resolve().parents[1]
TMUX = shutil.which("tmux")
OPENING = ("help me find music", "something upbeat", "rock")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.skipif(not DEFAULT_CATALOG.exists(), reason=f"{DEFAULT_CATALOG} is missing"),
]


class Terminal:
    """One tmux server of our own (-L), so the test never touches a person's tmux sessions."""

    def __init__(self, command: str, width: int = 100, height: int = 30) -> None:
        self.socket = f"tunetalk-test-{uuid.uuid4().hex[:8]}"
        self._tmux("new-session", "-d", "-s", "tui", "-x", str(width), "-y", str(height), command)

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(TMUX), "-L", self.socket, *args]
        return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", timeout=10)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "tui").stdout

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "tui", *keys)

    def alive(self) -> bool:
        return self._tmux("has-session", "-t", "tui").returncode == 0

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen was:\n{screen}")
            time.sleep(0.05)

    def close(self) -> None:
        self._tmux("kill-server")


def _shows(text: str) -> Callable[[str], bool]:
    return lambda screen: text in screen


def test_a_whole_conversation_in_a_real_terminal_ends_in_playback(tmp_path):
    # The shell tmux starts may export the pane's size from before tmux applied -x/-y, and Textual would
    # believe COLUMNS/LINES over the terminal itself: drop them.
    home = shlex.quote(str(tmp_path))
    command = (
        f"cd {shlex.quote(str(ROOT))} && exec env -u COLUMNS -u LINES TUNETALK_HOME={home} "
        f"{shlex.quote(sys.executable)} main.py --no-log --no-audio --seed 1"
    )
    terminal = Terminal(command)
    try:
        terminal.wait_for(lambda s: "Hi, I'm tunetalk" in s, "the welcome")
        terminal.wait_for(lambda s: "tracks │" in s, "the catalogue to load")

        screen = ""
        for turn, line in enumerate([*OPENING, *["yes"] * 6], start=1):
            terminal.send(line, "Enter")
            screen = terminal.wait_for(_shows(f"turn {turn} ·"), f"the reply to turn {turn}")
            if "Now playing · station" in screen:
                # The transcript line is mounted a frame after the panels change.
                screen = terminal.wait_for(_shows("Conversation ended (accepted)"), "the closing line")
                break
        else:
            raise AssertionError(f"no music after {turn} turns; the screen was:\n{screen}")

        assert "Conversation ended (accepted)" in screen
        lines = screen.splitlines()
        panel = next(i for i, text in enumerate(lines) if "Now playing · station" in text)
        title = lines[panel + 1].split("│")[-2].strip()
        assert title and title != "Nothing playing", screen
        assert re.search(r"\d:\d\d/\d:\d\d", screen), "no clip progress shown"
        assert "audio off: --no-audio" in screen

        terminal.send("C-q")
        deadline = time.monotonic() + 10
        while terminal.alive():
            assert time.monotonic() < deadline, "ctrl+q did not quit"
            time.sleep(0.05)
    finally:
        terminal.close()
    assert not os.listdir(tmp_path), "--no-log wrote something to TUNETALK_HOME"
