"""Screenshots of the terminal UI's main states, compared with the accepted ones in __snapshots__/.

Stable by construction: seeded conversation on the tiny catalogue, a frozen clock for the clips, no
cursor blink, no animated loading indicator, fixed terminal sizes. After a deliberate change to the look,
review the new pictures and accept them with `pytest tests/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import threading

from textual.pilot import Pilot

from tests.test_tui_support import FakeClock, converse, held_loader, make_app, settle, until_sample


async def _audio_settled(pilot: Pilot) -> None:
    while pilot.app.audio is None:  # type: ignore[attr-defined]
        await pilot.pause(0.02)
    await pilot.pause()


def test_loading_shows_the_welcome_at_once(snap_compare, tiny_catalog):
    release = threading.Event()
    app = make_app(tiny_catalog, load=held_loader(tiny_catalog, release))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_audio_settled)


def test_a_sample_playing_at_80x24(snap_compare, tiny_catalog):
    clock = FakeClock()

    async def run_before(pilot: Pilot) -> None:
        await until_sample(pilot)
        clock.advance(3)
        await pilot.pause(0.1)

    assert snap_compare(make_app(tiny_catalog, clock=clock), terminal_size=(80, 24), run_before=run_before)


def test_an_accepted_station_in_the_light_theme(snap_compare, tiny_catalog):
    clock = FakeClock()

    async def run_before(pilot: Pilot) -> None:
        await until_sample(pilot)
        await converse(pilot, ["yes!"])
        clock.advance(7)
        await pilot.pause(0.1)
        await settle(pilot)

    app = make_app(tiny_catalog, clock=clock, theme="light")
    assert snap_compare(app, terminal_size=(110, 34), run_before=run_before)


def test_help_over_the_conversation(snap_compare, tiny_catalog):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")

    assert snap_compare(make_app(tiny_catalog), terminal_size=(80, 24), run_before=run_before)
