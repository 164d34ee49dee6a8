"""How tagger spans are reconciled with catalogue names (nlu.model.repair_names), without the model:
spans and gazetteer hits are written out, as the tagger and the gazetteer would give them."""

from __future__ import annotations

from nlu.features import Gazetteer
from nlu.model import repair_names

GAZETTEER = Gazetteer(artists=["Daft Punk", "Depeche Mode"], titles=["Jazz", "Rock Music"])


def _repair(text: str, spans: list[tuple[int, int, str, float]]) -> list[tuple[str, str]]:
    return [(text[s:e], kind) for s, e, kind, _ in repair_names(spans, GAZETTEER.hits(text))]


def test_an_attribute_span_that_is_exactly_a_catalogue_name_becomes_the_name() -> None:
    assert _repair("play some daft punk", [(10, 19, "genre", 0.7)]) == [("daft punk", "artist")]


def test_a_lexicon_phrase_stays_an_attribute_even_when_a_title_has_its_name() -> None:
    assert _repair("play some jazz", [(10, 14, "genre", 0.9)]) == [("jazz", "genre")]


def test_an_attribute_inside_a_longer_name_is_left_alone_when_the_tagger_stopped_at_it() -> None:
    # "rock music" is a title here, but the tagger marked only "rock": that is the genre being asked for.
    assert _repair("some rock music please", [(5, 9, "genre", 0.9)]) == [("rock", "genre")]


def test_a_partly_found_name_is_grown_and_absorbs_what_was_seen_inside_it() -> None:
    text = "I love Daft Punk"
    assert _repair(text, [(7, 11, "artist", 0.6), (12, 16, "genre", 0.9)]) == [("Daft Punk", "artist")]
    assert _repair("play depeche", [(5, 12, "artist", 0.8)]) == [("depeche", "artist")]
    assert _repair("play depeche mode", [(5, 12, "artist", 0.8)]) == [("depeche mode", "artist")]
