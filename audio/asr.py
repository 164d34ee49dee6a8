"""Speech recognition interface: a recognizer opens streams; audio goes in block by block, text comes out.

Streaming matters: the recognizer works while the person is still talking, so at the end of speech only
the last fraction of a second remains to decode. Implementations: audio.vosk_asr, audio.sphinx_asr.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Recognition",
    "RecognitionStream",
    "Recognizer",
    "ScriptedRecognizer",
    "StreamUpdate",
    "Word",
    "clean_words",
    "recognize",
]


@dataclass(frozen=True)
class Word:
    word: str
    confidence: float
    start: float = 0.0
    """Seconds from the start of the stream."""
    end: float = 0.0


@dataclass(frozen=True)
class Recognition:
    """The final result for one utterance."""

    text: str
    confidence: float
    """0..1: mean word confidence (posterior); 0 when nothing was recognized."""
    words: tuple[Word, ...] = ()
    partials: tuple[str, ...] = ()
    """Distinct partial hypotheses seen while the audio streamed in, in order."""
    segments: int = 1
    """How many times the recognizer's own endpointer closed a segment inside this stream."""
    decode_seconds: float = 0.0
    """Wall time spent inside the recognizer for this stream (for the real-time factor)."""
    audio_seconds: float = 0.0


@dataclass(frozen=True)
class StreamUpdate:
    partial: str = ""
    """The current best guess for the words so far ("" when none)."""
    endpoint: bool = False
    """The recognizer itself decided an utterance just ended (Vosk's endpointer); sphinx never does."""


@runtime_checkable
class RecognitionStream(Protocol):
    def accept(self, samples: np.ndarray) -> StreamUpdate:
        """Add float32 mono samples at the recognizer's rate."""
        ...

    def finish(self) -> Recognition: ...


@runtime_checkable
class Recognizer(Protocol):
    name: str
    rate: int
    """The sample rate streams expect."""

    def stream(self) -> RecognitionStream:
        """Open a stream for one utterance (loads the model on first use)."""
        ...


_NOISE = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")
_ALT = re.compile(r"\(\d+\)$")


def clean_words(words: Iterable[str]) -> list[str]:
    """Drop fillers and noise markers (<sil>, [unk], [NOISE]) and alternate-pronunciation tags (word(2))."""
    out = []
    for w in words:
        w = _ALT.sub("", w.strip())
        if w and not _NOISE.match(w):
            out.append(w.lower())
    return out


class _Timer:
    """Accumulates wall time spent in recognizer calls."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> _Timer:
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._t


def recognize(
    recognizer: Recognizer, samples: np.ndarray, rate: int, block_seconds: float = 0.1
) -> Recognition:
    """Recognize a whole clip by streaming it in blocks, exactly as the microphone path does."""
    from audio.sound import resample

    data = resample(samples, rate, recognizer.rate)
    stream = recognizer.stream()
    block = max(1, int(block_seconds * recognizer.rate))
    for i in range(0, len(data), block):
        stream.accept(data[i : i + block])
    return stream.finish()


@dataclass
class ScriptedRecognizer:
    """A fake recognizer: returns scripted results in order and records how much audio each stream got."""

    results: Sequence[Recognition | str]
    name: str = "scripted"
    rate: int = 16000
    received: list[int] = field(default_factory=list)
    """Samples received per finished stream."""
    on_finish: Callable[[int], None] | None = None
    partial_after: float | None = None
    """Report the coming result's text as the partial once this many seconds of audio arrived (None:
    no partials), as a streaming recognizer does while the person is still talking."""
    _next: int = 0

    def stream(self) -> RecognitionStream:
        return _ScriptedStream(self)


class _ScriptedStream:
    def __init__(self, owner: ScriptedRecognizer) -> None:
        self.owner = owner
        self.samples = 0

    def accept(self, samples: np.ndarray) -> StreamUpdate:
        self.samples += len(samples)
        owner = self.owner
        if owner.partial_after is None or self.samples < owner.partial_after * owner.rate:
            return StreamUpdate()
        coming = owner.results[owner._next] if owner._next < len(owner.results) else ""
        return StreamUpdate(partial=coming if isinstance(coming, str) else coming.text)

    def finish(self) -> Recognition:
        owner = self.owner
        owner.received.append(self.samples)
        result = owner.results[owner._next] if owner._next < len(owner.results) else ""
        owner._next += 1
        if isinstance(result, str):
            result = Recognition(result, 1.0 if result else 0.0)
        return Recognition(
            result.text,
            result.confidence,
            result.words,
            result.partials,
            result.segments,
            result.decode_seconds,
            self.samples / owner.rate,
        )
