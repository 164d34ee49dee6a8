"""Fitted-Q iteration over logged conversations: the value of each prompt for the rest of the conversation.

Q(s, a) estimates the return still to come, G = 1{accepted} - turn cost x (user turns), when prompt `a` is
made in state `s` and the policy acts greedily after it. It is learned from the logged, partly randomized
conversations alone (Ernst, Geurts and Wehenkel, "Tree-Based Batch Mode Reinforcement Learning", JMLR
2005): starting from the immediate reward, each iteration regresses r_t + max over the next state's
available prompts of the previous Q, so after k iterations Q looks k decisions ahead. Gradient-boosted
trees regress over the state features, a one-hot of the prompt and, with listening history, the affinity
of what the prompt would put forward. The policy asks the available prompt with the highest Q.

Three tree libraries can do the regression ("sklearn": HistGradientBoostingRegressor, "lightgbm",
"xgboost" from the CPU-only `xgboost-cpu` wheel); all three export to the same flat node table that
assistant.policies.learned scores with numpy, so the app needs none of them. Given a distributed engine
(`--engine ray`), the LightGBM fit runs as one Ray Train job over shards of the decisions
(learning.engines.ray_fit); the other libraries fit in this process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from learning.episodes import Episodes
from learning.learner import _all_pairs, _joint

__all__ = ["BACKENDS", "FittedQ", "QTrees", "greedy_available"]

BACKENDS = ("sklearn", "lightgbm", "xgboost")


def greedy_available(q: np.ndarray, available: np.ndarray) -> np.ndarray:
    """(n, n_actions) one-hot of the available action with the highest q (ties: the first)."""
    masked = np.where(available, q, -np.inf)
    out = np.zeros_like(q, dtype=np.float64)
    out[np.arange(len(q)), masked.argmax(axis=1)] = 1.0
    # No available prompt the policy knows (all -inf): uniform over what is available, as at run time.
    none = ~np.isfinite(masked).any(axis=1)
    if none.any():
        out[none] = available[none] / np.maximum(available[none].sum(axis=1, keepdims=True), 1)
    return out


@dataclass(frozen=True)
class QTrees:
    """A boosted-tree regressor as a flat node table: x goes left when x[feature] <= threshold (or when it
    is missing and missing_left); the prediction is baseline + the sum of the leaves reached."""

    baseline: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    gain: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "baseline": np.array([self.baseline], dtype=np.float64),
            "roots": self.roots,
            "feature": self.feature,
            "threshold": self.threshold,
            "missing_left": self.missing_left,
            "left": self.left,
            "right": self.right,
            "leaf": self.leaf,
            "value": self.value,
            "gain": self.gain,
        }

    def predict(self, x: np.ndarray) -> np.ndarray:
        # Inputs are float32 in training: compare at that precision (a float64 value a hair above a
        # threshold would otherwise take the other branch).
        x = np.asarray(x, dtype=np.float32).astype(np.float64)
        out = np.full(len(x), self.baseline)
        depth = _depth(self.leaf, self.left, self.right, self.roots)
        block = 16_384
        for lo in range(0, len(x), block):
            xb = x[lo : lo + block]
            rows = np.arange(len(xb))[:, None]
            node = np.broadcast_to(self.roots, (len(xb), len(self.roots))).copy()
            for _ in range(depth):
                value = xb[rows, self.feature[node]]
                go_left = np.where(np.isnan(value), self.missing_left[node], value <= self.threshold[node])
                node = np.where(go_left, self.left[node], self.right[node])
            out[lo : lo + block] += self.value[node].sum(axis=1)
        return out


def _depth(leaf: np.ndarray, left: np.ndarray, right: np.ndarray, roots: np.ndarray) -> int:
    depth = np.zeros(len(leaf), dtype=np.int64)
    frontier = np.asarray(roots)
    d = 0
    while frontier.size:
        depth[frontier] = d
        inner = frontier[~leaf[frontier]]
        frontier = np.concatenate([left[inner], right[inner]]) if inner.size else inner
        d += 1
    return max(d - 1, 1)


# -- exporting each library's trees to the node table ----------------------------------------------------
def _from_sklearn(model: Any) -> QTrees:
    roots, parts = [], []
    offset = 0
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        roots.append(offset)
        parts.append(nodes)
        offset += len(nodes)
    nodes = np.concatenate(parts)
    root_of = np.repeat(np.array(roots), [len(p) for p in parts])
    leaf = nodes["is_leaf"].astype(bool)
    own = np.arange(len(nodes))
    return QTrees(
        float(np.asarray(model._baseline_prediction).ravel()[0]),
        np.asarray(roots, dtype=np.int64),
        np.where(leaf, 0, nodes["feature_idx"]).astype(np.int64),
        nodes["num_threshold"].astype(np.float64),
        nodes["missing_go_to_left"].astype(bool),
        np.where(leaf, own, nodes["left"] + root_of).astype(np.int64),
        np.where(leaf, own, nodes["right"] + root_of).astype(np.int64),
        leaf,
        np.where(leaf, nodes["value"], 0.0).astype(np.float64),
        np.where(leaf, 0.0, nodes["gain"]).astype(np.float64),
    )


class _TableBuilder:
    def __init__(self) -> None:
        self.roots: list[int] = []
        self.rows: list[list[float]] = []  # feature, threshold, missing_left, left, right, leaf, value, gain

    def add(
        self, feature: int, threshold: float, missing_left: bool, leaf: bool, value: float, gain: float
    ) -> int:
        self.rows.append([feature, threshold, float(missing_left), -1, -1, float(leaf), value, gain])
        return len(self.rows) - 1

    def link(self, node: int, left: int, right: int) -> None:
        self.rows[node][3] = left
        self.rows[node][4] = right

    def build(self, baseline: float) -> QTrees:
        t = np.array(self.rows, dtype=np.float64).reshape(-1, 8)
        leaf = t[:, 5].astype(bool)
        own = np.arange(len(t))
        return QTrees(
            baseline,
            np.asarray(self.roots, dtype=np.int64),
            t[:, 0].astype(np.int64),
            t[:, 1],
            t[:, 2].astype(bool),
            np.where(leaf, own, t[:, 3]).astype(np.int64),
            np.where(leaf, own, t[:, 4]).astype(np.int64),
            leaf,
            np.where(leaf, t[:, 6], 0.0),
            np.where(leaf, 0.0, t[:, 7]),
        )


def _from_lightgbm(model: Any) -> QTrees:
    dump = model.booster_.dump_model()
    builder = _TableBuilder()

    def walk(node: dict[str, Any]) -> int:
        if "leaf_value" in node:
            return builder.add(0, 0.0, True, True, float(node["leaf_value"]), 0.0)
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(f"cannot export LightGBM decision type {node.get('decision_type')}")
        me = builder.add(
            int(node["split_feature"]),
            float(node["threshold"]),
            bool(node.get("default_left", True)),
            False,
            0.0,
            float(node.get("split_gain", 0.0)),
        )
        builder.link(me, walk(node["left_child"]), walk(node["right_child"]))
        return me

    for tree in dump["tree_info"]:
        builder.roots.append(len(builder.rows))
        walk(tree["tree_structure"])
    # LightGBM folds its starting score into the first tree's leaves.
    return builder.build(0.0)


def _from_xgboost(model: Any) -> QTrees:
    booster = model.get_booster()
    config = json.loads(booster.save_config())
    base = float(np.asarray(json.loads(config["learner"]["learner_model_param"]["base_score"])).ravel()[0])
    builder = _TableBuilder()
    for text in booster.get_dump(dump_format="json", with_stats=True):
        tree = json.loads(text)
        builder.roots.append(len(builder.rows))

        def walk(node: dict[str, Any]) -> int:
            if "leaf" in node:
                return builder.add(0, 0.0, True, True, float(node["leaf"]), 0.0)
            feature = int(str(node["split"]).lstrip("f"))
            # xgboost goes left when x < threshold; the table goes left when x <= threshold. On float32
            # inputs these agree when the threshold is the float32 just below xgboost's.
            threshold = float(np.nextafter(np.float32(node["split_condition"]), np.float32(-np.inf)))
            children = {c["nodeid"]: c for c in node["children"]}
            me = builder.add(
                feature, threshold, node["missing"] == node["yes"], False, 0.0, float(node.get("gain", 0.0))
            )
            builder.link(me, walk(children[node["yes"]]), walk(children[node["no"]]))
            return me

        walk(tree)
    return builder.build(base)


def _regressor(
    backend: str, params: dict[str, Any], random_state: int
) -> tuple[Any, Callable[[Any], QTrees]]:
    if backend == "sklearn":
        from sklearn.ensemble import HistGradientBoostingRegressor

        return (
            HistGradientBoostingRegressor(
                max_iter=params["n_trees"],
                learning_rate=params["learning_rate"],
                max_leaf_nodes=params["max_leaves"],
                min_samples_leaf=params["min_samples_leaf"],
                l2_regularization=params["l2"],
                early_stopping=False,
                random_state=random_state,
            ),
            _from_sklearn,
        )
    if backend == "lightgbm":
        import lightgbm

        return (
            lightgbm.LGBMRegressor(
                n_estimators=params["n_trees"],
                learning_rate=params["learning_rate"],
                num_leaves=params["max_leaves"],
                min_child_samples=params["min_samples_leaf"],
                reg_lambda=params["l2"],
                random_state=random_state,
                n_jobs=params["threads"],
                deterministic=True,
                force_row_wise=True,
                verbose=-1,
            ),
            _from_lightgbm,
        )
    if backend == "xgboost":
        import xgboost

        return (
            xgboost.XGBRegressor(
                n_estimators=params["n_trees"],
                learning_rate=params["learning_rate"],
                max_leaves=params["max_leaves"],
                grow_policy="lossguide",
                max_depth=0,
                min_child_weight=params["min_samples_leaf"],
                reg_lambda=params["l2"],
                tree_method="hist",
                random_state=random_state,
                n_jobs=params["threads"],
            ),
            _from_xgboost,
        )
    raise ValueError(f"unknown regressor backend {backend!r}; choose one of {', '.join(BACKENDS)}")


class _Booster:
    """A LightGBM Booster seen as the scikit-learn wrapper the exporter and the predictions expect."""

    def __init__(self, booster: Any) -> None:
        self.booster_ = booster

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster_.predict(x), dtype=np.float64)


class FittedQ:
    """Fitted-Q iteration with gradient-boosted trees (scikit-learn conventions: the constructor stores
    parameters, `fit` returns self, learned state ends in `_`, seeded by `random_state`)."""

    def __init__(
        self,
        n_actions: int = 8,
        *,
        backend: str = "sklearn",
        n_iterations: int = 10,
        n_trees: int = 150,
        learning_rate: float = 0.1,
        max_leaves: int = 31,
        min_samples_leaf: int = 50,
        l2: float = 1.0,
        threads: int = 1,
        random_state: int = 0,
        action_columns: np.ndarray | None = None,
        engine: Any = None,
    ) -> None:
        self.n_actions = n_actions
        self.backend = backend
        self.n_iterations = n_iterations
        self.n_trees = n_trees
        self.learning_rate = learning_rate
        self.max_leaves = max_leaves
        self.min_samples_leaf = min_samples_leaf
        self.l2 = l2
        self.threads = threads
        self.random_state = random_state
        self.action_columns = action_columns
        """Per prompt, the state column holding the affinity of what it would put forward (-1: none)."""
        self.engine = engine
        """learning.engines: a distributed one fits the lightgbm backend with Ray Train; None: here."""

    def _params(self) -> dict[str, Any]:
        return {
            "n_trees": self.n_trees,
            "learning_rate": self.learning_rate,
            "max_leaves": self.max_leaves,
            "min_samples_leaf": self.min_samples_leaf,
            "l2": self.l2,
            "threads": self.threads,
        }

    def fit(self, episodes: Episodes, progress: Callable[[str], None] | None = None) -> FittedQ:
        if episodes.features.shape[0] == 0:
            raise ValueError("no decisions to learn from")
        x = _joint(episodes.features, episodes.action, self.n_actions, self.action_columns)
        following = np.minimum(np.arange(len(episodes)) + 1, len(episodes) - 1)
        next_features = episodes.features[following]
        next_available = episodes.available[following]
        self.history_: list[dict[str, float]] = []
        self.fitted_on_: dict[str, Any] = {"engine": "local"}
        if self.backend == "lightgbm" and getattr(self.engine, "distributed", False):
            model, export = self._fit_on_cluster(episodes, next_features, next_available, progress)
        else:
            model, export = self._fit_here(episodes, x, next_features, next_available, progress)
        self.trees_ = export(model)
        # The exported table must predict what the library does (it is what the app will run).
        probe = x[:: max(1, len(x) // 2000)]
        drift = float(np.max(np.abs(self.trees_.predict(probe) - model.predict(probe)), initial=0.0))
        if drift > 1e-6:
            raise RuntimeError(f"exported {self.backend} trees disagree with the library by {drift:.2e}")
        self.export_drift_ = drift
        self.model_ = model
        return self

    def _fit_here(
        self,
        episodes: Episodes,
        x: np.ndarray,
        next_features: np.ndarray,
        next_available: np.ndarray,
        progress: Callable[[str], None] | None,
    ) -> tuple[Any, Callable[[Any], QTrees]]:
        """Every iteration's regression in this process, with the chosen library."""
        reward, last = episodes.reward, episodes.last
        target = reward.copy()
        model: Any = None
        export: Callable[[Any], QTrees] | None = None
        for k in range(self.n_iterations):
            model, export = _regressor(self.backend, self._params(), self.random_state + k)
            # A capped thread pool: on a busy 2-core machine OpenMP's spinning threads made one tree fit
            # 3-60x slower than a single thread (docs/ope.md, "Speed").
            with threadpool_limits(limits=self.threads):
                model.fit(x, target)
            # The library's own (compiled) prediction while iterating; the exported table only at the end.
            q_next = self._predict_all(model.predict, next_features)
            best_next = np.where(next_available, q_next, -np.inf).max(axis=1)
            new_target = reward + np.where(last, 0.0, best_next)
            change = float(np.sqrt(np.mean((new_target - target) ** 2)))
            self.history_.append({"iteration": k + 1, "target_rmse_change": change})
            if progress:
                progress(f"fitted-Q iteration {k + 1}/{self.n_iterations}: targets moved {change:.4f} (RMS)")
            target = new_target
        assert model is not None and export is not None  # n_iterations >= 1
        return model, export

    def _fit_on_cluster(
        self,
        episodes: Episodes,
        next_features: np.ndarray,
        next_available: np.ndarray,
        progress: Callable[[str], None] | None,
    ) -> tuple[Any, Callable[[Any], QTrees]]:
        """All iterations as one Ray Train job (learning.engines.ray_fit): the same trees' settings."""
        import lightgbm

        from learning.engines.ray_fit import FitSpec, fit_fitted_q

        spec = FitSpec(
            features=episodes.features,
            action=episodes.action,
            reward=episodes.reward,
            last=episodes.last,
            next_features=next_features,
            next_available=next_available,
            episode=episodes.episode,
            n_actions=self.n_actions,
            action_columns=self.action_columns,
            params=self._params(),
            n_iterations=self.n_iterations,
            random_state=self.random_state,
        )
        fit = fit_fitted_q(spec, workers=int(self.engine.workers))
        self.history_ = fit.history
        if progress:
            for row in fit.history:
                progress(
                    f"fitted-Q iteration {row['iteration']}/{self.n_iterations} on {fit.workers} Ray Train "
                    f"workers: targets moved {row['target_rmse_change']:.4f} (RMS)"
                )
        self.fitted_on_ = {"engine": "ray-train", "workers": fit.workers, "rows_by_node": fit.rows_by_node}
        return _Booster(lightgbm.Booster(model_str=fit.model_text)), _from_lightgbm

    def _predict_all(self, predict: Callable[[np.ndarray], np.ndarray], features: np.ndarray) -> np.ndarray:
        pairs = _all_pairs(features, self.n_actions, self.action_columns)
        with threadpool_limits(limits=self.threads):
            q = predict(pairs)
        return np.asarray(q, dtype=np.float64).reshape(len(features), self.n_actions)

    def q_all(self, features: np.ndarray) -> np.ndarray:
        """(n, n_actions) estimated return-to-go of every prompt in every state (the library's compiled
        prediction, which the exported table matches to 1e-6, checked at the end of `fit`)."""
        return self._predict_all(self.model_.predict, features)

    def distribution(self, features: np.ndarray, available: np.ndarray) -> np.ndarray:
        """The greedy policy's action distribution over the available prompts."""
        return greedy_available(self.q_all(features), available)

    def export(self) -> dict[str, np.ndarray]:
        return self.trees_.arrays()

    def importances(self) -> np.ndarray:
        t = self.trees_
        n_inputs = int(t.feature.max()) + 1 if t.feature.size else 0
        inner = ~t.leaf
        gain = np.bincount(t.feature[inner], weights=t.gain[inner], minlength=n_inputs)
        return gain / max(gain.sum(), 1e-12)
