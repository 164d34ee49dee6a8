"""Attributes said as unwanted: the negation scope both understandings share (nlu.negation), and what the
dialogue does with "I don't like jazz" (it used to play jazz) and "no more punk please" (it used to stop)."""

from __future__ import annotations

import pytest

from assistant.music.catalog import Catalog
from assistant.music.constraints import Constraints, avoid_slot
from nlu.linking import EntityLinker
from nlu.meaning import Act, Slot, Understanding
from nlu.negation import negated_before, with_negation
from nlu.rules import RuleUnderstanding
from tests.conftest import ManagerFactory


@pytest.mark.parametrize(
    ("before", "negated"),
    [
        ("I don't like ", True),
        ("no more ", True),
        ("I'm not into ", True),
        ("not a big fan of ", True),
        ("anything but ", True),
        ("no ", True),
        ("nothing ", True),
        ("no, ", False),  # "no, jazz please": the answer comes after the comma
        ("no, more like ", False),
        ("no I want ", False),  # turned round without punctuation, as a recognizer writes it
        ("not sure, maybe ", False),
        ("I don't know, ", False),
        ("I don't mind ", False),
        ("not really, but some ", False),
        ("I would not consider that sort of thing ", False),  # too far from the cue to be sure
        ("", False),
        # Found by reading every negated slot of the CPCD user turns:
        ("there is no ", False),  # a complaint about what is missing: it is wanted
        ("it's not ", False),  # a complaint about what played
        ("Not all of these are ", False),
        ("it won't be complete without ", False),  # two negations
        ("I can't get enough of ", False),
        ("I think that is enough ", True),
        ("these are good enough for my ", False),
        ("I'm not alone by ", False),  # a title
        ('add the song "A Little Party Never ', False),
        ("please add not afraid from ", False),
    ],
)
def test_a_negation_reaches_an_attribute_only_within_its_clause(before: str, negated: bool) -> None:
    assert negated_before(before) is negated


def test_asking_for_more_of_it_after_the_attribute_is_not_negation() -> None:
    from nlu.negation import negated_at

    text = "the hook is not really upbeat enough"
    assert not negated_at(text, text.index("upbeat"), text.index("upbeat") + 6)
    text = "this is great, no earth wind and fire?"
    assert not negated_at(text, text.index("earth"), len(text) - 1)
    text = "no jazz please"
    assert negated_at(text, 3, 7)


def test_a_stop_whose_attribute_is_negated_is_a_rejection_and_too_is_not_negated_twice() -> None:
    stop = Understanding(Act.STOP, (Slot("genre", "country", 8, 15),), confidence=0.43)
    marked = with_negation("no more country please", stop)
    assert marked.act is Act.REJECT and marked.slots[0].negated
    calmer = Understanding(Act.REJECT, (Slot("mood", "more_laid_back", 8, 16),))
    assert not with_negation("nothing too fast", calmer).slots[0].negated


def test_the_negated_flag_survives_the_log_and_is_absent_when_false() -> None:
    slot = Slot("genre", "jazz", 0, 4, negated=True)
    assert Slot.from_dict(slot.to_dict()) == slot
    assert "negated" not in Slot("genre", "jazz", 0, 4).to_dict()


def test_unwanted_genres_and_artists_are_avoided_and_feels_turn_round() -> None:
    c = Constraints(genres=("jazz",), artist="A", more_artists=("B",), artist_linked=True)
    c = avoid_slot(c, Slot("genre", "jazz", 0, 0, negated=True))
    assert c.genres == () and c.avoid_genres == ("jazz",)
    c = avoid_slot(c, Slot("artist", "A", 0, 0, negated=True))
    assert (c.artist, c.more_artists, c.avoid_artists) == ("B", (), ("A",))
    upbeat = avoid_slot(Constraints(), Slot("mood", "upbeat", 0, 0, negated=True))
    assert upbeat.energy is not None and upbeat.energy < 0.5


def test_the_rules_mark_negation_too() -> None:
    u = RuleUnderstanding(EntityLinker()).understand("I don't like jazz")
    assert [(s.value, s.negated) for s in u.slots] == [("jazz", True)]


def test_i_dont_like_jazz_steers_away_from_jazz(tiny_catalog: Catalog, make_manager: ManagerFactory) -> None:
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    reply = manager.step("something upbeat but I don't like jazz")
    assert "no jazz" in reply.text
    assert manager.state.constraints.avoid_genres == ("jazz",)
    assert manager.state.constraints.energy is not None
    sample = next(r.sample for r in (manager.step("surprise me"), manager.step("anything")) if r.sample)
    assert sample.genre != "jazz"


def test_no_more_of_a_genre_does_not_end_the_conversation(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    manager.step("some jazz please")
    reply = manager.step("no more jazz please")
    assert not reply.done
    assert "jazz" in manager.state.constraints.avoid_genres


def test_several_genres_in_one_turn_are_all_wanted(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    reply = manager.step("rock, jazz and classical will do")
    assert manager.state.constraints.genres == ("rock", "jazz", "classical")
    assert "rock, jazz or classical" in reply.text


def test_like_an_artist_but_not_the_artist_looks_for_the_sound_without_their_tracks(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    manager.step("something like Oskar Brandt but not Oskar Brandt")
    c = manager.state.constraints
    assert c.artist == "Oskar Brandt" and c.avoid_artists == ("Oskar Brandt",)


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("jazz isn't my thing", True),
        ("country doesn't fit", True),
        ("metal is not for me", True),
        ("rock music is not really my style", True),
        ("I'm done with jazz", True),
        ("I'm so over country", True),
        ("jazz is my thing", False),
        ("jazz isn't bad", False),
        ("over the top rock", False),  # "over" alone is no negation
    ],
)
def test_a_negation_said_after_the_attribute_or_as_done_with_it(text: str, negated: bool) -> None:
    u = RuleUnderstanding(EntityLinker()).understand(text)
    assert [s.negated for s in u.slots if s.name == "genre"] == [negated]


def test_what_is_left_after_an_unwanted_genre_is_not_an_echo(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    for seed in range(6):
        manager, _ = make_manager(tiny_catalog, seed=seed)
        manager.step("something upbeat and jazzy")
        reply = manager.step("actually jazz isn't my thing")
        assert "no jazz" in reply.text
        first_words = [sentence.split()[0] for sentence in reply.text.split(". ") if sentence]
        assert len(first_words) == len(set(first_words)), reply.text  # not "Okay, no jazz. Okay, ..."
