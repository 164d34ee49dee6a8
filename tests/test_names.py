"""Names said in lists, and words that are not names: nlu.names, both understandings, and what the
dialogue does with several artists at once (the turns are real CPCD user turns, shortened)."""

from __future__ import annotations

import pytest

from assistant.music.catalog import Catalog
from assistant.music.constraints import Constraints, describe, join_names, join_slot
from nlu.linking import EntityLinker
from nlu.meaning import Slot
from nlu.model import ModelUnderstanding
from nlu.names import after_possessive, is_not_a_name, split_names
from nlu.rules import RuleUnderstanding
from tests.conftest import ManagerFactory

KNOWN = {"dolly parton", "kenny loggins", "krept & konan", "duran duran", "hall & oates", "bruno mars"}


def _known(name: str) -> bool:
    return name.lower().replace(" and ", " & ") in KNOWN


def _names(text: str) -> list[str]:
    return [text[a:b] for a, b in split_names(text, _known)]


@pytest.mark.parametrize(
    ("said", "names"),
    [
        ("Dolly Parton and Kenny Loggins", ["Dolly Parton", "Kenny Loggins"]),
        ("Dolly Parton and Loretta Lynn", ["Dolly Parton", "Loretta Lynn"]),  # one known is enough
        ("Johnny Cash and Garth Brooks", ["Johnny Cash and Garth Brooks"]),  # none known: as heard
        ("Krept and Konan", ["Krept and Konan"]),  # the duo itself
        ("Duran Duran, Hall and Oates", ["Duran Duran", "Hall and Oates"]),
        ("twenty one pilot? and bruno mars", ["twenty one pilot", "bruno mars"]),  # a sentence break
        ("and bruno mars", ["bruno mars"]),
        ("the singer Dolly Parton", ["Dolly Parton"]),
        ('"Dolly Parton"', ["Dolly Parton"]),
        ("their", []),
        ("a playlist", []),
        ("some more songs", []),
    ],
)
def test_a_span_is_split_into_the_names_it_holds(said: str, names: list[str]) -> None:
    assert _names(said) == names


def test_pronouns_and_words_for_music_are_not_names_but_names_with_such_words_are() -> None:
    assert is_not_a_name("he") and is_not_a_name("they") and is_not_a_name("the songs")
    assert not is_not_a_name("One Direction") and not is_not_a_name("The Band Perry")


def test_a_possessive_before_a_word_means_it_is_not_a_genre_or_name() -> None:
    assert after_possessive("while I decorate my ")
    assert after_possessive("a playlist for our ")
    assert not after_possessive("play some ")
    assert not after_possessive("mythology ")


LINKER = EntityLinker(
    artists=["Dolly Parton", "Kenny Loggins", "Krept & Konan", "THEY.", "Twenty One Pilots", "Bruno Mars"],
    titles=["Tempo", "My House"],
)


def _slots(understander: object, text: str) -> list[tuple[str, str, bool]]:
    u = understander.understand(text)  # type: ignore[attr-defined]
    return [(s.name, s.value, s.linked) for s in u.slots]


@pytest.fixture(scope="module")
def model() -> ModelUnderstanding:
    understander = ModelUnderstanding(LINKER)
    assert understander.load(), understander.load_error
    return understander


@pytest.mark.model
def test_the_model_hears_two_artists_in_a_list(model: ModelUnderstanding) -> None:
    text = "How about some artists like Dolly Parton and Kenny Loggins?"
    assert _slots(model, text) == [("artist", "Dolly Parton", True), ("artist", "Kenny Loggins", True)]


@pytest.mark.model
def test_the_model_drops_pronouns_stray_words_and_words_after_a_possessive(model: ModelUnderstanding) -> None:
    assert _slots(model, "yeah I like Krept and Konan a lot, can you add some of their songs too?") == [
        ("artist", "Krept & Konan", True)
    ]
    # "tempo" is a catalogue title, but said in passing it is the word.
    assert all(s[0] != "track" for s in _slots(model, "Let's keep that tempo and add some Bruno Mars."))
    assert _slots(model, "I want a playlist to listen to while I decorate my house.") == [
        ("activity", "cooking", False)
    ]


def test_a_title_span_that_is_an_artist_name_is_the_artist() -> None:
    # The tagger's span as it comes with the Spotify catalogue's gazetteer ("more of twenty one pilot").
    text = "can you add more of twenty one pilot? and bruno mars"
    spans = ModelUnderstanding(LINKER)._names_in(text, [(20, 36, "track", 0.89)])
    assert spans == [(20, 36, "artist", 0.89)]


def test_the_rules_hear_two_artists_after_a_cue_and_like_to_is_a_verb() -> None:
    rules = RuleUnderstanding(LINKER)
    text = "How about some artists like Dolly Parton and Kenny Loggins?"
    assert _slots(rules, text) == [("artist", "Dolly Parton", True), ("artist", "Kenny Loggins", True)]
    assert all(s[0] != "artist" for s in _slots(rules, "i would like to listen to alternative pop"))


def test_several_artists_are_kept_together_and_said_back() -> None:
    kenny = Slot("artist", "Kenny Loggins", 0, 0, linked=True)
    c = join_slot(Constraints(artist="Dolly Parton", artist_linked=True), kenny)
    assert c is not None and c.more_artists == ("Kenny Loggins",)
    assert c.artists == ("Dolly Parton", "Kenny Loggins")
    assert join_slot(c, kenny) == c
    assert describe(c) == "music like Dolly Parton and Kenny Loggins"
    assert (
        describe(Constraints(artist="A", more_artists=("B", "C"), artist_own=True)) == "music by A, B and C"
    )
    assert join_names(["A"], "or") == "A" and join_names(["A", "B"], "or") == "A or B"


def test_a_list_of_artists_in_a_turn_plays_music_by_one_of_them(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    reply = manager.step("can you add some songs by Velvet Harbors and Oskar Brandt?")
    c = manager.state.constraints
    assert (c.artist, c.more_artists, c.artist_own) == ("Velvet Harbors", ("Oskar Brandt",), True)
    assert reply.action == "play_sample"
    assert reply.sample is not None and reply.sample.artist in ("Velvet Harbors", "Oskar Brandt")


def test_names_the_catalogue_lacks_are_acknowledged_once_together(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    reply = manager.step("something like Oskar Brandt, Garth Brooks and Reba McEntire")
    assert reply.text.count("Garth Brooks") == 1
    assert manager.state.constraints.artist == "Oskar Brandt"


@pytest.mark.model
def test_a_lone_lowercase_word_is_a_title_only_after_a_cue(model: ModelUnderstanding) -> None:
    assert _slots(model, "keep that tempo please") == []
    assert ("track", "Tempo", True) in _slots(model, "put on the song tempo")
    assert ("track", "Tempo", True) in _slots(model, "i love tempo by olszakumpel")


@pytest.mark.model
def test_everyday_phrases_are_not_titles_in_text_that_capitalizes_names() -> None:
    linker = EntityLinker(
        artists=["for KING & COUNTRY"], titles=["Forgot About", "I Like", "A Lot", "Kiss Me"]
    )
    model = ModelUnderstanding(linker)
    assert model.load()
    tracks = lambda text: [s.value for s in model.understand(text).slots if s.name == "track"]  # noqa: E731
    assert tracks("These are great. I forgot about for King and Country. Can I see more?") == []
    assert tracks("That's great! I like slayer too") == []
    assert tracks("I've been listening to a lot of RnB these days") == []
    assert tracks("kiss me is a good match") == ["Kiss Me"]  # a title said at the start, in lower case


def test_how_about_an_artist_asks_for_their_music(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog)
    reply = manager.step("perfect. how about Oskar Brandt?")
    assert manager.state.constraints.artist_own
    assert reply.sample is not None and reply.sample.artist == "Oskar Brandt"


def test_decades_with_an_apostrophe_are_eras_for_both_understandings(model: ModelUnderstanding) -> None:
    from nlu.values import spell_decades

    assert spell_decades("some 80's and 1960’s music") == "some 80s  and 1960s  music"
    text = "Can I get some 50's music for my class reunion?"
    for understander in (model, RuleUnderstanding(LINKER)):
        assert ("era", "1950s") in [(s.name, s.value) for s in understander.understand(text).slots]


@pytest.mark.model
def test_a_possessive_title_in_lower_case_is_not_a_title(model: ModelUnderstanding) -> None:
    linker = EntityLinker(titles=["My Girl"])
    understander = ModelUnderstanding(linker)
    assert understander.load()
    assert understander.understand("hello, i'm having my girl over, can you make us a playlist").slots == ()
