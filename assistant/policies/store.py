"""Choosing the dialogue policy by name or file: the shipped learned policies, else the rules.

Two learned policies ship in assets/policy/: `learned.npz`, trained on logs of listeners the assistant
knew nothing about, and `learned_history.npz` ("learned+history"), trained on logs of listeners whose
listening history it could read, with the history and per-prompt affinity features. A conversation with a
person who has a listening history uses learned+history when its file exists; everyone else, learned.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from assistant.dialogue.policy import Policy
from assistant.music.catalog import Catalog
from assistant.policies.rules import RulePolicy, load_rule_settings

__all__ = ["HISTORY_POLICY", "SHIPPED_POLICY", "TUNED_RULES", "load_policy", "policy_path"]

SHIPPED_POLICY = Path(__file__).resolve().parents[2] / "assets" / "policy" / "learned.npz"
"""The learned policy the app uses by default (written by `python main.py train` when promoted)."""
HISTORY_POLICY = SHIPPED_POLICY.with_name("learned_history.npz")
"""The learned+history policy, for people with a listening history (`python main.py train --history`)."""
TUNED_RULES = SHIPPED_POLICY.with_name("rules_tuned.json")
"""The settings of `rules-tuned`, the best rule variant of a small grid (`python main.py tune`)."""


def _stderr(message: str) -> None:
    print(f"tunetalk: {message}", file=sys.stderr)


def policy_path(choice: str) -> Path:
    """The file a policy name stands for: learned/auto -> learned.npz, learned+history -> its file."""
    if choice in ("auto", "learned"):
        return SHIPPED_POLICY
    if choice in ("learned+history", "learned_history"):
        return HISTORY_POLICY
    return Path(choice)


def load_policy(
    choice: str,
    catalog: Catalog | None = None,
    *,
    warn: Callable[[str], None] | None = None,
    history: bool = False,
) -> Policy:
    """`choice` is "auto" or "learned" (the shipped learned policy), "learned+history", "rules",
    "rules-tuned" (the rules with the tuned settings), or a policy file (.npz). With `history=True` (the
    person has a listening history), "auto" means the learned+history policy when its file exists.

    A missing or corrupt learned policy never stops the app: learned+history falls back to learned, and
    learned to the rule policy, each time saying why. The catalogue is accepted for symmetry with the
    other loaders; policies do not depend on it.
    """
    warn = warn or _stderr
    if choice == "rules":
        return RulePolicy()
    if choice == "rules-tuned":
        try:
            return RulePolicy(load_rule_settings(TUNED_RULES), name="rules-tuned")
        except ValueError as exc:
            warn(f"{exc}; using the rules as written instead")
            return RulePolicy()
    from assistant.policies.learned import PolicyFileError, load_learned_policy

    if choice == "auto" and history and HISTORY_POLICY.exists():
        try:
            return load_learned_policy(HISTORY_POLICY)
        except PolicyFileError as exc:
            warn(f"{exc}; using the learned policy without history instead")
    path = policy_path(choice)
    if choice == "auto" and not path.exists():
        warn(f"no learned policy at {path}; using the rule policy (train one with `python main.py train`)")
        return RulePolicy()
    try:
        return load_learned_policy(path)
    except PolicyFileError as exc:
        if path == HISTORY_POLICY:
            warn(f"{exc}; using the learned policy without history instead")
            return load_policy("auto", warn=warn)
        warn(f"{exc}; using the rule policy instead")
        return RulePolicy()
