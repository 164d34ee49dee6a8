"""Prompt usefulness, specified by hand-built log rows: which decisions earn 1, and why."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from assistant.dialogue.state import FEATURE_NAMES
from assistant.logs.dataset import ACTION_NAMES, TURN_COLUMNS, LogTable
from assistant.music.catalog import Catalog
from learning.reward import prompt_usefulness

# Rows: (action the assistant took after this user turn or None, act of the user turn, slots, sample offered)
Row = tuple[str | None, str, list[tuple[str, str]], str | None]


def _table(catalog: Catalog, rows: list[Row], status: str = "accepted", track: str | None = None) -> LogTable:
    columns: dict[str, list[object]] = {c: [] for c in TURN_COLUMNS}
    for turn, (action, act, slots, sample) in enumerate(rows, start=1):
        understanding = {
            "act": act,
            "slots": [{"name": n, "value": v, "start": 0, "end": 0} for n, v in slots],
        }
        values = {
            "conversation_id": "c1",
            "turn": turn,
            "understanding": json.dumps(understanding),
            "act": act,
            "action": action,
            "propensity": 1.0 if action else None,
            "policy": "rules" if action else None,
            "reply_action": action or "repeat",
            "empathy": "neutral",
            "closeness": 0.5,
            "sample_id": sample,
            "errors": None,
        }
        for c in TURN_COLUMNS:
            columns[c].append(values[c])
    n = len(rows)
    probabilities = np.full((n, len(ACTION_NAMES)), math.nan, dtype=np.float32)
    conversation = {"id": "c1", "status": status, "track_id": track}
    return LogTable([conversation], columns, np.zeros((n, len(FEATURE_NAMES)), np.float32), probabilities)


def _track(catalog: Catalog, genre: str, energy: float, year: int) -> str:
    return next(t.id for t in catalog.tracks if t.genre == genre and t.energy == energy and t.year == year)


def test_accepted_sample_earns_one_and_rejected_samples_zero(tiny_catalog: Catalog) -> None:
    first = _track(tiny_catalog, "rock", 0.92, 2018)
    second = _track(tiny_catalog, "jazz", 0.15, 1972)
    rows: list[Row] = [
        ("play_sample", "greet", [], first),
        ("play_sample", "reject", [], second),
        (None, "accept", [], None),
    ]
    rewards = prompt_usefulness(_table(tiny_catalog, rows, track=second), tiny_catalog)
    assert rewards.tolist()[:2] == [0.0, 1.0]
    assert math.isnan(rewards[2])  # the closing turn made no decision


def test_a_conversation_without_acceptance_gives_zero_to_every_decision(tiny_catalog: Catalog) -> None:
    rows: list[Row] = [
        ("mood_question", "greet", [], None),
        ("play_sample", "inform", [("mood", "laid_back")], _track(tiny_catalog, "jazz", 0.15, 1972)),
        (None, "give_up", [], None),
    ]
    rewards = prompt_usefulness(_table(tiny_catalog, rows, status="abandoned"), tiny_catalog)
    assert rewards[:2].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("question", "slots", "accepted", "useful"),
    [
        ("mood_question", [("mood", "laid_back")], ("jazz", 0.15, 1972), 1.0),
        ("mood_question", [("mood", "laid_back")], ("jazz", 0.92, 1972), 0.0),
        ("mood_question", [("mood", "upbeat")], ("rock", 0.75, 2018), 1.0),
        ("genre_pair", [("genre", "jazz")], ("jazz", 0.55, 1995), 1.0),
        ("genre_pair", [("genre", "bebop")], ("jazz", 0.55, 1995), 1.0),  # same family counts
        ("genre_pair", [("genre", "rock")], ("jazz", 0.55, 1995), 0.0),
        ("era_question", [("era", "1990s")], ("rock", 0.55, 1995), 1.0),
        ("era_question", [("era", "1990s")], ("rock", 0.55, 2018), 0.0),
        ("activity_question", [("activity", "workout")], ("electronic", 0.92, 2018), 1.0),
        ("activity_question", [("activity", "sleep")], ("electronic", 0.92, 2018), 0.0),
        ("open_question", [("genre", "jazz"), ("mood", "upbeat")], ("jazz", 0.15, 1972), 1.0),  # any one
        ("open_question", [], ("jazz", 0.15, 1972), 0.0),
        ("mood_question", [("genre", "jazz")], ("jazz", 0.15, 1972), 0.0),  # not what the question gathers
    ],
)
def test_a_question_earns_one_when_the_answer_matches_the_music_finally_played(
    tiny_catalog: Catalog,
    question: str,
    slots: list[tuple[str, str]],
    accepted: tuple[str, float, int],
    useful: float,
) -> None:
    track = _track(tiny_catalog, *accepted)
    rows: list[Row] = [
        (question, "greet", [], None),
        ("play_sample", "inform" if slots else "dont_know", slots, track),
        (None, "accept", [], None),
    ]
    rewards = prompt_usefulness(_table(tiny_catalog, rows, track=track), tiny_catalog)
    assert rewards[0] == useful
    assert rewards[1] == 1.0


def test_the_answer_window_reaches_past_repairs_to_the_next_decision(tiny_catalog: Catalog) -> None:
    track = _track(tiny_catalog, "jazz", 0.15, 1972)
    rows: list[Row] = [
        ("mood_question", "greet", [], None),
        (None, "unclear", [], None),  # "Sorry, I didn't catch that" - no decision
        ("play_sample", "inform", [("mood", "laid_back")], track),
        (None, "accept", [], None),
    ]
    rewards = prompt_usefulness(_table(tiny_catalog, rows, track=track), tiny_catalog)
    assert rewards[0] == 1.0


def test_a_bare_yes_to_a_genre_pair_is_judged_by_the_first_sample_played_under_it(
    tiny_catalog: Catalog,
) -> None:
    jazz = _track(tiny_catalog, "jazz", 0.15, 1972)
    other_jazz = _track(tiny_catalog, "jazz", 0.35, 1995)
    rock = _track(tiny_catalog, "rock", 0.35, 1995)
    for stand_in, expected in ((other_jazz, 1.0), (rock, 0.0)):
        rows: list[Row] = [
            ("genre_pair", "greet", [], None),
            ("play_sample", "accept", [], stand_in),
            ("play_sample", "reject", [], jazz),
            (None, "accept", [], None),
        ]
        rewards = prompt_usefulness(_table(tiny_catalog, rows, track=jazz), tiny_catalog)
        assert rewards[0] == expected, stand_in


def test_relative_answers_are_judged_against_the_sample_playing_then(tiny_catalog: Catalog) -> None:
    playing = _track(tiny_catalog, "rock", 0.55, 1995)
    older = _track(tiny_catalog, "rock", 0.55, 1972)
    newer = _track(tiny_catalog, "rock", 0.55, 2018)
    for accepted, expected in ((older, 1.0), (newer, 0.0)):
        rows: list[Row] = [
            ("play_sample", "greet", [], playing),
            ("era_question", "reject", [], None),
            ("play_sample", "inform", [("era", "older")], accepted),
            (None, "accept", [], None),
        ]
        rewards = prompt_usefulness(_table(tiny_catalog, rows, track=accepted), tiny_catalog)
        assert rewards[1] == expected


def test_an_accepted_station_earns_one(tiny_catalog: Catalog) -> None:
    track = _track(tiny_catalog, "jazz", 0.15, 1972)
    rows: list[Row] = [
        ("mood_question", "greet", [], None),
        ("offer_station", "inform", [("mood", "laid_back")], None),
        (None, "accept", [], None),
    ]
    rewards = prompt_usefulness(_table(tiny_catalog, rows, track=track), tiny_catalog)
    assert rewards[:2].tolist() == [1.0, 1.0]


def _resolve(table: LogTable, row: int, slots: list[tuple[str, str]], reason: str) -> LogTable:
    """Give one row's understanding the "resolved" key the manager's Resolved event writes."""
    understanding = json.loads(table.columns["understanding"][row])
    understanding["resolved"] = [{"name": n, "value": v, "start": 0, "end": 0} for n, v in slots]
    understanding["resolved_by"] = reason
    table.columns["understanding"][row] = json.dumps(understanding)
    return table


@pytest.mark.parametrize(
    ("resolved", "stand_in", "expected"),
    [
        # The sample played next disagrees with the resolved genre each time: the resolved value decides.
        ("jazz", ("rock", 0.35, 1995), 1.0),
        ("rock", ("jazz", 0.35, 1995), 0.0),
    ],
)
def test_a_bare_yes_to_a_genre_pair_is_judged_by_the_genre_the_manager_resolved(
    tiny_catalog: Catalog, resolved: str, stand_in: tuple[str, float, int], expected: float
) -> None:
    jazz = _track(tiny_catalog, "jazz", 0.15, 1972)
    rows: list[Row] = [
        ("genre_pair", "greet", [], None),
        ("play_sample", "accept", [], _track(tiny_catalog, *stand_in)),
        ("play_sample", "reject", [], jazz),
        (None, "accept", [], None),
    ]
    table = _resolve(_table(tiny_catalog, rows, track=jazz), 1, [("genre", resolved)], "accepted_option")
    assert prompt_usefulness(table, tiny_catalog)[0] == expected


@pytest.mark.parametrize(
    ("question", "resolved", "accepted", "useful"),
    [
        ("genre_pair", ("genre", "jazz"), ("jazz", 0.55, 1995), 1.0),
        ("genre_pair", ("genre", "jazz"), ("rock", 0.55, 1995), 0.0),
        ("mood_question", ("mood", "upbeat"), ("rock", 0.92, 2018), 1.0),
        ("mood_question", ("mood", "upbeat"), ("rock", 0.15, 2018), 0.0),
    ],
)
def test_the_second_one_earns_what_the_option_it_points_at_earns(
    tiny_catalog: Catalog,
    question: str,
    resolved: tuple[str, str],
    accepted: tuple[str, float, int],
    useful: float,
) -> None:
    track = _track(tiny_catalog, *accepted)
    rows: list[Row] = [
        (question, "greet", [], None),
        ("play_sample", "unclear", [], track),  # the NLU alone makes nothing of "the second one"
        (None, "accept", [], None),
    ]
    table = _resolve(_table(tiny_catalog, rows, track=track), 1, [resolved], "option_reference")
    assert prompt_usefulness(table, tiny_catalog)[0] == useful


def test_resolved_slots_replace_the_raw_slots_of_their_turn(tiny_catalog: Catalog) -> None:
    # Today's manager resolves only turns whose NLU output named nothing, but the rule is "replace",
    # not "add": a resolved value that contradicts the heard one decides.
    jazz = _track(tiny_catalog, "jazz", 0.15, 1972)
    rows: list[Row] = [
        ("genre_pair", "greet", [], None),
        ("play_sample", "inform", [("genre", "jazz")], jazz),
        (None, "accept", [], None),
    ]
    table = _resolve(_table(tiny_catalog, rows, track=jazz), 1, [("genre", "rock")], "confirmed")
    assert prompt_usefulness(table, tiny_catalog)[0] == 0.0


def test_a_bare_yes_to_an_artist_suggestion_is_judged_by_the_resolved_artist(tiny_catalog: Catalog) -> None:
    accepted = _track(tiny_catalog, "jazz", 0.15, 1972)
    artist = next(t.artist for t in tiny_catalog.tracks if t.id == accepted)
    other = next(a for a in tiny_catalog.artist_names if a != artist)
    for resolved, expected in ((artist, 1.0), (other, 0.0)):
        rows: list[Row] = [
            ("artist_suggestion", "greet", [], None),
            ("play_sample", "accept", [], accepted),
            (None, "accept", [], None),
        ]
        table = _resolve(
            _table(tiny_catalog, rows, track=accepted), 1, [("artist", resolved)], "accepted_option"
        )
        assert prompt_usefulness(table, tiny_catalog)[0] == expected, resolved


def test_an_older_log_without_resolved_values_keeps_the_stand_in_and_the_second_one_earns_nothing(
    tiny_catalog: Catalog,
) -> None:
    jazz = _track(tiny_catalog, "jazz", 0.15, 1972)
    other_jazz = _track(tiny_catalog, "jazz", 0.35, 1995)
    for act, expected in (("accept", 1.0), ("unclear", 0.0)):  # a bare "yes"; "the second one"
        rows: list[Row] = [
            ("genre_pair", "greet", [], None),
            ("play_sample", act, [], other_jazz),
            ("play_sample", "reject", [], jazz),
            (None, "accept", [], None),
        ]
        assert prompt_usefulness(_table(tiny_catalog, rows, track=jazz), tiny_catalog)[0] == expected, act
