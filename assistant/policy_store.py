"""Choosing the dialogue policy by name or file: the shipped learned policy, else the rules."""

from __future__ import annotations

import sys

from assistant.catalog import Catalog
from assistant.policy import Policy
from assistant.rule_policy import RulePolicy

__all__ = ["load_policy"]


def load_policy(choice: str, catalog: Catalog) -> Policy:
    """`choice` is "auto", "rules", or a policy file. Until a learned policy ships, auto means rules."""
    if choice not in ("auto", "rules"):
        print(f"tunetalk: policy {choice!r} is not available; using the rule policy", file=sys.stderr)
    return RulePolicy()
