"""Answers that point at an offered option ("the second one"), resolved by the dialogue manager."""

from __future__ import annotations

import pytest

from nlu.references import option_reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the first one", 0),
        ("First.", 0),
        ("um, the former please", 0),
        ("the second one I guess", 1),
        ("yeah the latter", 1),
        ("2nd", 1),
        ("the last one, thanks", 1),
        ("the first time I heard jazz it was great", None),
        ("second hand songs", None),
        ("", None),
        ("jazz", None),
        ("the first one " * 20, None),
    ],
)
def test_option_reference(text: str, expected: int | None) -> None:
    assert option_reference(text) == expected
