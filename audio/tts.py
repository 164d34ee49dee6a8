"""Speech out: a reply's text becomes audio (a Sound) that the player plays like any clip.

pyttsx3 over espeak-ng renders to a WAV file (never to the speaker itself), so speech and music share one
output path and barge-in can stop either. If pyttsx3's driver fails, espeak-ng is called directly. The
empathy level shapes the voice as well as the words: slower and lower when supportive, brighter when
enthusiastic.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from audio.errors import SpeechError
from audio.sound import Sound, read_wav

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_VOICE",
    "EspeakSynthesizer",
    "Pyttsx3Synthesizer",
    "RecordingSynthesizer",
    "Synthesizer",
    "VoiceStyle",
    "make_synthesizer",
    "style_for",
]

DEFAULT_RATE = 165
"""Words per minute: a little slower than espeak's 175, easier to follow on laptop speakers."""
DEFAULT_VOICE = "en-us+f2"
"""espeak-ng's US English with its f2 variant: of the US/UK voices tried, the one a recognizer understands
best (a machine stand-in for intelligibility: word error rate 0.17 against 0.41 for plain en-us)."""
HINT_INSTALL = "install espeak-ng: sudo apt-get install espeak-ng (then pyttsx3 can use it)"


@dataclass(frozen=True)
class VoiceStyle:
    rate: int
    """Words per minute."""
    pitch: int
    """espeak pitch, 0..99 (50 = the voice's normal)."""


def style_for(empathy: str, base_rate: int = DEFAULT_RATE) -> VoiceStyle:
    """Supportive: slower and lower (calm, patient). Enthusiastic: quicker and higher. Neutral: as set."""
    if empathy == "supportive":
        return VoiceStyle(round(base_rate * 0.9), 42)
    if empathy == "enthusiastic":
        return VoiceStyle(round(base_rate * 1.08), 64)
    return VoiceStyle(base_rate, 50)


@runtime_checkable
class Synthesizer(Protocol):
    name: str

    def synthesize(self, text: str, empathy: str = "neutral") -> Sound: ...


@dataclass
class Pyttsx3Synthesizer:
    """pyttsx3 with its espeak-ng driver, rendering to a temporary WAV."""

    rate: int = DEFAULT_RATE
    voice: str | None = DEFAULT_VOICE
    name: str = "pyttsx3"

    def __post_init__(self) -> None:
        self._engine: Any = None

    def load(self) -> Pyttsx3Synthesizer:
        if self._engine is not None:
            return self
        try:
            import pyttsx3

            engine = pyttsx3.init("espeak")
        except Exception as exc:
            raise SpeechError(
                "no-tts", f"pyttsx3 cannot start its espeak-ng driver ({exc})", HINT_INSTALL
            ) from exc
        if self.voice:
            try:
                if not _known_voice(engine, self.voice):
                    raise ValueError(self.voice)
                engine.setProperty("voice", self.voice)
            except (ValueError, KeyError) as exc:
                raise SpeechError(
                    "unknown-voice",
                    f"espeak-ng has no voice {self.voice!r}",
                    "list voices with `espeak-ng --voices`, e.g. --voice en-us or en-gb",
                ) from exc
        self._engine = engine
        # pyttsx3 holds property changes until its first run; one throw-away render gets it past that, so
        # later changes reach espeak-ng at once (see _settle).
        self._render("ok", style_for("neutral", self.rate))
        return self

    @staticmethod
    def _settle(engine: Any, wanted: dict[str, int], timeout: float = 1.0) -> None:
        """Wait until espeak-ng has applied the new rate and pitch.

        pyttsx3 drives espeak-ng in its asynchronous mode, where a parameter change is queued and can be
        overtaken by the next synthesis, which then comes out at the previous rate (seen with pyttsx3
        2.99: every reply after the second at the same speed). Reading the parameters back until they
        match makes the order certain; it takes about a millisecond."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(engine.getProperty(name) == value for name, value in wanted.items()):
                return
            time.sleep(0.002)

    def synthesize(self, text: str, empathy: str = "neutral") -> Sound:
        self.load()
        return self._render(text, style_for(empathy, self.rate))

    def _render(self, text: str, style: VoiceStyle) -> Sound:
        engine = self._engine
        handle, path = tempfile.mkstemp(suffix=".wav", prefix="tunetalk-tts-")
        os.close(handle)
        try:
            engine.setProperty("rate", style.rate)
            engine.setProperty("pitch", style.pitch)
            if not engine.proxy.isBusy():  # before the first run, pyttsx3 itself still holds the change
                self._settle(engine, {"rate": style.rate, "pitch": style.pitch})
            for _attempt in range(2):
                # The driver prints "Audio saved to ..." on stdout, which would corrupt `voice --json`.
                with contextlib.redirect_stdout(io.StringIO()):
                    engine.save_to_file(text, path)
                    engine.runAndWait()
                if _wait_for_audio(path):
                    return read_wav(path)
            raise SpeechError("tts-failed", f"pyttsx3 produced no audio for {text[:40]!r}", HINT_INSTALL)
        except SpeechError:
            raise
        except Exception as exc:
            raise SpeechError(
                "tts-failed", f"pyttsx3 failed: {type(exc).__name__}: {exc}", HINT_INSTALL
            ) from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _wait_for_audio(path: str, timeout: float = 2.0) -> bool:
    """Has the driver written audio to `path`? On a loaded machine espeak-ng's callback can write the file
    a moment after runAndWait returns (seen with two test suites running at once: an empty file, then
    "produced no audio"); the size is polled for a while before the render counts as failed."""
    deadline = time.monotonic() + timeout
    last = -1
    while True:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if size > 44 and size == last:
            return True  # written, and no longer growing
        if time.monotonic() >= deadline:
            return size > 44
        last = size
        time.sleep(0.005)


def _known_voice(engine: Any, voice: str) -> bool:
    """espeak-ng silently keeps its current voice for an unknown name, so check the list first."""
    base = voice.split("+", 1)[0].lower()
    for v in engine.getProperty("voices"):
        names = {str(v.id).lower(), str(v.id).lower().rsplit("/", 1)[-1], str(v.name).lower()}
        names.update(str(lang).lower() for lang in (v.languages or ()))
        if base in names:
            return True
    return False


@dataclass
class EspeakSynthesizer:
    """espeak-ng called directly (the fallback when pyttsx3's driver is unavailable)."""

    rate: int = DEFAULT_RATE
    voice: str | None = DEFAULT_VOICE
    executable: str | None = None
    name: str = "espeak-ng"

    def load(self) -> EspeakSynthesizer:
        if self.executable is None:
            self.executable = shutil.which("espeak-ng") or shutil.which("espeak")
        if self.executable is None:
            raise SpeechError("no-tts", "espeak-ng is not installed", HINT_INSTALL)
        return self

    def synthesize(self, text: str, empathy: str = "neutral") -> Sound:
        self.load()
        style = style_for(empathy, self.rate)
        command = [str(self.executable), "--stdout", "-s", str(style.rate), "-p", str(style.pitch)]
        if self.voice:
            command += ["-v", self.voice]
        try:
            result = subprocess.run([*command, "--", text], capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SpeechError("tts-failed", f"espeak-ng failed to run: {exc}", HINT_INSTALL) from exc
        if result.returncode != 0 or len(result.stdout) <= 44:
            message = result.stderr.decode(errors="replace").strip() or f"exit status {result.returncode}"
            code = "unknown-voice" if "voice" in message.lower() else "tts-failed"
            raise SpeechError(
                code,
                f"espeak-ng produced no audio: {message}",
                "list voices with `espeak-ng --voices`" if code == "unknown-voice" else HINT_INSTALL,
            )
        return _wav_bytes(result.stdout)


def _wav_bytes(data: bytes) -> Sound:
    # espeak-ng --stdout writes a streaming header whose sizes are 0xFFFFFFFF; read the PCM ourselves.
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError("tts-failed", "espeak-ng did not write WAV audio", HINT_INSTALL)
    rate = int.from_bytes(data[24:28], "little")
    position = 12
    while position + 8 <= len(data):
        chunk, size = (
            data[position : position + 4],
            int.from_bytes(data[position + 4 : position + 8], "little"),
        )
        if chunk == b"data":
            pcm = data[position + 8 :]
            return Sound.from_int16(pcm[: len(pcm) // 2 * 2], rate)
        position += 8 + size
    raise SpeechError("tts-failed", "espeak-ng output has no audio data", HINT_INSTALL)


def make_synthesizer(
    rate: int = DEFAULT_RATE, voice: str | None = DEFAULT_VOICE, prefer: str = "pyttsx3"
) -> Synthesizer:
    """pyttsx3 if its driver works (tried on one word), else espeak-ng directly, else SpeechError."""
    problems: list[str] = []
    order: list[type[Pyttsx3Synthesizer] | type[EspeakSynthesizer]] = [Pyttsx3Synthesizer, EspeakSynthesizer]
    if prefer == "espeak-ng":
        order.reverse()
    for kind in order:
        candidate = kind(rate=rate, voice=voice)
        try:
            candidate.synthesize("ok")
            return candidate
        except SpeechError as exc:
            if exc.code == "unknown-voice":
                raise
            problems.append(f"{candidate.name}: {exc.message}")
    raise SpeechError("no-tts", "no speech synthesizer works (" + "; ".join(problems) + ")", HINT_INSTALL)


@dataclass
class RecordingSynthesizer:
    """A fake: records what it was asked to say; returns a quiet tone 0.06 s per character."""

    rate: int = 16000
    name: str = "recording"
    said: list[tuple[str, str]] = field(default_factory=list)

    def synthesize(self, text: str, empathy: str = "neutral") -> Sound:
        self.said.append((text, empathy))
        n = int(self.rate * max(0.2, 0.06 * len(text)))
        t = np.arange(n) / self.rate
        return Sound((0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), self.rate)
