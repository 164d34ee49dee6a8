"""Reward regressors over (state features, prompt type) -> predicted prompt usefulness, and their export.

Three families, each a small class in the scikit-learn manner (constructor stores parameters, `fit`
returns self, learned state ends in `_`, seeded by `random_state`):
- `LinearUsefulness`: logistic regression on standardized features crossed with the prompt type (one
  linear model per prompt; with the prompt only as a one-hot offset the argmax would ignore the state);
- `TreeUsefulness`: gradient-boosted trees (HistGradientBoostingClassifier) on features ++ one-hot prompt;
- `NeuralUsefulness`: a small MLP (two hidden ReLU layers) on standardized features ++ one-hot prompt.
Trees and MLP also take one (state, action) input when given `action_columns`: the affinity of what that
prompt would put forward (listening history; 0 for questions and cold starts), so "a sample this person
will probably like" is one feature shared by every prompt rather than four the model must relate.
Each exports itself as plain arrays (`export()`), which `assistant.policies.learned` reads back without
scikit-learn and without pickle.

The derived policy picks the available prompt with the highest predicted usefulness (`greedy`), or
spreads probability by a softmax when a stochastic policy is wanted (`softmax`).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

__all__ = [
    "MODELS",
    "LinearUsefulness",
    "NeuralUsefulness",
    "TreeUsefulness",
    "UsefulnessModel",
    "greedy",
    "make_model",
    "put_forward",
    "softmax",
]


class UsefulnessModel(Protocol):
    kind: str

    def fit(self, features: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> UsefulnessModel: ...

    def predict_all(self, features: np.ndarray) -> np.ndarray:
        """(n, n_actions) predicted usefulness of every prompt type in every state."""
        ...

    def export(self) -> dict[str, np.ndarray]: ...

    def importances(self) -> np.ndarray:
        """One non-negative weight per input feature (state features then prompt types)."""
        ...


def _one_hot(actions: np.ndarray, n_actions: int) -> np.ndarray:
    out = np.zeros((len(actions), n_actions), dtype=np.float32)
    out[np.arange(len(actions)), actions] = 1.0
    return out


def put_forward(features: np.ndarray, actions: np.ndarray, action_columns: np.ndarray) -> np.ndarray:
    """The (state, action) feature "affinity of what this prompt would put forward": for each row, the
    state feature that `action_columns[action]` names (-1: the prompt puts nothing forward, 0)."""
    cols = np.asarray(action_columns)[actions]
    values = np.asarray(features)[np.arange(len(actions)), np.clip(cols, 0, None)]
    return np.where(cols >= 0, values, 0.0).astype(np.float32)


def _joint(
    features: np.ndarray, actions: np.ndarray, n_actions: int, action_columns: np.ndarray | None = None
) -> np.ndarray:
    parts = [features.astype(np.float32), _one_hot(actions, n_actions)]
    if action_columns is not None:
        parts.append(put_forward(features, actions, action_columns)[:, None])
    return np.hstack(parts)


def _all_pairs(features: np.ndarray, n_actions: int, action_columns: np.ndarray | None = None) -> np.ndarray:
    """Every state paired with every prompt: rows ordered state-major, (n * n_actions, d + n_actions [+1])."""
    n = len(features)
    repeated = np.repeat(features.astype(np.float32), n_actions, axis=0)
    actions = np.tile(np.arange(n_actions), n)
    return _joint(repeated, actions, n_actions, action_columns)


class _Scaler:
    def fit(self, x: np.ndarray) -> _Scaler:
        self.mean_ = x.mean(axis=0)
        scale = x.std(axis=0)
        self.scale_ = np.where(scale > 1e-9, scale, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean_) / self.scale_


class LinearUsefulness:
    """Logistic regression, one weight vector per prompt type (features crossed with the prompt)."""

    kind = "linear"

    def __init__(
        self,
        n_actions: int = 8,
        C: float = 1.0,
        random_state: int = 0,
        action_columns: np.ndarray | None = None,
    ) -> None:
        # Crossing every feature with the prompt already gives each prompt its own weight on the affinity
        # of what it puts forward, so `action_columns` adds nothing here; kept for a uniform signature.
        self.action_columns = action_columns
        self.n_actions = n_actions
        self.C = C
        self.random_state = random_state

    def _crossed(self, z: np.ndarray, actions: np.ndarray) -> np.ndarray:
        n, d = z.shape
        out = np.zeros((n, self.n_actions * (d + 1)), dtype=np.float64)
        block = np.hstack([z, np.ones((n, 1))])
        for a in range(self.n_actions):
            rows = actions == a
            out[rows, a * (d + 1) : (a + 1) * (d + 1)] = block[rows]
        return out

    def fit(self, features: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> LinearUsefulness:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        self.scaler_ = _Scaler().fit(features.astype(np.float64))
        z = self.scaler_.transform(features.astype(np.float64))
        model = LogisticRegression(
            C=self.C, max_iter=300, fit_intercept=False, random_state=self.random_state
        )
        with warnings.catch_warnings():
            # An unconverged fit is still a usable model; OPE, not the optimizer, judges whether it is good.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(self._crossed(z, actions), rewards.astype(int))
        d = features.shape[1]
        w = model.coef_.reshape(self.n_actions, d + 1)
        self.coef_ = w[:, :d]
        self.intercept_ = w[:, d]
        return self

    def predict_all(self, features: np.ndarray) -> np.ndarray:
        z = self.scaler_.transform(features.astype(np.float64))
        return 1.0 / (1.0 + np.exp(-(z @ self.coef_.T + self.intercept_)))

    def export(self) -> dict[str, np.ndarray]:
        return {
            "mean": self.scaler_.mean_,
            "scale": self.scaler_.scale_,
            "coef": self.coef_,
            "intercept": self.intercept_,
        }

    def importances(self) -> np.ndarray:
        return np.concatenate([np.abs(self.coef_).mean(axis=0), np.abs(self.intercept_)])


class TreeUsefulness:
    """Gradient-boosted trees (scikit-learn's histogram GBDT, log loss) on features ++ one-hot prompt."""

    kind = "trees"

    def __init__(
        self,
        n_actions: int = 8,
        max_iter: int = 200,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        random_state: int = 0,
        action_columns: np.ndarray | None = None,
    ) -> None:
        self.n_actions = n_actions
        self.action_columns = action_columns
        """Per prompt, the state column with the affinity of what it puts forward (-1: none); None leaves
        the (state, action) affinity input out."""
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    def fit(self, features: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> TreeUsefulness:
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=10,
            random_state=self.random_state,
        )
        self.model_.fit(_joint(features, actions, self.n_actions, self.action_columns), rewards.astype(int))
        return self

    def predict_all(self, features: np.ndarray) -> np.ndarray:
        p = self.model_.predict_proba(_all_pairs(features, self.n_actions, self.action_columns))[:, 1]
        return p.reshape(len(features), self.n_actions)

    def export(self) -> dict[str, np.ndarray]:
        """All trees flattened into one node table; a tree is the run of nodes from its root offset."""
        roots, parts = [], []
        offset = 0
        for (predictor,) in self.model_._predictors:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits cannot be exported")
            roots.append(offset)
            parts.append(nodes)
            offset += len(nodes)
        nodes = np.concatenate(parts)
        root_of = np.repeat(np.array(roots), [len(p) for p in parts])
        leaf = nodes["is_leaf"].astype(bool)
        return {
            "baseline": np.asarray(self.model_._baseline_prediction, dtype=np.float64).ravel(),
            "roots": np.asarray(roots, dtype=np.int64),
            "feature": nodes["feature_idx"].astype(np.int32),
            "threshold": nodes["num_threshold"].astype(np.float64),
            "missing_left": nodes["missing_go_to_left"].astype(bool),
            # Children as absolute indices into the flattened table; a leaf points to itself.
            "left": np.where(leaf, np.arange(len(nodes)), nodes["left"] + root_of).astype(np.int64),
            "right": np.where(leaf, np.arange(len(nodes)), nodes["right"] + root_of).astype(np.int64),
            "leaf": leaf,
            "value": nodes["value"].astype(np.float64),
            "gain": np.where(leaf, 0.0, nodes["gain"]).astype(np.float64),
        }

    def importances(self) -> np.ndarray:
        """Total split gain per input column, normalized."""
        e = self.export()
        n_inputs = self.model_.n_features_in_
        gain = np.bincount(e["feature"][~e["leaf"]], weights=e["gain"][~e["leaf"]], minlength=n_inputs)
        return gain / max(gain.sum(), 1e-12)


class NeuralUsefulness:
    """A small MLP (two hidden ReLU layers, logistic output) on standardized features ++ one-hot prompt."""

    kind = "mlp"

    def __init__(
        self,
        n_actions: int = 8,
        hidden: tuple[int, ...] = (64, 32),
        max_iter: int = 40,
        random_state: int = 0,
        action_columns: np.ndarray | None = None,
    ) -> None:
        self.n_actions = n_actions
        self.action_columns = action_columns
        self.hidden = hidden
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, features: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> NeuralUsefulness:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        self.scaler_ = _Scaler().fit(features.astype(np.float64))
        z = self.scaler_.transform(features.astype(np.float64))
        self.model_ = MLPClassifier(
            hidden_layer_sizes=self.hidden,
            max_iter=self.max_iter,
            early_stopping=True,
            batch_size=512,
            learning_rate_init=2e-3,
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(self._inputs(features, z, actions), rewards.astype(int))
        return self

    def _inputs(self, features: np.ndarray, z: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Standardized state ++ one-hot prompt [++ raw affinity of what the prompt puts forward, in 0..1]."""
        x = _joint(z, actions, self.n_actions)
        if self.action_columns is None:
            return x
        return np.hstack([x, put_forward(features, actions, self.action_columns)[:, None]])

    def predict_all(self, features: np.ndarray) -> np.ndarray:
        z = self.scaler_.transform(features.astype(np.float64))
        n = len(features)
        actions = np.tile(np.arange(self.n_actions), n)
        pairs = self._inputs(
            np.repeat(features, self.n_actions, axis=0), np.repeat(z, self.n_actions, axis=0), actions
        )
        p = self.model_.predict_proba(pairs)[:, 1]
        return p.reshape(len(features), self.n_actions)

    def export(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"mean": self.scaler_.mean_, "scale": self.scaler_.scale_}
        for i, (w, b) in enumerate(zip(self.model_.coefs_, self.model_.intercepts_, strict=True)):
            out[f"w{i}"] = w
            out[f"b{i}"] = b
        return out

    def importances(self) -> np.ndarray:
        """Mean absolute first-layer weight per input column: a rough sensitivity, not a causal claim."""
        return np.abs(self.model_.coefs_[0]).mean(axis=1)


MODELS: dict[str, type] = {"linear": LinearUsefulness, "trees": TreeUsefulness, "mlp": NeuralUsefulness}


def make_model(kind: str, n_actions: int, random_state: int = 0, **params: Any) -> UsefulnessModel:
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose from {', '.join(MODELS)}")
    return MODELS[kind](n_actions=n_actions, random_state=random_state, **params)  # type: ignore[no-any-return,unused-ignore]


def greedy(q: np.ndarray, available: np.ndarray) -> np.ndarray:
    """One-hot on the available action with the highest score (ties: the first in declaration order)."""
    masked = np.where(available, q, -np.inf)
    best = np.argmax(masked, axis=1)
    out = np.zeros_like(q, dtype=np.float64)
    out[np.arange(len(q)), best] = 1.0
    return out


def softmax(q: np.ndarray, available: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities proportional to exp(q / temperature) over the available actions only."""
    z = np.where(available, q / max(temperature, 1e-9), -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    e = np.where(available, np.exp(z), 0.0)
    return e / e.sum(axis=1, keepdims=True)
