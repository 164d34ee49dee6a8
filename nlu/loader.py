"""Choosing the understanding component: the trained model when its weights load, else the rules."""

from __future__ import annotations

import sys
from pathlib import Path

from nlu.heads import DEFAULT_WEIGHTS, Heads, HeadsError
from nlu.linking import EntityLinker
from nlu.meaning import Understander
from nlu.rules import RuleUnderstanding

__all__ = ["make_understander"]


def make_understander(choice: str, linker: EntityLinker, weights: Path = DEFAULT_WEIGHTS) -> Understander:
    """`choice` is "auto", "model" or "rules".

    "auto" and "model" give the trained model. Its head weights are checked here (a 2 MB read, no encoder):
    when they are missing or corrupt, one line on stderr says so and the rules answer instead. The encoder
    loads on first use; if it cannot, the model prints the reason once and defers to the rules itself.
    """
    if choice == "rules":
        return RuleUnderstanding(linker)
    try:
        Heads.load(weights)
    except HeadsError as exc:
        print(f"tunetalk: {exc}; using the rule understanding instead", file=sys.stderr)
        return RuleUnderstanding(linker)
    from nlu.model import ModelUnderstanding

    return ModelUnderstanding(linker, weights)
