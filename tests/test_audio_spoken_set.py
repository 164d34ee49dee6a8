"""The spoken test set through the command line a person runs: `python main.py voice --audio-in ...` as a
subprocess, real WAVs in, transcripts and reply audio out. Word error rate per voice and condition (clean,
babble at 10 dB SNR), the tuning phrasings and the held-out ones; the same files through the in-process
listener give the same transcripts (one recognizer configuration); first utterances are heard as well as
the rest. Figures are printed ([voice] lines) and kept in docs/voice.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.music.catalog import DEFAULT_CATALOG, load_catalog
from audio.listener import SpeechListener
from audio.sound import read_wav, write_wav
from audio.wav_source import WavSource
from cli.voice import make_recognizer
from tests.speech import (
    SET_VOICES,
    SpokenItem,
    needs_espeak,
    render,
    report_fixture,  # noqa: F401
    spoken_set,
    word_errors,
)

pytestmark = [pytest.mark.model, pytest.mark.slow, needs_espeak]

ROOT = Path(__file__).resolve().parents[1]


def _order(items: list[SpokenItem]) -> list[SpokenItem]:
    """Conditions and phrasings interleaved, as a conversation would mix them (fixed order)."""
    return sorted(items, key=lambda i: (hash_of(i.text) % 7, i.text))


def hash_of(text: str) -> int:
    return sum(ord(c) * (k + 1) for k, c in enumerate(text))


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[SpokenItem, Path]]]:
    """Per voice, the spoken set as WAV files in the order one person says them."""
    folder = tmp_path_factory.mktemp("spoken-set")
    out: dict[str, list[tuple[SpokenItem, Path]]] = {}
    for voice in SET_VOICES:
        items = _order([i for i in spoken_set() if i.voice == voice])
        out[voice] = [
            (item, write_wav(folder / voice / f"{n:03d}.wav", render(item))) for n, item in enumerate(items)
        ]
    return out


@pytest.fixture(scope="module")
def through_cli(
    recordings: dict[str, list[tuple[SpokenItem, Path]]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, Any]]]:
    """One `voice` process per speaker (voice): every file a conversation, replies recorded to WAVs.
    `--engine sphinx` is what `auto` picks without an English Vosk model; said outright so a developer's
    model in ~/.cache/vosk does not change what is measured."""
    base = {k: v for k, v in os.environ.items() if k not in ("PULSE_SERVER", "VOSK_MODEL_PATH")}
    results: dict[str, list[dict[str, Any]]] = {}
    for voice, files in recordings.items():
        out = tmp_path_factory.mktemp(f"replies-{voice}")
        done = subprocess.run(
            [
                sys.executable,
                "main.py",
                "voice",
                "--no-log",
                "--json",
                "--engine",
                "sphinx",
                "--audio-in",
                *[str(p) for _, p in files],
                "--audio-out",
                str(out),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env=base,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
        results[voice] = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert len(results[voice]) == len(files)
    return results


def heard_text(conversation: dict[str, Any]) -> str:
    return " ".join(t["text"] for t in conversation["turns"] if t["speaker"] == "user" and t["text"])


def rates(pairs: list[tuple[SpokenItem, str]]) -> dict[str, float]:
    """WER by voice, by condition, by phrasing set and overall."""
    totals: dict[str, list[int]] = {}
    for item, heard in pairs:
        errors, words = word_errors(item.text, heard)
        keys = [item.voice, item.condition, f"{item.voice} {item.condition}", "all"]
        keys.append(("held-out " if item.held_out else "tuning ") + item.condition)
        for key in keys:
            total = totals.setdefault(key, [0, 0])
            total[0] += errors
            total[1] += words
    return {key: e / n for key, (e, n) in totals.items()}


def test_the_command_line_hears_the_spoken_set(
    recordings: dict[str, list[tuple[SpokenItem, Path]]],
    through_cli: dict[str, list[dict[str, Any]]],
    report: Callable[[str], None],
) -> None:
    pairs = [
        (item, heard_text(conversation))
        for voice, files in recordings.items()
        for (item, _), conversation in zip(files, through_cli[voice], strict=True)
    ]
    wer = rates(pairs)
    report(
        f"voice --audio-in, spoken set ({len(pairs)} recordings): WER clean {wer['clean']:.3f}, "
        f"10 dB SNR {wer['10 dB SNR']:.3f}; tuning clean {wer['tuning clean']:.3f} / noisy "
        f"{wer['tuning 10 dB SNR']:.3f}, held-out clean {wer['held-out clean']:.3f} / noisy "
        f"{wer['held-out 10 dB SNR']:.3f}; "
        + ", ".join(f"{v} {wer[v + ' clean']:.3f}/{wer[v + ' 10 dB SNR']:.3f}" for v in SET_VOICES)
    )
    # Every conversation answered out loud, into its own WAV.
    for voice, conversations in through_cli.items():
        for conversation in conversations:
            reply = read_wav(conversation["voice"]["audio_out"])
            assert reply.duration > 0.5 and reply.rms() > 0.01, (voice, conversation["voice"])
            assert conversation["voice"]["engine"] == "pocketsphinx"
    # Where the recognizer stands (docs/voice.md; the targets are 0.10 and 0.20): a regression
    # past these bounds means something in the path the command line takes got worse.
    assert wer["clean"] <= 0.25
    assert wer["10 dB SNR"] <= 0.75


def test_the_command_line_hears_what_the_listener_hears_in_process(
    recordings: dict[str, list[tuple[SpokenItem, Path]]], through_cli: dict[str, list[dict[str, Any]]]
) -> None:
    # The same files, in the same order, through make_recognizer and the listener the command uses (the
    # first 24 of one speaker: the point is that they agree word for word).
    recognizer = make_recognizer(load_catalog(DEFAULT_CATALOG), engine="sphinx", say=lambda _message: None)
    voice = SET_VOICES[0]
    for (_, path), conversation in list(zip(recordings[voice], through_cli[voice], strict=True))[:24]:
        listener = SpeechListener(WavSource.from_file(path), recognizer)
        heard = []
        while (one := listener.listen()) is not None:
            heard.append(one.text)
        assert " ".join(heard) == heard_text(conversation), path


def test_a_first_utterance_is_heard_as_well_as_the_rest(
    recordings: dict[str, list[tuple[SpokenItem, Path]]],
    through_cli: dict[str, list[dict[str, Any]]],
    report: Callable[[str], None],
) -> None:
    # Each clean recording as the first thing a new process hears (the decoder reset to its state when
    # loaded), against the same recordings heard in sequence by the command line.
    recognizer = make_recognizer(load_catalog(DEFAULT_CATALOG), engine="sphinx", say=lambda _message: None)
    first: list[tuple[SpokenItem, str]] = []
    later: list[tuple[SpokenItem, str]] = []
    for voice, files in recordings.items():
        for (item, path), conversation in zip(files, through_cli[voice], strict=True):
            if item.snr_db is not None:
                continue
            recognizer.forget_speaker()
            listener = SpeechListener(WavSource.from_file(path), recognizer)
            heard = []
            while (one := listener.listen()) is not None:
                heard.append(one.text)
            first.append((item, " ".join(heard)))
            later.append((item, heard_text(conversation)))
    as_first, in_sequence = rates(first)["all"], rates(later)["all"]
    report(f"clean spoken set: WER {as_first:.3f} as first utterances, {in_sequence:.3f} in sequence")
    assert as_first <= in_sequence + 0.02
