"""Rewards and features of a partitioned log dataset, part by part, on any engine: the learners' input.

Each part holds whole conversations (assistant.logs.partitioned), so its episodes (per-decision
features, logged probabilities, rewards of G) are computed from it alone, by whichever worker reads it;
the engine hands them back in the parts' order and they are joined. The result equals
`episodes_from_log(read_log(folder))` exactly (tests/test_scale.py), but no process ever holds the raw
log: only the compact arrays the fit needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from assistant.logs.dataset import LogFormatError, LogTable
from assistant.logs.partitioned import Part, list_parts, read_part
from learning.engines import Engine, LocalEngine
from learning.episodes import DEFAULT_TURN_COST, Episodes, episodes_from_log

__all__ = ["PartEpisodes", "concat_episodes", "episodes_from_dataset", "part_episodes", "training_episodes"]

PartEpisodes = tuple[Episodes | None, dict[str, int], dict[str, str]]
"""A part's episodes (None when it has no finished conversation with a decision), the conversations it
dropped (by reason) and those left out for interleaved turns (id -> why)."""


def part_episodes(part: Part, turn_cost: float = DEFAULT_TURN_COST) -> PartEpisodes:
    """The episodes of one part. Raises LogFormatError for a malformed part (naming its file)."""
    table = read_part(part)
    finished = {c["id"] for c in table.conversations if c.get("status") not in (None, "active")}
    with_decision = {
        c
        for a, c in zip(table.columns["action"], table.columns["conversation_id"], strict=True)
        if a is not None
    }
    if not finished & with_decision:
        # Counted as episodes_from_log counts them, which would refuse a log with nothing to learn.
        dropped = {
            "not finished": len(table.conversations) - len(finished),
            "no decision": len(finished - with_decision),
        }
        return None, {k: v for k, v in dropped.items() if v}, dict(table.skipped)
    episodes = episodes_from_log(table, turn_cost=turn_cost)
    return episodes, dict(episodes.dropped), dict(table.skipped)


def concat_episodes(parts: Sequence[Episodes], source: str = "log") -> Episodes:
    """Episodes of several logs as one, in the given order (conversations renumbered)."""
    if not parts:
        raise LogFormatError(f"{source}: no conversation with a decision (nothing to learn from)")
    offsets = np.cumsum([0] + [p.n_episodes for p in parts[:-1]])
    dropped: dict[str, int] = {}
    for p in parts:
        for k, v in p.dropped.items():
            dropped[k] = dropped.get(k, 0) + v
    first = parts[0]
    usefulness = None
    if all(p.usefulness is not None for p in parts):
        usefulness = np.concatenate([p.usefulness for p in parts if p.usefulness is not None])
    return Episodes(
        [c for p in parts for c in p.conversation_ids],
        np.concatenate([p.episode + o for p, o in zip(parts, offsets, strict=True)]),
        np.concatenate([p.step for p in parts]),
        np.concatenate([p.features for p in parts]),
        first.feature_names,
        np.concatenate([p.action for p in parts]),
        np.concatenate([p.pscore for p in parts]),
        np.concatenate([p.pi_b for p in parts]),
        np.concatenate([p.available for p in parts]),
        np.concatenate([p.forced for p in parts]),
        np.concatenate([p.success for p in parts]),
        np.concatenate([p.turns for p in parts]),
        np.concatenate([p.accepted for p in parts]),
        np.concatenate([p.total_turns for p in parts]),
        first.turn_cost,
        usefulness,
        dropped,
    )


def episodes_from_dataset(
    directory: str | Path, *, turn_cost: float = DEFAULT_TURN_COST, engine: Engine | None = None
) -> tuple[Episodes, dict[str, str]]:
    """The episodes of a whole dataset, extracted part by part on `engine` (default: this machine), and
    the conversations left out for interleaved turns. Raises LogFormatError."""
    parts = list_parts(directory)
    engine = engine or LocalEngine()
    found: list[Episodes] = []
    dropped: dict[str, int] = {}
    skipped: dict[str, str] = {}
    for episodes, dropped_here, skipped_here in engine.extract(
        partial(part_episodes, turn_cost=turn_cost), parts
    ):
        if episodes is not None:
            found.append(episodes)
        for k, v in dropped_here.items():
            dropped[k] = dropped.get(k, 0) + v
        skipped.update(skipped_here)
    joined = concat_episodes(found, str(directory))
    joined.dropped = {k: v for k, v in dropped.items() if v}
    return joined, skipped


def training_episodes(
    datasets: Sequence[str | Path],
    table: LogTable | None,
    *,
    turn_cost: float = DEFAULT_TURN_COST,
    engine: Engine | None = None,
    warn: Callable[[str], None] | None = None,
) -> Episodes:
    """What `train` learns from: the datasets' episodes, extracted part by part on `engine`, in the given
    order, then those of `table` (the other logs and the simulated conversations, read whole)."""
    found: list[Episodes] = []
    for directory in datasets:
        episodes, skipped = episodes_from_dataset(directory, turn_cost=turn_cost, engine=engine)
        if skipped and warn is not None:
            warn(
                f"left out {len(skipped)} conversation(s) of {directory} whose turns interleave "
                "(ids reused by an earlier version)"
            )
        found.append(episodes)
    if table is not None and (len(table) or not found):
        found.append(episodes_from_log(table, turn_cost=turn_cost))
    return found[0] if len(found) == 1 else concat_episodes(found)
