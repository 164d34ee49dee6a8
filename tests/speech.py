"""Test helpers for real speech: espeak-ng recordings made at test time, and word error rate."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from audio.sound import Sound, read_wav

__all__ = ["ESPEAK", "conversation", "espeak", "needs_espeak", "report_fixture", "word_errors"]

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(
    ESPEAK is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)


def espeak(
    text: str, folder: Path, *, voice: str = "en-us", rate: int = 150, pitch: int = 50, amplitude: int = 100
) -> Sound:
    """Render `text` with espeak-ng into `folder` and read it back."""
    assert ESPEAK is not None
    key = hashlib.sha1(repr((text, voice, rate, pitch, amplitude)).encode()).hexdigest()[:16]
    path = folder / f"espeak-{key}.wav"
    if not path.exists():
        subprocess.run(
            [
                ESPEAK,
                "-v",
                voice,
                "-s",
                str(rate),
                "-p",
                str(pitch),
                "-a",
                str(amplitude),
                "-w",
                str(path),
                text,
            ],
            check=True,
            capture_output=True,
        )
    return read_wav(path)


def conversation(
    sentences: list[str],
    folder: Path,
    *,
    pause: float = 1.2,
    voice: str = "en-us",
    rate: int = 150,
    lead: float = 0.8,
) -> Sound:
    """One recording: the sentences with `pause` seconds of silence between them (16 kHz)."""
    parts: list[np.ndarray] = [np.zeros(int(lead * 16000), dtype=np.float32)]
    for sentence in sentences:
        parts.append(espeak(sentence, folder, voice=voice, rate=rate).at_rate(16000).samples)
        parts.append(np.zeros(int(pause * 16000), dtype=np.float32))
    return Sound(np.concatenate(parts), 16000)


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words): the word error rate's two parts."""
    ref, hyp = reference.split(), hypothesis.split()
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        previous, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            current = min(row[j] + 1, row[j - 1] + 1, previous + (ref[i - 1] != hyp[j - 1]))
            previous, row[j] = row[j], current
    return row[len(hyp)], len(ref)


@pytest.fixture(name="report")
def report_fixture(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Print a measured figure to the terminal even though pytest captures output."""
    capture = request.config.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        if capture is not None:
            with capture.global_and_fixture_disabled():
                sys.stderr.write(f"\n[voice] {line}\n")
        else:
            sys.stderr.write(f"\n[voice] {line}\n")

    return say
