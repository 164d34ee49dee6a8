"""One error class per voice stage, each with a stable machine-readable code and a hint saying what to do."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AudioError",
    "ListenError",
    "PlaybackError",
    "RecognizerError",
    "SpeechError",
    "Stage",
]


class Stage(StrEnum):
    """Where in the voice loop something went wrong (the `stage` of an ErrorEvent)."""

    LISTEN = "listen"  # microphone or audio-in file, utterance segmentation
    RECOGNIZE = "recognize"  # speech recognition model and decoding
    SPEAK = "speak"  # speech synthesis
    PLAY = "play"  # speaker or audio-out file


class AudioError(Exception):
    """Base of the voice errors. `code` is stable (tests and logs match on it); `hint` says how to fix it."""

    stage: Stage = Stage.LISTEN

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def explain(self) -> str:
        """A two-line explanation for people: what is missing, then how to get it."""
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class ListenError(AudioError):
    """No microphone, an unreadable audio-in file, a capture that failed.

    Codes: no-portaudio, no-microphone, microphone-failed, audio-file-missing, audio-file-unreadable.
    """

    stage = Stage.LISTEN


class RecognizerError(AudioError):
    """No usable speech recognition model or engine.

    Codes: no-vosk, no-vosk-model, vosk-model-invalid, vosk-model-failed, vosk-download-failed,
    no-pocketsphinx, pocketsphinx-failed, recognizer-failed.
    """

    stage = Stage.RECOGNIZE


class SpeechError(AudioError):
    """Replies cannot be turned into speech. Codes: no-tts, tts-failed, unknown-voice."""

    stage = Stage.SPEAK


class PlaybackError(AudioError):
    """No speaker, or playback failed. Codes: no-portaudio, no-speaker, playback-failed, audio-out-failed."""

    stage = Stage.PLAY
