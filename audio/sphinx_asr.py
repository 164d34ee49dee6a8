"""Speech recognition with pocketsphinx 5 and its bundled US English model: works with no download at all.

Its general language model is weak on music requests, so by default it decodes with a small domain
trigram model trained on sentences made from the recognizer vocabulary (catalogue artists and genres,
the NLU's phrases). Words missing from the pronunciation dictionary (fictional artist names) get a
pronunciation from espeak-ng's phonemes. If building the domain model fails, it falls back to the full
general model and says why (`fallback_reason`).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio.asr import Recognition, StreamUpdate, Word, _Timer, clean_words
from audio.errors import RecognizerError
from audio.sound import Sound
from audio.vad import frame_levels_db
from audio.vocabulary import Vocabulary

__all__ = [
    "CALIBRATION",
    "CMN_PRIOR",
    "FrontEnd",
    "SphinxRecognizer",
    "calibrate_cmn",
    "espeak_pronunciations",
    "ipa_to_arpabet",
]

RATE = 16000

CMN_PRIOR = "52.60,-1.51,0.67,19.01,-9.91,-6.86,0.38,-12.25,-5.17,-7.68,-1.06,-7.43,-2.07"
"""The cepstral mean a new decoder starts from: the mean pocketsphinx arrived at after decoding CALIBRATION
through this module's FrontEnd (`calibrate_cmn`; tests/test_audio_sphinx.py checks it still does). The
acoustic model's own default (40,3,-1,0,...) is for audio at another level and through another channel:
first utterances decoded from it had WER 0.28 against 0.19 later in the conversation; from this prior the
first utterance is heard as well as the rest (docs/voice.md). Live CMN still adapts from here to each
speaker and microphone."""

CONFIDENCE = (0.876, 1.503)
"""Recognition confidence = the chance the utterance's words are all right, a logistic curve over the log
of the per-word posterior (slope, intercept), fitted on the tuning half of the spoken test set (132
recordings, clean and in babble; 58 % heard exactly right). The posterior itself is no probability of
being right: the noise floor the front end adds spreads it over silence alignments (0.13 for a "rock"
heard right), and the dialogue manager confirms anything below 0.45."""

CALIBRATION: tuple[tuple[str, str], ...] = tuple(
    (voice, sentence)
    for voice in ("en-us+m3", "en-gb-x-rp", "en-029")
    for sentence in (
        "the weather was lovely this morning so we walked down to the harbour",
        "my sister says the new bakery on the corner sells the best bread in town",
        "did you finish the report for thursday or do we need another meeting",
        "the train was late again and nobody could find a seat",
        "we should paint the kitchen before the guests arrive next month",
        "he told me the garden needs more sun and less water",
    )
)
"""Calibration speech: espeak-ng voices that the spoken test set does not use, reading sentences that are
not requests, so the prior carries the channel and level, not the test set's words or voices."""

# espeak-ng IPA (with --ipa=3 ties) -> CMU ARPAbet as used by the bundled dictionary (no stress digits).
_IPA_UNITS: dict[str, str] = {
    "eɪ": "EY",
    "aɪ": "AY",
    "ɔɪ": "OY",
    "aʊ": "AW",
    "oʊ": "OW",
    "əʊ": "OW",
    "tʃ": "CH",
    "dʒ": "JH",
    "ɪə": "IH R",
    "eə": "EH R",
    "ʊə": "UH R",
    "iə": "IY AH",
    "ɪ": "IH",
    "ᵻ": "IH",
    "ɛ": "EH",
    "e": "EH",
    "æ": "AE",
    "a": "AE",
    "ɑ": "AA",
    "ɑː": "AA",
    "ɒ": "AA",
    "ɔ": "AO",
    "ɔː": "AO",
    "o": "OW",
    "oː": "OW",
    "ʊ": "UH",
    "u": "UW",
    "uː": "UW",
    "ʌ": "AH",
    "ə": "AH",
    "ɐ": "AH",
    "ɚ": "ER",
    "ɜ": "ER",
    "ɜː": "ER",
    "ɝ": "ER",
    "i": "IY",
    "iː": "IY",
    "y": "UW",
    "p": "P",
    "b": "B",
    "t": "T",
    "d": "D",
    "k": "K",
    "ɡ": "G",
    "g": "G",
    "f": "F",
    "v": "V",
    "θ": "TH",
    "ð": "DH",
    "s": "S",
    "z": "Z",
    "ʃ": "SH",
    "ʒ": "ZH",
    "h": "HH",
    "m": "M",
    "n": "N",
    "ŋ": "NG",
    "l": "L",
    "ɫ": "L",
    "ɹ": "R",
    "r": "R",
    "ɾ": "T",
    "j": "Y",
    "w": "W",
    "ʍ": "W",
    "x": "K",
    "ç": "HH",
    "ʔ": "",
    "n̩": "N",
    "l̩": "L",
}
_DROP = {"ˈ", "ˌ", "‿", "-", " ", "\u0329"}
_JOIN = "\u200d"


def ipa_to_arpabet(ipa: str) -> str | None:
    """espeak-ng `--ipa=3` phonemes of one word -> ARPAbet, or None if a sound has no mapping."""
    groups: list[list[str]] = []
    join_next = False
    for ch in ipa.strip():
        if ch == _JOIN:
            join_next = True
            continue
        if ch in _DROP:
            continue
        if ch in ("ː", "ˑ") and groups:
            groups[-1][-1] += "ː"
            continue
        if join_next and groups:
            groups[-1].append(ch)
        else:
            groups.append([ch])
        join_next = False
    phones: list[str] = []
    for group in groups:
        whole = "".join(group)
        if whole in _IPA_UNITS:
            mapped = [_IPA_UNITS[whole]]
        elif all(u in _IPA_UNITS for u in group):
            mapped = [_IPA_UNITS[u] for u in group]
        else:
            return None
        phones.extend(p for m in mapped for p in m.split())
    return " ".join(phones) or None


def espeak_pronunciations(words: list[str], voice: str = "en-us") -> dict[str, str]:
    """Pronunciations for words the dictionary lacks, from espeak-ng (empty when espeak-ng is absent)."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if not exe or not words:
        return {}
    out: dict[str, str] = {}
    try:
        result = subprocess.run(
            [exe, "-q", "--ipa=3", "-v", voice],
            input="\n".join(words) + "\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
        pairs: list[tuple[str, str]] | None = (
            list(zip(words, lines, strict=True)) if len(lines) == len(words) else None
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if pairs is None:  # espeak-ng merged or split lines: ask word by word
        pairs = []
        for word in words:
            try:
                one = subprocess.run(
                    [exe, "-q", "--ipa=3", "-v", voice, word],
                    capture_output=True,
                    text=True,
                    timeout=10,
                    check=False,
                ).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                continue
            pairs.append((word, one))
    for word, ipa in pairs:
        arpabet = ipa_to_arpabet(ipa)
        if arpabet:
            out[word] = arpabet
    return out


@dataclass(frozen=True)
class FrontEnd:
    """What happens to the audio before pocketsphinx sees it.

    pocketsphinx's acoustic model normalizes its features by a running cepstral mean that starts from the
    model's default and only moves a little with each utterance, and its first coefficient follows the
    input level. A microphone 20 dB hotter or quieter than the training data, or espeak-ng's loud output,
    starts every conversation with a mean far off, so the first utterances were misheard (WER 0.65 first
    utterance against 0.29 later, docs/voice.md). Bringing each utterance to one speech level first makes
    the default mean fit from the first word on, and keeps it fitting when the speaker moves or the
    microphone gain changes. Digital silence (exact zeros between words of a file) has no spectrum at all;
    a faint noise floor, like any real microphone's, keeps the noise estimate and the features sane."""

    level_db: float | None = -26.0
    """Speech level (dBFS of the loud frames) each utterance is scaled to; None leaves the input as is."""
    settle_seconds: float = 0.5
    """Audio held back at the start of an utterance to measure its level (decoding catches up at once)."""
    max_gain_db: float = 30.0
    floor_db: float | None = -60.0
    """A noise floor added to the scaled audio (dBFS); None adds nothing."""

    def gain(self, samples: np.ndarray, rate: int) -> float:
        """The linear gain that brings this speech to `level_db` (1.0 when there is nothing to measure)."""
        if self.level_db is None:
            return 1.0
        levels = frame_levels_db(samples, max(1, int(0.03 * rate)))
        if len(levels) == 0 or levels.max() < -80.0:
            return 1.0
        loud = levels[levels > levels.max() - 25.0]
        level = float(np.percentile(loud, 75))
        gain_db = min(self.max_gain_db, max(-self.max_gain_db, self.level_db - level))
        return float(10.0 ** (gain_db / 20.0))


@dataclass
class SphinxRecognizer:
    """pocketsphinx decoder; `vocabulary=None` or `domain=False` decodes with the full general model."""

    vocabulary: Vocabulary | None = None
    domain: bool = True
    model_dir: Path | None = None
    """The acoustic model folder holding en-us/ (default: the one inside the pocketsphinx package)."""
    language_weight: float = 10.0
    """How much the language model counts against the acoustics (pocketsphinx default 6.5); the domain
    model is small and trustworthy, so it may count more."""
    pronounce: tuple[str, ...] = ("artist", "title")
    """Vocabulary categories whose unknown words get an espeak-ng pronunciation. Not the lexicons: their
    unknown words are misspellings ("jaz", "nooo") that would only compete with the real word."""
    discount: float = 0.5
    """Probability mass the domain language model keeps back for word sequences it never saw."""
    front: FrontEnd = FrontEnd()
    cmn_prior: str | None = CMN_PRIOR
    """The cepstral mean to start from (None: the acoustic model's default)."""
    confidence_curve: tuple[float, float] = CONFIDENCE
    adapt_cmn: bool = False
    """Let pocketsphinx's live CMN carry the mean from one utterance to the next. Off: every utterance
    starts from `cmn_prior`, and the front end's level normalization adapts to the speaker. Live CMN
    counts the silence around each utterance too, so over a conversation the mean drifted towards silence
    (first coefficient 52.6 -> 45.7) and later utterances were heard worse than the first (WER 0.21
    against 0.16 on the tuning half of the spoken set, clean)."""
    name: str = "pocketsphinx"
    rate: int = RATE

    def __post_init__(self) -> None:
        self._decoder: Any = None
        self._initial_cmn: str | None = None
        self._workdir: Path | None = None
        self.fallback_reason: str | None = None
        self.oov_dropped: list[str] = []
        """Vocabulary words with no pronunciation (left out of the domain model)."""
        self.generated_pronunciations: dict[str, str] = {}

    # -- loading ------------------------------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path, Path]:
        try:
            import pocketsphinx
        except ImportError as exc:
            raise RecognizerError(
                "no-pocketsphinx",
                "pocketsphinx is not installed",
                "pip install pocketsphinx (in the project's .venv)",
            ) from exc
        base = Path(self.model_dir) if self.model_dir else Path(pocketsphinx.get_model_path())
        en = base / "en-us"
        hmm, lm, dic = en / "en-us", en / "en-us.lm.bin", en / "cmudict-en-us.dict"
        if not (hmm / "mdef").exists() or not dic.exists():
            raise RecognizerError(
                "no-pocketsphinx-model",
                f"no pocketsphinx English model in {en}",
                "reinstall pocketsphinx: pip install --force-reinstall pocketsphinx",
            )
        return hmm, lm, dic

    def load(self) -> SphinxRecognizer:
        """Build the domain model if asked and create the decoder. Idempotent."""
        if self._decoder is not None:
            return self
        from pocketsphinx import Decoder

        hmm, general_lm, dictionary = self._paths()
        if self.domain and self.vocabulary is not None:
            try:
                lm, dic = self._domain_model(dictionary)
                self._decoder = Decoder(
                    hmm=str(hmm),
                    lm=str(lm),
                    dict=str(dic),
                    samprate=self.rate,
                    lw=self.language_weight,
                    loglevel="FATAL",
                    **self._cmn_option(),
                )
                return self
            except Exception as exc:
                self.fallback_reason = f"domain language model failed ({type(exc).__name__}: {exc})"
            finally:
                self._remove_workdir()  # the decoder has read both files
        try:
            self._decoder = Decoder(
                hmm=str(hmm),
                lm=str(general_lm),
                dict=str(dictionary),
                samprate=self.rate,
                loglevel="FATAL",
                **self._cmn_option(),
            )
        except Exception as exc:
            raise RecognizerError(
                "pocketsphinx-failed",
                f"pocketsphinx could not start: {exc}",
                "reinstall pocketsphinx: pip install --force-reinstall pocketsphinx",
            ) from exc
        return self

    def _cmn_option(self) -> dict[str, str]:
        return {"cmninit": self.cmn_prior} if self.cmn_prior else {}

    def _domain_model(self, dictionary: Path) -> tuple[Path, Path]:
        from pocketsphinx.lm import ArpaBoLM

        assert self.vocabulary is not None
        words = set(self.vocabulary.words)
        pron: dict[str, list[str]] = {}
        with dictionary.open(encoding="utf-8") as handle:
            for line in handle:
                head, _, rest = line.partition(" ")
                base = head.split("(")[0]
                if base in words:
                    pron.setdefault(base, []).append(f"{head} {rest.strip()}")
        missing = sorted(set(self.vocabulary.words_of(self.pronounce)) - set(pron))
        self.generated_pronunciations = espeak_pronunciations(missing)
        for word, phones in self.generated_pronunciations.items():
            pron[word] = [f"{word} {phones}"]
        self.oov_dropped = sorted(words - set(pron))
        known = set(pron)
        sentences = [s for s in self.vocabulary.sentences() if all(w in known for w in s.split())]
        if not sentences:
            raise ValueError("no vocabulary sentence can be pronounced")
        self._workdir = Path(tempfile.mkdtemp(prefix="tunetalk-sphinx-"))
        lm_path, dic_path = self._workdir / "domain.arpa", self._workdir / "domain.dict"
        model = ArpaBoLM(text="\n".join(sentences) + "\n", add_start=True, discount_mass=self.discount)
        model.compute()
        model.write_file(str(lm_path))
        dic_path.write_text("".join(f"{line}\n" for w in sorted(pron) for line in pron[w]), encoding="utf-8")
        return lm_path, dic_path

    # -- decoding -----------------------------------------------------------------------------------
    def stream(self) -> _SphinxStream:
        self.load()
        if self._initial_cmn is None:  # before the first utterance moves it
            self._initial_cmn = self._decoder.get_cmn()
        elif not self.adapt_cmn:
            self._decoder.set_cmn(self._initial_cmn)
        # The same noise floor for every utterance: what is heard depends on the utterance, not on how many
        # came before it.
        return _SphinxStream(
            self._decoder, self.rate, self.front, np.random.default_rng(0), self.confidence_curve
        )

    def forget_speaker(self) -> None:
        """Back to the state of a freshly loaded decoder: the acoustic model's default cepstral mean, as
        the first utterance of a new process hears it (used to measure first utterances)."""
        self.load()
        if self._initial_cmn is None:
            self._initial_cmn = self._decoder.get_cmn()
        self._decoder.set_cmn(self._initial_cmn)

    def close(self) -> None:
        self._decoder = None
        self._remove_workdir()

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


class _SphinxStream:
    def __init__(
        self,
        decoder: Any,
        rate: int,
        front: FrontEnd,
        rng: np.random.Generator,
        confidence_curve: tuple[float, float] = (1.0, 0.0),
    ) -> None:
        self.decoder = decoder
        self.confidence_curve = confidence_curve
        self.rate = rate
        self.front = front
        self.rng = rng
        self.timer = _Timer()
        self.samples = 0
        self.partials: list[str] = []
        self._held: list[np.ndarray] = []
        self._gain: float | None = None if front.level_db is not None else 1.0
        with self.timer:
            decoder.start_utt()

    def _decode(self, samples: np.ndarray) -> None:
        assert self._gain is not None
        data = samples * self._gain
        if self.front.floor_db is not None:
            data = data + (10.0 ** (self.front.floor_db / 20.0)) * self.rng.standard_normal(len(data))
        pcm = (np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        with self.timer:
            self.decoder.process_raw(pcm, False, False)

    def _release(self) -> None:
        held = np.concatenate(self._held) if self._held else np.zeros(0, dtype=np.float32)
        self._held = []
        self._gain = self.front.gain(held, self.rate)
        if len(held):
            self._decode(held)

    def accept(self, samples: np.ndarray) -> StreamUpdate:
        self.samples += len(samples)
        samples = np.asarray(samples, dtype=np.float32)
        if self._gain is None:
            self._held.append(samples)
            if sum(len(h) for h in self._held) < self.front.settle_seconds * self.rate:
                return StreamUpdate()
            self._release()
        else:
            self._decode(samples)
        with self.timer:
            hyp = self.decoder.hyp()
        partial = " ".join(clean_words(hyp.hypstr.split())) if hyp is not None else ""
        if partial and (not self.partials or self.partials[-1] != partial):
            self.partials.append(partial)
        return StreamUpdate(partial=partial)

    def calibrate(self, raw: float) -> float:
        """The chance the words are right, from the per-word posterior (see CONFIDENCE)."""
        slope, intercept = self.confidence_curve
        return 1.0 / (1.0 + math.exp(-(slope * math.log(max(raw, 1e-6)) + intercept)))

    def _timed_words(self, confidence: float) -> tuple[Word, ...]:
        """The words with their times (seconds from the stream's first sample; pocketsphinx counts
        10 ms frames). Each gets the utterance's confidence: without a lattice there is no per-word one."""
        out = []
        try:
            for seg in self.decoder.seg():
                for word in clean_words([seg.word]):
                    out.append(Word(word, confidence, seg.start_frame / 100.0, (seg.end_frame + 1) / 100.0))
        except Exception:  # timings are a refinement; the text stands without them
            return ()
        return tuple(out)

    def finish(self) -> Recognition:
        if self._gain is None:
            self._release()
        with self.timer:
            self.decoder.end_utt()
            hyp = self.decoder.hyp()
        words = clean_words(hyp.hypstr.split()) if hyp is not None else []
        # The utterance posterior falls with every word; its per-word geometric mean is comparable across
        # short and long utterances (and with Vosk's per-word confidences).
        raw = float(hyp.prob) ** (1.0 / len(words)) if (hyp is not None and words) else 0.0
        confidence = self.calibrate(raw) if words else 0.0
        timed = self._timed_words(confidence) if words else ()
        return Recognition(
            " ".join(words),
            confidence,
            timed,
            tuple(self.partials),
            1,
            self.timer.seconds,
            self.samples / self.rate,
        )


def calibrate_cmn(recognizer: SphinxRecognizer, sounds: list[Sound]) -> str:
    """The cepstral mean after decoding `sounds` in order from the model's default: how CMN_PRIOR is
    measured (with the CALIBRATION recordings)."""
    from audio.asr import recognize

    fresh = SphinxRecognizer(
        recognizer.vocabulary,
        domain=recognizer.domain,
        model_dir=recognizer.model_dir,
        language_weight=recognizer.language_weight,
        pronounce=recognizer.pronounce,
        discount=recognizer.discount,
        front=recognizer.front,
        cmn_prior=None,  # from the acoustic model's default
        adapt_cmn=True,  # the mean carried through all of them
    ).load()
    for sound in sounds:
        recognize(fresh, sound.samples, sound.rate)
    return ",".join(f"{float(x):.2f}" for x in fresh._decoder.get_cmn().split(","))
