"""Test helpers for real speech: espeak-ng recordings made at test time, and word error rate."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from audio.sound import Sound, read_wav, write_wav

__all__ = [
    "ESPEAK",
    "HELD_OUT",
    "TUNING",
    "SpokenItem",
    "babble",
    "conversation",
    "espeak",
    "mix_at_snr",
    "needs_espeak",
    "render",
    "report_fixture",
    "spoken_set",
    "word_errors",
]

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


# -- the spoken test set ----------------------------------------------------------------------------------
# What people say to this app (README "What you can say", the prompts it answers), with the demo
# catalogue's artists. TUNING is what the recognizer's mechanisms were developed against; HELD_OUT was
# written at the same time and only ever measured, never looked at while tuning (docs/voice.md reports
# both). Neither list feeds the recognizer vocabulary: that comes from the catalogue and the NLU lexicons.
TUNING: tuple[str, ...] = (
    "help me find music",
    "help me find some upbeat rock music",
    "play some relaxing jazz from the sixties",
    "something upbeat",
    "something laid back",
    "rock",
    "jazz please",
    "yes",
    "no",
    "skip",
    "i love it",
    "something else",
    "music for running",
    "from the nineties",
    "i don't know",
    "more upbeat",
    "classical",
    "hip hop",
    "stop",
    "the second one",
    "what is this",
    "go back",
    "something like bram crane",
    "songs by colm garvey",
    "i don't like jazz",
    "no more punk please",
    "something for a road trip",
    "music for studying",
    "something to dance to",
    "the eighties or nineties",
    "i'm sad cheer me up",
    "calm me down",
    "just play something",
    "surprise me",
    "too slow",
    "a bit faster",
    "nothing upbeat",
    "the last one",
    "i give up",
    "the previous one was better",
    "play some country",
    "something for a rainy day",
    "old school hip hop",
    "how about some reggae",
)
HELD_OUT: tuple[str, ...] = (
    "find me some chill electronic music",
    "i want something happy",
    "play some blues from the seventies",
    "yes please",
    "not for me",
    "next one",
    "music for cooking",
    "something like amos whitlock",
    "how about some metal",
    "the first one",
    "who sings this",
    "something more mellow",
    "i'm not sure",
    "play something for a workout",
    "some soul from the sixties",
    "country isn't my thing",
    "no thanks",
    "something quieter",
    "play anything",
    "that's perfect",
    "some classic rock",
    "i want to listen to folk music",
)
SET_VOICES: tuple[str, ...] = ("en-us", "en-us+f2", "en-gb")
"""espeak-ng voices of the spoken set: plain US (the hardest for pocketsphinx), a female variant, British."""
SET_RATES: tuple[int, ...] = (140, 175)
"""Words per minute: a deliberate pace and espeak-ng's brisk default."""
NOISE_SNR_DB = 10.0
NOISE_KIND = "generated babble: six espeak-ng talkers reading unrelated text, pink noise and dish clinks"


@dataclass(frozen=True)
class SpokenItem:
    text: str
    voice: str
    rate: int
    snr_db: float | None
    """None: clean; else babble mixed in at this signal-to-noise ratio."""
    held_out: bool

    @property
    def condition(self) -> str:
        return "clean" if self.snr_db is None else f"{self.snr_db:.0f} dB SNR"


def spoken_set(texts: tuple[str, ...] | None = None) -> list[SpokenItem]:
    """Every request in every voice; the rate alternates by request and voice, and every third
    (request, voice) pair gets babble at 10 dB SNR, so each voice has both rates and both conditions."""
    items: list[SpokenItem] = []
    requests = [(t, False) for t in TUNING] + [(t, True) for t in HELD_OUT]
    if texts is not None:
        requests = [(t, t in HELD_OUT) for t in texts]
    for i, (text, held_out) in enumerate(requests):
        for v, voice in enumerate(SET_VOICES):
            rate = SET_RATES[(i + v) % len(SET_RATES)]
            noisy = (i + 2 * v) % 3 == 0
            items.append(SpokenItem(text, voice, rate, NOISE_SNR_DB if noisy else None, held_out))
    return items


def cache_dir() -> Path:
    """Rendered speech is cached outside the repository ($TUNETALK_SPEECH_CACHE, else ~/.cache)."""
    configured = os.environ.get("TUNETALK_SPEECH_CACHE")
    base = Path(configured) if configured else Path.home() / ".cache" / "tunetalk" / "speech"
    base.mkdir(parents=True, exist_ok=True)
    return base


_BABBLE_TEXT = (
    "the weather was lovely this morning so we walked down to the harbour and had coffee by the water. "
    "my sister says the new bakery on the corner sells the best bread in town but it closes early. "
    "did you finish the report for thursday or do we need another meeting about the budget. "
    "the train was late again and the platform was so crowded that nobody could find a seat. "
    "we should paint the kitchen before the guests arrive next month, maybe a pale green. "
    "he told me the garden needs more sun and less water, the tomatoes are not doing well at all. "
)
_BABBLE_VOICES = ("en-us+m1", "en-gb+f3", "en-029", "en-us+m7", "en-gb-scotland+f4", "en-us+m4")


def babble(folder: Path, seconds: float = 40.0, rate: int = 16000, seed: int = 7) -> Sound:
    """Café-like noise, generated: six espeak-ng talkers reading unrelated sentences at once, a pink-noise
    room bed 10 dB under them and a few dish clinks. No free-licence noise recording ships in a package
    this project can install, so the noise is made, deterministically."""
    path = folder / f"babble-{seed}-{seconds:g}-{rate}.wav"
    if path.exists():
        return read_wav(path)
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    mix = np.zeros(n, dtype=np.float64)
    sentences = [s.strip() + "." for s in _BABBLE_TEXT.split(".") if s.strip()]
    for k, voice in enumerate(_BABBLE_VOICES):
        order = [sentences[j] for j in rng.permutation(len(sentences))]
        talk = espeak(" ".join(order * 3), folder, voice=voice, rate=150 + 10 * k).at_rate(rate).samples
        talk = talk / (np.sqrt(np.mean(talk.astype(np.float64) ** 2)) + 1e-9)
        start = int(rng.integers(0, max(1, len(talk) - n)))
        piece = np.resize(np.roll(talk, -start), n)
        mix += piece
    mix /= np.sqrt(np.mean(mix**2)) + 1e-12
    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(white)
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))  # 1/f power: pink
    pink = np.fft.irfft(spectrum, n)
    pink /= np.sqrt(np.mean(pink**2)) + 1e-12
    mix += 10 ** (-10 / 20) * pink
    for _ in range(int(seconds / 3)):
        at = int(rng.integers(0, n - rate // 4))
        t = np.arange(rate // 4) / rate
        clink = np.sin(2 * np.pi * rng.uniform(2500, 5000) * t) * np.exp(-t * 40)
        mix[at : at + len(t)] += 1.5 * clink
    mix *= 0.1 / (np.sqrt(np.mean(mix**2)) + 1e-12)
    return read_wav(write_wav(path, Sound(mix.astype(np.float32), rate)))


def mix_at_snr(speech: Sound, noise: Sound, snr_db: float, offset: int) -> Sound:
    """Speech plus noise scaled so that speech power (over its active 30 ms frames) is `snr_db` above the
    noise power. The noise runs through the whole clip, silences included, as a room's would."""
    rate = speech.rate
    clean = speech.samples.astype(np.float64)
    frame = int(0.03 * rate)
    n = len(clean) // frame
    power = np.mean(clean[: n * frame].reshape(n, frame) ** 2, axis=1)
    active = power[power > power.max() * 10 ** (-40 / 10)]
    speech_power = float(np.mean(active))
    bed = noise.at_rate(rate).samples.astype(np.float64)
    piece = np.resize(np.roll(bed, -(offset % len(bed))), len(clean))
    piece *= np.sqrt(speech_power / (np.mean(piece**2) * 10 ** (snr_db / 10)))
    return Sound(np.clip(clean + piece, -1.0, 1.0).astype(np.float32), rate)


def render(item: SpokenItem, folder: Path | None = None, lead: float = 0.5, tail: float = 0.8) -> Sound:
    """One item of the spoken set as it would reach a microphone: 16 kHz, with silence (or the room's
    noise) before and after the words. In a noisy room the microphone hears the room for a while before
    the person speaks (1.5 s here), as it does when the assistant has just finished talking."""
    folder = folder or cache_dir()
    if item.snr_db is not None:
        lead = max(lead, 1.5)
    speech = espeak(item.text, folder, voice=item.voice, rate=item.rate).at_rate(16000)
    padded = Sound(
        np.concatenate(
            [np.zeros(int(lead * 16000), np.float32), speech.samples, np.zeros(int(tail * 16000), np.float32)]
        ),
        16000,
    )
    if item.snr_db is None:
        return padded
    seed = int(hashlib.sha1(f"{item.text}|{item.voice}|{item.rate}".encode()).hexdigest()[:8], 16)
    return mix_at_snr(padded, babble(folder), item.snr_db, seed)
