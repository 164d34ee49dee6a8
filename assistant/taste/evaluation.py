"""Offline evaluation of affinity models on synthetic listening histories.

Offline evaluation (`run_experiment`) trains the affinity models on one synthetic population, tunes them
on a second and reports recall@k and NDCG@k on the later plays of a third, whose listeners no model saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.music.catalog import Catalog
from assistant.taste.signals import ListeningSignals
from assistant.taste.synthetic import SyntheticHistory, synthetic_histories, taste_utility

__all__ = [
    "SHORT_HISTORY",
    "Experiment",
    "HeldOut",
    "ModelResult",
    "evaluate",
    "evaluate_shipped",
    "held_out",
    "machine_line",
    "run_experiment",
]


# -- offline evaluation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class HeldOut:
    """One listener for offline evaluation: what a model sees, and what it should have predicted."""

    signals: ListeningSignals
    """The earlier plays (about 80 %), as the app would derive them."""
    seen: np.ndarray
    """Tracks played in the earlier part: left out of the ranking (we score discovery, not replays)."""
    relevant: np.ndarray
    """Tracks first played through in the later part."""
    n_early: int
    utility: np.ndarray
    """The listener's hidden taste utility of every track (known only because the data is synthetic)."""


def held_out(histories: Sequence[SyntheticHistory], catalog: Catalog, share: float = 0.8) -> list[HeldOut]:
    """Split each history in time: the earlier plays are the input, tracks new to the listener that they
    played through later are the targets. Listeners with fewer than three earlier plays or no new track
    played through later are left out."""
    duration = np.array([t.duration_ms for t in catalog.tracks], dtype=np.float64)
    cases = []
    for h in histories:
        early, late = h.split(share)
        if len(early) < 3 or len(late) == 0:
            continue
        seen = np.unique(early.track)
        through = late.ms_played >= 0.6 * duration[late.track]
        relevant = np.setdiff1d(np.unique(late.track[through]), seen)
        if relevant.size == 0:
            continue
        cases.append(
            HeldOut(early.signals(catalog), seen, relevant, len(early), taste_utility(h.taste, catalog))
        )
    return cases


@dataclass
class ModelResult:
    """A model's offline ranking metrics on held-out plays (means over listeners)."""

    name: str
    config: str
    metrics: dict[str, float]
    model: Any = field(default=None, repr=False)
    fit_seconds: float = 0.0


@dataclass
class Experiment:
    """The outcome of `run_experiment`: validation and test results, the chosen default, fitted models."""

    catalog: str
    seed: int
    sizes: dict[str, int]
    validation: list[ModelResult]
    test: list[ModelResult]
    default: str
    blend_weights: dict[str, float]
    """Content's weight in each blend, as tuned."""
    cf: Any
    mf: Any
    chosen: Any = None
    """The default model object (marks its row in the tables)."""

    def summary(self) -> str:
        sizes = self.sizes
        trained = (
            f"trained on {sizes['train']} synthetic listeners, tuned on {sizes['validation']}"
            if sizes.get("validation")
            else "the shipped models (assets/affinity)"
        )
        return (
            f"Affinity on held-out plays, catalogue {self.catalog!r}, seed {self.seed}: {sizes['test']} "
            "test listeners no model saw; input = their earlier ~80 % of plays, targets = tracks new to them "
            f"that they played through later. Models: {trained}. Default model: {self.default}."
        )

    def table(self, validation: bool = False) -> str:
        """The test results (or every validation candidate) as a Markdown table."""
        head = (
            "| model | configuration | recall@10 | recall@20 | NDCG@10 (±95% CI) "
            "| recall@20, short histories | taste Spearman | ms per user |"
        )
        lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|"]
        for r in self.validation if validation else self.test:
            m = r.metrics
            lines.append(
                f"| {r.name}{' (default)' if r.name == self.default and r.model is self.chosen else ''} "
                f"| {r.config} "
                f"| {m['recall@10']:.3f} | {m['recall@20']:.3f} | {m['ndcg@10']:.3f} ± {m['ndcg@10_ci']:.3f} "
                f"| {m['short_recall@20']:.3f} | {m['taste_spearman']:.3f} | {m['ms_per_user']:.2f} |"
            )
        return "\n".join(lines)


SHORT_HISTORY = 30
"""Listeners with at most this many earlier plays form the "short histories" column."""


def evaluate(model: Any, cases: Sequence[HeldOut], catalog: Catalog) -> dict[str, float]:
    """Mean recall@10/20 and NDCG@10 over listeners (with a 95 % interval for NDCG), recall@20 for short
    histories, the Spearman correlation of affinity with hidden taste, and scoring time per listener."""
    from scipy.stats import spearmanr

    from assistant.taste.affinity import ranking_metrics, user_affinity

    per_user: list[dict[str, float]] = []
    rho: list[float] = []
    elapsed = 0.0
    for i, case in enumerate(cases):
        start = time.perf_counter()
        scores = model.scores(case.signals)
        elapsed += time.perf_counter() - start
        per_user.append(ranking_metrics(scores, case.relevant, case.seen))
        if i < 300:  # a correlation per listener is slow-ish and settles early
            affinity = user_affinity(case.signals, model, catalog)
            if affinity is not None and np.std(affinity) > 0:
                rho.append(float(spearmanr(affinity, case.utility).statistic))
    out = {k: float(np.mean([m[k] for m in per_user])) for k in per_user[0]}
    ndcg = np.array([m["ndcg@10"] for m in per_user])
    out["ndcg@10_ci"] = float(1.96 * ndcg.std(ddof=1) / np.sqrt(len(ndcg))) if len(ndcg) > 1 else 0.0
    short = [m["recall@20"] for m, c in zip(per_user, cases, strict=True) if c.n_early <= SHORT_HISTORY]
    out["short_recall@20"] = float(np.mean(short)) if short else float("nan")
    out["taste_spearman"] = float(np.mean(rho)) if rho else float("nan")
    out["ms_per_user"] = 1000.0 * elapsed / max(len(cases), 1)
    return out


def run_experiment(
    catalog: Catalog,
    *,
    seed: int = 0,
    n_train: int = 2000,
    n_valid: int = 500,
    n_test: int = 1000,
    quick: bool = False,
    log: Callable[[str], None] = lambda _message: None,
) -> Experiment:
    """Train every candidate on one synthetic population, choose each family's configuration on a
    validation population by NDCG@10, choose the default model the same way, and report all on a test
    population of listeners none of the models saw (folded in from their earlier plays)."""
    from assistant.taste.models import (
        BlendAffinity,
        ContentAffinity,
        ImplicitALS,
        ItemCF,
        PopularityAffinity,
        signals_matrix,
    )

    train, valid, test = _populations(catalog, seed, n_train, n_valid, n_test, log)
    X = signals_matrix([h.signals(catalog) for h in train], catalog)

    def fitted(model: Any) -> tuple[Any, float]:
        start = time.perf_counter()
        model.fit(X)
        return model, time.perf_counter() - start

    content = ContentAffinity(catalog)
    popularity, pop_seconds = fitted(PopularityAffinity(catalog))
    cf_grid = [(50,), (100,)] if quick else [(50,), (100,), (200,)]
    mf_grid = [(32, 2.0), (64, 2.0)] if quick else [(32, 2.0), (64, 2.0), (64, 5.0), (128, 2.0), (128, 5.0)]
    validation: list[ModelResult] = []
    for (k,) in cf_grid:
        model, seconds = fitted(ItemCF(catalog, neighbours=k))
        log(f"  cf, {k} neighbours: fitted in {seconds:.1f} s")
        validation.append(
            ModelResult("cf", f"{k} neighbours", evaluate(model, valid, catalog), model, seconds)
        )
    for factors, alpha in mf_grid:
        model, seconds = fitted(ImplicitALS(catalog, factors=factors, alpha=alpha))
        log(f"  mf, {factors} factors, alpha {alpha:g}: fitted in {seconds:.1f} s")
        config = (
            f"{factors} factors, alpha {alpha:g}, lambda {model.regularization:g}, {model.iterations} sweeps"
        )
        validation.append(ModelResult("mf", config, evaluate(model, valid, catalog), model, seconds))

    def best(name: str) -> ModelResult:
        return max((r for r in validation if r.name == name), key=lambda r: r.metrics["ndcg@10"])

    best_cf, best_mf = best("cf"), best("mf")
    for base in (best_cf, best_mf):
        for weight in (0.25, 0.5):
            blend = BlendAffinity(base.model, content, weight=weight)
            validation.append(
                ModelResult(blend.name, f"{base.config}; content weight {weight:g}",
                            evaluate(blend, valid, catalog), blend, base.fit_seconds)
            )  # fmt: skip
    validation.append(ModelResult("content", "genre, subgenre, artist, energy, era profile",
                                  evaluate(content, valid, catalog), content))  # fmt: skip
    finalists = [best_cf, best_mf, best("cf+content"), best("mf+content"), validation[-1]]
    chosen = max(finalists, key=lambda r: r.metrics["ndcg@10"])
    log(f"chosen on validation NDCG@10: {chosen.name} ({chosen.config})")
    pop_result = ModelResult(
        "popularity", "plays per track in the training population", {}, popularity, pop_seconds
    )
    results = []
    for r in [pop_result, *finalists]:
        results.append(
            ModelResult(r.name, r.config, evaluate(r.model, test, catalog), r.model, r.fit_seconds)
        )
    blend_weights = {r.name: float(r.model.weight) for r in finalists if r.name.endswith("+content")}
    return Experiment(
        catalog.name,
        seed,
        {"train": n_train, "validation": len(valid), "test": len(test)},
        validation,
        results,
        chosen.name,
        blend_weights,
        best_cf.model,
        best_mf.model,
        chosen.model,
    )


def _populations(
    catalog: Catalog, seed: int, n_train: int, n_valid: int, n_test: int, log: Callable[[str], None]
) -> tuple[list[SyntheticHistory], list[HeldOut], list[HeldOut]]:
    """The three populations of an experiment, each from its own stream of `seed`, so that scoring the
    shipped models later sees exactly the test listeners of the run that trained them."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)]
    log(f"generating listening histories: {n_train} training, {n_valid} validation, {n_test} test listeners")
    train = synthetic_histories(catalog, n_train, streams[0])
    valid = held_out(synthetic_histories(catalog, n_valid, streams[1]), catalog) if n_valid else []
    test = held_out(synthetic_histories(catalog, n_test, streams[2]), catalog)
    return train, valid, test


def evaluate_shipped(
    catalog: Catalog,
    *,
    seed: int = 0,
    n_train: int = 2000,
    n_test: int = 1000,
    directory: str | None = None,
    log: Callable[[str], None] = lambda _message: None,
) -> Experiment:
    """Score the shipped models (assets/affinity) on the test listeners of `run_experiment(seed)`; the
    popularity baseline is counted on that run's training population."""
    import json

    from assistant.taste.affinity import MODEL_DIR, load_affinity_model
    from assistant.taste.models import PopularityAffinity, signals_matrix

    train, _valid, test = _populations(catalog, seed, n_train, 0, n_test, log)
    popularity = PopularityAffinity(catalog).fit(signals_matrix([h.signals(catalog) for h in train], catalog))
    folder = MODEL_DIR if directory is None else directory
    meta_path = MODEL_DIR / "models.json" if directory is None else Path(directory) / "models.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    default = str(meta.get("default", "content"))
    results = [ModelResult("popularity", "plays per track in the training population", {}, popularity)]
    for name in ("cf", "mf", "cf+content", "mf+content", "content"):
        model = load_affinity_model(catalog, name, folder, warn=log)
        if model.name != name:
            log(f"  {name}: not available for this catalogue; left out")
            continue
        results.append(ModelResult(name, str(meta.get("configs", {}).get(name, "")), {}, model))
    for r in results:
        r.metrics = evaluate(r.model, test, catalog)
    models = {r.name: r.model for r in results}
    return Experiment(
        catalog.name,
        seed,
        {"train": n_train, "validation": 0, "test": len(test)},
        [],
        results,
        default,
        {k: float(v) for k, v in meta.get("blend_weights", {}).items()},
        models.get("cf"),
        models.get("mf"),
        models.get(default),
    )


def machine_line() -> str:
    import os
    import platform

    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.platform()}"
    )
