"""Answers that point at an offered option ("the second one"), resolved by the dialogue manager."""

from __future__ import annotations

import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.phrasing import PROMPTS, listed_options
from assistant.music.catalog import Catalog
from nlu.lexicon import ACTIVITY_PROFILE, ERA_RELATIVE, MOOD_PROFILE
from nlu.references import both_options, option_reference
from tests.conftest import ManagerFactory


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the first one", 0),
        ("First.", 0),
        ("um, the former please", 0),
        ("the second one I guess", 1),
        ("2nd", 1),
        ("the last one, thanks", -1),
        ("yeah the latter", -1),
        ("the third one", 2),
        ("number four please", 3),
        ("the first time I heard jazz it was great", None),
        ("second hand songs", None),
        ("", None),
        ("jazz", None),
        ("the first one " * 20, None),
    ],
)
def test_option_reference(text: str, expected: int | None) -> None:
    assert option_reference(text) == expected


@pytest.mark.parametrize("action", [Action.MOOD_QUESTION, Action.ERA_QUESTION, Action.ACTIVITY_QUESTION])
def test_every_closed_question_variant_lists_options_a_reference_can_point_at(action: Action) -> None:
    vocabularies = {Action.MOOD_QUESTION: MOOD_PROFILE, Action.ERA_QUESTION: ERA_RELATIVE}
    valid = vocabularies.get(action, ACTIVITY_PROFILE)
    for variants in PROMPTS[action].values():
        for variant in variants:
            options = listed_options(action, variant)
            if "which decade" in variant.lower():  # open: names no options
                assert options == ()
                continue
            assert len(options) >= 2, variant
            assert set(options) <= set(valid), variant


def test_listed_options_follow_the_order_of_the_words() -> None:
    activity = Action.ACTIVITY_QUESTION
    occasion = "What's the occasion? Workout, party, focus, chilling out?"
    assert listed_options(activity, occasion) == ("workout", "party", "focus", "relax")
    music_for = "What's the music for? Working, relaxing, a workout?"
    assert listed_options(activity, music_for) == ("focus", "relax", "workout")
    assert listed_options(Action.MOOD_QUESTION, "calm and laid back, or upbeat?") == ("laid_back", "upbeat")
    assert listed_options(Action.GENRE_PAIR, "May I suggest some jazz? Or perhaps rock?") == ()


@pytest.mark.parametrize(
    ("text", "both"),
    [
        ("both sound good", True),
        ("either one", True),
        ("a bit of both", True),
        ("I like both", True),
        ("um, either is fine", True),
        ("both of them please", True),
        ("both the jazz and the rock", False),  # names its options: the understanding has them
        ("neither", False),
        ("I like both jazz and Bach and all sorts of things really, you know", False),
    ],
)
def test_an_answer_taking_both_options(text: str, both: bool) -> None:
    assert both_options(text) is both


def test_both_to_a_genre_pair_keeps_both_and_to_the_mood_question_is_no_preference(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    manager.step("I don't know")
    assert manager.step("no idea").action == Action.GENRE_PAIR
    offered = manager.state.pending_options
    manager.step("both sound good")
    assert manager.state.constraints.genres == offered
    # "Laid back or upbeat?" cannot be both: the feel stays open, as after "either is fine".
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    assert manager.step("I don't know").action == Action.MOOD_QUESTION
    manager.step("both")
    assert manager.state.constraints.energy is None
