"""The voice loop with every hardware end swapped for a fake, around the real dialogue manager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.events import AsrResult, ErrorEvent, TurnStarted
from assistant.music.catalog import Catalog, Track
from audio.errors import SpeechError
from audio.listener import Heard, ScriptedListener
from audio.player import RecordingPlayer
from audio.sound import Sound
from audio.tts import RecordingSynthesizer
from audio.voice_loop import GOODBYE_SILENT, VoiceLoop, split_sentences

REQUEST = ["help me find music", "something upbeat", "rock", "yes"]


def heard(text: str, confidence: float = 0.9, loudness: float = 1.0, pitch: float = 1.0) -> Heard:
    return Heard(
        text, confidence, "fake", loudness, pitch, speech_end=0.0, endpoint_at=0.0, recognized_at=0.0
    )


class Clips:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, track: Track) -> Sound:
        self.asked.append(track.id)
        return Sound.silence(2.0, 8000)


def run_loop(
    manager: Any, listener: Any, **options: Any
) -> tuple[Any, RecordingPlayer, RecordingSynthesizer, Clips]:
    player = options.pop("player", RecordingPlayer())
    synthesizer = options.pop("synthesizer", RecordingSynthesizer())
    clips = Clips()
    loop = VoiceLoop(manager, listener, synthesizer, player, clips=clips, emit=manager.emit, **options)
    return loop.run(), player, synthesizer, clips


def test_a_spoken_request_ends_accepted_with_speech_then_clip(
    tiny_catalog: Catalog, make_manager: Callable
) -> None:
    manager, recorder = make_manager(tiny_catalog)
    result, player, synthesizer, clips = run_loop(manager, ScriptedListener([heard(t) for t in REQUEST]))
    assert result.transcript.status == "accepted"
    # Each reply is spoken sentence by sentence, in order; a sample is introduced, its clip plays, and only
    # then is it asked about ("Did you like it?").
    turns = result.transcript.turns[1::2]
    said = [
        part
        for t in turns
        for part in (*split_sentences(t["text"]), *([t["question"]] if t.get("question") else []))
    ]
    assert [text for text, _ in synthesizer.said] == said
    assert any(len(split_sentences(t["text"])) > 1 for t in turns)
    questions = [t["question"] for t in turns if t.get("question")]
    assert questions, "a sample was played and asked about"
    kinds = [kind for kind, _ in player.played]
    assert kinds.count("speech") == len(synthesizer.said)
    # Every clip comes right after the speech that introduces it and before its question; the accepted
    # track plays last.
    assert all(kinds[i - 1] == "speech" for i, k in enumerate(kinds) if k == "clip")
    assert all(kinds[i + 1] == "speech" for i, k in enumerate(kinds[:-1]) if k == "clip")
    assert kinds[-2:] == ["speech", "clip"]
    assert clips.asked[-1] == result.transcript.track["id"]
    # The recognizer's view of each turn goes into the event stream before the dialogue's.
    asr = recorder.of(AsrResult)
    assert [e.text for e in asr] == REQUEST
    assert [e.turn for e in asr] == [e.turn for e in recorder.of(TurnStarted)]
    assert result.transcript.turns[0]["asr"]["confidence"] == 0.9


def test_low_recognition_confidence_is_confirmed_before_use(
    tiny_catalog: Catalog, make_manager: Callable
) -> None:
    manager, _ = make_manager(tiny_catalog)
    result, _, _, _ = run_loop(manager, ScriptedListener([heard("help me find music"), heard("jazz", 0.2)]))
    reply = result.turns[-1].reply
    assert reply.action == "confirm"
    assert "jazz" in reply.text.lower()


def test_saying_it_louder_and_higher_counts_as_more_enthusiastic(
    tiny_catalog: Catalog, make_manager: Callable
) -> None:
    feelings = []
    for loudness, pitch in ((1.0, 1.0), (2.0, 1.3)):
        manager, _ = make_manager(tiny_catalog)
        turns = [
            heard("help me find music"),
            heard("rock"),
            heard("something upbeat"),
            heard("i like it", loudness=loudness, pitch=pitch),
        ]
        run_loop(manager, ScriptedListener(turns))
        feelings.append(manager.state.sentiments[-1])
    assert feelings[1] > feelings[0] > 0


def test_speaking_over_the_assistant_stops_its_audio(tiny_catalog: Catalog, make_manager: Callable) -> None:
    manager, _ = make_manager(tiny_catalog)
    player = RecordingPlayer(hold=True)
    scripted = ScriptedListener([heard(t) for t in REQUEST[:3]], barge_in=True)
    queued_before: list[int] = []

    class Counting:
        """Notes how many sounds had been queued when each turn's speech began."""

        def listen(self, **options: Any) -> Heard | None:
            start = options["on_start"]

            def on_start() -> None:
                queued_before.append(len(player.handles))
                start()

            return scripted.listen(**{**options, "on_start": on_start})

    result, _, _, _ = run_loop(manager, Counting(), player=player)
    assert [t.barged_in for t in result.turns] == [False, True, True]
    # Everything queued before the last barge-in was stopped (nothing more of those replies was queued
    # after it); the last reply played out at the end.
    last = queued_before[-1]
    assert last >= 2 and all(h.stopped for h in player.handles[:last])
    assert player.handles[last:] and not any(h.stopped for h in player.handles[last:])
    assert scripted.calls[1]["guarded"] is True  # the listener knew the assistant was audible


def test_without_barge_in_the_loop_waits_and_ignores_what_was_heard_meanwhile(
    tiny_catalog: Catalog, make_manager: Callable
) -> None:
    manager, _ = make_manager(tiny_catalog)
    listener = ScriptedListener([heard(t) for t in REQUEST])
    player = RecordingPlayer(hold=True)
    result, _, _, _ = run_loop(manager, listener, barge_in=False, live=True, player=player)
    assert result.transcript.status == "accepted"
    assert all(call["guarded"] is None for call in listener.calls)
    assert all(call["discard_before"] is not None for call in listener.calls[1:])
    assert not any(h.stopped for h in player.handles)


def test_silence_is_asked_about_then_the_conversation_ends(
    tiny_catalog: Catalog, make_manager: Callable
) -> None:
    manager, _ = make_manager(tiny_catalog)
    silent = Heard("", 0.0, "fake", reason="timeout")
    result, _, synthesizer, _ = run_loop(
        manager, ScriptedListener([heard("help me find music"), silent, silent, silent]), max_silences=2
    )
    assert result.transcript.status == "unfinished"
    assert synthesizer.said[-1] == (GOODBYE_SILENT, "supportive")
    assert len(result.turns) == 3  # two silences were turns the assistant answered; the third ended it


def test_the_end_of_the_audio_in_file_leaves_the_conversation_unfinished(
    tiny_catalog: Catalog, make_manager: Callable
) -> None:
    manager, _ = make_manager(tiny_catalog)
    result, _, _, _ = run_loop(manager, ScriptedListener([heard("help me find music")]))
    assert result.transcript.status == "unfinished"


class BrokenVoice:
    name = "broken"

    def synthesize(self, text: str, empathy: str = "neutral") -> Sound:
        raise SpeechError("tts-failed", "the voice broke")


def test_a_synthesis_failure_is_reported_and_the_conversation_goes_on(
    tiny_catalog: Catalog, make_manager: Callable
) -> None:
    manager, recorder = make_manager(tiny_catalog)
    result, player, _, _ = run_loop(
        manager, ScriptedListener([heard(t) for t in REQUEST]), synthesizer=BrokenVoice()
    )
    assert result.transcript.status == "accepted"
    errors = recorder.of(ErrorEvent)
    assert {(e.stage, e.code) for e in errors} == {("speak", "tts-failed")}
    assert all(kind == "clip" for kind, _ in player.played)


def test_replies_are_voiced_with_their_empathy_level(tiny_catalog: Catalog, make_manager: Callable) -> None:
    manager, _ = make_manager(tiny_catalog)
    result, _, synthesizer, _ = run_loop(manager, ScriptedListener([heard(t) for t in REQUEST]))
    # Sentence by sentence, each at its reply's level; a sample's question after its clip too.
    levels = [
        e
        for t in result.turns
        for e in [t.reply.empathy] * (len(split_sentences(t.reply.text)) + (1 if t.reply.question else 0))
    ]
    assert [e for _, e in synthesizer.said] == levels
