"""Tuned rules: the best variant of the rule policy from a small grid, chosen by simulation.

The learned policy must beat not only the rules as written but the best rules a designer could get by
turning their knobs. Every setting of the grid below meets the same simulated listeners of every training
population (the shipped population files), on its own policy (no off-policy estimate is needed: rules
cost nothing to simulate), and the setting with the highest mean return G, averaged over the populations,
wins. The listeners are drawn from a tuning seed that neither training nor the A/B test uses.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.music.catalog import Catalog
from assistant.policies.rules import DEFAULT_RULES, RulePolicy, RuleSettings
from learning.batch import simulate
from learning.episodes import DEFAULT_TURN_COST
from learning.population import Population

__all__ = ["GRID", "TUNING_SEED", "TuningResult", "grid_settings", "tune_rules", "write_tuned"]

TUNING_SEED = 2_000_003
"""Listeners for tuning: distinct from training (0) and the A/B test (1,000,003)."""
GRID: dict[str, tuple[Any, ...]] = {
    "open_first": (True, False),
    "questions_before_sample": (0, 1, 2, 99),
    "genre_first": (False, True),
    "rejects_before_asking": (1, 2),
    "feel_and_genre": (False, True),
}
"""The knobs a designer would try first; every other setting stays as written."""


def grid_settings(grid: dict[str, tuple[Any, ...]] = GRID) -> list[RuleSettings]:
    """Every combination of the grid, the rules as written first."""
    keys = list(grid)
    out = [DEFAULT_RULES]
    for values in itertools.product(*(grid[k] for k in keys)):
        settings = replace(DEFAULT_RULES, **dict(zip(keys, values, strict=True)))
        if settings not in out:
            out.append(settings)
    return out


@dataclass
class TuningResult:
    settings: RuleSettings
    table: list[dict[str, Any]]
    """One row per setting: the setting, and per population success, turns and G."""
    populations: list[str]
    n: int
    seed: int
    turn_cost: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(),
            "chosen_by": f"highest mean G over populations {', '.join(self.populations)}",
            "n_per_population": self.n,
            "seed": self.seed,
            "turn_cost": self.turn_cost,
            "grid": {k: list(v) for k, v in GRID.items()},
            "table": self.table,
        }


def tune_rules(
    catalog: Catalog,
    populations: Sequence[Population],
    *,
    n: int = 1000,
    seed: int = TUNING_SEED,
    turn_cost: float = DEFAULT_TURN_COST,
    settings: Sequence[RuleSettings] | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> TuningResult:
    """Simulate every setting on every population; the best mean G wins (ties: the earlier setting)."""
    candidates = list(settings) if settings is not None else grid_settings()
    table: list[dict[str, Any]] = []
    for k, s in enumerate(candidates):
        row: dict[str, Any] = {"settings": s.to_dict()}
        values = []
        for population in populations:
            run = simulate(n, catalog, population, _maker(s), seed=seed, workers=workers, record=False)
            success = np.array([r.status == "accepted" for r in run.results], dtype=float)
            turns = np.array([r.turns for r in run.results], dtype=float)
            g = float((success - turn_cost * turns).mean())
            row[population.name] = {
                "success": float(success.mean()),
                "turns": float(turns.mean()),
                "G": g,
            }
            values.append(g)
        row["mean_G"] = float(np.mean(values))
        table.append(row)
        if progress:
            progress(f"rule setting {k + 1}/{len(candidates)}: mean G {row['mean_G']:.4f}")
    best = max(range(len(table)), key=lambda i: (table[i]["mean_G"], -i))
    return TuningResult(candidates[best], table, [p.name for p in populations], n, seed, float(turn_cost))


def _maker(settings: RuleSettings) -> Callable[[], RulePolicy]:
    return lambda: RulePolicy(settings, name="rules-tuned")


def write_tuned(result: TuningResult, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
