"""What is wanted, as constraints: how each heard attribute changes them, and how they are said back."""

from __future__ import annotations

import pytest

from assistant.music.catalog import Track
from assistant.music.constraints import ERA_SPAN, Constraints, apply_slot, describe, describe_era
from nlu.meaning import Slot

SAMPLE = Track(
    id="t1", title="Song", artist="Someone", genre="jazz", subgenre="bebop", year=1986, energy=0.3,
    valence=0.5, tempo=110.0, popularity=50.0,
)  # fmt: skip


def _apply(c: Constraints, name: str, value: str, sample: Track | None = SAMPLE) -> Constraints:
    return apply_slot(c, Slot(name, value, 0, 0), sample)


@pytest.mark.parametrize(
    ("era", "said"),
    [
        ((1990, 1999), "from the 1990s"),
        ((ERA_SPAN[0], 1997), "from before 1998"),
        ((2006, ERA_SPAN[1]), "from after 2005"),
        ((1985, 2001), "from 1985 to 2001"),
    ],
)
def test_eras_are_said_back_as_people_say_them(era: tuple[int, int], said: str) -> None:
    assert describe_era(era) == said


def test_relative_moves_start_from_the_sample_playing() -> None:
    c = Constraints()
    assert _apply(c, "era", "older").era == (ERA_SPAN[0], 1985)
    assert _apply(c, "era", "newer").era == (1987, ERA_SPAN[1])
    assert _apply(c, "tempo", "faster").tempo == 130.0
    assert _apply(c, "mood", "more_upbeat").energy == pytest.approx(0.5)
    # Nothing older than the oldest year there is: the constraint stays as it was.
    oldest = Track(**{**SAMPLE.__dict__, "year": ERA_SPAN[0]})
    assert _apply(c, "era", "older", oldest) == c


def test_a_new_genre_replaces_the_old_one_and_is_no_longer_avoided() -> None:
    c = Constraints(genres=("rock",), avoid_genres=("jazz", "pop"))
    assert _apply(c, "genre", "jazz") == Constraints(genres=("jazz",), avoid_genres=("pop",))


def test_everything_wanted_is_said_back_including_tempo() -> None:
    c = Constraints(genres=("jazz",), energy=0.2, era=(1980, 1989), tempo=128.4, artist="Someone")
    assert describe(c) == "laid back jazz like Someone from the 1980s at about 128 bpm"
    assert describe(Constraints()) == "music"


def test_out_of_range_or_unknown_values_change_nothing() -> None:
    c = Constraints()
    assert _apply(c, "tempo", "900") == c
    assert _apply(c, "tempo", "fast-ish") == c
    assert _apply(c, "activity", "juggling") == c
    assert _apply(c, "era", "the future") == c


def test_older_or_newer_with_nothing_playing_moves_past_the_period_asked_for() -> None:
    old_school = Constraints(era=(ERA_SPAN[0], 2004))
    # "old school", then "maybe some new school": after that period, not after its middle.
    assert _apply(old_school, "era", "newer", None).era == (2005, ERA_SPAN[1])
    assert _apply(Constraints(era=(1980, 1989)), "era", "older", None).era == (ERA_SPAN[0], 1979)
    assert _apply(old_school, "era", "older", None) == old_school  # nothing before the oldest year


def test_the_head_word_of_a_genre_phrase_decides_it() -> None:
    from nlu.values import normalize_value

    pop = normalize_value("genre", "alternative pop")
    assert pop is not None and pop.value == "pop"
    rock = normalize_value("genre", "alternative")
    assert rock is not None and rock.value == "alternative rock"


def test_two_decades_in_a_turn_make_one_period() -> None:
    from assistant.music.constraints import is_decade, join_slot

    c = join_slot(Constraints(era=(1980, 1989)), Slot("era", "2000s", 0, 0))
    assert c is not None and c.era == (1980, 2009)
    assert join_slot(Constraints(era=(1980, 1989)), Slot("era", "older", 0, 0)) is None  # applied as usual
    assert join_slot(Constraints(genres=("rock",)), Slot("genre", "jazz", 0, 0)) == Constraints(
        genres=("rock", "jazz")
    )
    assert join_slot(Constraints(), Slot("mood", "upbeat", 0, 0)) is None
    assert is_decade("1990s") and not is_decade("older")


def test_an_activity_is_said_as_people_say_it_and_simulated_listeners_still_hear_it() -> None:
    from assistant.music.constraints import ACTIVITY_SAID, describe
    from learning import phrases
    from nlu.lexicon import ACTIVITY_PROFILE

    assert describe(Constraints(activity="commute")) == "music for the commute"  # was "music for commute"
    assert describe(Constraints(activity="cooking")) == "music for cooking and chores"
    assert set(ACTIVITY_SAID) == set(ACTIVITY_PROFILE)  # every activity has its words
    for activity in ACTIVITY_PROFILE:
        said = f"shall i start a station of {describe(Constraints(activity=activity))}?"
        found = phrases.ACTIVITY_SAID_RE.search(said)
        assert found is not None and phrases.ACTIVITY_OF_SAID[found.group(1)] == activity
