"""Listening histories for simulated listeners, drawn from their long-term taste.

A simulated listener (learning.simulator) has a long-term taste (favourite genre families with
weights) and a taste of the moment that follows it only partly (the wanted genre comes from the
favourites 70 % of the time in the default population). Their history is generated from the long-term
taste alone, with assistant.taste.synthetic's generator: sessions leaning to a favourite genre,
a preferred energy and era, favourite artists among those they know, early skips of what does not
fit. So a history says what someone usually plays, not what they want tonight, as with a real
streaming export.

The assistant gets only what it would get from a real history: affinity per track and the policy's
HistorySummary, computed by the shipped affinity model from the plays (`profile_from_signals`). The
history's taste and the listener's hidden state never reach it.

Randomness: the history of conversation i of a run with seed s comes from its own generator [s, i, 3],
so whether histories are on changes nothing else about the listener or the conversation's other draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.taste.affinity import profile_from_signals
from assistant.taste.models import AffinityModel
from assistant.taste.summary import HistorySummary
from assistant.taste.synthetic import SyntheticHistory, Taste, synthetic_histories, taste_around
from learning.listeners import Listener, World
from learning.population import Population

__all__ = ["ListenerHistory", "draw_history", "history_rng", "long_term_taste"]


def history_rng(seed: int, conversation: int) -> np.random.Generator:
    """The generator of conversation `conversation`'s listening history (stream 3 of the run's seed)."""
    return np.random.default_rng([seed, conversation, 3])


@dataclass(frozen=True)
class ListenerHistory:
    """A simulated listener's history (hidden: it carries the taste that produced it) and what the
    assistant may see of it (affinity and summary)."""

    history: SyntheticHistory
    affinity: np.ndarray | None
    summary: HistorySummary


def long_term_taste(
    world: World, listener: Listener, population: Population, rng: np.random.Generator
) -> Taste:
    """The listener's long-term taste in the history generator's terms. Genres and their weights are the
    simulator's long-term favourites; the usual energy and era are those of some music of a favourite
    genre (drawn here, independent of tonight's wish except through the genre); favourite artists are a
    few the listener knows within those genres; the co-listening scene is drawn at random."""
    cat = world.catalog
    taste = listener.taste
    genres = taste.long_term
    weights = np.asarray(taste.long_term_weights or [1.0] * len(genres), dtype=np.float64)
    weights = weights / weights.sum()
    main = genres[int(rng.choice(len(genres), p=weights))]
    members = np.flatnonzero(world.family_ids == world.families.index(main))
    anchor = int(rng.choice(members))
    in_taste = np.isin(world.family_ids, [world.families.index(g) for g in genres])
    pool = sorted({cat.tracks[i].artist for i in np.flatnonzero(in_taste)} & listener.knowledge.familiar)
    h = population.history

    def sessions(r: np.random.Generator) -> float:
        return float(np.clip(h.sessions * np.exp(r.normal(0.0, h.sessions_spread)), 1.0, 80.0))

    return taste_around(
        cat, {g: float(w) for g, w in zip(genres, weights, strict=True)}, anchor, pool, rng, sessions
    )


def draw_history(
    world: World,
    listener: Listener,
    population: Population,
    rng: np.random.Generator,
    model: AffinityModel,
) -> ListenerHistory | None:
    """The listener's history and what the assistant sees of it; None for a listener without one (a share
    `1 - population.history.share` of them), who meets the assistant as a cold start."""
    if population.history.share <= 0 or rng.random() >= population.history.share:
        return None
    taste = long_term_taste(world, listener, population, rng)
    (history,) = synthetic_histories(world.catalog, 1, rng, [taste])
    affinity, summary = profile_from_signals(history.signals(world.catalog), world.catalog, model)
    return ListenerHistory(history, affinity, summary)
