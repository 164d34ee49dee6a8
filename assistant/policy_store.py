"""Choosing the dialogue policy by name or file: the shipped learned policy, else the rules."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from assistant.catalog import Catalog
from assistant.policy import Policy
from assistant.rule_policy import RulePolicy

__all__ = ["SHIPPED_POLICY", "load_policy"]

SHIPPED_POLICY = Path(__file__).resolve().parent.parent / "assets" / "policy" / "learned.npz"
"""The learned policy the app uses by default (written by `python main.py train` when promoted)."""


def _stderr(message: str) -> None:
    print(f"tunetalk: {message}", file=sys.stderr)


def load_policy(
    choice: str, catalog: Catalog | None = None, *, warn: Callable[[str], None] | None = None
) -> Policy:
    """`choice` is "auto" or "learned" (the shipped learned policy), "rules", or a policy file (.npz).

    A missing or corrupt learned policy never stops the app: it falls back to the rule policy and says
    why. The catalogue is accepted for symmetry with the other loaders; policies do not depend on it.
    """
    warn = warn or _stderr
    if choice == "rules":
        return RulePolicy()
    from assistant.learned_policy import PolicyFileError, load_learned_policy

    path = SHIPPED_POLICY if choice in ("auto", "learned") else Path(choice)
    if choice == "auto" and not path.exists():
        warn(f"no learned policy at {path}; using the rule policy (train one with `python main.py train`)")
        return RulePolicy()
    try:
        return load_learned_policy(path)
    except PolicyFileError as exc:
        warn(f"{exc}; using the rule policy instead")
        return RulePolicy()
