"""Finding the sound devices, with errors that say what is missing and how to get it."""

from __future__ import annotations

import time
from typing import Any

from audio.errors import AudioError, ListenError, PlaybackError

__all__ = ["dac_time", "import_sounddevice", "input_device", "output_device"]

HINT_PORTAUDIO = "install PortAudio: sudo apt-get install libportaudio2"
HINT_NO_MIC = (
    "connect or enable a microphone (on a headless machine a PulseAudio null sink can stand in), "
    "or run from a recording: python main.py voice --audio-in FILE.wav"
)
HINT_NO_SPEAKER = (
    "connect or enable an audio output (on a headless machine a PulseAudio null sink can stand "
    "in), or record what would be played: python main.py voice --audio-out FILE.wav"
)


def import_sounddevice(error: type[AudioError]) -> Any:
    """sounddevice, or `error("no-portaudio")` when the PortAudio library is missing."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be found
        raise error("no-portaudio", f"the PortAudio library is missing ({exc})", HINT_PORTAUDIO) from exc
    except ImportError as exc:
        raise error(
            "no-portaudio",
            "the sounddevice package is not installed",
            "pip install sounddevice (in the project's .venv)",
        ) from exc
    return sounddevice


def input_device(device: int | str | None = None) -> dict[str, Any]:
    """The input device that would be used; ListenError("no-microphone") when there is none."""
    sd = import_sounddevice(ListenError)
    try:
        info = sd.query_devices(device, kind="input")
    except (sd.PortAudioError, ValueError) as exc:
        what = f"microphone {device!r} not found" if device is not None else "no microphone found"
        raise ListenError("no-microphone", f"{what} (PortAudio: {exc})", HINT_NO_MIC) from exc
    if int(info.get("max_input_channels", 0)) < 1:
        raise ListenError("no-microphone", f"device {info.get('name')!r} has no input channels", HINT_NO_MIC)
    return dict(info)


def output_device(device: int | str | None = None) -> dict[str, Any]:
    """The output device that would be used; PlaybackError("no-speaker") when there is none."""
    sd = import_sounddevice(PlaybackError)
    try:
        info = sd.query_devices(device, kind="output")
    except (sd.PortAudioError, ValueError) as exc:
        what = f"speaker {device!r} not found" if device is not None else "no speaker (audio output) found"
        raise PlaybackError("no-speaker", f"{what} (PortAudio: {exc})", HINT_NO_SPEAKER) from exc
    if int(info.get("max_output_channels", 0)) < 1:
        raise PlaybackError(
            "no-speaker", f"device {info.get('name')!r} has no output channels", HINT_NO_SPEAKER
        )
    return dict(info)


def dac_time(offset: float, fallback: float) -> float:
    """Map a PortAudio stream-time offset (e.g. outputBufferDacTime - currentTime) onto time.monotonic().

    Host APIs report these times differently (ALSA's pulse plugin sometimes reports zeros), so an offset
    outside 0..2 s is replaced by `fallback` (the stream's nominal latency)."""
    if not 0.0 <= offset <= 2.0:
        offset = fallback
    return time.monotonic() + offset
