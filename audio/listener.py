"""Speech in, the seam the voice loop talks to: `listen()` returns what the person said and how.

SpeechListener joins an audio input (microphone or file), the voice-activity segmenter, a streaming
recognizer and the prosody tracker: blocks go to the recognizer while the person is still talking
(partials shown), the utterance ends at the segmenter's endpoint or the recognizer's own, and the result
carries text, confidence, relative loudness and pitch. ScriptedListener is the fake.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

import numpy as np

from audio.asr import Recognition, RecognitionStream, Recognizer, StreamUpdate
from audio.errors import RecognizerError
from audio.microphone import AudioInput
from audio.prosody import ProsodyTracker
from audio.vad import (
    SpeechAudio,
    SpeechEnded,
    SpeechStarted,
    Utterance,
    VadConfig,
    VadEvent,
    VoiceActivitySegmenter,
    frame_levels_db,
)
from audio.vocabulary import TurnEnds

__all__ = ["Heard", "Listener", "ScriptedListener", "SpeechListener"]


@dataclass(frozen=True)
class Heard:
    """One turn of speech, recognized."""

    text: str
    confidence: float
    engine: str = ""
    loudness: float | None = None
    """Relative to the speaker's usual level (1.0 = usual); None when not measured."""
    pitch: float | None = None
    reason: str = "silence"
    """How the utterance ended: "silence" (the segmenter's long endpoint), "partial" (a short pause after a
    whole request), "recognizer" (its own endpointer), "max-length", "end-of-input"; "timeout" when
    nobody spoke within the time allowed (text is then "")."""
    partials: tuple[str, ...] = ()
    audio_seconds: float = 0.0
    decode_seconds: float = 0.0
    speech_end: float | None = None
    """When the person stopped speaking, on the input's clock (time.monotonic() for a live input)."""
    endpoint_at: float = 0.0
    """time.monotonic() when the end of the utterance was detected."""
    recognized_at: float = 0.0
    """time.monotonic() when the final text was ready."""


@runtime_checkable
class Listener(Protocol):
    def listen(
        self,
        *,
        timeout: float | None = None,
        on_start: Callable[[], None] | None = None,
        on_partial: Callable[[str], None] | None = None,
        guard: Callable[[], bool] | None = None,
        discard_before: float | None = None,
    ) -> Heard | None:
        """Wait for the next utterance. None when the input has ended.

        timeout: seconds (input clock) with nobody speaking before giving up with reason "timeout".
        on_start: called the moment speech starts (barge-in stops the assistant's audio here).
        on_partial: called with each new partial hypothesis.
        guard: returns True while the assistant itself is audible; speech must then be clearly louder
            to count, so the assistant's own voice leaking into the microphone does not interrupt it.
        discard_before: ignore input captured before this time (input clock), e.g. while the assistant
            spoke with barge-in off.
        """
        ...


class SpeechListener:
    def __init__(
        self,
        source: AudioInput,
        recognizer: Recognizer,
        vad: VadConfig | None = None,
        prosody: ProsodyTracker | None = None,
        *,
        use_recognizer_endpoint: bool = True,
        echo_margin_db: float = 12.0,
        room_margin_db: float | None = 12.0,
        hangover_seconds: float | None = 0.2,
        stable_seconds: float = 0.1,
        turn_ends: TurnEnds | None = None,
        speaker: str = "default",
    ) -> None:
        self.source = source
        self.recognizer = recognizer
        self.vad = vad or VadConfig(rate=recognizer.rate)
        self.segmenter = VoiceActivitySegmenter(self.vad)
        self.prosody = prosody or ProsodyTracker()
        self.use_recognizer_endpoint = use_recognizer_endpoint
        self.echo_margin_db = echo_margin_db
        self.room_margin_db = room_margin_db
        self.hangover_seconds = hangover_seconds
        """A pause this long ends the turn when the words so far make a whole request and the recognizer
        has stopped changing its mind (`stable_seconds`); otherwise the segmenter's longer endpoint
        (VadConfig.endpoint_seconds) decides. None: only the segmenter and the recognizer's own endpoint."""
        self.stable_seconds = stable_seconds
        vocabulary = getattr(recognizer, "vocabulary", None)
        if turn_ends is None and vocabulary is not None and hangover_seconds is not None:
            turn_ends = TurnEnds.for_vocabulary(vocabulary)
        self.turn_ends = turn_ends
        self.speaker = speaker
        self._leftover: list[VadEvent] = []
        self.ignored = 0
        """Utterances that produced no words (coughs, door slams): skipped, not turned into turns."""

    def listen(
        self,
        *,
        timeout: float | None = None,
        on_start: Callable[[], None] | None = None,
        on_partial: Callable[[str], None] | None = None,
        guard: Callable[[], bool] | None = None,
        discard_before: float | None = None,
    ) -> Heard | None:
        stream: RecognitionStream | None = None
        began: float | None = None
        last_partial = ""
        changed_at = 0.0
        while True:
            if self._leftover:
                events, self._leftover = self._leftover, []
                ended = False
            else:
                block = self.source.read(0.1)
                if block is None:
                    events, ended = self.segmenter.flush(), True
                elif discard_before is not None and block.t < discard_before and not self.segmenter.in_speech:
                    continue
                else:
                    if began is None:
                        began = block.t
                    self.segmenter.boost_db = self.echo_margin_db if (guard is not None and guard()) else 0.0
                    events, ended = self.segmenter.push(block.samples, block.t), False
                    if (
                        timeout is not None
                        and stream is None
                        and not self.segmenter.in_speech
                        and block.t - began >= timeout
                    ):
                        return Heard(
                            "",
                            0.0,
                            self.recognizer.name,
                            reason="timeout",
                            endpoint_at=time.monotonic(),
                            recognized_at=time.monotonic(),
                        )
            for index, event in enumerate(events):
                utterance: Utterance | None = None
                if isinstance(event, SpeechStarted):
                    stream = self._open()
                    if on_start is not None:
                        on_start()
                    self._feed(stream, event.audio)
                elif isinstance(event, SpeechAudio) and stream is not None:
                    update = self._feed(stream, event.audio)
                    if update.partial and update.partial != last_partial:
                        last_partial = update.partial
                        changed_at = self.segmenter.clock
                        if on_partial is not None:
                            on_partial(update.partial)
                    cut = None
                    if update.endpoint and self.use_recognizer_endpoint:
                        cut = "recognizer"
                    elif self._turn_complete(last_partial, changed_at):
                        cut = "partial"
                    if cut is not None:
                        utterance = self.segmenter.cut(cut)
                        # Anything after this event belongs to the next utterance.
                        rest: list[SpeechStarted | SpeechAudio | SpeechEnded] = [
                            e for e in events[index + 1 :] if not isinstance(e, SpeechAudio | SpeechEnded)
                        ]
                        self._leftover = rest
                elif isinstance(event, SpeechEnded):
                    utterance = event.utterance
                    self._leftover = list(events[index + 1 :])
                if utterance is not None and stream is not None:
                    heard = self._finish(stream, utterance)
                    stream, last_partial = None, ""
                    if heard.text:
                        return heard
                    self.ignored += 1
                    break
            if ended and not self._leftover:
                return None

    def _open(self) -> RecognitionStream:
        try:
            return self.recognizer.stream()
        except RecognizerError:
            raise
        except Exception as exc:
            raise RecognizerError(
                "recognizer-failed", f"{self.recognizer.name} failed to start: {exc}"
            ) from exc

    @staticmethod
    def _feed(stream: RecognitionStream, audio: np.ndarray) -> StreamUpdate:
        try:
            return stream.accept(audio)
        except Exception as exc:
            raise RecognizerError("recognizer-failed", f"recognition failed: {exc}") from exc

    def _turn_complete(self, partial: str, changed_at: float) -> bool:
        """A short pause after a whole request: the person has finished (see hangover_seconds)."""
        if self.hangover_seconds is None or self.turn_ends is None or not partial:
            return False
        segmenter = self.segmenter
        if segmenter.trailing_silence < self.hangover_seconds:
            return False
        if segmenter.clock - changed_at < self.stable_seconds:
            return False
        return self.turn_ends.can_end(partial)

    def _drop_room_words(self, result: Recognition, utterance: Utterance) -> Recognition:
        """Drop words no louder than the room. In a café the recognizer also hears the other tables, and
        turns their murmur before and after the request into words ("yes hip hop" for "yes"); words whose
        audio does not stand `room_margin_db` above the tracked noise floor, the bar the segmenter sets for
        speech, are not the person's. Needs word times (both recognizers give them)."""
        if self.room_margin_db is None or not result.words or utterance.noise_floor_db < -80.0:
            return result
        rate = utterance.rate
        step = max(1, rate // 100)
        levels = frame_levels_db(utterance.samples, step)
        if len(levels) == 0:
            return result
        kept = []
        for word in result.words:
            span = levels[
                int(word.start * 100) : max(int(word.start * 100) + 1, int(np.ceil(word.end * 100)))
            ]
            loud = float(np.percentile(span, 90)) if len(span) else -120.0
            if loud >= utterance.noise_floor_db + self.room_margin_db:
                kept.append(word)
        if len(kept) == len(result.words):
            return result
        return replace(result, text=" ".join(w.word for w in kept), words=tuple(kept))

    def _finish(self, stream: RecognitionStream, utterance: Utterance) -> Heard:
        endpoint_at = time.monotonic()
        try:
            result = stream.finish()
        except Exception as exc:
            raise RecognizerError("recognizer-failed", f"recognition failed: {exc}") from exc
        result = self._drop_room_words(result, utterance)
        loudness = pitch = None
        if result.text:
            measured = self.prosody.measure(utterance.samples, utterance.rate, utterance.voiced, self.speaker)
            loudness, pitch = round(measured.loudness, 4), round(measured.pitch, 4)
        return Heard(
            text=result.text,
            confidence=round(result.confidence, 4),
            engine=self.recognizer.name,
            loudness=loudness,
            pitch=pitch,
            reason=utterance.reason,
            partials=result.partials,
            audio_seconds=result.audio_seconds,
            decode_seconds=result.decode_seconds,
            speech_end=utterance.speech_end,
            endpoint_at=endpoint_at,
            recognized_at=time.monotonic(),
        )


@dataclass
class ScriptedListener:
    """A fake listener: hands out scripted turns, then None. Records the arguments of each call.

    A str is heard with confidence 1.0; a Heard is returned as is. With `barge_in`, on_start is called
    before returning, as a real listener does when someone speaks over the assistant."""

    turns: Sequence[Heard | str]
    barge_in: bool = False
    calls: list[dict[str, object]] = field(default_factory=list)
    _next: int = 0

    def listen(
        self,
        *,
        timeout: float | None = None,
        on_start: Callable[[], None] | None = None,
        on_partial: Callable[[str], None] | None = None,
        guard: Callable[[], bool] | None = None,
        discard_before: float | None = None,
    ) -> Heard | None:
        self.calls.append(
            {
                "timeout": timeout,
                "guarded": guard() if guard is not None else None,
                "discard_before": discard_before,
            }
        )
        if self._next >= len(self.turns):
            return None
        turn = self.turns[self._next]
        self._next += 1
        if self.barge_in and on_start is not None:
            on_start()
        if isinstance(turn, str):
            now = time.monotonic()
            return Heard(
                turn,
                1.0 if turn else 0.0,
                "scripted",
                reason="silence" if turn else "timeout",
                speech_end=now,
                endpoint_at=now,
                recognized_at=now,
            )
        return turn
