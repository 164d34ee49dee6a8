"""The real devices end to end, on a private headless PulseAudio: a null sink is the speaker (its monitor
is recorded and checked), another null sink's monitor is the microphone (the test speaks into it)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.music.catalog import Catalog, Track
from audio.asr import recognize
from audio.clips import load_clip
from audio.listener import SpeechListener
from audio.microphone import Microphone
from audio.player import DevicePlayer
from audio.sound import Sound
from audio.sphinx_asr import SphinxRecognizer
from audio.tts import Pyttsx3Synthesizer
from audio.vad import VadConfig, frame_levels_db
from audio.vocabulary import DEFAULT_PHRASES, build_vocabulary, catalog_phrases, spoken_form
from audio.voice_loop import VoiceLoop
from audio.wav_source import split_utterances
from cli.voice import lexicon_phrases
from tests.pulse import PulseServer, pulse_fixture  # noqa: F401
from tests.speech import espeak, needs_espeak, report_fixture, word_errors  # noqa: F401

pytestmark = [pytest.mark.audio, pytest.mark.model, needs_espeak]


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pulse-speech")


@pytest.fixture(scope="module")
def sphinx(tiny_catalog: Catalog) -> SphinxRecognizer:
    vocabulary = build_vocabulary(DEFAULT_PHRASES, lexicon_phrases(), catalog_phrases(tiny_catalog))
    return SphinxRecognizer(vocabulary).load()


def active_seconds(sound: Sound, threshold_db: float = -45.0) -> float:
    """How long the sound is audible (10 ms frames above the threshold)."""
    frame = sound.rate // 100
    return float(np.sum(frame_levels_db(sound.samples, frame) > threshold_db)) / 100.0


def first_active(sound: Sound, threshold_db: float = -45.0) -> float:
    frame = sound.rate // 100
    return float(np.argmax(frame_levels_db(sound.samples, frame) > threshold_db)) / 100.0


def test_what_is_said_into_the_microphone_is_recognized(
    pulse: PulseServer, sphinx: SphinxRecognizer, audio_dir: Path
) -> None:
    request = espeak("something upbeat", audio_dir, voice="en-us+f2")
    with Microphone() as microphone:
        listener = SpeechListener(microphone, sphinx)
        result: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: result.update(heard=listener.listen(timeout=15)))
        thread.start()
        time.sleep(0.3)
        pulse.play_into_microphone(request.padded(0.3))
        played_at = time.monotonic()
        thread.join(timeout=20)
    heard = result["heard"]
    assert heard is not None and heard.text == "something upbeat"
    assert heard.reason == "partial"  # a whole request: the short pause ended it
    # The end of speech is timed on the capture clock, close to when the playback finished.
    assert abs(heard.speech_end - played_at) < 1.0


def test_speech_then_clip_come_out_of_the_speaker_one_after_the_other(pulse: PulseServer) -> None:
    replies = ["how about some jazz", "did you like it"]
    knowing = SphinxRecognizer(build_vocabulary({"command": replies}, core={})).load()
    speech = Pyttsx3Synthesizer().synthesize("how about some jazz")
    t = np.arange(int(2.0 * 22050)) / 22050
    clip = Sound((0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 22050)
    recording = pulse.record_speaker()
    player = DevicePlayer().open()
    try:
        first = player.play(speech, "speech")
        second = player.play(clip, "clip")
        assert second.wait(timeout=10)
    finally:
        player.close()
    captured = recording.stop()
    # Back to back, never mixed: audible for as long as both together, the speech first.
    assert active_seconds(captured) == pytest.approx(speech.duration + clip.duration, abs=0.6)
    assert first.started_at is not None and second.started_at is not None
    assert second.started_at >= first.started_at + speech.duration - 0.05
    start = first_active(captured)
    spoken = Sound(captured.samples[int(start * 16000) : int((start + speech.duration) * 16000)], 16000)
    assert recognize(knowing, spoken.samples, spoken.rate).text == "how about some jazz"


def test_stopping_a_clip_silences_the_speaker_at_once(pulse: PulseServer) -> None:
    t = np.arange(int(6.0 * 22050)) / 22050
    clip = Sound((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050)
    recording = pulse.record_speaker()
    player = DevicePlayer().open()
    try:
        handle = player.play(clip, "clip")
        time.sleep(1.0)
        handle.stop()
        time.sleep(1.0)
    finally:
        player.close()
    captured = recording.stop()
    assert handle.stopped
    assert 0.6 < active_seconds(captured) < 1.8


def looped_clip(track: Track, seconds: float) -> Sound:
    """The track's clip, cut or repeated to `seconds`."""
    samples, rate = load_clip(track)
    return Sound(np.tile(samples, int(np.ceil(seconds * rate / len(samples))))[: int(seconds * rate)], rate)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll a condition until it holds; the deadline only turns a hang into a failure, so it is generous
    (a loaded machine is slow, not wrong)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s: {what}"
        time.sleep(0.05)


def test_a_spoken_conversation_end_to_end_with_barge_in(
    pulse: PulseServer,
    sphinx: SphinxRecognizer,
    tiny_catalog: Catalog,
    make_manager: Callable,
    audio_dir: Path,
    report: Callable[[str], None],
) -> None:
    manager, _ = make_manager(tiny_catalog)
    recording = pulse.record_speaker()
    player = DevicePlayer()
    outcome: dict[str, Any] = {}
    with Microphone() as microphone:
        loop = VoiceLoop(
            manager,
            SpeechListener(microphone, sphinx),
            Pyttsx3Synthesizer(),
            player,
            # A sample lasts a minute, so it is still playing however long a busy machine takes to notice
            # the person talking over it (barge-in stops it at once); the one that closes the
            # conversation is short, so the test does not wait for it.
            clips=lambda track: looped_clip(track, 3.0 if manager.done else 60.0),
            emit=manager.emit,
            listen_timeout=30,
        )
        thread = threading.Thread(target=lambda: outcome.update(result=loop.run()), daemon=True)
        thread.start()
        wait_until(lambda: loop.result is not None, "the loop never started")
        assert loop.result is not None

        def say(text: str) -> None:
            """Answer the last reply: over its sample while the sample plays (barge-in), else once the
            assistant is quiet, as a polite person would."""
            assert loop.result is not None
            turns = loop.result.turns
            turns_before = len(turns)
            speech = espeak(text, audio_dir, voice="en-us+f2").padded(0.2)  # ready before the moment comes
            if turns and turns[-1].reply.action == "play_sample":
                wait_until(lambda: loop.playing("clip"), "the sample never started")
                time.sleep(0.5)  # the person listens a moment before talking over the sample
            else:
                wait_until(lambda: not loop.busy(), "the assistant never went quiet")
            pulse.play_into_microphone(speech)
            # The loop records the turn once the reply is queued (its first sentence playing, the rest
            # being prepared); the next polite answer waits for all of it to be played.
            wait_until(lambda: len(turns) > turns_before or manager.done, f"no reply to {text!r}")

        for text in ("help me find music", "something upbeat", "rock"):
            say(text)
        # "yes" to what follows: a confirmation ("Rock, did I get that right?") when the recognizer was
        # unsure, then the sample, which the yes interrupts and accepts.
        answers = 0
        while not manager.done and answers < 3:
            say("yes")
            answers += 1
        thread.join(timeout=60)
        assert not thread.is_alive(), "the conversation did not end after the yes"
    player.close()
    captured = recording.stop()
    result = outcome["result"]
    assert result.transcript.status == "accepted"
    heard = [t.heard.text for t in result.turns]
    assert heard[1:] == ["something upbeat", "rock", *["yes"] * answers][-len(heard) + 1 :]
    pairs = zip(result.turns[1:], result.turns, strict=False)
    over_a_sample = [turn for turn, before in pairs if before.reply.action == "play_sample"]
    assert over_a_sample, "no sample was played to talk over"
    assert all(turn.barged_in for turn in over_a_sample)  # each answer given over a sample stopped it
    latencies = [t.timing.live_latency for t in result.turns if t.timing.live_latency is not None]
    # How soon each reply was heard is measured by benchmarks/bench_voice.py, not asserted here.
    assert latencies
    report(
        "PulseAudio end to end: end of speech -> first reply audio "
        + ", ".join(f"{x:.2f}" for x in latencies)
        + " s"
    )
    # What the speaker played: the first reply, audible for its length and recognized back.
    replies = [t.reply.text for t in result.turns]
    sentences = [part for reply in replies for part in re.split(r"(?<=[.?!])\s+", reply)]
    knowing = SphinxRecognizer(build_vocabulary({"command": sentences}, core={})).load()
    length = Pyttsx3Synthesizer().synthesize(replies[0], result.turns[0].reply.empathy).duration
    # Pauses between the sentences of one reply are shorter than a second; a stray click is no speech.
    region = split_utterances(captured, VadConfig(endpoint_seconds=1.0, min_level_db=-45))[0]
    assert region.duration == pytest.approx(length, abs=0.6)
    heard_back = recognize(knowing, region.samples, region.rate).text
    errors, words = word_errors(spoken_form(replies[0]), heard_back)
    report(f"first reply {replies[0]!r} came back from the speaker as {heard_back!r}")
    assert errors / words <= 0.4
