"""`python main.py voice` as a person runs it: from a recording, with pieces missing, live on PulseAudio."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from audio.asr import recognize
from audio.sound import read_wav, write_wav
from audio.sphinx_asr import SphinxRecognizer
from audio.vad import VadConfig
from audio.vocabulary import build_vocabulary, spoken_form
from audio.wav_source import split_utterances
from tests.pulse import PulseServer, pulse_fixture  # noqa: F401
from tests.speech import ESPEAK, conversation, espeak, needs_espeak, report_fixture, word_errors  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
REQUEST = ["help me find music", "something upbeat", "rock", "yes"]
ANSWERS = ["yes", "yes"]
"""What the person says after the request if asked: to a confirmation ("Rock, did I get that right?") and
to the next sample. Once the conversation has ended, the rest of the recording is not listened to."""


def voice(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PULSE_SERVER", "VOSK_MODEL_PATH")}
    return subprocess.run(
        [sys.executable, "main.py", "voice", "--no-log", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **(env or {})},
    )


@pytest.fixture(scope="module")
def request_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("voice-cli")
    if ESPEAK is None:
        pytest.skip("espeak-ng is not installed")
    return write_wav(folder / "request.wav", conversation(REQUEST + ANSWERS, folder, voice="en-us"))


@pytest.mark.model
@needs_espeak
def test_a_recorded_request_ends_accepted_with_the_reply_audio_recorded(
    request_wav: Path, tmp_path: Path, report: Callable[[str], None]
) -> None:
    out = tmp_path / "reply.wav"
    done = voice("--audio-in", str(request_wav), "--audio-out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    conversation_json = json.loads(done.stdout)
    assert conversation_json["outcome"]["status"] == "accepted"
    users = [t for t in conversation_json["turns"] if t["speaker"] == "user"]
    assert [u["text"] for u in users] == (REQUEST + ANSWERS)[: len(users)]
    assert all(0.0 < u["asr"]["confidence"] <= 1.0 and u["asr"]["engine"] == "pocketsphinx" for u in users)
    replies = [t["text"] for t in conversation_json["turns"] if t["speaker"] == "assistant"]
    # Everything that would have been played: each reply spoken, the sample, and the accepted track.
    recorded = read_wav(out)
    speech = split_utterances(recorded.at_rate(16000), VadConfig(endpoint_seconds=1.0))
    assert recorded.duration > 8.0 + 1.5 * len(replies)
    assert recorded.rms() > 0.02
    knowing = SphinxRecognizer(build_vocabulary({"command": replies}, core={})).load()
    # Replies follow each other with short gaps, so the first stretch of speech holds the first replies.
    expected = spoken_form(replies[0])
    first = recognize(knowing, speech[0].samples, speech[0].rate).text
    errors, words = word_errors(expected, " ".join(first.split()[: len(expected.split())]))
    report(f"voice --audio-in: heard {[u['text'] for u in users]}; first reply back as {first!r}")
    assert errors / words <= 0.4


def test_a_missing_audio_in_file_is_a_clear_error(tmp_path: Path) -> None:
    done = voice("--audio-in", str(tmp_path / "nope.wav"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "espeak-ng -w" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_microphone_or_speaker_it_says_what_is_missing_and_talks_in_text() -> None:
    done = voice("--input-device", "99", stdin="help me find music\nstop\n")
    assert done.returncode == 0
    assert "microphone 99 not found" in done.stderr
    assert "--audio-in FILE.wav" in done.stderr
    assert "text mode" in done.stderr
    assert "tunetalk: Do you have anything in mind?" in done.stdout or "you:      stop" in done.stdout
    assert "outcome: stopped" in done.stdout
    assert "Traceback" not in done.stderr


def test_text_mode_json_names_the_missing_pieces() -> None:
    done = voice("--input-device", "99", "--json", stdin="help me find music\nstop\n")
    data = json.loads(done.stdout)
    assert data["outcome"]["status"] == "stopped"
    assert "no-microphone" in {m["code"] for m in data["voice"]["missing"]}


@pytest.mark.model
@needs_espeak
def test_asking_for_vosk_without_a_model_says_how_to_get_one_and_carries_on(
    request_wav: Path, tmp_path: Path
) -> None:
    done = voice(
        "--audio-in",
        str(request_wav),
        "--audio-out",
        str(tmp_path / "o.wav"),
        "--engine",
        "vosk",
        env={"HOME": str(tmp_path)},
    )
    assert done.returncode == 0
    assert "No Vosk model for en-us" in done.stderr
    assert "--download-model" in done.stderr and "--vosk-model PATH" in done.stderr
    assert "falling back to pocketsphinx" in done.stderr
    assert "outcome: accepted" in done.stdout


@pytest.mark.audio
@pytest.mark.model
@needs_espeak
def test_live_on_a_headless_sound_server(pulse: PulseServer, tmp_path: Path) -> None:
    env = {"PULSE_SERVER": pulse.env["PULSE_SERVER"], "PULSE_RUNTIME_PATH": str(pulse.runtime)}
    base = {k: v for k, v in os.environ.items() if k != "VOSK_MODEL_PATH"}
    process = subprocess.Popen(
        [sys.executable, "main.py", "voice", "--no-log", "--timeout", "20"],
        cwd=ROOT,
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        recording = pulse.record_speaker()
        deadline = time.monotonic() + 30
        greeting = read_until(process, "listening", deadline)
        assert greeting, "voice did not start listening"
        assert process.stdout is not None
        output = _Output(process.stdout)
        time.sleep(3.0)  # the greeting is being spoken
        pulse.play_into_microphone(espeak("help me find music", tmp_path, voice="en-us+f2").padded(0.2))
        assert output.next_with("tunetalk:", 25.0), "no reply to the request"
        # As a person would: say "stop" again if it was misheard (live capture on a loaded 2-core
        # machine sometimes loses part of a word), up to three times.
        for _ in range(3):
            time.sleep(3.0)  # the reply is being spoken
            pulse.play_into_microphone(espeak("stop", tmp_path, voice="en-us+f2").padded(0.2))
            heard = output.next_with("you:", 12.0)
            if heard is not None and heard.split(":", 1)[1].strip() == "stop":
                break
        assert output.next_with("outcome:", 15.0), "the conversation did not end"
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    captured = recording.stop()
    stdout = output.text()
    assert process.stderr is not None
    with process.stderr:
        stderr = process.stderr.read()
    assert process.returncode == 0, stderr
    assert "outcome: stopped" in stdout, stdout
    assert "you:      stop" in stdout
    assert captured.rms() > 0.005  # greeting and replies came out of the speaker


class _Output:
    """A process's stdout read on a thread, so the test can wait for a line with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._stream = stream
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)

    def next_with(self, marker: str, seconds: float) -> str | None:
        """The next line containing `marker` (lines before it are kept, not matched); None after `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                return None
            self.seen.append(line)
            if marker in line:
                return line
        return None

    def text(self) -> str:
        """Everything written, once the process has ended (the stream is closed after)."""
        self._thread.join(timeout=10)
        self._stream.close()
        while not self._lines.empty():
            self.seen.append(self._lines.get_nowait())
        return "".join(self.seen)


def read_until(process: subprocess.Popen[str], marker: str, deadline: float) -> bool:
    """Read stderr lines until one contains `marker`."""
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            return False
        if marker in line:
            return True
    return False
