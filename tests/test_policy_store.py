"""Loading the dialogue policy: the shipped learned one by default, the rules whenever a file is unusable."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.dialogue.state import FEATURE_NAMES, DialogueState
from assistant.policies.learned import LearnedPolicy, PolicyFileError, load_learned_policy, save_policy
from assistant.policies.rules import RulePolicy
from assistant.policies.store import SHIPPED_POLICY, load_policy
from learning.learner import make_model


def _valid(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    x, a = rng.random((500, len(FEATURE_NAMES))), rng.integers(0, 8, 500)
    model = make_model("trees", 8, max_iter=5).fit(x, a, (rng.random(500) < 0.5).astype(float))
    return save_policy(tmp_path / "ok.npz", "trees", model.export(), {})


def _rewrite(path: Path, target: Path, **changes: object) -> Path:
    with np.load(path, allow_pickle=False) as data:
        files = dict(data.items())
    meta = json.loads(str(files["meta"]))
    for key, value in changes.items():
        if not key.startswith("drop_"):
            meta[key] = value
    files["meta"] = np.array(json.dumps(meta))
    for key in changes:
        if key.startswith("drop_"):
            files.pop(key[5:])
    np.savez(target, **files)
    return target


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p, t: t.write_bytes(b"garbage, not a zip") and t, "unreadable policy file"),
        (lambda p, t: t.write_bytes(p.read_bytes()[:200]) and t, "unreadable policy file"),
        (lambda p, t: _rewrite(p, t, format="something else"), "not a tunetalk policy"),
        (lambda p, t: _rewrite(p, t, version=99), "format version 99"),
        (lambda p, t: _rewrite(p, t, model="forest"), "unknown model kind 'forest'"),
        (lambda p, t: _rewrite(p, t, feature_names=["turn", "mood_x"]), "different state features"),
        (lambda p, t: _rewrite(p, t, feature_names=["turn"]), "arrays do not fit together"),
        (lambda p, t: _rewrite(p, t, action_features={"play_sample": "nope"}), "action_features must map"),
        (lambda p, t: _rewrite(p, t, drop_m_threshold=True), "lacks array(s) threshold"),
        (lambda p, t: _rewrite(p, t, drop_meta=True), "no meta entry"),
    ],
)
def test_a_corrupt_policy_file_falls_back_to_the_rules_with_a_warning(
    tmp_path: Path, make: object, message: str
) -> None:
    bad = make(_valid(tmp_path), tmp_path / "bad.npz")  # type: ignore[operator]
    with pytest.raises(PolicyFileError, match=re.escape(message)):
        load_learned_policy(bad)
    warnings: list[str] = []
    policy = load_policy(str(bad), warn=warnings.append)
    assert isinstance(policy, RulePolicy)
    assert len(warnings) == 1 and message in warnings[0] and "using the rule policy" in warnings[0]


def test_a_pickled_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pickled.npz"
    np.savez(path, meta=np.array([object()], dtype=object))
    with pytest.raises(PolicyFileError, match="unreadable policy file"):
        load_learned_policy(path)


def test_rules_by_name_and_a_missing_file_falls_back(tmp_path: Path) -> None:
    warnings: list[str] = []
    assert isinstance(load_policy("rules", warn=warnings.append), RulePolicy) and not warnings
    assert isinstance(load_policy(str(tmp_path / "absent.npz"), warn=warnings.append), RulePolicy)
    assert "no such policy file" in warnings[0]


@pytest.mark.skipif(not SHIPPED_POLICY.exists(), reason="no shipped learned policy yet")
def test_auto_loads_the_shipped_learned_policy_quickly_and_it_is_small() -> None:
    start = time.perf_counter()
    policy = load_policy("auto", warn=pytest.fail)
    assert time.perf_counter() - start < 0.5
    assert isinstance(policy, LearnedPolicy)
    assert SHIPPED_POLICY.stat().st_size < 5_000_000
    state = DialogueState()
    features = {name: 0.0 for name in FEATURE_NAMES}
    from assistant.dialogue.actions import Action

    output = policy.decide(state, [Action.OPEN_QUESTION, Action.MOOD_QUESTION, Action.PLAY_SAMPLE], features)
    assert sum(output.probabilities.values()) == 1.0 and set(output.scores) == set(output.probabilities)
