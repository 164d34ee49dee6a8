"""Voice-activity detection: cuts a stream of samples into utterances (start, endpoint, time-outs).

Shared by the microphone and the audio-in file so both segment speech exactly alike. Each 30 ms frame is
judged by WebRTC's voice-activity detector (webrtcvad, a GMM over sub-band energies that tells voice from
noise) and must also stand out from the noise floor, which is tracked while nobody speaks, so a fan or a
hiss raises the bar instead of counting as speech. Without webrtcvad, or with `detector="energy"`, the
level test alone decides (the segmenter before it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "SpeechAudio",
    "SpeechEnded",
    "SpeechStarted",
    "Utterance",
    "VadConfig",
    "VadEvent",
    "VoiceActivitySegmenter",
    "frame_levels_db",
]


@dataclass(frozen=True)
class VadConfig:
    rate: int = 16000
    frame_seconds: float = 0.03
    start_seconds: float = 0.09
    """Voiced time, within the last few frames, needed before speech counts as started (ignores clicks)."""
    endpoint_seconds: float = 0.6
    """Trailing silence that ends an utterance whatever the recognizer thinks: what splits turns when a
    sentence is not yet complete ("play something like ..."). The listener ends complete sentences
    sooner (`SpeechListener.hangover_seconds`)."""
    detector: str = "webrtc"
    """"webrtc" (webrtcvad and the level test) or "energy" (the level test alone)."""
    aggressiveness: int = 3
    """webrtcvad's mode, 0 (keeps most) to 3 (drops most non-speech)."""
    preroll_seconds: float = 0.3
    """Audio kept from before the start was detected, so the first consonant is not cut."""
    tail_seconds: float = 0.15
    """Silence kept after the last voiced frame (recognizers like a little)."""
    max_utterance_seconds: float = 15.0
    threshold_db: float = 12.0
    """How far above the tracked noise floor a frame must be to count as voiced."""
    min_level_db: float = -48.0
    """Whatever the floor, quieter frames (dBFS) are never speech."""
    floor_rise_db_per_second: float = 3.0
    """How fast the floor estimate creeps up in steady noise; it falls at once to any quieter frame."""
    calibration_seconds: float = 0.3
    """The start of an input only measures the room: its quietest frame becomes the floor, so a room that
    is noisy from the first sample (a café) is not taken for someone talking. Speech that starts at once
    is still kept whole: these frames stay in the pre-roll."""
    initial_floor_db: float = -50.0
    """The floor starts no higher than this, so input that begins with speech is still heard as speech."""


@dataclass(frozen=True, eq=False)
class Utterance:
    """One stretch of speech cut from the input."""

    samples: np.ndarray
    rate: int
    start: float
    """Time (input clock, seconds) of the first sample kept, pre-roll included."""
    speech_end: float
    """Time the last voiced frame ended: 'the end of the person's speech'."""
    endpoint: float
    """Time the end was declared (speech_end + the trailing silence waited for)."""
    reason: str
    """"silence" (endpoint), "max-length", "end-of-input", or "recognizer" (the recognizer's own endpoint)."""
    voiced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Per-frame voiced flags over `samples` (frame_seconds each), for prosody over speech only."""
    noise_floor_db: float = -90.0

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.rate)


@dataclass(frozen=True, eq=False)
class SpeechStarted:
    at: float
    audio: np.ndarray
    """Pre-roll and the frames that triggered the start."""


@dataclass(frozen=True, eq=False)
class SpeechAudio:
    audio: np.ndarray


@dataclass(frozen=True, eq=False)
class SpeechEnded:
    utterance: Utterance


VadEvent = SpeechStarted | SpeechAudio | SpeechEnded


def frame_levels_db(samples: np.ndarray, frame: int) -> np.ndarray:
    """Mean-square level of each whole frame, in dB relative to full scale."""
    n = len(samples) // frame
    if n == 0:
        return np.zeros(0)
    x = np.asarray(samples[: n * frame], dtype=np.float64).reshape(n, frame)
    return 10.0 * np.log10(np.mean(x * x, axis=1) + 1e-12)


class VoiceActivitySegmenter:
    """Feed samples with `push`; get start / audio / end events. Stateful, one per input stream."""

    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        c = self.config
        self.frame = max(1, round(c.frame_seconds * c.rate))
        self._start_frames = max(1, round(c.start_seconds / c.frame_seconds))
        self._end_frames = max(1, round(c.endpoint_seconds / c.frame_seconds))
        self._tail_frames = round(c.tail_seconds / c.frame_seconds)
        self._max_frames = max(1, round(c.max_utterance_seconds / c.frame_seconds))
        self._rise = c.floor_rise_db_per_second * c.frame_seconds
        self._calibration_frames = round(c.calibration_seconds / c.frame_seconds)
        self._frames_seen = 0
        self._clock = 0.0
        self._webrtc = _webrtc(c) if c.detector == "webrtc" else None
        self.detector = "webrtc" if self._webrtc is not None else "energy"
        self.boost_db = 0.0
        """Extra threshold while the assistant is audible (so its own echo does not count as barge-in)."""
        self.reset()

    def reset(self, keep_floor: bool = True) -> None:
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_t = 0.0
        c = self.config
        self._preroll: deque[tuple[np.ndarray, float, bool]] = deque(
            maxlen=max(
                1, round(max(c.preroll_seconds, c.calibration_seconds + c.start_seconds) / c.frame_seconds)
            )
        )
        self._recent: deque[bool] = deque(maxlen=self._start_frames + 2)
        self._in_speech = False
        self._frames: list[np.ndarray] = []
        self._voiced: list[bool] = []
        self._levels: list[float] = []
        self._start_t = 0.0
        self._last_voiced_end = 0.0
        self._silent_run = 0
        if not keep_floor or not hasattr(self, "floor_db"):
            self.floor_db: float | None = None

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def clock(self) -> float:
        """Input time at the end of the last frame judged."""
        return self._clock

    @property
    def trailing_silence(self) -> float:
        """Seconds of unvoiced input since the last voiced frame of the utterance in progress."""
        return self._silent_run * self.config.frame_seconds if self._in_speech else 0.0

    def threshold_db(self) -> float:
        floor = self.floor_db if self.floor_db is not None else -90.0
        return max(floor + self.config.threshold_db, self.config.min_level_db) + self.boost_db

    def push(self, samples: np.ndarray, t: float) -> list[VadEvent]:
        """Add samples whose first one was captured at time `t` (seconds, any monotonic clock)."""
        rate = self.config.rate
        if len(self._pending) == 0:
            self._pending_t = t
        data = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        events: list[VadEvent] = []
        n = len(data) // self.frame
        for i in range(n):
            frame = data[i * self.frame : (i + 1) * self.frame]
            events.extend(self._frame(frame, self._pending_t + i * self.frame / rate))
        self._pending = data[n * self.frame :]
        self._pending_t += n * self.frame / rate
        return events

    def flush(self, reason: str = "end-of-input") -> list[VadEvent]:
        """End of input: close an utterance in progress."""
        if self._in_speech:
            return [self._end(reason, self._last_voiced_end)]
        return []

    def cut(self, reason: str) -> Utterance | None:
        """End the utterance in progress now (e.g. the recognizer found its own endpoint)."""
        return self._end(reason, self._last_voiced_end).utterance if self._in_speech else None

    # -- per frame ----------------------------------------------------------------------------------
    def _frame(self, frame: np.ndarray, t: float) -> list[VadEvent]:
        c = self.config
        level = float(10.0 * np.log10(np.mean(np.square(frame, dtype=np.float64)) + 1e-12))
        threshold = self.threshold_db()
        # Hysteresis: once speaking, softer frames (word endings) still count.
        bar = threshold - 4.0 if self._in_speech else threshold
        # With webrtcvad, a frame must also sound like a voice: a clink, a fan's rattle or a music clip's
        # drum may pass the level test, seldom both.
        voiced = level > bar and (self._webrtc is None or self._webrtc_speech(frame))
        t_end = t + len(frame) / c.rate
        self._clock = t_end
        self._frames_seen += 1
        if self._frames_seen <= self._calibration_frames:
            # Measuring the room: the quietest frame so far is the floor; nothing starts yet.
            self.floor_db = level if self._frames_seen == 1 else min(level, self.floor_db or level)
            self._preroll.append((frame, t, False))
            self._recent.append(False)
            return []
        if not self._in_speech:
            self._track_floor(level)
            self._preroll.append((frame, t, voiced))
            self._recent.append(voiced)
            if sum(self._recent) >= self._start_frames and voiced:
                return [self._start()]
            return []
        self._frames.append(frame)
        self._voiced.append(voiced)
        self._levels.append(level)
        if voiced:
            self._silent_run = 0
            self._last_voiced_end = t_end
        else:
            self._silent_run += 1
        if self._silent_run >= self._end_frames:
            return [SpeechAudio(frame), self._end("silence", self._last_voiced_end, t_end)]
        if len(self._frames) >= self._max_frames:
            # Speech that never pauses is more likely loud noise: let the floor jump up to it.
            self.floor_db = max(self.floor_db or -90.0, float(np.median(self._levels)) - 3.0)
            return [SpeechAudio(frame), self._end("max-length", self._last_voiced_end, t_end)]
        return [SpeechAudio(frame)]

    def _webrtc_speech(self, frame: np.ndarray) -> bool:
        assert self._webrtc is not None
        pcm = (np.clip(frame, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return bool(self._webrtc.is_speech(pcm, self.config.rate))

    def _track_floor(self, level: float) -> None:
        if self.floor_db is None:
            self.floor_db = min(level, self.config.initial_floor_db)
        elif level < self.floor_db:
            self.floor_db = level
        else:
            self.floor_db = min(level, self.floor_db + self._rise)

    def _start(self) -> SpeechStarted:
        frames = list(self._preroll)
        self._preroll.clear()
        self._recent.clear()
        self._in_speech = True
        self._frames = [f for f, _, _ in frames]
        self._voiced = [v for _, _, v in frames]
        self._levels = []
        self._start_t = frames[0][1]
        last = frames[-1]
        self._last_voiced_end = last[1] + len(last[0]) / self.config.rate
        self._silent_run = 0
        return SpeechStarted(at=self._start_t, audio=np.concatenate(self._frames))

    def _end(self, reason: str, speech_end: float, endpoint: float | None = None) -> SpeechEnded:
        # Keep a short tail of silence after the last voiced frame, drop the rest of the wait.
        keep = len(self._frames) - max(0, self._silent_run - self._tail_frames)
        frames, voiced = self._frames[:keep], self._voiced[:keep]
        samples = np.concatenate(frames) if frames else np.zeros(0, dtype=np.float32)
        utterance = Utterance(
            samples=samples,
            rate=self.config.rate,
            start=self._start_t,
            speech_end=speech_end,
            endpoint=endpoint if endpoint is not None else speech_end,
            reason=reason,
            voiced=np.array(voiced, dtype=bool),
            noise_floor_db=self.floor_db if self.floor_db is not None else -90.0,
        )
        self._in_speech = False
        self._frames, self._voiced = [], []
        self._silent_run = 0
        self._recent.clear()
        return SpeechEnded(utterance)


def _webrtc(config: VadConfig) -> Any:
    """A webrtcvad.Vad for this configuration, or None when webrtcvad is absent or cannot take the frame
    size or rate (it wants 10, 20 or 30 ms at 8, 16, 32 or 48 kHz): the level test then decides alone."""
    frame_ms = round(config.frame_seconds * 1000)
    if config.rate not in (8000, 16000, 32000, 48000) or frame_ms not in (10, 20, 30):
        return None
    try:
        import webrtcvad
    except ImportError:
        return None
    return webrtcvad.Vad(config.aggressiveness)
