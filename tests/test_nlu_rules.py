"""The rule understanding (the fallback and the baseline), value normalization and the corpus generator."""

from __future__ import annotations

import pytest

from nlu.corpus import generate
from nlu.linking import EntityLinker
from nlu.meaning import Act
from nlu.rules import RuleUnderstanding, sentiment_score
from nlu.values import decade_of, normalize_value


@pytest.fixture(scope="module")
def linker() -> EntityLinker:
    return EntityLinker(
        artists=["Radiohead", "The Beatles", "Miles Davis", "Beyoncé"],
        titles=["Karma Police"],
        genres=["rock", "rap", "edm"],
        subgenres=["hip hop", "trap"],
    )


@pytest.fixture(scope="module")
def rules(linker: EntityLinker) -> RuleUnderstanding:
    return RuleUnderstanding(linker)


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("hi there", Act.GREET),
        ("help me find music", Act.GREET),
        ("yes please", Act.ACCEPT),
        ("nah not feeling it", Act.REJECT),
        ("something else", Act.REQUEST_ALTERNATIVE),
        ("skip this one", Act.SKIP),
        ("no idea", Act.DONT_KNOW),
        ("what can i say", Act.HELP),
        ("stop", Act.STOP),
        ("forget it", Act.GIVE_UP),
        ("some jazz please", Act.INFORM),
        ("can we go older", Act.INFORM),
        ("yes but older", Act.REQUEST_ALTERNATIVE),
        ("asdf qwer", Act.UNCLEAR),
    ],
)
def test_rules_recognize_each_act(rules: RuleUnderstanding, text: str, act: Act) -> None:
    assert rules.understand(text).act is act


def test_slots_carry_character_spans_and_normalized_values(rules: RuleUnderstanding) -> None:
    text = "play some chill jas from the nineties for the gym"
    u = rules.understand(text)
    found = {s.name: s for s in u.slots}
    assert found["mood"].value == "laid_back" and text[found["mood"].start : found["mood"].end] == "chill"
    assert found["genre"].value == "jazz" and text[found["genre"].start : found["genre"].end] == "jas"
    assert found["era"].value == "1990s"
    assert found["activity"].value == "workout"


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("play something like radio head", "artist", "Radiohead"),
        ("some hip-hop", "genre", "hip hop"),
        ("some hip hop", "genre", "hip hop"),
        ("a bit of jas", "genre", "jazz"),
        ("music by beyonce", "artist", "Beyoncé"),
    ],
)
def test_linking_survives_speech_recognition_spellings(
    rules: RuleUnderstanding, text: str, slot: str, value: str
) -> None:
    assert value in rules.understand(text).values(slot)


def test_unknown_artists_after_a_cue_are_kept_as_heard(rules: RuleUnderstanding) -> None:
    u = rules.understand("something like the velvet sundowners")
    assert [(s.value, s.linked) for s in u.slots if s.name == "artist"] == [("the velvet sundowners", False)]


def test_sentiment_order() -> None:
    scores = [sentiment_score(t) for t in ("Hmm, OK", "Yes", "YES!", "Brilliant, I love it")]
    assert scores == sorted(scores) and len(set(scores)) == 4
    assert sentiment_score("I hate it") < sentiment_score("meh") < 0


@pytest.mark.parametrize("text", ["", "   ", "x" * 5000, "🎵🎶🙃", "¿Qué hora es? 你好 Привет", "\x00\x07"])
def test_bad_input_is_unclear_with_low_confidence(rules: RuleUnderstanding, text: str) -> None:
    u = rules.understand(text)
    assert u.act is Act.UNCLEAR and u.confidence <= 0.3


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("era", "the nineties", "1990s"),
        ("era", "'80s", "1980s"),
        ("era", "1985", "1980s"),
        ("era", "nineteen seventies", "1970s"),
        ("era", "old school", "older"),
        ("era", "something more recent", "newer"),
        ("mood", "chill", "laid_back"),
        ("mood", "laid back", "laid_back"),
        ("mood", "more chill", "more_laid_back"),
        ("genre", "hip-hop", "hip hop"),
        ("genre", "r and b", "r&b"),
        ("genre", "jaz", "jazz"),
        ("genre", "dream pop", "pop"),
        ("activity", "the gym", "workout"),
        ("tempo", "120 bpm", "120"),
        ("tempo", "faster", "faster"),
    ],
)
def test_values_are_normalized_as_the_dialogue_manager_expects(kind: str, text: str, value: str) -> None:
    found = normalize_value(kind, text)
    assert found is not None and found.value == value


def test_decades_from_words() -> None:
    assert decade_of("twenty tens") == "2010s"
    assert decade_of("the two thousands") == "2000s"
    assert decade_of("fourties") == "1940s"


def test_names_link_to_the_catalogue_else_stay_as_heard(linker: EntityLinker) -> None:
    linked = normalize_value("artist", "radio head", linker)
    assert linked is not None and (linked.value, linked.linked) == ("Radiohead", True)
    unknown = normalize_value("artist", "Jerry Lee Lewis's", linker)
    assert unknown is not None and (unknown.value, unknown.linked) == ("Jerry Lee Lewis", False)


def test_corpus_is_reproducible_and_spans_are_exact() -> None:
    first = generate(400, seed=3)
    assert first.examples == generate(400, seed=3).examples
    assert first.examples != generate(400, seed=4).examples
    acts = {e.act for e in first.examples}
    assert {a.value for a in Act} <= acts
    for example in first.examples:
        assert -1.0 <= example.sentiment <= 1.0
        for start, end, _slot, _value in example.spans:
            assert example.text[start:end].strip() == example.text[start:end] != ""


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("no, more hip hop", Act.INFORM),
        ("close to jazz", Act.INFORM),
        ("the end of the eighties", Act.INFORM),
        ("no more", Act.STOP),
        ("enough", Act.STOP),
        ("stop, play jazz", Act.STOP),
    ],
)
def test_words_that_end_a_session_on_their_own_steer_it_next_to_music(
    rules: RuleUnderstanding, text: str, act: Act
) -> None:
    assert rules.understand(text).act is act


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("too slow", "more_upbeat"),
        ("that is too chill", "more_upbeat"),
        ("too fast for me", "more_laid_back"),
    ],
)
def test_too_much_of_a_feel_asks_for_the_opposite(rules: RuleUnderstanding, text: str, value: str) -> None:
    assert rules.understand(text).values("mood") == [value]
