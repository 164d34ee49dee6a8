"""The trained heads on the frozen encoder: an IO slot tagger, an act classifier and a sentiment regressor.

The tagger labels each word piece with a slot or O (no B/I split: an independent per-piece classifier
confused B and I on one-word spans, losing "seventies" in "seventies funk"); pieces are pooled per word
and a span is a run of words with the same slot.

Small numpy forward passes (two-layer perceptrons) over encoder states plus hand features; weights live in
one .npz (no pickle) with a JSON manifest beside it. Training (nlu/train.py) builds the same inputs with the
functions here, so what is trained is exactly what runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlu.encoder import EncodedText
from nlu.meaning import SLOT_NAMES, Act

__all__ = [
    "ACTS",
    "DEFAULT_WEIGHTS",
    "TAGS",
    "Heads",
    "HeadsError",
    "token_inputs",
    "utterance_inputs",
]

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "nlu"
DEFAULT_WEIGHTS = ASSETS / "heads.npz"
ACTS: tuple[str, ...] = tuple(a.value for a in Act)
TAGS: tuple[str, ...] = ("O", *SLOT_NAMES)
TAGGER_LAYERS = (3, 6)
"""Which encoder layers the tagger reads: a middle layer keeps word identity, the last one context."""


class HeadsError(RuntimeError):
    """Head weights missing, unreadable or inconsistent; the message names the file and the fix."""


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))


def token_inputs(encoded: EncodedText, token_feats: np.ndarray, layers: Sequence[int]) -> np.ndarray:
    """(n_pieces, d) tagger input: chosen encoder layers, hand features of the piece and its neighbours."""
    states = [encoded.hidden[layer] for layer in layers]
    padded = np.pad(token_feats, ((1, 1), (0, 0)))
    window = [padded[:-2], token_feats, padded[2:]]
    return np.concatenate([*states, *window], axis=1).astype(np.float32)


def utterance_inputs(encoded: EncodedText, utt_feats: np.ndarray) -> np.ndarray:
    """(d,) act/sentiment input: mean of word pieces (no [CLS]/[SEP]) of two layers, [CLS], hand features."""
    last = encoded.hidden[-1]
    middle = encoded.hidden[3]
    inner = slice(1, max(2, last.shape[0] - 1))
    return np.concatenate([last[inner].mean(axis=0), middle[inner].mean(axis=0), last[0], utt_feats]).astype(
        np.float32
    )


@dataclass
class Heads:
    """Weights of the three heads and the manifest that says how they were made."""

    weights: dict[str, np.ndarray]
    manifest: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def _mlp(x: np.ndarray, w: dict[str, np.ndarray], prefix: str) -> np.ndarray:
        x = (x - w[f"{prefix}.mean"]) / w[f"{prefix}.std"]
        h = _gelu(x @ w[f"{prefix}.w1"] + w[f"{prefix}.b1"])
        return h @ w[f"{prefix}.w2"] + w[f"{prefix}.b2"]

    def tag_log_probs(self, x: np.ndarray) -> np.ndarray:
        logits = self._mlp(x, self.weights, "tag")
        logits = logits - logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def act_probs(self, x: np.ndarray) -> np.ndarray:
        logits = self._mlp(x[None, :], self.weights, "act")[0]
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def sentiment(self, x: np.ndarray) -> float:
        return float(np.tanh(self._mlp(x[None, :], self.weights, "sent")[0, 0]))

    @property
    def tagger_layers(self) -> tuple[int, ...]:
        return tuple(self.manifest.get("tagger_layers", TAGGER_LAYERS))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **{k: v.astype(np.float32) for k, v in self.weights.items()})  # type: ignore[arg-type]
        manifest = {**self.manifest, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        path.with_suffix(".json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS) -> Heads:
        """Read and verify weights. Raises HeadsError with the file and the fix."""
        fix = "retrain with `python scripts/train_nlu.py` or restore it with git"
        manifest_path = path.with_suffix(".json")
        if not path.is_file() or not manifest_path.is_file():
            raise HeadsError(f"NLU model weights {path} (and its .json) are missing; {fix}")
        try:
            data = path.read_bytes()
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("sha256") and hashlib.sha256(data).hexdigest() != manifest["sha256"]:
                raise ValueError("checksum does not match the manifest")
            with np.load(path, allow_pickle=False) as archive:
                weights = {k: archive[k] for k in archive.files}
            if tuple(manifest.get("acts", ())) != ACTS or tuple(manifest.get("tags", ())) != TAGS:
                raise ValueError("acts or tags differ from this version of nlu/meaning.py")
            for prefix in ("tag", "act", "sent"):
                for part in ("mean", "std", "w1", "b1", "w2", "b2"):
                    if f"{prefix}.{part}" not in weights:
                        raise ValueError(f"array {prefix}.{part} is missing")
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise HeadsError(f"NLU model weights {path} are unreadable ({exc}); {fix}") from exc
        except Exception as exc:  # zipfile.BadZipFile and friends: corrupt archive
            raise HeadsError(f"NLU model weights {path} are corrupt ({exc}); {fix}") from exc
        return cls(weights, manifest)
