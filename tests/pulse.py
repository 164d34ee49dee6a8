"""A private, headless PulseAudio for the audio tests: a null sink as the speaker, another as the microphone.

PortAudio (sounddevice) reaches it through ALSA's pulse plugin when PULSE_SERVER points at its socket.
The app records from the monitor of the "micsink" null sink (the default source), so whatever a test
plays into "micsink" is what the microphone hears; what the app plays goes to the "speaker" null sink,
whose monitor a test records to check it. The daemon runs in a fresh runtime folder and is stopped by
process id afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from audio.sound import Sound, write_wav

__all__ = [
    "MISSING_REASON",
    "PulseServer",
    "SpeakerRecording",
    "pulse_fixture",
    "pulse_missing",
    "start_pulse",
]

TOOLS = ("pulseaudio", "pactl", "paplay", "parec")


def pulse_missing() -> str | None:
    """Why the PulseAudio tests cannot run here, or None."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return (
            f"PulseAudio tools missing ({', '.join(missing)}); "
            "install with: apt-get install pulseaudio pulseaudio-utils libasound2-plugins"
        )
    if not Path("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so").exists() and not any(
        Path(p).glob("alsa-lib/libasound_module_pcm_pulse.so") for p in ("/usr/lib", "/usr/lib64")
    ):
        return "ALSA's pulse plugin is missing; install with: apt-get install libasound2-plugins"
    return None


MISSING_REASON = pulse_missing()


@dataclass
class SpeakerRecording:
    """Records the speaker's monitor (parec, raw 16 kHz mono) from start until stop()."""

    process: subprocess.Popen[bytes]
    rate: int = 16000
    chunks: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while True:
            data = self.process.stdout.read(3200)
            if not data:
                break
            self.chunks.append(data)

    def stop(self) -> Sound:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._thread.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        data = b"".join(self.chunks)
        return Sound.from_int16(data[: len(data) // 2 * 2], self.rate)


@dataclass
class PulseServer:
    runtime: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    speaker: str = "speaker"
    mic_sink: str = "micsink"

    def run(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(list(args), env=self.env, capture_output=True, timeout=timeout, check=False)

    def play_into_microphone(self, sound: Sound, *, wait: bool = True) -> subprocess.Popen[bytes]:
        """Play a sound into the virtual microphone (the null sink whose monitor the app records)."""
        path = self.runtime / f"say-{time.monotonic_ns()}.wav"
        write_wav(path, sound)
        process = subprocess.Popen(
            ["paplay", f"--device={self.mic_sink}", str(path)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if wait:
            process.wait(timeout=sound.duration + 15)
        return process

    def record_speaker(self, rate: int = 16000) -> SpeakerRecording:
        process = subprocess.Popen(
            [
                "parec",
                f"--device={self.speaker}.monitor",
                "--format=s16le",
                f"--rate={rate}",
                "--channels=1",
                "--latency-msec=20",
                "--raw",
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        recording = SpeakerRecording(process, rate)
        time.sleep(0.3)  # parec needs a moment to connect; earlier sound would be missed
        return recording


def _reload_portaudio() -> None:
    """PortAudio lists devices once, at initialization; make it look again (and ALSA re-read its config)."""
    import sounddevice

    sounddevice._terminate()  # private, but the only way to refresh the device list
    sounddevice._initialize()


@contextlib.contextmanager
def start_pulse() -> Iterator[PulseServer]:
    """Start a private PulseAudio daemon with the two null sinks; stop it (by pid) afterwards."""
    runtime = Path(tempfile.mkdtemp(prefix="tunetalk-pulse-"))
    socket = runtime / "native"
    env = {
        **os.environ,
        "PULSE_RUNTIME_PATH": str(runtime),
        "XDG_RUNTIME_DIR": str(runtime),
        "HOME": str(runtime),
        "PULSE_SERVER": f"unix:{socket}",
    }
    env.pop("PULSE_SINK", None)
    env.pop("PULSE_SOURCE", None)
    log = (runtime / "pulseaudio.log").open("wb")
    process = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            "--disable-shm=yes",
            "--log-target=stderr",
            "-L",
            f"module-native-protocol-unix socket={socket} auth-anonymous=1",
            "-L",
            "module-null-sink sink_name=speaker sink_properties=device.description=Speaker",
            "-L",
            "module-null-sink sink_name=micsink sink_properties=device.description=Microphone",
            "-L",
            "module-always-sink",
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    server = PulseServer(runtime, process, env)
    saved = {k: os.environ.get(k) for k in ("PULSE_SERVER", "PULSE_RUNTIME_PATH")}
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"pulseaudio exited: {(runtime / 'pulseaudio.log').read_text()[-2000:]}")
            if socket.exists() and server.run("pactl", "info").returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("pulseaudio did not start within 10 s")
        server.run("pactl", "set-default-sink", "speaker")
        server.run("pactl", "set-default-source", "micsink.monitor")
        os.environ["PULSE_SERVER"] = env["PULSE_SERVER"]
        os.environ["PULSE_RUNTIME_PATH"] = str(runtime)
        _reload_portaudio()
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        with contextlib.suppress(Exception):
            _reload_portaudio()
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture(scope="module", name="pulse")
def pulse_fixture() -> Iterator[PulseServer]:
    if MISSING_REASON:
        pytest.skip(MISSING_REASON)
    with start_pulse() as server:
        yield server


def silence(seconds: float, rate: int = 16000) -> Sound:
    return Sound(np.zeros(int(seconds * rate), dtype=np.float32), rate)
