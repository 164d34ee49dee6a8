"""How the listener feels vs what the music should do (nlu.context), "both" to an either-or question, and
words tagged as a genre that are no style of music ("christmas")."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.dialogue.manager import DialogueManager
from assistant.music.catalog import Catalog
from assistant.policies.rules import RulePolicy
from nlu.context import is_wish, with_wishes
from nlu.lexicon import is_genre_word
from nlu.linking import EntityLinker
from nlu.meaning import Act, Slot, Understanding
from nlu.rules import RuleUnderstanding
from tests.conftest import AlwaysSamples, ManagerFactory


def _moods(text: str) -> list[str]:
    u = RuleUnderstanding(EntityLinker()).understand(text)
    return [s.value for s in u.slots if s.name == "mood"]


@pytest.mark.parametrize(
    ("text", "moods"),
    [
        ("I'm sad, cheer me up", ["happy"]),  # used to play sad music
        ("not very happy today, something to cheer me up", ["happy"]),  # used to be "laid back melancholy"
        ("something to lift my spirits", ["happy"]),
        ("I'm stressed out, calm me down", ["laid_back"]),
        ("I'm feeling down", ["sad"]),  # alone, matching the mood is a fair reading
        ("pick it up", ["more_upbeat"]),  # "pick me up" is a wish, "pick it up" a tempo change
    ],
)
def test_a_wished_for_mood_overrides_how_the_listener_says_they_feel(text: str, moods: list[str]) -> None:
    assert _moods(text) == moods


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("something romantic for date night", "mood"),  # played Romantic-era classical before
        ("something romantic", "mood"),
        ("romantic songs please", "mood"),
        ("some romantic", "genre"),  # named as a style: the catalogue's subgenre
        ("romantic era", "genre"),
        ("neither, I want romantic", "genre"),
    ],
)
def test_romantic_is_a_feel_when_asked_for_as_one(text: str, kind: str) -> None:
    u = RuleUnderstanding(EntityLinker()).understand(text)
    assert [(s.name, s.value) for s in u.slots if s.value == "romantic"] == [(kind, "romantic")]


def test_only_a_mood_addressed_to_the_listener_is_a_wish() -> None:
    assert is_wish("cheer me up") and is_wish("lift my spirits")
    assert not is_wish("happy") and not is_wish("laid back")
    text = "sad but cheer me up"
    sad, wish = Slot("mood", "sad", 0, 3), Slot("mood", "happy", 8, 19)
    genre = Slot("genre", "pop", 0, 0)
    u = Understanding(Act.INFORM, (sad, genre, wish))
    assert with_wishes(text, u).slots == (genre, wish)
    # A negated wish ("don't cheer me up") overrides nothing.
    negated = Understanding(Act.INFORM, (sad, Slot("mood", "happy", 8, 19, negated=True)))
    assert with_wishes(text, negated) == negated
    single = Understanding(Act.INFORM, (sad,))
    assert with_wishes("sad", single) is single


def test_cheer_me_up_finds_happy_music(tiny_catalog: Catalog, make_manager: ManagerFactory) -> None:
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    reply = manager.step("I'm sad, cheer me up")
    assert "happy" in reply.text.lower()
    valence = manager.state.constraints.valence
    assert valence is not None and valence > 0.5


class _TagsChristmas:
    """The rules, plus what the tagging model does with a theme: it marks "christmas" as a genre."""

    name = "rules+christmas"

    def __init__(self, catalog: Catalog) -> None:
        self.rules = RuleUnderstanding(EntityLinker.for_catalog(catalog))

    def understand(self, text: str) -> Understanding:
        u = self.rules.understand(text)
        at = text.lower().find("christmas")
        if at < 0:
            return u
        return Understanding(Act.INFORM, (*u.slots, Slot("genre", "christmas", at, at + 9)), u.sentiment, 0.8)


def test_a_word_that_is_no_style_of_music_is_not_called_a_missing_genre(tiny_catalog: Catalog) -> None:
    assert is_genre_word("country") and is_genre_word("Hip Hop") and is_genre_word("rock")
    assert not is_genre_word("christmas") and not is_genre_word("seductive")
    manager = DialogueManager(
        tiny_catalog,
        _TagsChristmas(tiny_catalog),
        RulePolicy(),
        np.random.default_rng(0),
        emit=lambda _e: None,
    )
    reply = manager.step("some upbeat christmas music")
    assert "christmas music" in reply.text and "I don't have any" not in reply.text
    assert manager.state.constraints.genres == ()
    assert manager.state.constraints.energy is not None  # the rest of the turn still counts


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("not bad but a bit slow", "faster"),  # played something at 80 bpm before
        ("it's kind of mellow", "more_upbeat"),
        ("this one is a little too slow", "more_upbeat"),
        ("something a bit slow", "slow"),  # asked for, not complained about
        ("it's pretty upbeat, I like it", "upbeat"),  # praise
    ],
)
def test_a_hedged_complaint_about_the_sample_is_turned_round(text: str, value: str) -> None:
    u = RuleUnderstanding(EntityLinker()).understand(text)
    assert [s.value for s in u.slots if s.name in ("mood", "tempo")] == [value]


def test_a_yes_that_asks_to_move_is_no_yes(tiny_catalog: Catalog, make_manager: ManagerFactory) -> None:
    rules = RuleUnderstanding(EntityLinker())
    assert rules.understand("this one is a little too slow").act == Act.REQUEST_ALTERNATIVE
    assert rules.understand("yes but older").act == Act.REQUEST_ALTERNATIVE
    assert rules.understand("yes, more like this").act == Act.ACCEPT
    manager, _ = make_manager(tiny_catalog, policy=AlwaysSamples())
    assert manager.step("upbeat rock please").sample is not None
    reply = manager.step("this one is a little too slow")
    assert not reply.done and reply.sample is not None  # it used to close on the slow track


@pytest.mark.parametrize(
    ("text", "genres"),
    [
        ("upbeat pop for cleaning the house", ["pop"]),  # asked for house music before
        ("music at the house", []),
        ("some house please", ["house"]),
        ("deep house", ["house"]),
    ],
)
def test_the_house_is_a_building(text: str, genres: list[str]) -> None:
    assert RuleUnderstanding(EntityLinker()).understand(text).values("genre") == genres
