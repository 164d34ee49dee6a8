"""The terminal UI, driven headless with Pilot: what a person types and clicks, and what the screen holds."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Input

from assistant.dialogue.actions import Action
from assistant.dialogue.phrasing import SAMPLE_QUESTIONS, WELCOME
from assistant.dialogue.policy import PolicyOutput
from assistant.music.catalog import CatalogError
from audio.player import RecordingPlayer
from tests.test_tui_support import (
    CLIP_SECONDS,
    OPENING,
    FakeClock,
    converse,
    enter_line,
    held_loader,
    make_app,
    settle,
    text_of,
    tiny_session,
    type_line,
    until_sample,
)
from tui.help import HelpScreen
from tui.playback import AudioSetup, DeviceClipPlayer
from tui.why import ACTION_LABELS

ROOT = Path(__file__).resolve().parents[1]


def _statuses(db) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute("SELECT status FROM conversations ORDER BY started_at")]


# -- first moments ------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_the_welcome_shows_while_loading_and_typing_waits_for_the_session(tiny_catalog):
    release = threading.Event()
    app = make_app(tiny_catalog, load=held_loader(tiny_catalog, release))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.transcript.messages == [f"tunetalk: {WELCOME}"]
        assert "loading" in app.status.catalog
        assert app.query_one("#entry", Input).has_focus

        await type_line(pilot, OPENING[0])
        assert app.transcript.messages[-1] == f"you: {OPENING[0]}"
        assert app.status.activity == "loading, will answer shortly"

        release.set()
        await settle(pilot)
        assert app.transcript.messages[-1].startswith("tunetalk: ")
        assert "tiny · 150 tracks" in app.status.catalog
        assert app.status.policy == "policy rules"
        assert app.status.understanding == "nlu rules"


@pytest.mark.asyncio
async def test_a_request_gets_a_reply_and_the_why_panel_names_the_chosen_prompt(tiny_catalog):
    app = make_app(tiny_catalog)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_line(pilot, OPENING[0])
        await settle(pilot)
        await converse(pilot, OPENING[1:2])
        manager = app.manager
        assert manager is not None and manager.state.last_action is not None
        chosen = ACTION_LABELS[manager.state.last_action]
        why = str(app.why.content)
        assert f"turn 2 · chose {chosen}" in why
        assert f"▸ {chosen}" in why
        assert "knows  upbeat music" in why
        assert " fit · best match " in why


@pytest.mark.asyncio
async def test_accepting_a_sample_starts_its_station_in_now_playing(tiny_catalog, tmp_path):
    app = make_app(tiny_catalog, log_path=tmp_path / "log.db")
    async with app.run_test() as pilot:
        sample = await until_sample(pilot)
        assert text_of(app, "#np-title") == sample.title
        assert text_of(app, "#np-artist") == sample.artist
        meta = f"{sample.genre} · {sample.subgenre} · {sample.year} · {sample.mood}"
        assert text_of(app, "#np-meta") == meta
        assert app.deck.playing

        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.transcript.messages[-3] == "you: yes  (like)"
        assert sample.title in app.transcript.messages[-2]
        assert app.transcript.messages[-1].startswith("Conversation ended (accepted).")
        assert app.now_playing.border_title == "Now playing · station"
        assert text_of(app, "#np-title") == sample.title
        assert text_of(app, "#np-next").startswith("next: ")
        assert app.deck.playing
        assert "ended: accepted" in str(app.why.content)
        await pilot.press("ctrl+q")
    assert _statuses(tmp_path / "log.db") == ["accepted"]


@pytest.mark.asyncio
async def test_a_clip_advances_in_silent_preview_and_pauses_and_resumes(tiny_catalog):
    clock = FakeClock()
    app = make_app(tiny_catalog, clock=clock)
    async with app.run_test() as pilot:
        await until_sample(pilot)
        assert text_of(app, "#np-audio") == "audio off: no speaker found"
        assert text_of(app, "#np-time") == f"0:00/0:{CLIP_SECONDS:02d}"

        clock.advance(4)
        await pilot.pause(0.1)
        assert text_of(app, "#np-time") == f"0:04/0:{CLIP_SECONDS:02d}"

        await pilot.press("ctrl+p")
        assert not app.deck.playing
        clock.advance(3)
        await pilot.pause(0.1)
        assert text_of(app, "#np-time") == f"0:04/0:{CLIP_SECONDS:02d}"

        await pilot.click("#np-play")  # the mouse works as well as ctrl+p
        assert app.deck.playing
        clock.advance(2)
        await pilot.pause(0.1)
        assert text_of(app, "#np-time") == f"0:06/0:{CLIP_SECONDS:02d}"


@pytest.mark.asyncio
async def test_with_a_device_clips_go_to_the_voice_modes_player(tiny_catalog):
    recorder = RecordingPlayer(hold=True)
    clip = np.zeros(2 * 8000, dtype=np.float32)
    audio = AudioSetup(DeviceClipPlayer(recorder), True, "", lambda track: (clip, 8000))
    app = make_app(tiny_catalog, audio=audio)
    async with app.run_test() as pilot:
        await until_sample(pilot)
        assert text_of(app, "#np-audio") == "audio on"
        assert app.status.audio == "audio on"
        assert recorder.played == [("clip", 2.0)]
        await pilot.press("ctrl+p")
        assert recorder.handles[0].stopped
        await pilot.press("ctrl+q")
    assert recorder.handles[-1].stopped, "quitting stops the music"


@pytest.mark.asyncio
async def test_skip_answers_the_sample_and_the_next_one_plays(tiny_catalog):
    app = make_app(tiny_catalog)
    async with app.run_test() as pilot:
        first = await until_sample(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "you: skip  (skip)" in app.transcript.messages
        assert app.manager is not None and first.id in app.manager.state.rejected
        assert app.deck.clip is not None and app.deck.clip.track.id != first.id
        assert "passed 1 sample" in str(app.why.content)


@pytest.mark.asyncio
async def test_in_a_station_skip_moves_on_and_the_end_of_a_track_plays_the_next(tiny_catalog):
    clock = FakeClock()
    app = make_app(tiny_catalog, clock=clock)
    async with app.run_test() as pilot:
        await until_sample(pilot)
        await converse(pilot, ["yes"])
        station = app._station
        assert len(station) > 2
        assert app.deck.clip is not None and app.deck.clip.track.id == station[0].id

        await pilot.click("#np-skip")
        await settle(pilot)
        assert text_of(app, "#np-title") == station[1].title

        clock.advance(CLIP_SECONDS + 1)
        await pilot.pause(0.2)
        await settle(pilot)
        assert text_of(app, "#np-title") == station[2].title


class ScriptedPolicy:
    """Plays a sample first, then asks the mood question: what a learned policy may well do."""

    name = "scripted"

    def __init__(self) -> None:
        self.script = [Action.PLAY_SAMPLE, Action.MOOD_QUESTION]

    def decide(self, state, available, features) -> PolicyOutput:
        wanted = self.script.pop(0) if self.script else available[0]
        action = wanted if wanted in available else available[0]
        return PolicyOutput({a: float(a is action) for a in available}, {action: 1.0})


@pytest.mark.asyncio
async def test_when_the_assistant_moves_on_to_a_question_the_sample_stops(tiny_catalog):
    def load():
        session = tiny_session(tiny_catalog)
        session.policy = ScriptedPolicy()
        return session

    app = make_app(tiny_catalog, load=load)
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await converse(pilot, ["help me find music"])
        assert app.now_playing.border_title == "Sample"
        await converse(pilot, ["something older"])
        assert "chose mood question" in str(app.why.content)
        assert "scripted" in str(app.why.content)
        assert text_of(app, "#np-title") == "Nothing playing"
        await pilot.press("ctrl+l")
        assert app.transcript.messages[-1].startswith("tunetalk: "), "no 'yes' sent to a question"


# -- ends and new beginnings --------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_quitting_mid_conversation_logs_it_unfinished_and_closes_the_log(tiny_catalog, tmp_path):
    app = make_app(tiny_catalog, log_path=tmp_path / "log.db")
    async with app.run_test() as pilot:
        await settle(pilot)
        await converse(pilot, OPENING[:2])
        assert app.session is not None
        log = app.session.log
        await pilot.press("ctrl+q")
    assert log._db is None, "the log was left open"
    assert _statuses(tmp_path / "log.db") == ["unfinished"]
    assert app.return_code == 0


@pytest.mark.asyncio
async def test_typing_after_the_end_starts_a_new_conversation(tiny_catalog, tmp_path):
    app = make_app(tiny_catalog, log_path=tmp_path / "log.db")
    async with app.run_test() as pilot:
        await until_sample(pilot)
        await converse(pilot, ["yes"])
        first = app.manager
        await converse(pilot, ["jazz"])
        assert app.manager is not None and app.manager is not first
        assert app.manager.state.turn == 1
        assert app.transcript.messages[-3:-1] == ["New conversation.", "you: jazz"]
        assert app.now_playing.border_title in ("Now playing · station", "Sample")
        await pilot.press("ctrl+q")
    assert _statuses(tmp_path / "log.db") == ["accepted", "unfinished"]


@pytest.mark.asyncio
async def test_ctrl_n_starts_over_mid_conversation(tiny_catalog, tmp_path):
    app = make_app(tiny_catalog, log_path=tmp_path / "log.db")
    async with app.run_test() as pilot:
        await until_sample(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.manager is None
        assert app.transcript.messages[-2:] == ["New conversation.", f"tunetalk: {WELCOME}"]
        assert text_of(app, "#np-title") == "Nothing playing"
        assert "Nothing decided yet" in str(app.why.content)
        await converse(pilot, OPENING[:1])
        await pilot.press("ctrl+q")
    assert _statuses(tmp_path / "log.db") == ["unfinished", "unfinished"]


@pytest.mark.asyncio
async def test_a_catalogue_that_fails_to_load_is_explained_and_quitting_reports_it(tiny_catalog):
    def broken():
        raise CatalogError("songs.csv line 3: energy='loud' is not a number")

    app = make_app(tiny_catalog, load=broken)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "Could not start: songs.csv line 3" in app.transcript.messages[-1]
        assert app.query_one("#entry", Input).disabled
        await pilot.press("ctrl+q")
    assert app.return_code == 2


@pytest.mark.asyncio
async def test_a_log_that_cannot_be_written_is_a_warning_on_screen_not_lost(tiny_catalog, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the log's folder should be")
    app = make_app(tiny_catalog, log_path=blocked / "log.db")
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await converse(pilot, OPENING[:1])
        await pilot.pause(0.1)
        assert app.transcript.messages[-1].startswith("tunetalk: "), "the conversation goes on"
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert any("could not write the conversation log" in w for w in warnings), warnings


# -- keys, help, look ---------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_like_and_skip_with_nothing_playing_say_so_instead_of_sending(tiny_catalog):
    app = make_app(tiny_catalog)
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l", "ctrl+s", "ctrl+p")
        await pilot.pause()
        assert app.transcript.messages == [f"tunetalk: {WELCOME}"]
        notes = [n.message for n in app._notifications]
        assert notes == [
            "Nothing to like yet: wait for a sample.",
            "Nothing to skip.",
            "Nothing to play yet.",
        ]


@pytest.mark.asyncio
async def test_f1_opens_help_and_escape_closes_it(tiny_catalog):
    app = make_app(tiny_catalog)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        assert app.query_one("#entry", Input).has_focus


@pytest.mark.asyncio
async def test_ctrl_t_switches_between_dark_and_light(tiny_catalog):
    app = make_app(tiny_catalog, theme="light")
    async with app.run_test() as pilot:
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_panel_fits_on_screen(tiny_catalog, size):
    app = make_app(tiny_catalog)
    async with app.run_test(size=size) as pilot:
        await until_sample(pilot)
        width, height = size
        for selector in ("#transcript", "#entry", "#now-playing", "#why-box", "#status", "Footer"):
            region = app.query_one(selector).region
            assert region.width > 0 and region.height > 0, selector
            assert region.right <= width and region.bottom <= height, selector
        # The things a person needs to see are not squeezed away at 80x24.
        assert app.query_one("#np-bar").region.width >= 10
        assert app.query_one("#entry").region.height == 3
        assert app.query_one("#transcript").region.width >= 40


# -- the command line ---------------------------------------------------------------------------------
def test_tui_is_the_default_command_and_documents_its_options():
    result = subprocess.run(
        [sys.executable, "main.py", "tui", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for option in ("--catalog", "--user", "--policy", "--theme", "--no-audio"):
        assert option in result.stdout


def test_a_missing_catalogue_is_reported_before_the_window_opens(tmp_path):
    result = subprocess.run(
        [sys.executable, "main.py", "--catalog", str(tmp_path / "none.csv")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "none.csv: no such catalogue file" in result.stderr


@pytest.mark.asyncio
async def test_the_status_line_names_the_policy_each_conversation_really_uses(tiny_catalog):
    """A profile with a listening history gets learned+history for its conversations (Session.policy_for),
    while the session was loaded with another policy: the status line follows the conversation."""
    from assistant.policies.rules import RulePolicy

    class HistoryRules(RulePolicy):
        name = "learned+history"

    session = tiny_session(tiny_catalog)
    session.policy_for = lambda has_history: HistoryRules()  # type: ignore[method-assign]
    app = make_app(tiny_catalog, load=lambda: session)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.status.policy == "policy rules"  # what the session loaded, before anyone speaks
        await type_line(pilot, OPENING[0])
        await settle(pilot)
        assert app.status.policy == "policy learned+history"


@pytest.mark.asyncio
async def test_a_samples_question_is_asked_after_a_while_or_when_the_person_types(tiny_catalog):
    # "Did you like it?" as the sample starts asks about something nobody has heard yet.
    app = make_app(tiny_catalog, question_seconds=60.0)
    async with app.run_test() as pilot:
        await settle(pilot)
        presented = None
        for line in [*OPENING, "yes", "yes", "yes", "yes"]:
            before = len(app.transcript.messages)
            await enter_line(pilot, line)
            while len(app.transcript.messages) < before + 2:
                await pilot.pause(0.02)
            if app.now_playing.border_title == "Sample":
                presented = app.transcript.messages[-1]
                break
        assert presented is not None, app.transcript.messages
        assert not presented.rstrip().endswith("?"), presented  # introduced, not yet asked about
        await pilot.pause(0.3)
        assert app.transcript.messages[-1] == presented  # the question waits for the clip to be heard
        await pilot.press("y")  # the person starts answering: the question comes first
        await pilot.pause()
        assert app.transcript.messages[-1] in {f"tunetalk: {q}" for q in SAMPLE_QUESTIONS}
        assert app.transcript.messages[-2] == presented
