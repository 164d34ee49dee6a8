"""Sound in from a WAV file, delivered in blocks exactly like a microphone (`voice --audio-in`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from audio.errors import ListenError
from audio.microphone import Block
from audio.sound import Sound, read_wav
from audio.vad import SpeechEnded, Utterance, VadConfig, VoiceActivitySegmenter

__all__ = ["WavSource", "load_input", "split_utterances"]


def load_input(path: str | Path, rate: int = 16000) -> Sound:
    """Read an audio-in file as mono at `rate`; ListenError with a clear reason otherwise."""
    path = Path(path)
    if not path.exists():
        raise ListenError(
            "audio-file-missing",
            f"audio-in file {path} does not exist",
            'record one, e.g. espeak-ng -w request.wav "help me find music"',
        )
    try:
        return read_wav(path).at_rate(rate)
    except (ValueError, OSError) as exc:
        raise ListenError(
            "audio-file-unreadable",
            f"cannot read {path} as WAV audio: {exc}",
            "convert it first, e.g. sox input.mp3 -r 16000 -c 1 input.wav",
        ) from exc


class WavSource:
    """Blocks of a file; `realtime=True` paces them like a microphone (for latency measurements)."""

    def __init__(
        self,
        sound: Sound,
        rate: int = 16000,
        block_seconds: float = 0.03,
        realtime: bool = False,
        trailing_silence: float = 1.0,
    ) -> None:
        sound = sound.at_rate(rate)
        # Silence after the last word, so a file that ends mid-breath still reaches an endpoint.
        self.samples = np.concatenate(
            [sound.samples, np.zeros(int(trailing_silence * rate), dtype=np.float32)]
        )
        self.rate = rate
        self.block = max(1, int(block_seconds * rate))
        self.realtime = realtime
        self.live = realtime
        self.position = 0
        self._t0: float | None = None

    @classmethod
    def from_file(cls, path: str | Path, rate: int = 16000, **options: object) -> WavSource:
        return cls(load_input(path, rate), rate, **options)  # type: ignore[arg-type]

    def read(self, timeout: float) -> Block | None:
        if self.position >= len(self.samples):
            return None
        start = self.position
        samples = self.samples[start : start + self.block]
        self.position += len(samples)
        if not self.realtime:
            return Block(samples, start / self.rate)
        if self._t0 is None:
            self._t0 = time.monotonic()
        due = self._t0 + self.position / self.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return Block(samples, self._t0 + start / self.rate)

    def discard_until(self, t: float) -> None:
        """Skip input up to time `t` (real-time mode only: what was said while the assistant spoke)."""
        if self.realtime and self._t0 is not None:
            self.position = max(self.position, min(len(self.samples), int((t - self._t0) * self.rate)))


def split_utterances(sound: Sound, config: VadConfig | None = None) -> list[Utterance]:
    """Every utterance of a recording, cut by the same segmenter the microphone uses."""
    config = config or VadConfig()
    segmenter = VoiceActivitySegmenter(config)
    source = WavSource(sound, config.rate)
    found: list[Utterance] = []
    while (block := source.read(0.0)) is not None:
        for event in segmenter.push(block.samples, block.t):
            if isinstance(event, SpeechEnded):
                found.append(event.utterance)
    found.extend(event.utterance for event in segmenter.flush() if isinstance(event, SpeechEnded))
    return found
