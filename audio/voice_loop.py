"""The spoken conversation: listen -> dialogue step -> speak -> play the clip, with barge-in.

The loop owns no hardware: it gets a listener, a synthesizer, a player and a clip loader, so tests swap
any end for a fake. It passes the recognizer's confidence and the utterance's relative loudness and pitch
to the dialogue manager, which owns confirmations and sentiment.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.dialogue.replay import Transcript
from assistant.events import AsrResult, ErrorEvent, EventSink
from assistant.music.catalog import Track
from audio.errors import AudioError, PlaybackError, SpeechError
from audio.listener import Heard, Listener
from audio.player import Player, Playing
from audio.sound import Sound
from audio.tts import Synthesizer

__all__ = ["TurnTiming", "VoiceLoop", "VoiceResult", "VoiceTurn", "split_sentences"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def split_sentences(text: str) -> list[str]:
    """A reply in the pieces it is spoken in: sentences, split after '.', '!' or '?' and a space.
    ("Upbeat rock, got it. How about this?" -> two; "Mr. Blue Sky" would split too, which only costs a
    pause a few milliseconds long.)"""
    return [part for part in _SENTENCE_END.split(text.strip()) if part] or [text]


GOODBYE_SILENT = "I haven't heard anything for a while, so I'll stop here. Talk to you later!"
JUDGE_SECONDS = 8.0
"""How much of a sample is played before its question ("Did you like it?") is asked: long enough to judge
(the synthesized previews are this long), and a longer preview is cut here, since the player plays one
sound after another and the question waits for the clip."""


@dataclass
class TurnTiming:
    """Where the time goes between the end of the person's speech and the first sound of the reply."""

    speech_end: float | None
    """When the person stopped speaking (input clock; time.monotonic() for live input)."""
    endpoint_at: float
    recognized_at: float
    replied_at: float
    synthesized_at: float
    first_audio_at: float | None = None
    """time.monotonic() when the reply's first sample is heard (estimated at the output device)."""
    audio_seconds: float = 0.0
    decode_seconds: float = 0.0

    @property
    def live_latency(self) -> float | None:
        """End of speech -> first reply audio, for a live input (both on time.monotonic())."""
        if self.first_audio_at is None or self.speech_end is None:
            return None
        return self.first_audio_at - self.speech_end

    @property
    def processing_latency(self) -> float | None:
        """End detected -> first reply audio: recognition, dialogue, synthesis and output buffering."""
        return None if self.first_audio_at is None else self.first_audio_at - self.endpoint_at


@dataclass
class VoiceTurn:
    heard: Heard
    reply: Any
    """assistant.dialogue.manager.Reply"""
    timing: TurnTiming
    barged_in: bool = False
    """This utterance started while the assistant was still audible, and stopped its speech or clip."""


@dataclass
class VoiceResult:
    transcript: Transcript
    turns: list[VoiceTurn] = field(default_factory=list)
    errors: list[AudioError] = field(default_factory=list)


def _noop(_event: object) -> None:
    return None


class VoiceLoop:
    def __init__(
        self,
        manager: Any,
        listener: Listener,
        synthesizer: Synthesizer,
        player: Player,
        *,
        clips: Callable[[Track], Sound] | None = None,
        emit: EventSink | None = None,
        live: bool = True,
        barge_in: bool = True,
        listen_timeout: float | None = 10.0,
        max_silences: int = 2,
        greeting: str | None = None,
        on_turn: Callable[[Heard, Any], None] | None = None,
        on_partial: Callable[[str], None] | None = None,
        by_sentence: bool = True,
    ) -> None:
        self.manager = manager
        self.listener = listener
        self.synthesizer = synthesizer
        self.player = player
        self.clips = clips
        self.emit: EventSink = emit or _noop
        self.live = live
        self.barge_in = barge_in
        self.listen_timeout = listen_timeout
        self.max_silences = max_silences
        self.greeting = greeting
        self.on_turn = on_turn
        self.on_partial = on_partial
        self.by_sentence = by_sentence
        """Speak the first sentence as soon as it is synthesized (False: the whole reply first, then the
        clip, all before listening again: the loop before this change, kept for the benchmark)."""
        self._active: list[Playing] = []
        self._barged = False
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        """Guards _active: the reply worker queues sounds while the listener's thread checks them."""
        self._cancel = threading.Event()
        self.result: VoiceResult | None = None

    # -- audio out ----------------------------------------------------------------------------------
    def audible(self) -> bool:
        """Whether the assistant's speech or a clip is playing right now."""
        return self._audible()

    def busy(self) -> bool:
        """Whether the assistant is audible or still preparing the rest of its reply (the next sentence,
        the clip, the question after it): someone waiting politely for their turn waits for False."""
        return self._audible() or self._preparing()

    def silence(self) -> None:
        """Stop whatever the assistant is playing or about to play (e.g. when the window closes)."""
        self._cancel.set()
        with self._lock:
            handles = list(self._active)
        for handle in handles:
            handle.stop()

    def playing(self, kind: str) -> bool:
        with self._lock:
            return any(h.kind == kind and not h.done for h in self._active)

    def _audible(self) -> bool:
        with self._lock:
            return any(not h.done for h in self._active)

    def _interrupt(self) -> None:
        """Barge-in: the person started speaking; whatever the assistant is playing stops now, and what
        it was still preparing to say (the rest of the reply, the clip) is not queued."""
        if self.barge_in and (self._audible() or self._preparing()):
            self._barged = True
            self._cancel.set()
            with self._lock:
                handles = list(self._active)
            for handle in handles:
                handle.stop()

    def _preparing(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def _finish_preparing(self) -> None:
        """Wait for the previous reply's worker: its sounds are queued before anything new."""
        if self._worker is not None:
            self._worker.join()
            self._worker = None

    def _say(self, text: str, empathy: str, turn: int, result: VoiceResult) -> Playing | None:
        self._finish_preparing()
        try:
            speech = self.synthesizer.synthesize(text, empathy)
        except SpeechError as exc:
            self._error(exc, turn, result)
            return None
        return self._play(speech, "speech", turn, result)

    def _play(
        self, sound: Sound, kind: str, turn: int, result: VoiceResult, cancel: threading.Event | None = None
    ) -> Playing | None:
        # Checked and queued under the lock that barge-in takes to stop everything queued, so a sound the
        # worker prepared is either queued before the stop (and stopped) or not queued at all.
        with self._lock:
            if cancel is not None and cancel.is_set():
                return None
            try:
                handle = self.player.play(sound, kind)
            except PlaybackError as exc:
                failed: PlaybackError | None = exc
            else:
                self._active.append(handle)
                return handle
        if failed is not None:
            self._error(failed, turn, result)
        return None

    def _error(self, exc: AudioError, turn: int, result: VoiceResult) -> None:
        result.errors.append(exc)
        self.emit(ErrorEvent(self.manager.conversation_id, turn, str(exc.stage), exc.code, exc.message))

    def _wait_quiet(self) -> float:
        self._finish_preparing()
        with self._lock:
            waiting = list(self._active)
        for handle in waiting:
            handle.wait(timeout=handle.sound.duration + 10.0)
        with self._lock:
            self._active = [h for h in self._active if not h.done]
        return time.monotonic()

    # -- the conversation ---------------------------------------------------------------------------
    def run(self) -> VoiceResult:
        manager = self.manager
        result = VoiceResult(Transcript(manager.conversation_id, manager.policy.name))
        self.result = result  # readable while the conversation runs (progress, tests)
        if self.greeting:
            self._say(self.greeting, "neutral", 0, result)
        silences = 0
        try:
            while not manager.done:
                heard = self._listen()
                if heard is None:  # the input ended (end of the audio-in file)
                    manager.finish()
                    break
                if heard.reason == "timeout":
                    silences += 1
                    if silences > self.max_silences:
                        manager.finish()
                        self._say(GOODBYE_SILENT, "supportive", manager.state.turn, result)
                        break
                else:
                    silences = 0
                self._turn(heard, result)
        finally:
            self._wait_quiet()
        return result

    def _listen(self) -> Heard | None:
        with self._lock:
            self._active = [h for h in self._active if not h.done]
        discard_before = None
        if not self.barge_in and (self._active or self._preparing()):
            # Without barge-in, wait until the assistant is quiet and ignore what the microphone heard
            # meanwhile (mostly the assistant itself, on a laptop without echo cancellation).
            quiet = self._wait_quiet()
            discard_before = quiet if self.live else None
        self._barged = False
        return self.listener.listen(
            timeout=self.listen_timeout,
            on_start=self._interrupt,
            on_partial=self.on_partial,
            guard=self._audible if self.barge_in else None,
            discard_before=discard_before,
        )

    def _turn(self, heard: Heard, result: VoiceResult) -> None:
        manager = self.manager
        turn = manager.state.turn + 1
        if heard.text:
            self.emit(
                AsrResult(
                    manager.conversation_id,
                    turn,
                    heard.text,
                    heard.confidence,
                    heard.engine,
                    heard.loudness,
                    heard.pitch,
                )
            )
        barged = self._barged
        reply = manager.step(
            heard.text,
            asr_confidence=heard.confidence if heard.text else None,
            loudness=heard.loudness,
            pitch=heard.pitch,
        )
        replied_at = time.monotonic()
        result.transcript.add(heard.text, reply)
        user_entry = result.transcript.turns[-2]
        user_entry["asr"] = {
            "engine": heard.engine,
            "confidence": heard.confidence,
            "loudness": heard.loudness,
            "pitch": heard.pitch,
            "ended_by": heard.reason,
        }
        if self.on_turn is not None:
            self.on_turn(heard, reply)
        # The first sentence is synthesized and queued at once; the rest of the reply and the sample's
        # clip are prepared on a worker while it plays, so the first sound waits for one sentence only.
        self._finish_preparing()
        self._cancel = threading.Event()
        sentences = split_sentences(reply.text) if self.by_sentence else [reply.text]
        question = getattr(reply, "question", "")
        try:
            speech = self.synthesizer.synthesize(sentences[0], reply.empathy)
        except SpeechError as exc:
            self._error(exc, turn, result)
            speech = None
        synthesized_at = time.monotonic()
        handle = self._play(speech, "speech", turn, result) if speech is not None else None
        track = (
            reply.sample
            if reply.sample is not None and (reply.action == "play_sample" or reply.done)
            else None
        )
        if not self.by_sentence:
            self._prepare_rest([], reply.empathy, track, turn, result, self._cancel, question)
        elif len(sentences) > 1 or question or (track is not None and self.clips is not None):
            self._worker = threading.Thread(
                target=self._prepare_rest,
                args=(sentences[1:], reply.empathy, track, turn, result, self._cancel, question),
                name="tunetalk-reply",
                daemon=True,
            )
            self._worker.start()
        timing = TurnTiming(
            speech_end=heard.speech_end,
            endpoint_at=heard.endpoint_at,
            recognized_at=heard.recognized_at,
            replied_at=replied_at,
            synthesized_at=synthesized_at,
            audio_seconds=heard.audio_seconds,
            decode_seconds=heard.decode_seconds,
        )
        voice_turn = VoiceTurn(heard, reply, timing, barged)
        result.turns.append(voice_turn)
        if handle is not None:
            self._note_start(handle, timing)

    def _prepare_rest(
        self,
        sentences: list[str],
        empathy: str,
        track: Track | None,
        turn: int,
        result: VoiceResult,
        cancel: threading.Event,
        question: str = "",
    ) -> None:
        """Synthesize and queue the rest of a reply, then its clip (at most JUDGE_SECONDS of it), then the
        sample's question, so it is asked once the sample has been heard; stop queuing on barge-in (the
        person has answered already)."""
        for sentence in sentences:
            if cancel.is_set():
                return
            self._speak_queued(sentence, empathy, turn, result, cancel)
        if track is not None and self.clips is not None and not cancel.is_set():
            try:
                clip: Sound | None = self.clips(track)
            except Exception as exc:
                self._error(PlaybackError("clip-failed", f"no clip for {track.id}: {exc}"), turn, result)
                clip = None
            if clip is not None:
                if clip.duration > JUDGE_SECONDS:
                    clip = Sound(clip.samples[: int(JUDGE_SECONDS * clip.rate)], clip.rate)
                self._play(clip, "clip", turn, result, cancel)
        if question and not cancel.is_set():
            self._speak_queued(question, empathy, turn, result, cancel)

    def _speak_queued(
        self, text: str, empathy: str, turn: int, result: VoiceResult, cancel: threading.Event
    ) -> None:
        try:
            sound = self.synthesizer.synthesize(text, empathy)
        except SpeechError as exc:
            self._error(exc, turn, result)
            return
        self._play(sound, "speech", turn, result, cancel)

    @staticmethod
    def _note_start(handle: Playing, timing: TurnTiming, wait: float = 2.0) -> None:
        """Record when the reply became audible (the device sets it from its callback, moments later)."""
        deadline = time.monotonic() + wait
        while handle.started_at is None and not handle.done and time.monotonic() < deadline:
            time.sleep(0.002)
        timing.first_audio_at = handle.started_at
