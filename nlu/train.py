"""Training the heads: generate the corpus, encode it once with the frozen encoder, fit three small MLPs.

Reproducible from a seed on CPU: the corpus, the gazetteer split, weight initialisation and batch order all
derive from it, and the encoder is deterministic. The encoder is the same ONNX graph used at run time.
"""

from __future__ import annotations

import csv
import hashlib
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from nlu.corpus import DECOY_NAMES, Example, generate
from nlu.encoder import MiniLMEncoder
from nlu.features import TOKEN_FEATURES, UTTERANCE_FEATURES, Gazetteer, token_features, utterance_features
from nlu.heads import ACTS, DEFAULT_WEIGHTS, TAGGER_LAYERS, TAGS, Heads, token_inputs, utterance_inputs

__all__ = ["TrainConfig", "catalogue_names", "train"]

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "assets" / "catalog.csv"


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    examples: int = 16000
    epochs_tagger: int = 8
    epochs_utterance: int = 20
    hidden_tagger: int = 256
    hidden_act: int = 256
    hidden_sentiment: int = 32
    gazetteer_share: float = 0.5
    """Share of corpus names put in the training gazetteer; the rest must be found from context."""
    threads: int = 2


def catalogue_names(path: Path = DEMO_CATALOG) -> tuple[list[str], list[str]]:
    """Artists and titles of a catalogue CSV in the Spotify layout (the embedded demo one by default)."""
    if not path.is_file():
        return [], []
    artists, titles = set(), set()
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            if row.get("track_artist"):
                artists.add(row["track_artist"].strip())
            if row.get("track_name"):
                titles.add(row["track_name"].strip())
    return sorted(artists), sorted(titles)


def _bio(example: Example, offsets: Sequence[tuple[int, int]]) -> np.ndarray:
    tags = np.zeros(len(offsets), dtype=np.int64)
    for start, end, slot, _ in example.spans:
        for t, (s, e) in enumerate(offsets):
            if e > s and s >= start and e <= end:
                tags[t] = TAGS.index(slot)
    return tags


def _fit_mlp(
    x: np.ndarray,
    y: np.ndarray,
    hidden: int,
    out: int,
    epochs: int,
    seed: int,
    loss: str,
    batch: int = 256,
    weight_decay: float = 1e-4,
    log: Callable[[str], None] = print,
    name: str = "",
) -> dict[str, np.ndarray]:
    import torch

    torch.manual_seed(seed)
    mean = x.mean(axis=0).astype(np.float32)
    std = (x.std(axis=0) + 1e-4).astype(np.float32)
    xt = torch.from_numpy(((x - mean) / std).astype(np.float32))
    yt = torch.from_numpy(y)
    net = torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(x.shape[1], hidden),
        torch.nn.GELU(approximate="tanh"),
        torch.nn.Dropout(0.1),
        torch.nn.Linear(hidden, out),
    )
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=weight_decay)
    steps = epochs * ((len(xt) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(xt), generator=generator)
        total = 0.0
        for first in range(0, len(xt), batch):
            idx = order[first : first + batch]
            pred = net(xt[idx])
            if loss == "ce":
                value = torch.nn.functional.cross_entropy(pred, yt[idx], label_smoothing=0.02)
            else:
                value = torch.nn.functional.mse_loss(torch.tanh(pred[:, 0]), yt[idx])
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            schedule.step()
            total += float(value.detach()) * len(idx)
        if epoch == epochs - 1 or epoch % 5 == 0:
            log(f"  {name} epoch {epoch + 1}/{epochs} loss {total / len(xt):.4f}")
    first_layer, second_layer = cast(torch.nn.Linear, net[1]), cast(torch.nn.Linear, net[4])
    return {
        "mean": mean,
        "std": std,
        "w1": first_layer.weight.detach().numpy().T.copy(),
        "b1": first_layer.bias.detach().numpy().copy(),
        "w2": second_layer.weight.detach().numpy().T.copy(),
        "b2": second_layer.bias.detach().numpy().copy(),
    }


def corpus_digest(examples: Sequence[Example]) -> str:
    """A short fingerprint of a training corpus: the manifest records it, so a test can tell when the lexicon
    or the demo catalogue has changed under the committed heads (which then need retraining)."""
    return hashlib.sha256(
        "\n".join(f"{e.text}\t{e.act}\t{e.spans}\t{e.sentiment}" for e in examples).encode()
    ).hexdigest()[:16]


def train(
    config: TrainConfig = TrainConfig(),
    output: Path = DEFAULT_WEIGHTS,
    encoder: MiniLMEncoder | None = None,
    log: Callable[[str], None] = print,
) -> Heads:
    import torch

    started = time.perf_counter()
    torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    artists, titles = catalogue_names()
    corpus = generate(config.examples, config.seed, artists, titles)
    examples = corpus.examples
    digest = corpus_digest(examples)
    log(f"corpus: {len(examples)} examples (seed {config.seed}, {len(artists)} catalogue artists), {digest}")
    known_artists = [a for a in corpus.artists if rng.random() < config.gazetteer_share] + DECOY_NAMES
    known_titles = [t for t in corpus.titles if rng.random() < config.gazetteer_share]
    gazetteer = Gazetteer(known_artists, known_titles)

    encoder = (encoder or MiniLMEncoder(threads=config.threads)).load()
    t0 = time.perf_counter()
    encoded = encoder.encode([e.text for e in examples], batch_size=64)
    log(f"encoded in {time.perf_counter() - t0:.1f} s")

    tok_x, tok_y, utt_x, acts, sentiments = [], [], [], [], []
    for example, enc in zip(examples, encoded, strict=True):
        hits = gazetteer.hits(example.text)
        tok_x.append(token_inputs(enc, token_features(example.text, enc.offsets, hits), TAGGER_LAYERS))
        tok_y.append(_bio(example, enc.offsets))
        utt_x.append(utterance_inputs(enc, utterance_features(example.text, hits)))
        acts.append(ACTS.index(example.act))
        sentiments.append(example.sentiment)
    x_tok = np.concatenate(tok_x)
    y_tok = np.concatenate(tok_y)
    x_utt = np.stack(utt_x)
    log(
        f"features: {x_tok.shape[0]} word pieces x {x_tok.shape[1]}, "
        f"{x_utt.shape[0]} utterances x {x_utt.shape[1]}"
    )

    weights: dict[str, np.ndarray] = {}
    parts = {
        "tag": _fit_mlp(
            x_tok,
            y_tok,
            config.hidden_tagger,
            len(TAGS),
            config.epochs_tagger,
            config.seed,
            "ce",
            batch=1024,
            log=log,
            name="tagger",
        ),
        "act": _fit_mlp(
            x_utt,
            np.array(acts),
            config.hidden_act,
            len(ACTS),
            config.epochs_utterance,
            config.seed + 1,
            "ce",
            log=log,
            name="act",
        ),
        "sent": _fit_mlp(
            x_utt,
            np.array(sentiments, dtype=np.float32),
            config.hidden_sentiment,
            1,
            config.epochs_utterance,
            config.seed + 2,
            "mse",
            weight_decay=1e-2,
            log=log,
            name="sentiment",
        ),
    }
    for prefix, arrays in parts.items():
        for key, value in arrays.items():
            weights[f"{prefix}.{key}"] = value
    seconds = time.perf_counter() - started
    manifest = {
        "acts": list(ACTS),
        "tags": list(TAGS),
        "tagger_layers": list(TAGGER_LAYERS),
        "token_features": list(TOKEN_FEATURES),
        "utterance_features": list(UTTERANCE_FEATURES),
        "config": config.__dict__,
        "corpus_sha256_16": digest,
        "catalogue_artists": len(artists),
        "train_seconds": round(seconds, 1),
        "machine": f"{platform.machine()} python {sys.version.split()[0]}",
    }
    heads = Heads(weights, manifest)
    heads.save(output)
    size = output.stat().st_size
    log(f"saved {output} ({size / 1e6:.2f} MB) in {seconds:.0f} s total")
    log(json.dumps({k: manifest[k] for k in ("corpus_sha256_16", "train_seconds")}))
    return heads
