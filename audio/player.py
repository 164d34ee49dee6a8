"""Sound out: one queue for speech and music clips, so they never overlap, and a stop for barge-in.

DevicePlayer plays through sounddevice; FilePlayer records everything that would have been played into
one WAV (`voice --audio-out`); RecordingPlayer is the fake for tests.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from audio.devices import dac_time, import_sounddevice, output_device
from audio.errors import PlaybackError
from audio.sound import Sound, write_wav

__all__ = ["DevicePlayer", "FilePlayer", "Player", "Playing", "RecordingPlayer"]


class Playing:
    """A handle on one queued sound."""

    def __init__(self, sound: Sound, kind: str, owner: Any = None) -> None:
        self.sound = sound
        self.kind = kind
        """"speech" or "clip"."""
        self.position = 0
        """Samples handed to the device so far."""
        self.started_at: float | None = None
        """time.monotonic() at which the first sample is (expected to be) heard."""
        self.ends_at: float | None = None
        self.stopped = False
        """True when stopped before its end (barge-in)."""
        self._done = threading.Event()
        self._owner = owner
        self._on_wait: Any = None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def played_seconds(self) -> float:
        return self.position / self.sound.rate

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the sound has been heard to its end (or stopped); False on time-out."""
        if self._on_wait is not None and not self.done:
            self._on_wait(self)
        if not self._done.wait(timeout):
            return False
        if self.ends_at is not None and not self.stopped:
            remaining = self.ends_at - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)
        return True

    def stop(self) -> None:
        if not self.done:
            self.stopped = True
            if self._owner is not None:
                self._owner._stop(self)
            self._finish()

    def _finish(self, ends_at: float | None = None) -> None:
        if ends_at is not None:
            self.ends_at = ends_at
        self._done.set()


@runtime_checkable
class Player(Protocol):
    def play(self, sound: Sound, kind: str = "speech") -> Playing:
        """Queue a sound after whatever is already queued; returns at once."""
        ...


class DevicePlayer:
    """Plays through one long-lived sounddevice OutputStream that is fed from a queue.

    Small blocks (256 frames, 12 ms at 22.05 kHz) keep a reply's first sample close to the speaker: on
    PulseAudio, queue to DAC took 0.033 s median against 0.173 s with 1024-frame blocks (PortAudio then
    chose a 0.093 s buffer instead of 0.023 s). The callback only copies samples, so it keeps up."""

    def __init__(
        self,
        rate: int = 22050,
        device: int | str | None = None,
        latency: float | str = "low",
        block: int = 256,
    ) -> None:
        self.rate = rate
        self.device = device
        self.latency = latency
        self.block = block
        self._queue: deque[Playing] = deque()
        self._lock = threading.Lock()
        self._stream: Any = None
        self._callbacks: deque[tuple[float, int]] = deque(maxlen=32)
        self.output_latency = 0.0

    def open(self) -> DevicePlayer:
        if self._stream is not None:
            return self
        sd = import_sounddevice(PlaybackError)
        output_device(self.device)
        try:
            self._stream = sd.OutputStream(
                samplerate=self.rate,
                channels=1,
                dtype="float32",
                device=self.device,
                latency=self.latency,
                blocksize=self.block,
                callback=self._callback,
            )
            self._stream.start()
            self._wait_until_running()
        except Exception as exc:
            self._stream = None
            raise PlaybackError(
                "playback-failed",
                f"cannot open the audio output: {exc}",
                "check the output device, or use --audio-out FILE.wav",
            ) from exc
        self.output_latency = float(self._stream.latency)
        return self

    def _wait_until_running(self, timeout: float = 4.0) -> None:
        """Return once the device consumes audio at its real rate. PulseAudio (through ALSA) takes the
        first buffers at once and then nothing for a second or more; a reply queued in that gap would
        start, stop for that second, and have its timing misreported."""
        deadline = time.monotonic() + timeout
        block_seconds = self.block / self.rate
        while time.monotonic() < deadline:
            time.sleep(0.02)
            now = time.monotonic()
            recent = [(t, n) for t, n in list(self._callbacks) if now - t < 0.4]
            if len(recent) < 4 or now - recent[-1][0] > 3 * block_seconds:
                continue
            span = recent[-1][0] - recent[0][0]
            frames = sum(n for _, n in recent[1:])
            if span > 0.15 and 0.6 < frames / (span * self.rate) < 1.6:
                return

    def play(self, sound: Sound, kind: str = "speech") -> Playing:
        self.open()
        handle = Playing(sound.at_rate(self.rate), kind, self)
        with self._lock:
            self._queue.append(handle)
        return handle

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._queue)

    def stop_all(self) -> None:
        with self._lock:
            pending = list(self._queue)
        for handle in pending:
            handle.stop()

    def _stop(self, handle: Playing) -> None:
        # Only the next block stops; what the device already holds (the output latency, about 0.1 s with
        # "low") still plays. Aborting the stream would drop it, but a restarted stream takes over a
        # second to run again on PulseAudio, which would delay the reply to the interruption.
        with self._lock:
            if handle in self._queue:
                self._queue.remove(handle)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        self._callbacks.append((time.monotonic(), frames))
        out = outdata[:, 0]
        out.fill(0.0)
        filled = 0
        offset = float(time_info.outputBufferDacTime - time_info.currentTime)
        with self._lock:
            while filled < frames and self._queue:
                handle = self._queue[0]
                if handle.started_at is None:
                    handle.started_at = dac_time(offset + filled / self.rate, self.output_latency)
                samples = handle.sound.samples
                n = min(frames - filled, len(samples) - handle.position)
                out[filled : filled + n] = samples[handle.position : handle.position + n]
                handle.position += n
                filled += n
                if handle.position >= len(samples):
                    self._queue.popleft()
                    handle._finish(dac_time(offset + filled / self.rate, self.output_latency))

    def close(self, drain: bool = True) -> None:
        """Stop the stream; with `drain`, first let queued sounds play out."""
        if drain:
            with self._lock:
                pending = list(self._queue)
            for handle in pending:
                handle.wait(timeout=handle.sound.duration + 5.0)
        if self._stream is not None:
            try:
                if drain:
                    time.sleep(self.output_latency)  # the last buffer is still on its way to the speaker
                self._stream.stop() if drain else self._stream.abort()
                self._stream.close()
            finally:
                self._stream = None


@dataclass
class FilePlayer:
    """Records what would be played, back to back with a short gap, into one WAV written on close()."""

    path: Path
    rate: int = 22050
    gap_seconds: float = 0.2
    segments: list[tuple[str, float, float]] = field(default_factory=list)
    """(kind, start s, end s) of each sound within the recording."""

    def __post_init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._length = 0

    def play(self, sound: Sound, kind: str = "speech") -> Playing:
        samples = sound.at_rate(self.rate).samples
        if self._parts:
            gap = np.zeros(int(self.gap_seconds * self.rate), dtype=np.float32)
            self._parts.append(gap)
            self._length += len(gap)
        start = self._length / self.rate
        self._parts.append(samples)
        self._length += len(samples)
        self.segments.append((kind, start, self._length / self.rate))
        handle = Playing(sound, kind)
        handle.position = len(sound.samples)
        handle.started_at = time.monotonic()
        handle._finish()
        return handle

    def close(self) -> Path:
        try:
            data = np.concatenate(self._parts) if self._parts else np.zeros(0, dtype=np.float32)
            return write_wav(self.path, Sound(data, self.rate))
        except OSError as exc:
            raise PlaybackError(
                "audio-out-failed",
                f"cannot write {self.path}: {exc.strerror or exc}",
                "choose a writable --audio-out path",
            ) from exc


@dataclass
class RecordingPlayer:
    """A fake player: records what it was given. With `hold`, sounds stay "playing" until stopped,
    released, or waited for (as if played to the end then), to test barge-in and waiting."""

    hold: bool = False
    played: list[tuple[str, float]] = field(default_factory=list)
    """(kind, duration s) in the order queued."""
    handles: list[Playing] = field(default_factory=list)

    def play(self, sound: Sound, kind: str = "speech") -> Playing:
        self.played.append((kind, sound.duration))
        handle = Playing(sound, kind, self)
        handle.started_at = time.monotonic()
        self.handles.append(handle)
        if self.hold:
            handle._on_wait = self._play_out
        else:
            self._play_out(handle)
        return handle

    @staticmethod
    def _play_out(handle: Playing) -> None:
        handle.position = len(handle.sound.samples)
        handle._finish()

    @property
    def busy(self) -> bool:
        return any(not h.done for h in self.handles)

    def stop_all(self) -> None:
        for handle in self.handles:
            handle.stop()

    def release(self) -> None:
        for handle in self.handles:
            if not handle.done:
                self._play_out(handle)

    def _stop(self, handle: Playing) -> None:
        return None
