"""Helpers shared by the terminal UI tests (this module holds no tests).

The app is built over the real Session composition with the tiny hand-made catalogue, the rule
understanding and the rule policy, a frozen clock, and a silent player: everything a screen shows is then
a function of the seed and the keys pressed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import get_current_worker

from assistant.logs.store import LogStore
from assistant.music.catalog import Catalog, Track
from assistant.policies.rules import RulePolicy
from cli.common import Session
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding
from tui.app import TuneTalkApp
from tui.playback import AudioSetup, SilentPlayer

CLIP_SECONDS = 10
OPENING = ("help me find music", "something upbeat", "rock")
"""What a person types first in these tests; the rule policy then asks at most one more question."""


class FakeClock:
    """A clock that moves only when told to: progress bars show exactly what the test set."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def tiny_session(catalog: Catalog, *, seed: int = 0, log_path: Path | None = None) -> Session:
    log = LogStore(log_path) if log_path is not None else None
    return Session(catalog, RuleUnderstanding(EntityLinker.for_catalog(catalog)), RulePolicy(), log, seed)


def silent_audio(clock: FakeClock, reason: str = "no speaker found") -> AudioSetup:
    def load_clip(track: Track) -> tuple[np.ndarray, int]:
        return np.zeros(CLIP_SECONDS * 100, dtype=np.float32), 100

    return AudioSetup(SilentPlayer(clock), False, reason, load_clip)


def make_app(
    catalog: Catalog,
    *,
    seed: int = 0,
    log_path: Path | None = None,
    clock: FakeClock | None = None,
    load: Callable[[], Session] | None = None,
    theme: str = "dark",
    audio: AudioSetup | None = None,
    question_seconds: float = 0.05,
) -> TuneTalkApp:
    clock = clock or FakeClock()
    return TuneTalkApp(
        load or (lambda: tiny_session(catalog, seed=seed, log_path=log_path)),
        setup_audio=lambda: audio or silent_audio(clock),
        theme=theme,
        tick_seconds=0.05,
        question_seconds=question_seconds,
    )


def held_loader(catalog: Catalog, release: threading.Event) -> Callable[[], Session]:
    """A session loader that waits for `release` (so the loading state can be looked at), and gives up
    when the app closes so that exiting never waits on it."""

    def load() -> Session:
        while not release.wait(0.02):
            if get_current_worker().is_cancelled:
                raise RuntimeError("app closed while loading")
        return tiny_session(catalog)

    return load


async def settle(pilot: Pilot, timeout: float = 10.0) -> None:
    """Wait until the app has nothing in flight (session, audio, turns, clip) and the screen is drawn."""
    app = pilot.app
    assert isinstance(app, TuneTalkApp)
    deadline = time.monotonic() + timeout
    while not app.idle:
        assert time.monotonic() < deadline, "the app did not settle"
        await pilot.pause(0.02)
    await pilot.pause()


async def type_line(pilot: Pilot, text: str) -> None:
    """Type like a person: key by key into the input box, then Enter (about 0.1 s a key headless)."""
    await pilot.press(*text, "enter")


async def enter_line(pilot: Pilot, text: str) -> None:
    """Fill the input box in one go, then press Enter: the quick way for the turns a test only passes."""
    pilot.app.query_one("#entry", Input).value = text
    await pilot.press("enter")


async def converse(pilot: Pilot, lines: Iterable[str]) -> None:
    for line in lines:
        await enter_line(pilot, line)
        await settle(pilot)


async def until_sample(pilot: Pilot, max_turns: int = 6) -> Track:
    """Type the opening, then say "yes" to questions until a sample is offered; returns the sample."""
    app = pilot.app
    assert isinstance(app, TuneTalkApp)
    await settle(pilot)
    await converse(pilot, OPENING)
    for _ in range(max_turns):
        if app.deck.clip is not None and app.now_playing.border_title == "Sample":
            return app.deck.clip.track
        await converse(pilot, ["yes"])
    raise AssertionError(f"no sample offered; transcript: {app.transcript.messages}")


def text_of(app: TuneTalkApp, selector: str) -> str:
    """The plain text a Static shows."""
    return str(app.query_one(selector).content)  # type: ignore[attr-defined]
