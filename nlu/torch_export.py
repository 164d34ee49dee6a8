"""The reference encoder graph: transformers' BertModel traced by torch.onnx.export. Training extras only.

tunetalk builds its graph without torch (`nlu.encoder.build_graph`); this is what that graph is checked
against (tests/test_encoder_graph.py) and timed against (benchmarks/bench_nlu.py --encoders). It needs
torch and transformers: `scripts/setup.sh train` (requirements-train.txt) installs them.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from nlu.encoder import OPSET, EncoderError

__all__ = ["export_with_torch"]


def export_with_torch(source: Path, target: Path) -> Path:
    """Trace the encoder with every hidden state as one output, as `build_graph` lays it out. Offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise EncoderError(
            f"the reference export needs torch and transformers ({exc}); run scripts/setup.sh train"
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
        os.replace(tmp_name, target)
    except Exception as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise EncoderError(f"exporting MiniLM with torch failed: {exc}") from exc
    return target
