"""Clips for the now-playing panel: a one-seam player, a time-based silent stand-in, and the deck.

The panel never touches sound hardware. It drives a `ClipPlayer` (play from the start, stop, how far it
got); `detect_audio()` builds the real one on top of the voice mode's player (audio/player.py) and clip
synthesis (audio/clips.py) when both exist and a device answers, and otherwise a `SilentPlayer` that
only keeps time, so progress, pause and the station behave the same with audio off.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from assistant.music.catalog import Track

__all__ = [
    "PREVIEW_SECONDS",
    "AudioSetup",
    "Clip",
    "ClipLoader",
    "ClipPlayer",
    "Deck",
    "DeviceClipPlayer",
    "SilentPlayer",
    "detect_audio",
    "silent_clip",
]

PREVIEW_SECONDS = 15.0
"""How long a preview lasts when no clip can be made (audio off, or no clip synthesis in this build)."""
_SILENT_RATE = 100
"""Sample rate of stand-in clips: only their length matters, so keep them tiny."""

ClipLoader = Callable[[Track], tuple[np.ndarray, int]]
"""audio.clips.load_clip's shape: a track in, (mono float samples, sample rate) out."""


@runtime_checkable
class ClipPlayer(Protocol):
    """The one seam between the panel and sound: a single clip at a time."""

    def play(self, samples: np.ndarray, rate: int) -> None:
        """Start playing these samples now, replacing whatever was playing."""
        ...

    def stop(self) -> None:
        """Stop at once; `position` then stays where it stopped."""
        ...

    @property
    def position(self) -> float:
        """Seconds of the current clip heard so far."""
        ...


class SilentPlayer:
    """Plays nothing and keeps time: the "silent preview" used when audio is off, and in tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._started: float | None = None
        self._stopped_at = 0.0
        self._duration = 0.0

    def play(self, samples: np.ndarray, rate: int) -> None:
        self._duration = len(samples) / float(rate)
        self._started = self.clock()

    def stop(self) -> None:
        self._stopped_at = self.position
        self._started = None

    @property
    def position(self) -> float:
        if self._started is None:
            return self._stopped_at
        return min(self._duration, max(0.0, self.clock() - self._started))


class DeviceClipPlayer:
    """The voice mode's queued player (audio.player.DevicePlayer), one clip at a time."""

    def __init__(self, player: Any) -> None:
        self.player = player
        self._handle: Any = None

    def play(self, samples: np.ndarray, rate: int) -> None:
        from audio.sound import Sound

        self.stop()
        self._handle = self.player.play(Sound(np.asarray(samples, dtype=np.float32), int(rate)), "clip")

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.stop()

    @property
    def position(self) -> float:
        handle = self._handle
        if handle is None:
            return 0.0
        return float(handle.position) / float(handle.sound.rate)

    def close(self) -> None:
        close = getattr(self.player, "close", None)
        if close is not None:
            close(drain=False)


@dataclass(frozen=True)
class Clip:
    """What the deck plays: the track and its sound (real, or a silent stand-in of the same length)."""

    track: Track
    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.rate)


def silent_clip(track: Track, seconds: float = PREVIEW_SECONDS) -> Clip:
    return Clip(track, np.zeros(round(seconds * _SILENT_RATE), dtype=np.float32), _SILENT_RATE)


class Deck:
    """The now-playing state machine over a ClipPlayer: load, play/pause (resume where it paused), stop.

    Pausing is stop-and-remember, and resuming plays the rest of the samples, so the seam needs no pause.
    """

    def __init__(self, player: ClipPlayer) -> None:
        self.player = player
        self.clip: Clip | None = None
        self.playing = False
        self._offset = 0.0
        """Seconds already played before the current play() (after a pause)."""

    def load(self, clip: Clip, *, play: bool = True) -> None:
        self.stop()
        self.clip = clip
        self._offset = 0.0
        if play:
            self.resume()

    def resume(self) -> None:
        if self.clip is None or self.playing:
            return
        if self.finished:
            self._offset = 0.0  # play again from the start
        start = round(self._offset * self.clip.rate)
        self.player.play(self.clip.samples[start:], self.clip.rate)
        self.playing = True

    def pause(self) -> None:
        if self.playing:
            self._offset = self.position
            self.player.stop()
            self.playing = False

    def toggle(self) -> bool:
        """Play if paused, pause if playing; returns whether it is now playing."""
        if self.playing:
            self.pause()
        else:
            self.resume()
        return self.playing

    def stop(self) -> None:
        """Stop and forget the clip's progress (a new clip, or the conversation ended without music)."""
        if self.playing:
            self.player.stop()
        self.playing = False
        self._offset = 0.0

    def eject(self) -> None:
        self.stop()
        self.clip = None

    @property
    def duration(self) -> float:
        return self.clip.duration if self.clip else 0.0

    @property
    def position(self) -> float:
        if self.clip is None:
            return 0.0
        if not self.playing:
            return self._offset
        return min(self.duration, self._offset + self.player.position)

    @property
    def finished(self) -> bool:
        return self.clip is not None and self.position >= self.duration - 1e-3

    def tick(self) -> bool:
        """Call periodically: notices the end of the clip. True when it has just ended."""
        if self.playing and self.finished:
            self.player.stop()
            self.playing = False
            self._offset = self.duration
            return True
        return False


@dataclass(frozen=True)
class AudioSetup:
    """How clips will sound: a real player, or the silent stand-in and the reason audio is off."""

    player: ClipPlayer
    live: bool
    """True when clips are actually heard."""
    reason: str = ""
    """Why audio is off ("" when live), short enough for a panel line."""
    load_clip: ClipLoader | None = None
    """Makes a clip's sound; None when this build has no clip synthesis."""

    def clip_for(self, track: Track) -> Clip:
        """The track's clip; a silent stand-in of PREVIEW_SECONDS when none can be made."""
        if self.load_clip is None:
            return silent_clip(track)
        samples, rate = self.load_clip(track)
        return Clip(track, np.asarray(samples, dtype=np.float32), int(rate))

    def close(self) -> None:
        close = getattr(self.player, "close", None)
        if close is not None:
            close()


def _short(message: str) -> str:
    """Drop a trailing technical detail in parentheses ("... (PortAudio: Error -1)")."""
    return re.sub(r"\s*\([^()]*:[^()]*\)$", "", message).strip()


def detect_audio(
    *, enabled: bool = True, device: int | str | None = None, clock: Callable[[], float] = time.monotonic
) -> AudioSetup:
    """The voice mode's output path when a device and clip synthesis exist; else silent, with the reason.

    Slow (imports sounddevice, opens the device): call it from a worker thread.
    """
    silent = SilentPlayer(clock)
    if not enabled:
        return AudioSetup(silent, False, "--no-audio")
    try:
        from audio.clips import load_clip
    except ImportError:
        return AudioSetup(silent, False, "no clip synthesis in this build")
    try:
        from audio.errors import AudioError
        from audio.player import DevicePlayer
    except ImportError as exc:
        return AudioSetup(silent, False, f"no audio player ({exc})", load_clip)
    try:
        player = DevicePlayer(device=device).open()
    except AudioError as exc:
        return AudioSetup(silent, False, _short(exc.message), load_clip)
    return AudioSetup(DeviceClipPlayer(player), True, "", load_clip)
