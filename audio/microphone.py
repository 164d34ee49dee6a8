"""Sound in from a microphone: a sounddevice InputStream delivering time-stamped blocks.

The audio callback only copies the block and its capture time into a queue; segmentation and
recognition happen on the reader's thread, so a slow recognizer never makes the device drop audio.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from audio.devices import import_sounddevice, input_device
from audio.errors import ListenError
from audio.sound import resample

__all__ = ["AudioInput", "Block", "Microphone"]


@dataclass(frozen=True, eq=False)
class Block:
    samples: np.ndarray
    """float32 mono at the input's rate (empty when a live read timed out)."""
    t: float
    """Capture time of the first sample: time.monotonic() for live input, seconds into the file otherwise."""


@runtime_checkable
class AudioInput(Protocol):
    rate: int
    live: bool
    """True for a device in real time; False for a file read as fast as it can be."""

    def read(self, timeout: float) -> Block | None:
        """The next block; an empty block if a live input had nothing within `timeout`; None at the end."""
        ...


class Microphone:
    """A live microphone. Use as a context manager, or call open()/close()."""

    def __init__(
        self,
        rate: int = 16000,
        device: int | str | None = None,
        block_seconds: float = 0.03,
        latency: float | str = "low",
    ) -> None:
        self.rate = rate
        self.device = device
        self.block_seconds = block_seconds
        self.latency = latency
        self.live = True
        self._queue: queue.Queue[Block] = queue.Queue()
        self._stream: Any = None
        self._device_rate = rate
        self._started = threading.Event()
        self.overflows = 0
        """Blocks the device reported as lost because the reader fell behind."""

    def open(self, wait_seconds: float = 3.0) -> Microphone:
        """Start capturing; returns once the first block has arrived (PulseAudio takes a moment)."""
        if self._stream is not None:
            return self
        sd = import_sounddevice(ListenError)
        info = input_device(self.device)
        stream = None
        problem: Exception | None = None
        for rate in dict.fromkeys([self.rate, int(info.get("default_samplerate") or self.rate)]):
            try:
                stream = sd.InputStream(
                    samplerate=rate,
                    channels=1,
                    dtype="float32",
                    device=self.device,
                    blocksize=int(rate * self.block_seconds),
                    latency=self.latency,
                    callback=self._callback,
                )
                self._device_rate = rate
                break
            except Exception as exc:
                problem = exc
        if stream is None:
            raise ListenError(
                "microphone-failed",
                f"cannot open the microphone: {problem}",
                "check the input device, or use --audio-in FILE.wav",
            )
        self._stream = stream
        self._started = threading.Event()
        stream.start()
        if not self._started.wait(wait_seconds):
            self.close()
            raise ListenError(
                "microphone-failed",
                f"the microphone delivered no audio within {wait_seconds:.0f} s",
                "check that the input device is not muted or in use by another program",
            )
        return self

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        now = time.monotonic()
        lag = float(time_info.currentTime - time_info.inputBufferAdcTime)
        if not 0.0 <= lag <= 2.0:  # some host APIs report no timing; assume the block just arrived
            lag = frames / self._device_rate
        if status and status.input_overflow:
            self.overflows += 1
        self._queue.put(Block(indata[:, 0].copy(), now - lag))
        self._started.set()

    def read(self, timeout: float) -> Block | None:
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            return Block(np.zeros(0, dtype=np.float32), time.monotonic())
        if self._device_rate != self.rate:
            return Block(resample(block.samples, self._device_rate, self.rate), block.t)
        return block

    def discard_until(self, t: float) -> None:
        """Drop queued blocks captured before `t` (the assistant's own voice, when barge-in is off)."""
        kept: list[Block] = []
        while True:
            try:
                block = self._queue.get_nowait()
            except queue.Empty:
                break
            if block.t + len(block.samples) / self._device_rate >= t:
                kept.append(block)
        for block in kept:
            self._queue.put(block)

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()  # abort() makes ALSA's pulse plugin print poll errors
                self._stream.close()
            finally:
                self._stream = None

    def __enter__(self) -> Microphone:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
