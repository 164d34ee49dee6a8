"""The logging policy: the rule policy with exploration by probability matching, propensities logged.

A prompt the rules believe to be best with probability b is asked with probability
    p = floor + (1 - n * floor) * b
over the n available prompts, so every available prompt keeps at least `floor` (the support that
off-policy evaluation needs). With `mix` > 0 that distribution is blended with the uniform one,
    p' = (1 - mix) p + mix / n,
so every available prompt keeps at least (1 - mix) floor + mix / n: whole-conversation learning needs
logs in which conversations also go ways the rules would not (a sample at once, no open question), or
off-policy evaluation of such policies rests on a handful of conversations. `uniform=True` asks every
available prompt equally often.
The manager draws the action from `probabilities` and logs the chosen one's probability (the propensity).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.dialogue.actions import Action
from assistant.dialogue.policy import PolicyOutput
from assistant.dialogue.state import DialogueState
from assistant.policies.rules import RulePolicy

__all__ = ["DEFAULT_FLOOR", "DEFAULT_MIX", "TRAINING_MIX", "ExplorationPolicy", "exploration_probabilities"]

DEFAULT_FLOOR = 0.03
DEFAULT_MIX = 0.0
"""The rules' exploration as first logged; the training logs for whole-conversation learning use
TRAINING_MIX."""
TRAINING_MIX = 0.3
"""Share of uniform exploration in the logs the shipped policies are trained and gated on: with about
five prompts available, each keeps at least 6 % (docs/policy.md, "Exploration")."""


def exploration_probabilities(
    beliefs: dict[Action, float],
    available: Sequence[Action],
    floor: float = DEFAULT_FLOOR,
    uniform: bool = False,
) -> dict[Action, float]:
    """Probability matching with a floor; sums to 1 over `available` (floor is capped at 1/n)."""
    if not available:
        raise ValueError("no available actions to choose from")
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"floor must be in 0..1, got {floor}")
    n = len(available)
    if uniform:
        return {a: 1.0 / n for a in available}
    floor = min(floor, 1.0 / n)
    raw = {a: max(0.0, float(beliefs.get(a, 0.0))) for a in available}
    total = sum(raw.values())
    if total <= 0:
        return {a: 1.0 / n for a in available}
    probabilities = {a: floor + (1.0 - n * floor) * raw[a] / total for a in available}
    norm = sum(probabilities.values())
    return {a: p / norm for a, p in probabilities.items()}


class ExplorationPolicy:
    """Explores around the rule policy's graded beliefs; the policy that collects training logs."""

    def __init__(
        self,
        floor: float = DEFAULT_FLOOR,
        uniform: bool = False,
        base: RulePolicy | None = None,
        mix: float = DEFAULT_MIX,
    ) -> None:
        if not 0.0 <= mix <= 1.0:
            raise ValueError(f"mix must be in 0..1, got {mix}")
        self.floor = floor
        self.uniform = uniform
        self.base = base or RulePolicy()
        self.mix = mix
        self.name = "uniform" if uniform else "logging"

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        beliefs = self.base.beliefs(state, available)
        p = exploration_probabilities(beliefs, available, self.floor, self.uniform)
        if self.mix > 0:
            p = {a: (1.0 - self.mix) * v + self.mix / len(available) for a, v in p.items()}
        return PolicyOutput(p, beliefs)
