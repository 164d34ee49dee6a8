"""What a policy would have done at each logged decision, from the logged features alone.

Off-policy evaluation needs the evaluation policy's distribution at every logged step. A learned policy
decides from the features, so that is one batch prediction. The rule policy decides from the dialogue
state; it looks only at what the features record (which attributes are known, how many tracks fit, how
many samples were offered and rejected in a row, whether the last prompt was a sample, how often each
prompt was asked, how dominant the history's favourite genre is), so its choice is rebuilt exactly from a
state reconstructed from them (tests check it against the logging policy's most likely choice).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from assistant.dialogue.actions import ACTIONS, Action
from assistant.dialogue.policy import Policy
from assistant.dialogue.state import FEATURE_NAMES, DialogueState
from assistant.music.constraints import Constraints
from assistant.music.retrieval import CandidateStats
from assistant.policies.rules import RulePolicy
from assistant.taste.summary import HistorySummary
from learning.fitted_q import greedy_available

__all__ = ["distribution_from_features", "distribution_on_steps", "state_from_features"]

_F = {name: i for i, name in enumerate(FEATURE_NAMES)}


def state_from_features(f: np.ndarray) -> DialogueState:
    """A dialogue state with everything the rule policy looks at, rebuilt from one logged feature row."""
    c = Constraints(
        genres=("logged",) if f[_F["known_genre"]] else (),
        energy=0.5 if f[_F["known_mood"]] else None,
        era=(2000, 2009) if f[_F["known_era"]] else None,
        activity="logged" if f[_F["known_activity"]] else None,
        artist="logged" if f[_F["known_artist"]] else None,
    )
    state = DialogueState(constraints=c)
    state.candidates = CandidateStats(round(math.expm1(f[_F["log_candidates"]])), 0, 0, 0, 0, 0, 0)
    state.offered = ["logged"] * int(f[_F["n_offered"]])
    state.last_action = Action.PLAY_SAMPLE if f[_F["last_action_sample"]] else None
    state.rejects_in_a_row = int(f[_F["rejects_in_a_row"]])
    state.asked = Counter({a: int(f[_F[f"asked_{a.value}"]]) for a in ACTIONS})
    state.history = HistorySummary(
        n_plays=round(math.expm1(float(f[_F["history_log_plays"]]))),
        top_genre_share=float(f[_F["history_top_genre_share"]]),
    )
    return state


def distribution_from_features(policy: Policy, features: np.ndarray, available: np.ndarray) -> np.ndarray:
    """(n, n_actions): `policy`'s distribution at each logged step (features as logged, FEATURE_NAMES)."""
    if isinstance(policy, RulePolicy):
        out = np.zeros((len(features), len(ACTIONS)))
        for i in range(len(features)):
            offered = [ACTIONS[j] for j in np.flatnonzero(available[i])]
            output = policy.decide(state_from_features(features[i]), offered, {})
            for a, p in output.probabilities.items():
                out[i, ACTIONS.index(a)] = p
        return out
    predict = getattr(policy, "predict", None)
    if predict is None:
        raise TypeError(f"cannot evaluate policy {policy.name!r} offline: it does not decide from features")
    n, k = len(features), len(ACTIONS)
    q = np.asarray(predict(np.repeat(features, k, axis=0), np.tile(np.arange(k), n))).reshape(n, k)
    return greedy_available(q, available)


def distribution_on_steps(policy: Policy, episodes: object) -> np.ndarray:
    """`policy`'s distribution at every step of logged episodes (learning.episodes.Episodes)."""
    return distribution_from_features(policy, episodes.features, episodes.available)  # type: ignore[attr-defined]
