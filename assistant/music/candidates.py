"""Which tracks can possibly fit, read from the catalogue's indexes instead of scoring every track.

A match of at least t leaves a deficit budget D = (1 - t) x total weight: the parts' shortfalls
w x (1 - fit) add up to at most D, so a part whose weight exceeds D must fit at least 1 - D / w (a genre's
tracks, an energy range, a span of years...). The smallest such set is listed from the indexes
(assistant/music/index.py), pruned part by part, and only the survivors are scored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.music.catalog import Catalog
from assistant.music.constraints import Constraints
from assistant.music.index import sorted_unique
from assistant.music.matching import Matcher
from nlu.lexicon import ACTIVITY_PROFILE
from nlu.linking import EntityLinker

__all__ = ["CANDIDATE_THRESHOLD", "PRUNE_ORDER", "CandidateFinder"]

CANDIDATE_THRESHOLD = 0.75
"""A track whose weighted match is at least this is a candidate: it fits what was said."""
PRUNE_ORDER = ("energy", "valence", "era", "tempo", "vocals", "popularity", "genre", "activity", "artist")
"""Cheapest parts first when candidates are pruned."""


class CandidateFinder(Matcher):
    """A matcher that finds the tracks whose match reaches a bar without scoring the whole catalogue."""

    def __init__(self, catalog: Catalog, linker: EntityLinker | None = None) -> None:
        super().__init__(catalog, linker)
        self._fit_cache: dict[tuple[Constraints, float], tuple[np.ndarray, np.ndarray]] = {}

    def _prune(self, c: Constraints, rows: np.ndarray | None, least: float) -> np.ndarray:
        """The rows (all when None) that can still reach `least`, part by part, cheapest first: each
        part's shortfall w x (1 - fit) is added up and a row goes once it exceeds the budget. The
        survivors are then scored in full (in `_compute_match`'s order, so the numbers are the same)."""
        weights = self._weights(c)
        budget = (1.0 - least) * sum(weights.values()) + 1e-9
        shortfall: np.ndarray | None = None
        for name in PRUNE_ORDER:
            if name not in weights:
                continue
            values = self._part(c, name, rows)
            missing = weights[name] * (1.0 - values)
            shortfall = missing if shortfall is None else shortfall + missing
            keep = np.flatnonzero(shortfall <= budget)
            rows = keep if rows is None else rows[keep]
            shortfall = shortfall[keep]
        return np.arange(len(self.catalog)) if rows is None else rows

    def _may_fit(self, c: Constraints, least: float) -> np.ndarray | None:
        """Rows (ascending) that include every track whose match can reach `least`, read from the
        indexes; None when no stated attribute narrows it down (every track may).

        A match of at least t leaves a deficit budget D = (1 - t) x total weight: the parts' shortfalls
        w x (1 - fit) add up to at most D. So a part whose weight exceeds D must fit at least 1 - D / w
        (a genre's tracks, an energy range...), and the smallest such set will do. When every part could
        be missed on its own (many attributes stated), the genre splits the catalogue: its tracks, plus
        the tracks outside it that fit the rest within what is left of the budget."""
        plan = self._may_fit_plan(c, least)
        if plan is None:
            return None
        return self._ascending(plan[1]())  # type: ignore[operator]

    def _may_fit_plan(self, c: Constraints, least: float) -> tuple[int, object] | None:
        """(how many rows, how to list them) for `_may_fit`, without listing them."""
        weights = self._weights(c)
        if not weights or least <= 0:
            return None
        budget = (1.0 - least) * sum(weights.values())
        options = self._part_options(c, weights, budget)
        if "genre" in weights and budget >= weights["genre"]:
            sparse = [self._genre_sparse(g) for g in c.genres]
            inside = sum(len(r) for r, _ in sparse)
            rest = self._part_options(c, weights, budget - weights["genre"], skip="genre")
            if rest:
                size, outside = min(rest, key=lambda option: option[0])

                def split(
                    sparse: list[tuple[np.ndarray, np.ndarray]] = sparse, outside: Any = outside
                ) -> np.ndarray:
                    return np.concatenate([*(r for r, _ in sparse), outside()])

                options.append((inside + size, split))
        if not options:
            return None
        return min(options, key=lambda option: option[0])

    def _ascending(self, rows: np.ndarray) -> np.ndarray:
        """Rows once each, ascending: through a mask over the catalogue when there are many (cheaper
        than sorting a hundred thousand rows), else by sorting."""
        n = len(self.catalog)
        if len(rows) * 16 < n:
            return sorted_unique(rows)
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        return np.flatnonzero(mask)

    def _part_options(
        self, c: Constraints, weights: dict[str, float], budget: float, skip: str = ""
    ) -> list[tuple[int, object]]:
        """(size, make rows) for each part that must fit at least 1 - budget / weight > 0."""
        index = self.catalog.indexes
        slack = 1e-9  # float rounding at a range's edge must not drop a track
        options: list[tuple[int, object]] = []

        def need(part: str) -> float:
            return 1.0 - budget / weights[part] if part in weights and part != skip else 0.0

        def near(feature: str, center: float, radius: float) -> tuple[int, object]:
            column = index.features[feature]
            a, b = column.span(center - radius - slack, center + radius + slack)
            return b - a, lambda: column.order[a:b]

        if budget < 0:
            return [(0, lambda: np.zeros(0, dtype=np.int32))]
        if need("genre") > 0:
            x = need("genre") - slack
            sparse = [self._genre_sparse(g) for g in c.genres]
            size = sum(int((v >= x).sum()) for _, v in sparse)
            options.append((size, lambda: np.concatenate([r[v >= x] for r, v in sparse])))
        if need("energy") > 0 and c.energy is not None:
            options.append(near("energy", c.energy, 0.3 * (1 - need("energy"))))
        if need("valence") > 0 and c.valence is not None:
            options.append(near("valence", c.valence, 0.35 * (1 - need("valence"))))
        if need("era") > 0 and c.era is not None:
            reach = 12.0 * (1 - need("era"))
            column = index.features["year"]
            a, b = column.span(c.era[0] - reach - slack, c.era[1] + reach + slack)
            options.append((b - a, lambda: column.order[a:b]))
        if need("activity") > 0.3 and c.activity is not None:
            # 0.7 x energy fit + 0.3 x genre fit: the energy fit alone must reach (x - 0.3) / 0.7.
            energy = ACTIVITY_PROFILE[c.activity][0]
            options.append(near("energy", energy, 0.3 * (1 - (need("activity") - 0.3) / 0.7)))
        if need("artist") > 0:
            options.append(self._artist_candidates(c, need("artist")))
        if need("tempo") > 0 and c.tempo is not None:
            x = need("tempo")
            column = index.features["tempo"]
            known = int(np.searchsorted(column.values, 0.0, "right"))  # rows with tempo 0 (unknown) first
            a, b = column.span(c.tempo - 35.0 * (1 - x) - slack, c.tempo + 35.0 * (1 - x) + slack)
            a = max(a, known)
            unknown = known if x <= 0.5 else 0  # an unknown tempo fits 0.5
            options.append(
                (
                    max(0, b - a) + unknown,
                    lambda: np.concatenate([column.order[:unknown], column.order[a : max(a, b)]]),
                )
            )
        return options

    def _artist_candidates(self, c: Constraints, least: float) -> tuple[int, object]:
        """Rows whose artist part can reach `least`: the artists' own tracks, and tracks near their
        energy (the part's genre and subgenre shares add at most 0.35 x share + 0.3 x share)."""
        blocks: list[np.ndarray] = []
        size = 0
        column = self.catalog.indexes.features["energy"]
        for artist in self._artists(c):
            mine, energy, genre_share, sub_share = self._artist_profile(artist)
            blocks.append(mine)
            size += len(mine)
            similar = least / 0.85
            fit = (similar - 0.35 * float(genre_share.max()) - 0.3 * float(sub_share.max())) / 0.35
            if least > 0.85 or fit > 1.0:
                continue  # only their own tracks can fit that well
            radius = 0.4 * (1 - max(fit, 0.0)) if fit > 0 else 1.0
            a, b = column.span(energy - radius - 1e-9, energy + radius + 1e-9)
            blocks.append(column.order[a:b])
            size += b - a
        return size, lambda: np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int32)

    def _fitting(self, c: Constraints, least: float) -> tuple[np.ndarray, np.ndarray]:
        """(rows ascending, match) of exactly the tracks whose match is at least `least`."""
        key = (c, round(least, 12))
        cached = self._fit_cache.get(key)
        if cached is not None:
            return cached
        # The fits at a lower bar (the candidate statistics' 0.75, a ranking's earlier step) hold these:
        # filtering them gives the same rows and numbers without listing and pruning again.
        lower = [t for (known, t) in self._fit_cache if known == c and t <= least]
        if lower:
            rows, values = self._fit_cache[(c, max(lower))]
        else:
            rows = self._prune(c, self._may_fit(c, least), least)
            values = self._compute_match(c, rows)
        keep = values >= least
        result = (rows[keep], values[keep])
        if len(self._fit_cache) >= 64:
            self._fit_cache.clear()
        self._fit_cache[key] = result
        return result
