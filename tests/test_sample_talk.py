"""Turns about the samples themselves ("what is this?", "go back") and turns in another language: what the
patterns accept, and what the dialogue manager does with them."""

from __future__ import annotations

import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.manager import DialogueManager
from assistant.music.catalog import Catalog
from nlu.language import other_language, without_foreign_names
from nlu.meaning import Act, Slot, Understanding
from nlu.sample_talk import asks_for_previous_sample, asks_what_is_playing
from tests.conftest import AlwaysSamples, ManagerFactory


@pytest.mark.parametrize(
    "text",
    ["what is this", "Who is this?", "what song is this", "what's playing", "um, what's this called",
     "who sings this", "what is this music", "tell me the name of this song", "which artist is it"],
)  # fmt: skip
def test_questions_about_the_track_playing(text: str) -> None:
    assert asks_what_is_playing(text)
    assert not asks_for_previous_sample(text)


@pytest.mark.parametrize(
    "text",
    ["go back", "no, go back to the previous one", "the previous one was better", "play the last one again",
     "I liked the previous one better", "let's go back to the other one please", "back to the previous song"],
)  # fmt: skip
def test_asking_for_the_previous_sample(text: str) -> None:
    assert asks_for_previous_sample(text)
    assert not asks_what_is_playing(text)


@pytest.mark.parametrize(
    "text",
    ["what is this, jazz?", "the last one", "I liked the previous one better, but faster", "what is jazz",
     "play something from the previous decade", "", "go " * 100, "who is this artist you keep playing me"],
)  # fmt: skip
def test_other_turns_are_left_to_the_understanding(text: str) -> None:
    assert not asks_what_is_playing(text)
    assert not asks_for_previous_sample(text)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola, quiero escuchar música", "Spanish"),
        ("je voudrais écouter du jazz", "French"),
        ("ich möchte etwas ruhiges hören", "German"),
        ("Vorrei ascoltare qualcosa di allegro", "Italian"),
        ("Eu quero ouvir algo calmo", "Portuguese"),
        ("ik wil graag iets rustigs horen", "Dutch"),
    ],
)
def test_turns_in_other_languages_are_recognised(text: str, language: str) -> None:
    assert other_language(text) == language


@pytest.mark.parametrize(
    "text",
    ["play some Los Lobos", "something by Die Antwoord", "I want some latin music por favor",
     "play la vida loca", "de la soul please", "un poco de jazz", "yes", "no", "the second one",
     "something by Los Del Rio", "put on some bossa nova", "", "🎵", "asdkjh qwe"],
)  # fmt: skip
def test_english_with_foreign_names_or_words_is_english(text: str) -> None:
    assert other_language(text) is None


def _to_second_sample(manager: DialogueManager) -> tuple[str, str]:
    first = manager.step("play some jazz")
    second = manager.step("no")
    assert first.sample is not None and second.sample is not None and first.sample != second.sample
    return first.sample.id, second.sample.id


def test_what_is_this_names_the_sample_and_asks_again(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog, policy=AlwaysSamples())
    sample = manager.step("play some jazz").sample
    assert sample is not None
    reply = manager.step("what is this?")
    assert reply.action == "repeat" and not reply.done
    assert f'"{sample.title}" by {sample.artist}' in reply.text and str(sample.year) in reply.text
    assert reply.text.endswith("Do you like it?")
    # Still the same sample: a yes now accepts it.
    assert manager.step("yes").sample == sample


def test_going_back_plays_the_previous_sample_again(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog, policy=AlwaysSamples())
    first, second = _to_second_sample(manager)
    reply = manager.step("go back to the previous one")
    assert reply.action == Action.PLAY_SAMPLE and reply.sample is not None and reply.sample.id == first
    assert f'"{reply.sample.title}" by {reply.sample.artist} again' in reply.text
    assert second in manager.state.rejected and first not in manager.state.rejected
    assert manager.step("yes").status == "accepted"


def test_going_back_from_the_first_sample_says_there_is_none(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog, policy=AlwaysSamples())
    sample = manager.step("play some jazz").sample
    reply = manager.step("go back")
    assert reply.action == "repeat" and "first one" in reply.text and reply.sample == sample


def test_another_language_gets_a_clear_message_and_the_question_again(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    question = manager.step("help me find music")
    reply = manager.step("ich möchte etwas ruhiges hören")
    assert "only understand English" in reply.text and "German" in reply.text
    assert reply.action == "repeat" and manager.state.constraints == type(manager.state.constraints)()
    assert question.action != Action.PLAY_SAMPLE


def test_another_language_keeps_what_the_lexicon_knows(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    reply = manager.step("je voudrais écouter du jazz")
    assert "only understand English" in reply.text and "jazz" in reply.text
    assert manager.state.constraints.genres == ("jazz",)


def test_the_understanding_drops_names_read_from_foreign_words_and_keeps_lexicon_values() -> None:
    track = Slot("track", "hören", 25, 30, 0.5)
    german = "ich möchte etwas ruhiges hören"
    u = without_foreign_names(german, Understanding(Act.INFORM, (track,), 0.0, 0.6))
    assert u.act is Act.UNCLEAR and u.slots == () and u.confidence <= 0.2
    jazz = Slot("genre", "jazz", 23, 27, 0.9)
    french = "je voudrais écouter du jazz"
    u = without_foreign_names(french, Understanding(Act.REJECT, (track, jazz), 0.0, 0.6))
    assert u.act is Act.INFORM and u.slots == (jazz,)
    # A name the catalogue knows is a name in any language; English is left as it is.
    linked = Slot("track", "Je t'aime moi non plus", 0, 22, 0.9, linked=True)
    kept = Understanding(Act.INFORM, (linked,), 0.0, 0.9)
    assert without_foreign_names("Je t'aime moi non plus", kept) is kept
    english = Understanding(Act.INFORM, (Slot("artist", "Los Lobos", 10, 19, 0.6),), 0.0, 0.7)
    assert without_foreign_names("play some Los Lobos", english) is english
