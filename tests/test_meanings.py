"""The manager reads meanings, not words: nlu/ says what a turn does, the dialogue acts on that alone."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.policy import greedy
from assistant.events import Decision
from assistant.music.catalog import Catalog
from nlu.linking import EntityLinker
from nlu.meaning import Act, Slot, Understanding
from nlu.numbers import spoken_years
from nlu.rules import RuleUnderstanding
from tests.conftest import ROOT

DIALOGUE = ROOT / "assistant" / "dialogue"
# The dialogue may know the meaning representation and the vocabulary of values (is "seductive" a genre
# word?), never a component that reads what was said.
ALLOWED_NLU = {"nlu.meaning", "nlu.lexicon"}


@pytest.mark.parametrize("module", ["manager.py", "conversation.py", "answers.py", "reply.py"])
def test_the_dialogue_imports_nothing_that_reads_text_and_compiles_no_pattern(module: str) -> None:
    tree = ast.parse((DIALOGUE / module).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert "re" not in imported and "regex" not in imported, f"{module} matches patterns on text"
    readers = {m for m in imported if m.startswith("nlu") and m not in ALLOWED_NLU}
    assert not readers, f"{module} imports {readers}: meanings come from the understanding"


class _Understands:
    """An understander that ignores the words: whatever is typed, it returns the meaning given."""

    name = "fixed"

    def __init__(self) -> None:
        self.next: Understanding = Understanding(Act.UNCLEAR)

    def understand(self, text: str) -> Understanding:
        return self.next


class _Asks:
    def __init__(self, action: Action) -> None:
        self.action = action
        self.name = f"asks-{action.value}"

    def decide(self, state: object, available: list[Action], features: object) -> object:
        return greedy({self.action: 1.0, Action.PLAY_SAMPLE: 0.5}, available)


def _manager(catalog: Catalog, action: Action) -> tuple[DialogueManager, _Understands]:
    nlu = _Understands()
    manager = DialogueManager(catalog, nlu, _Asks(action), np.random.default_rng(0))  # type: ignore[arg-type]
    return manager, nlu


def test_a_choice_is_resolved_from_its_meaning_whatever_the_words(tiny_catalog: Catalog) -> None:
    manager, nlu = _manager(tiny_catalog, Action.GENRE_PAIR)
    nlu.next = Understanding(Act.GREET)
    manager.step("hello")
    options = manager.state.pending_options
    assert len(options) == 2
    nlu.next = Understanding(Act.CHOOSE, (Slot("option", "2", 0, 0),))
    manager.step("words the manager never reads")
    assert manager.state.constraints.genres == (options[1],)


def test_neither_turns_both_genres_down_and_both_keeps_both(tiny_catalog: Catalog) -> None:
    manager, nlu = _manager(tiny_catalog, Action.GENRE_PAIR)
    nlu.next = Understanding(Act.GREET)
    manager.step("")
    first = manager.state.pending_options
    nlu.next = Understanding(Act.CHOOSE, (Slot("option", "neither", 0, 0),))
    manager.step("")
    assert set(first) <= set(manager.state.constraints.avoid_genres)
    second = manager.state.pending_options
    assert second and not set(second) & set(first)
    nlu.next = Understanding(Act.CHOOSE, (Slot("option", "both", 0, 0),))
    manager.step("")
    assert set(manager.state.constraints.genres) == set(second)


def test_the_play_command_and_the_hand_over_are_read_from_the_meaning(tiny_catalog: Catalog) -> None:
    # "Just play something" (a command handing the choice over): played at once, whatever the policy.
    manager, nlu = _manager(tiny_catalog, Action.MOOD_QUESTION)
    nlu.next = Understanding(Act.GREET, command=True, hand_over=True)
    assert manager.step("").action == Action.PLAY_SAMPLE
    # "Surprise me" before anything was asked: played at once too.
    manager, nlu = _manager(tiny_catalog, Action.GENRE_PAIR)
    nlu.next = Understanding(Act.DONT_KNOW, hand_over=True)
    assert manager.step("").action == Action.PLAY_SAMPLE
    # As an answer to a question it is "I don't know": the policy decides what comes next.
    manager, nlu = _manager(tiny_catalog, Action.GENRE_PAIR)
    decisions: list[Decision] = []
    manager.emit = lambda e: decisions.append(e) if isinstance(e, Decision) else None
    nlu.next = Understanding(Act.GREET)
    assert manager.step("").action == Action.GENRE_PAIR
    nlu.next = Understanding(Act.DONT_KNOW, hand_over=True)
    manager.step("")
    assert manager.state.dont_know_count == 1 and "genre" in manager.state.unknown
    assert decisions[-1].policy == "asks-genre_pair"  # not "user_request": no one asked to play now


def test_the_language_is_read_from_the_meaning(tiny_catalog: Catalog) -> None:
    manager, nlu = _manager(tiny_catalog, Action.MOOD_QUESTION)
    nlu.next = Understanding(Act.UNCLEAR, language="German")
    reply = manager.step("")
    assert reply.text.startswith("Sorry, I only understand English for now (that sounded like German).")


@pytest.mark.parametrize(
    ("text", "act", "slots", "marks"),
    [
        ("the second one", Act.CHOOSE, [("option", "2")], ""),
        ("I'll take the first one please", Act.CHOOSE, [("option", "1")], ""),
        ("the second one the upbeat one", Act.CHOOSE, [("option", "2"), ("mood", "upbeat")], ""),
        ("the alternative rock one", Act.CHOOSE, [("genre", "alternative rock")], ""),
        ("neither", Act.CHOOSE, [("option", "neither")], ""),
        ("either is fine", Act.CHOOSE, [("option", "both")], ""),
        ("neither, I want jazz", Act.INFORM, [("genre", "jazz")], ""),
        ("play the one before", Act.PREVIOUS, [], "C"),
        ("go back", Act.PREVIOUS, [], ""),
        ("play it again", Act.AGAIN, [], "C"),
        ("who sings this?", Act.WHAT_IS_PLAYING, [], ""),
        ("what genres do you have?", Act.ASK_CATALOGUE, [("topic", "genre")], ""),
        ("what kinds of rock do you have", Act.ASK_CATALOGUE, [("topic", "genre"), ("genre", "rock")], ""),
        ("who do you have", Act.ASK_CATALOGUE, [("topic", "artist")], ""),
        ("do you have any jazz", Act.INFORM, [("genre", "jazz")], ""),
        ("just play something", None, [], "CH"),
        ("surprise me", Act.DONT_KNOW, [], "H"),
        ("ok play the station", Act.ACCEPT, [], "C"),
        ("something from two thousand ten", Act.INFORM, [("era", "2010s")], ""),
        ("something with a female singer", Act.INFORM, [("vocals", "female")], ""),
        ("something instrumental", Act.INFORM, [("vocals", "instrumental")], ""),
        ("christmas music please", Act.INFORM, [("theme", "christmas music")], ""),
        ("put on some pink floyd", Act.INFORM, [("artist", "pink floyd")], "C"),
        ("open songs from daft punk", Act.INFORM, [("artist", "daft punk")], ""),
        ("play bob marley playlist", Act.INFORM, [("artist", "bob marley")], "C"),
    ],
)
def test_the_rules_read_what_a_turn_does(
    demo_catalog: Catalog, text: str, act: Act | None, slots: list[tuple[str, str]], marks: str
) -> None:
    u = RuleUnderstanding(EntityLinker.for_catalog(demo_catalog)).understand(text)
    if act is not None:
        assert u.act is act, u
    assert [(s.name, s.value) for s in u.slots] == slots
    assert (u.command, u.hand_over) == ("C" in marks, "H" in marks)


def test_own_music_and_the_language_are_marked() -> None:
    rules = RuleUnderstanding(EntityLinker(artists=["Massive Attack"]))
    own = rules.understand("some songs by Massive Attack")
    like = rules.understand("something like Massive Attack")
    assert [s.own for s in own.slots] == [True] and [s.own for s in like.slots] == [False]
    assert rules.understand("je voudrais écouter du jazz").language == "French"
    assert rules.understand("play some Massive Attack").language == "English"


@pytest.mark.parametrize(
    ("text", "decade"),
    [
        ("two thousand ten", "2010s"),
        ("two thousand and five", "2000s"),
        ("nineteen ninety five", "1990s"),
        ("twenty fifteen", "2010s"),
        ("the nineteen nineties", "1990s"),
        ("nineteen oh five", "1900s"),
        ("twenty twenty two", "2020s"),
    ],
)
def test_years_said_in_words(text: str, decade: str) -> None:
    ((_, _, found),) = spoken_years(text)
    assert found == decade


@pytest.mark.parametrize(
    "text", ["twenty one pilots", "number one", "a thousand years", "the eighties", "ten"]
)
def test_numbers_that_are_no_years(text: str) -> None:
    assert spoken_years(text) == []


def test_meanings_survive_the_log() -> None:
    u = Understanding(
        Act.CHOOSE,
        (Slot("option", "2", 4, 10), Slot("artist", "X", 0, 1, own=True)),
        command=True,
        hand_over=True,
        language="German",
    )
    assert Understanding.from_dict(u.to_dict()) == Understanding.from_dict(Understanding.to_dict(u))
    back = Understanding.from_dict(u.to_dict())
    assert (back.command, back.hand_over, back.language, back.slots[1].own) == (True, True, "German", True)
    # Plain turns are logged as before the marks existed.
    assert set(Understanding(Act.INFORM).to_dict()) == {"act", "slots", "sentiment", "confidence", "source"}


def test_files_stay_small() -> None:
    # Issue 21: no source file over 600 lines, except pure data.
    data = {"assistant/music/demo_catalog.py", "assistant/taste/affinity_data.py"}
    for path in sorted(ROOT.glob("**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv", "build")) or relative in data:
            continue
        if relative.startswith(("nlu/", "assistant/dialogue/")):
            assert len(Path(path).read_text(encoding="utf-8").splitlines()) <= 600, relative
