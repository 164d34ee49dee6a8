"""Per-utterance latency, load time and memory of the NLU model and the rules, idle and with a busy core.

Method: each component is built in this process, its first call (which loads it) is timed, then every
held-out utterance is understood one call at a time (`--repeat` passes), each timed with perf_counter.
With `--busy` the same runs again while a child process spins on one core, as when audio or the TUI is busy
on a 2-core laptop. Memory is this process's resident set size after each stage (it only grows).

`--encoders` times the encoder alone, three ways, on the held-out word pieces (tokenized beforehand), one
utterance at a time on one thread, the ways interleaved pass by pass so machine load falls on all alike:
ONNX Runtime on the graph tunetalk builds from the safetensors (what runs), ONNX Runtime on the graph
torch.onnx.export traces from transformers (what ran before; needs scripts/setup.sh train, else skipped),
and the same BERT written in numpy from the safetensors (a torch- and ORT-free candidate, not used). Each
row gives the largest |difference| of its hidden states to the first way's.

Usage: .venv/bin/python benchmarks/bench_nlu.py [--repeat 5] [--busy] [--encoders]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.evaluate import eval_linker, load_gold, rss_mb
from nlu.meaning import Understander


def _latencies(component: Understander, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        component.understand(text)
        times.append(1000 * (time.perf_counter() - started))
    return sorted(times)


def _row(name: str, times: list[float]) -> str:
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    cells = f"{pick(0.5):.2f} | {pick(0.95):.2f} | {pick(0.99):.2f} | {times[-1]:.1f}"
    return f"| {name} | {cells} | {rss_mb():.0f} |"


Forward = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(input ids, attention mask), (batch, tokens) int64 -> hidden states (layers + 1, batch, tokens, 384)."""


def _ort_forward(path: Path) -> Forward:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = 1, 1, 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda ids, mask: session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def _numpy_forward(source: Path) -> Forward:
    """BERT in numpy: tokens as columns, so each weight matrix is the left operand of one BLAS call (twice
    as fast as the other way round at 1-20 tokens). Exact GELU through scipy's erf."""
    import json

    from safetensors.numpy import load_file
    from scipy.special import erf

    config = json.loads((source / "config.json").read_text())
    layers, width, heads = config["num_hidden_layers"], config["hidden_size"], config["num_attention_heads"]
    head_width, eps = width // heads, np.float32(config["layer_norm_eps"])
    w = load_file(str(source / "model.safetensors"))
    scale, root_half = np.float32(1 / np.sqrt(head_width)), np.float32(1 / np.sqrt(2))

    def column(key: str) -> np.ndarray:
        return w[key][:, None]

    def layer_weights(k: str) -> dict[str, np.ndarray]:
        q, kk, v = (f"{k}attention.self.{part}" for part in ("query", "key", "value"))
        return {
            "qkv": np.concatenate([w[q + ".weight"] * scale, w[kk + ".weight"], w[v + ".weight"]]),
            "qkv_b": np.concatenate([w[q + ".bias"] * scale, w[kk + ".bias"], w[v + ".bias"]])[:, None],
            "o": w[f"{k}attention.output.dense.weight"],
            "o_b": column(f"{k}attention.output.dense.bias"),
            "n1": column(f"{k}attention.output.LayerNorm.weight"),
            "n1_b": column(f"{k}attention.output.LayerNorm.bias"),
            "i": w[f"{k}intermediate.dense.weight"],
            "i_b": column(f"{k}intermediate.dense.bias"),
            "out": w[f"{k}output.dense.weight"],
            "out_b": column(f"{k}output.dense.bias"),
            "n2": column(f"{k}output.LayerNorm.weight"),
            "n2_b": column(f"{k}output.LayerNorm.bias"),
        }

    stack = [layer_weights(f"encoder.layer.{i}.") for i in range(layers)]
    word, position = w["embeddings.word_embeddings.weight"], w["embeddings.position_embeddings.weight"]
    token_type = w["embeddings.token_type_embeddings.weight"][0]
    embedding_norm = column("embeddings.LayerNorm.weight"), column("embeddings.LayerNorm.bias")

    def norm(x: np.ndarray, gain: np.ndarray, shift: np.ndarray) -> np.ndarray:
        centred = x - x.mean(0, keepdims=True)
        return centred / np.sqrt((centred * centred).mean(0, keepdims=True) + eps) * gain + shift

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, tokens = ids.shape
        embedded = (word[ids] + token_type + position[:tokens]).reshape(-1, width).T
        x = norm(np.ascontiguousarray(embedded), *embedding_norm)
        out = [x]
        score_mask = np.where(mask[:, None, None, :] > 0, 0, np.finfo(np.float32).min).astype(np.float32)
        for p in stack:
            qkv = p["qkv"] @ x + p["qkv_b"]
            q, k, v = qkv.reshape(3, heads, head_width, batch, tokens).transpose(0, 3, 1, 4, 2)
            scores = q @ k.transpose(0, 1, 3, 2) + score_mask
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = np.ascontiguousarray((scores @ v).transpose(1, 3, 0, 2).reshape(width, -1))
            x = norm(p["o"] @ context + p["o_b"] + x, p["n1"], p["n1_b"])
            inner = p["i"] @ x + p["i_b"]
            gelu = 0.5 * inner * (1 + erf(inner * root_half))
            x = norm(p["out"] @ gelu + p["out_b"] + x, p["n2"], p["n2_b"])
            out.append(x)
        return np.stack(out).reshape(layers + 1, width, batch, tokens).transpose(0, 2, 3, 1)

    return forward


def compare_encoders(texts: list[str], repeat: int) -> None:
    from threadpoolctl import threadpool_limits
    from tokenizers import Tokenizer

    from nlu.encoder import MiniLMEncoder, default_cache_dir, model_dir, onnx_path

    source = model_dir()
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.no_padding()
    pieces = [np.array([tokenizer.encode(t).ids], dtype=np.int64) for t in texts]
    ways: dict[str, Forward] = {}
    loads: dict[str, float] = {}
    MiniLMEncoder().load()  # builds the graph into the cache when it is not there yet
    started = time.perf_counter()
    ways["ORT, graph built from safetensors (runs now)"] = _ort_forward(
        onnx_path(source, default_cache_dir())
    )
    loads["ORT, graph built from safetensors (runs now)"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        if importlib.util.find_spec("torch") and importlib.util.find_spec("transformers"):
            from nlu.torch_export import export_with_torch

            path = export_with_torch(source, Path(tmp) / "torch.onnx")
            started = time.perf_counter()
            ways["ORT, torch.onnx.export graph (ran before)"] = _ort_forward(path)
            loads["ORT, torch.onnx.export graph (ran before)"] = time.perf_counter() - started
        else:
            print("(torch.onnx.export row skipped: torch and transformers are training extras)")
        started = time.perf_counter()
        ways["numpy from safetensors (candidate)"] = _numpy_forward(source)
        loads["numpy from safetensors (candidate)"] = time.perf_counter() - started
        times: dict[str, list[float]] = {name: [] for name in ways}
        reference = [next(iter(ways.values()))(ids, np.ones_like(ids)) for ids in pieces]
        worst = dict.fromkeys(ways, 0.0)
        with threadpool_limits(1):
            for _ in range(repeat):
                for name, forward in ways.items():
                    for ids, expected in zip(pieces, reference, strict=True):
                        mask = np.ones_like(ids)
                        t0 = time.perf_counter()
                        hidden = forward(ids, mask)
                        times[name].append(1000 * (time.perf_counter() - t0))
                        worst[name] = max(worst[name], float(np.abs(hidden - expected).max()))
    print(f"\n{len(pieces)} utterances x {repeat} passes, one at a time, 1 thread\n")
    print("| encoder | load (s) | median ms | p95 ms | max abs diff to the first |\n|---|---|---|---|---|")
    for name, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        print(
            f"| {name} | {loads[name]:.2f} | {values[len(values) // 2]:.2f} | {p95:.2f} | {worst[name]:.1e} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--busy", action="store_true", help="also measure with one core kept busy")
    parser.add_argument("--encoders", action="store_true", help="also time the encoder alone, three ways")
    args = parser.parse_args()
    if args.repeat < 1:
        print("bench_nlu: --repeat must be at least 1", file=sys.stderr)
        return 2
    texts = [g.text for g in load_gold()] * args.repeat

    from nlu.model import ModelUnderstanding
    from nlu.rules import RuleUnderstanding

    components: dict[str, Understander] = {}
    print("| component | first call incl. load (s) | RSS after (MB) |\n|---|---|---|")
    for name, make in (("rules", RuleUnderstanding), ("model", ModelUnderstanding)):
        started = time.perf_counter()
        component = make(eval_linker())
        component.understand("hello")
        print(f"| {name} | {time.perf_counter() - started:.2f} | {rss_mb():.0f} |")
        components[name] = component

    print(f"\n{len(texts)} calls each, one utterance at a time\n")
    print("| component | median ms | p95 ms | p99 ms | max ms | RSS MB |\n|---|---|---|---|---|---|")
    for name, understander in components.items():
        print(_row(f"{name}, idle", _latencies(understander, texts)))
    if args.busy:
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            time.sleep(0.5)
            for name, understander in components.items():
                print(_row(f"{name}, one core busy", _latencies(understander, texts)))
        finally:
            spinner.kill()
            spinner.wait()
    if args.encoders:
        compare_encoders([g.text for g in load_gold()], args.repeat)
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
