"""The learned dialogue policy at run time: predicted prompt usefulness from plain arrays, no pickle.

A policy file is an .npz written by `save_policy` (allow_pickle is off when reading): a JSON `meta`
string (format, model kind, feature names, prompt types, how it was chosen) plus the model's arrays
(trees flattened into one node table, or MLP / linear weights). Scoring is numpy only, so the app does
not import scikit-learn; a decision costs well under a millisecond.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.dialogue.actions import ACTIONS, Action
from assistant.dialogue.policy import PolicyOutput
from assistant.dialogue.state import FEATURE_NAMES, DialogueState

__all__ = ["FORMAT", "LearnedPolicy", "PolicyFileError", "load_learned_policy", "save_policy"]

FORMAT = "tunetalk-policy"
VERSION = 1
_REQUIRED = {
    "trees": ("baseline", "roots", "feature", "threshold", "missing_left", "left", "right", "leaf", "value"),
    # Fitted-Q trees: the same node table, predicting the return still to come (no link function).
    "q-trees": (
        "baseline",
        "roots",
        "feature",
        "threshold",
        "missing_left",
        "left",
        "right",
        "leaf",
        "value",
    ),
    "linear": ("mean", "scale", "coef", "intercept"),
    "mlp": ("mean", "scale", "w0", "b0"),
}


class PolicyFileError(ValueError):
    """A policy file that cannot be used; the message names the file and the problem."""


class _Scorer:
    def __init__(
        self,
        kind: str,
        arrays: dict[str, np.ndarray],
        n_features: int,
        n_actions: int,
        action_columns: np.ndarray | None = None,
    ) -> None:
        self.kind = kind
        self.a = arrays
        self.n_features = n_features
        self.n_actions = n_actions
        self.action_columns = action_columns
        """Per prompt, the column (in the policy's own feature order) holding the affinity of what the
        prompt puts forward, -1 for none; None when the model was trained without that input."""
        if kind in ("trees", "q-trees"):
            self.depth = self._max_depth()

    def _max_depth(self) -> int:
        a = self.a
        depth = np.zeros(len(a["leaf"]), dtype=np.int64)
        # Children come after their parent in sklearn's node order, so one forward pass finds depths.
        for i in range(len(depth)):
            if not a["leaf"][i]:
                depth[a["left"][i]] = depth[a["right"][i]] = depth[i] + 1
        return int(depth.max()) + 1

    def __call__(self, features: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Predicted usefulness of each (state, action) row."""
        a = self.a
        if self.kind == "linear":
            z = (features - a["mean"]) / a["scale"]
            logits = np.einsum("nd,nd->n", z, a["coef"][actions]) + a["intercept"][actions]
            return 1.0 / (1.0 + np.exp(-logits))
        one_hot = np.zeros((len(actions), self.n_actions))
        one_hot[np.arange(len(actions)), actions] = 1.0
        extra = np.zeros((len(actions), 0))
        if self.action_columns is not None:
            cols = self.action_columns[actions]
            values = features[np.arange(len(actions)), np.clip(cols, 0, None)]
            extra = np.where(cols >= 0, values, 0.0).astype(np.float32).astype(np.float64)[:, None]
        if self.kind == "mlp":
            h = np.hstack([(features - a["mean"]) / a["scale"], one_hot, extra])
            i = 0
            while f"w{i + 1}" in a:
                h = np.maximum(h @ a[f"w{i}"] + a[f"b{i}"], 0.0)
                i += 1
            logits = (h @ a[f"w{i}"] + a[f"b{i}"]).ravel()
            return 1.0 / (1.0 + np.exp(-logits))
        # Trees were fitted on float32 inputs (as logs store features): compare at that precision, or a
        # value a hair above a split threshold in float64 would take the other branch.
        x = np.hstack([features, one_hot, extra]).astype(np.float32).astype(np.float64)
        rows = np.arange(len(x))[:, None]
        node = np.broadcast_to(a["roots"], (len(x), len(a["roots"]))).copy()
        for _ in range(self.depth):
            value = x[rows, a["feature"][node]]
            go_left = np.where(np.isnan(value), a["missing_left"][node], value <= a["threshold"][node])
            node = np.where(go_left, a["left"][node], a["right"][node])
        raw = a["baseline"][0] + a["value"][node].sum(axis=1)
        return raw if self.kind == "q-trees" else 1.0 / (1.0 + np.exp(-raw))


class LearnedPolicy:
    """Picks the available prompt with the highest predicted usefulness (greedy).

    A policy reads the state features it was trained on, by name (a subset of FEATURE_NAMES: a policy
    trained before features were added keeps working). Its name comes from the file ("learned", or
    "learned+history" for the one trained on listeners with listening history)."""

    name = "learned"

    def __init__(self, meta: dict[str, Any], arrays: dict[str, np.ndarray], source: str = "") -> None:
        self.meta = meta
        self.source = source
        self.name = str(meta.get("name", "learned"))
        self.actions: tuple[Action, ...] = tuple(Action(a) for a in meta["actions"])
        self.feature_names: tuple[str, ...] = tuple(meta["feature_names"])
        self._columns = np.array([FEATURE_NAMES.index(n) for n in self.feature_names], dtype=np.int64)
        self._index = {a: i for i, a in enumerate(self.actions)}
        self._own_index = np.array([self._index.get(a, -1) for a in ACTIONS], dtype=np.int64)
        action_columns = None
        if meta.get("action_features"):
            own = {n: i for i, n in enumerate(self.feature_names)}
            named: dict[str, str] = meta["action_features"]
            action_columns = np.array([own.get(named.get(a.value, ""), -1) for a in self.actions])
        self._scorer = _Scorer(
            meta["model"], arrays, len(self.feature_names), len(self.actions), action_columns
        )

    def scores(self, features: np.ndarray, actions: Sequence[Action]) -> np.ndarray:
        """`features`: one state in the policy's own feature order (self.feature_names)."""
        x = np.repeat(np.asarray(features, dtype=np.float64)[None, :], len(actions), axis=0)
        return self._scorer(x, np.array([self._index[a] for a in actions]))

    def predict(self, features: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Batch scoring: features (n, len(FEATURE_NAMES)) as logged, action indices (n,) into this
        version's prompt types (assistant.dialogue.actions.ACTIONS) -> score. A prompt type the policy
        was not trained with (added since) scores -inf: it is never chosen, as in `decide`."""
        x = np.asarray(features, dtype=np.float64)
        if x.shape[1] != len(self.feature_names) or not np.array_equal(self._columns, np.arange(x.shape[1])):
            x = x[:, self._columns]
        own = self._own_index[np.asarray(actions)]
        known = own >= 0
        if not known.all():
            out = np.full(len(own), -np.inf)
            out[known] = self.predict_own(x[known], own[known])
            return out
        return self.predict_own(x, own)

    def predict_own(self, x: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Scores for features in the policy's own order and indices into its own prompt types."""
        # In blocks: tree scoring holds a (rows x trees) node table, which for the half-million rows of
        # a held-out log (every round x every prompt) would take gigabytes at once.
        block = 16_384
        return (
            np.concatenate(
                [self._scorer(x[i : i + block], a[i : i + block]) for i in range(0, len(x), block)]
            )
            if len(x)
            else np.zeros(0)
        )

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        vector = np.array([features[n] for n in self.feature_names], dtype=np.float64)
        known = [a for a in available if a in self._index]
        if not known:
            return PolicyOutput({a: 1.0 / len(available) for a in available})
        q = self.scores(vector, known)
        best = known[int(np.argmax(q))]
        scores = {a: float(s) for a, s in zip(known, q, strict=True)}
        return PolicyOutput({a: float(a is best) for a in available}, scores)


def save_policy(path: str | Path, kind: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
    """Write a policy file (.npz, no pickled objects). `meta` may name the policy ("name") and the
    per-prompt affinity inputs its model was trained with ("action_features": prompt -> feature)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    full = {
        "format": FORMAT,
        "version": VERSION,
        "model": kind,
        "feature_names": list(FEATURE_NAMES),
        "actions": [a.value for a in Action],
        **meta,
    }
    tmp = path.with_name(path.name + ".tmp.npz")
    files: dict[str, Any] = {"meta": np.array(json.dumps(full)), **{f"m_{k}": v for k, v in arrays.items()}}
    np.savez_compressed(tmp, **files)
    tmp.replace(path)
    return path


def load_learned_policy(path: str | Path) -> LearnedPolicy:
    """Read and check a policy file. Raises PolicyFileError saying what is wrong."""
    path = Path(path)
    try:
        # Our own handle, so a file np.load rejects is still closed.
        with path.open("rb") as handle:
            if handle.read(2) != b"PK":
                # np.load would take anything else for a pickle and say so in its own terms.
                raise PolicyFileError(f"{path}: unreadable policy file (not an .npz archive)")
            handle.seek(0)
            with np.load(handle, allow_pickle=False) as data:
                files = dict(data.items())
    except PolicyFileError:
        raise
    except FileNotFoundError as exc:
        raise PolicyFileError(f"{path}: no such policy file") from exc
    except IsADirectoryError as exc:
        raise PolicyFileError(f"{path}: is a folder, not a policy file") from exc
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise PolicyFileError(f"{path}: unreadable policy file (it holds Python objects)") from exc
        raise PolicyFileError(f"{path}: unreadable policy file ({exc})") from exc
    except Exception as exc:  # zip errors, truncated files
        raise PolicyFileError(f"{path}: unreadable policy file ({type(exc).__name__}: {exc})") from exc
    if "meta" not in files:
        raise PolicyFileError(f"{path}: not a tunetalk policy (no meta entry)")
    try:
        meta = json.loads(str(files["meta"]))
    except json.JSONDecodeError as exc:
        raise PolicyFileError(f"{path}: meta is not valid JSON ({exc.msg})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise PolicyFileError(
            f"{path}: not a tunetalk policy "
            f"(format {meta.get('format') if isinstance(meta, dict) else None!r})"
        )
    if meta.get("version") != VERSION:
        raise PolicyFileError(
            f"{path}: policy format version {meta.get('version')!r}, this version reads {VERSION}"
        )
    kind = meta.get("model")
    if kind not in _REQUIRED:
        raise PolicyFileError(f"{path}: unknown model kind {kind!r}")
    names = meta.get("feature_names", ())
    unknown = [n for n in names if n not in FEATURE_NAMES] if isinstance(names, list) else ["?"]
    if not names or unknown:
        raise PolicyFileError(
            f"{path}: trained on different state features than this version computes "
            f"({', '.join(map(str, unknown[:3])) or 'none listed'} unknown); retrain"
        )
    action_features = meta.get("action_features")
    if action_features is not None and (
        not isinstance(action_features, dict) or any(f not in names for f in action_features.values())
    ):
        raise PolicyFileError(f"{path}: action_features must map prompt types to listed features")
    try:
        actions = [Action(a) for a in meta.get("actions", ())]
    except ValueError as exc:
        raise PolicyFileError(f"{path}: {exc}") from exc
    if not actions:
        raise PolicyFileError(f"{path}: no prompt types listed")
    arrays = {k[2:]: v for k, v in files.items() if k.startswith("m_")}
    missing = [k for k in _REQUIRED[kind] if k not in arrays]
    if missing:
        raise PolicyFileError(f"{path}: {kind} model lacks array(s) {', '.join(missing)}")
    policy = LearnedPolicy(meta, arrays, str(path))
    # One probe decision: shapes that disagree fail here, not in the middle of a conversation.
    try:
        probe = policy.scores(np.zeros(len(policy.feature_names)), list(actions))
    except (IndexError, ValueError, KeyError) as exc:
        raise PolicyFileError(f"{path}: arrays do not fit together ({exc})") from exc
    if not np.all(np.isfinite(probe)):
        raise PolicyFileError(f"{path}: the model predicts non-finite values")
    return policy
