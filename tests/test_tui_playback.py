"""The now-playing panel's sound seam: the deck, the silent stand-in, the voice mode's player behind it,
how the audio set-up explains itself, and the why panel's text."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.state import DialogueState
from assistant.music.catalog import Track
from assistant.music.constraints import Constraints
from audio.errors import PlaybackError
from audio.player import RecordingPlayer
from tests.pulse import MISSING_REASON, start_pulse
from tests.test_tui_support import FakeClock
from tui.playback import (
    PREVIEW_SECONDS,
    AudioSetup,
    Clip,
    Deck,
    DeviceClipPlayer,
    SilentPlayer,
    _short,
    detect_audio,
    silent_clip,
)
from tui.why import Decided, explain


def _deck(clock: FakeClock, track) -> Deck:
    deck = Deck(SilentPlayer(clock))
    deck.load(silent_clip(track, seconds=10))
    return deck


# -- the deck over the silent player -------------------------------------------------------------------
def test_the_silent_preview_keeps_time_and_stops_at_the_end(tiny_catalog):
    clock = FakeClock()
    deck = _deck(clock, tiny_catalog.tracks[0])
    assert deck.playing and deck.position == 0.0 and deck.duration == 10.0
    clock.advance(4)
    assert deck.position == 4.0 and not deck.tick()
    clock.advance(7)
    assert deck.tick(), "the end of the clip is noticed once"
    assert not deck.playing and deck.finished and deck.position == 10.0
    assert not deck.tick()


def test_pause_resumes_where_it_stopped_and_play_after_the_end_starts_over(tiny_catalog):
    clock = FakeClock()
    deck = _deck(clock, tiny_catalog.tracks[0])
    clock.advance(3)
    assert deck.toggle() is False
    clock.advance(5)
    assert deck.position == 3.0
    assert deck.toggle() is True
    clock.advance(2)
    assert deck.position == 5.0
    clock.advance(10)
    deck.tick()
    deck.resume()
    assert deck.playing and deck.position == 0.0


def test_a_stand_in_clip_lasts_the_preview_length(tiny_catalog):
    setup = AudioSetup(SilentPlayer(), False, "no speaker found")
    assert setup.clip_for(tiny_catalog.tracks[0]).duration == PREVIEW_SECONDS


# -- the voice mode's player behind the seam ------------------------------------------------------------
def test_the_device_player_gets_each_clip_as_a_clip_and_stops_it_on_pause(tiny_catalog):
    recorder = RecordingPlayer(hold=True)
    deck = Deck(DeviceClipPlayer(recorder))
    samples = np.zeros(16000, dtype=np.float32)
    setup = AudioSetup(deck.player, True, "", lambda track: (samples, 8000))
    deck.load(setup.clip_for(tiny_catalog.tracks[0]))
    assert recorder.played == [("clip", 2.0)]
    recorder.handles[0].position = 4000  # the device has taken half a second
    assert deck.position == 0.5
    deck.pause()
    assert recorder.handles[0].stopped
    deck.resume()
    assert recorder.played[-1] == ("clip", 1.5), "resuming plays the rest, not the whole clip again"
    deck.load(setup.clip_for(tiny_catalog.tracks[1]))
    assert recorder.handles[1].stopped, "a new clip replaces the one playing"


def test_audio_turned_off_says_so():
    setup = detect_audio(enabled=False)
    assert not setup.live and setup.reason == "--no-audio"
    assert isinstance(setup.player, SilentPlayer)


def test_without_clip_synthesis_audio_is_off_and_says_why(monkeypatch):
    monkeypatch.setitem(sys.modules, "audio.clips", None)  # makes `from audio.clips import ...` fail
    setup = detect_audio()
    assert (setup.live, setup.reason, setup.load_clip) == (False, "no clip synthesis in this build", None)


def test_without_a_speaker_audio_is_off_with_the_devices_reason(monkeypatch):
    import types

    import audio.player

    clips = types.ModuleType("audio.clips")
    clips.load_clip = lambda track: (np.zeros(10, dtype=np.float32), 100)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "audio.clips", clips)

    def no_speaker(self):
        raise PlaybackError("no-speaker", "no speaker (audio output) found (PortAudio: Error querying -1)")

    monkeypatch.setattr(audio.player.DevicePlayer, "open", no_speaker)
    setup = detect_audio()
    assert not setup.live and setup.reason == "no speaker (audio output) found"
    assert setup.load_clip is clips.load_clip, "clips are still made, so the preview lasts as long"


def test_only_a_trailing_technical_detail_is_dropped_from_a_reason():
    reason = "no speaker (audio output) found"
    assert _short(f"{reason} (PortAudio: Error -1)") == reason
    assert _short(reason) == reason


@pytest.mark.audio
@pytest.mark.skipif(MISSING_REASON is not None, reason=MISSING_REASON or "")
def test_a_clip_plays_through_a_real_output_device():
    from audio.player import DevicePlayer

    with start_pulse() as pulse:
        recording = pulse.record_speaker()
        player = DeviceClipPlayer(DevicePlayer().open())
        try:
            tone = 0.4 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
            deck = Deck(player)
            track = Track("x", "Tone", "Test", "test", "test", 2000, 0.5, 0.5, 120.0)
            deck.load(Clip(track, tone, 16000))
            deadline = time.monotonic() + 5
            while deck.position < 0.6 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert deck.position >= 0.6, "the device did not take the clip"
            deck.pause()
            paused_at = deck.position
            time.sleep(0.3)
            assert deck.position == paused_at
        finally:
            player.close()
        heard = recording.stop()
        if recording.process.stdout is not None:
            recording.process.stdout.close()  # SpeakerRecording.stop leaves the pipe open
    assert heard.rms() > 0.05, "nothing reached the speaker"


# -- the why panel's text -------------------------------------------------------------------------------
def test_before_the_first_turn_the_why_panel_explains_itself():
    assert "Nothing decided yet" in str(explain(None, None))


def test_the_why_panel_lists_what_is_known_and_marks_the_chosen_prompt():
    wanted = Constraints(genres=("rock",), energy=0.8, avoid_genres=("jazz",))
    state = DialogueState(turn=2, constraints=wanted)
    state.unknown.add("era")
    decided = Decided(
        2,
        Action.MOOD_QUESTION.value,
        {"mood_question": 0.7, "play_sample": 0.3},
        {"mood_question": 0.5, "play_sample": 0.2},
        "rules",
    )
    text = str(explain(state, decided, reply_action="mood_question", closeness=0.61, empathy="neutral"))
    lines = text.splitlines()
    assert lines[0] == "turn 2 · chose mood question"
    assert "goal   0.61 · neutral tone" in lines
    assert "knows  upbeat rock" in lines
    assert "passed jazz" in lines
    assert "any    era" in lines
    assert "▸ mood question 0.70 ████  0.50" in lines
    assert "  play sample   0.30 ██    0.20" in lines
    assert all(len(line) <= 31 for line in lines[4:]), "the table must fit the side panel at 80 columns"


def test_a_repeated_question_keeps_the_last_decision_and_says_which_turn_it_was():
    state = DialogueState(turn=3)
    decided = Decided(2, "open_question", {"open_question": 1.0}, {}, "rules")
    text = str(explain(state, decided, reply_action="repeat"))
    assert text.splitlines()[0] == "turn 3 · asked again (not understood)"
    assert "rules, turn 2" in text
