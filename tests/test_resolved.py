"""The meaning the manager resolved in context ("yes" to an offered option, "the second one", a confirmed
value) reaches the log, survives every log format, and is what the reward credits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.phrasing import listed_options
from assistant.dialogue.policy import PolicyOutput, greedy
from assistant.dialogue.state import DialogueState
from assistant.events import NluResult, ReplyEvent, Resolved, fan_out
from assistant.logs.dataset import LogTable, TableRecorder, read_log, write_log
from assistant.logs.store import LogStore, export_parquet
from assistant.music.catalog import Catalog
from assistant.policies.rules import RulePolicy
from learning.reward import prompt_usefulness
from nlu.linking import EntityLinker
from nlu.meaning import Act
from nlu.rules import RuleUnderstanding
from tests.conftest import AlwaysSamples, ManagerFactory


class _Asks:
    """Asks one prompt whenever it can, so a test reaches that prompt on the first turn."""

    name = "asks"

    def __init__(self, action: Action = Action.ARTIST_SUGGESTION) -> None:
        self.action = action

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        return greedy({self.action: 1.0}, available)


def _rule_manager(
    catalog: Catalog, policy: object, emit: object, conversation_id: str = "test"
) -> DialogueManager:
    """A manager on rule understanding, seeded, logging to `emit`."""
    return DialogueManager(
        catalog,
        RuleUnderstanding(EntityLinker.for_catalog(catalog)),
        policy,  # type: ignore[arg-type]
        np.random.default_rng(0),
        emit=emit,  # type: ignore[arg-type]
        conversation_id=conversation_id,
    )


def _to_genre_pair(manager: DialogueManager) -> tuple[str, str]:
    for text in ("help me find music", "I don't know", "no idea"):
        reply = manager.step(text)
    assert reply.action == Action.GENRE_PAIR
    return manager.state.pending_options  # type: ignore[return-value]


@pytest.mark.parametrize(("answer", "index"), [("the second one", 1), ("um, the first", 0), ("yes", 0)])
def test_an_answer_to_a_genre_pair_is_resolved_to_the_genre_offered(
    tiny_catalog: Catalog, make_manager: ManagerFactory, answer: str, index: int
) -> None:
    manager, events = make_manager(tiny_catalog)
    options = _to_genre_pair(manager)
    manager.step(answer)
    (resolved,) = events.of(Resolved)
    assert resolved.turn == manager.state.turn
    assert [(s.name, s.value) for s in resolved.slots] == [("genre", options[index])]
    assert resolved.reason == ("accepted_option" if answer == "yes" else "option_reference")
    # The raw understanding is still logged as heard, before the resolved one.
    turn_events = [e for e in events.events if e.turn == resolved.turn]
    kinds = [type(e) for e in turn_events]
    assert kinds.index(NluResult) < kinds.index(Resolved) < kinds.index(ReplyEvent)
    heard = events.of(NluResult)[-1].understanding
    assert heard.attributes == ()
    assert heard.act is (Act.ACCEPT if answer == "yes" else Act.CHOOSE)


def test_a_yes_to_an_artist_suggestion_is_resolved_to_that_artist(tiny_catalog: Catalog) -> None:
    recorder = TableRecorder()
    manager = _rule_manager(tiny_catalog, _Asks(), recorder)
    assert manager.step("help me find music").action == Action.ARTIST_SUGGESTION
    (artist,) = manager.state.pending_options
    manager.step("yes")
    understanding = json.loads(recorder.table().columns["understanding"][1])
    assert understanding["slots"] == []
    assert [(s["name"], s["value"]) for s in understanding["resolved"]] == [("artist", artist)]
    assert understanding["resolved_by"] == "accepted_option"


@pytest.mark.parametrize(
    ("action", "answer", "index"),
    [
        (Action.ACTIVITY_QUESTION, "the second one", 1),
        (Action.ACTIVITY_QUESTION, "the last one please", -1),
        (Action.ACTIVITY_QUESTION, "um, the third", 2),
        (Action.ERA_QUESTION, "the latter", -1),
        (Action.MOOD_QUESTION, "the first one", 0),
    ],
)
def test_an_ordinal_answer_is_resolved_against_the_options_the_question_said(
    tiny_catalog: Catalog, action: Action, answer: str, index: int
) -> None:
    # The variants list their options in different orders; over several seeds more than one is said.
    said: set[tuple[str, ...]] = set()
    for seed in range(8):
        recorder = TableRecorder()
        manager = DialogueManager(
            tiny_catalog,
            RuleUnderstanding(EntityLinker.for_catalog(tiny_catalog)),
            _Asks(action),
            np.random.default_rng(seed),
            emit=recorder,
        )
        question = manager.step("help me find music")
        options = listed_options(action, question.text)
        if len(options) < 2:  # "Which decade are you thinking of?" offers no options to point at
            continue
        said.add(options)
        manager.step(answer)
        understanding = json.loads(recorder.table().columns["understanding"][1])
        kind = {Action.ACTIVITY_QUESTION: "activity", Action.ERA_QUESTION: "era"}.get(action, "mood")
        assert [(s["name"], s["value"]) for s in understanding["resolved"]] == [(kind, options[index])]
        assert understanding["resolved_by"] == "option_reference"
    assert said, "no variant offered options"
    if action is Action.ACTIVITY_QUESTION:
        assert len(said) > 1, "the variants' orders were not exercised"


def test_a_reference_past_the_options_offered_is_asked_about(tiny_catalog: Catalog) -> None:
    manager = _rule_manager(tiny_catalog, _Asks(Action.MOOD_QUESTION), TableRecorder())
    manager.step("help me find music")
    assert len(manager.state.pending_options) == 2
    reply = manager.step("the fourth one")
    assert reply.understanding is not None and reply.understanding.act is Act.CHOOSE
    assert reply.understanding.values("option") == ["4"] and not reply.understanding.attributes
    assert manager.state.constraints.energy is None
    # Said so, and the question asked again.
    assert reply.action == "repeat" and reply.text.startswith("There were just two.")


def test_pointing_at_an_option_after_a_single_suggestion_or_a_sample_asks_which(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, _ = make_manager(tiny_catalog, policy=_Asks(Action.ARTIST_SUGGESTION))
    manager.step("help me find music")
    reply = manager.step("the second one I guess")
    assert reply.action == "repeat" and reply.text.startswith("I only suggested the one.")
    assert manager.state.constraints.artist is None
    manager, _ = make_manager(tiny_catalog, policy=AlwaysSamples())
    sample = manager.step("jazz").sample
    reply = manager.step("the second one")
    assert reply.action == "repeat" and reply.text.startswith("Sorry, which one do you mean?")
    assert reply.sample == sample and not manager.state.rejected


def test_a_confirmed_value_is_resolved_on_the_turn_that_confirms_it(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, events = make_manager(tiny_catalog)
    manager.step("help me find music")
    assert manager.step("jazz", asr_confidence=0.3).action == "confirm"
    (held,) = events.of(Resolved)  # held, not yet applied: this turn gives nothing until confirmed
    assert held.turn == 2 and held.reason == "held" and held.slots == ()
    manager.step("yes")
    resolved = events.of(Resolved)[-1]
    assert resolved.turn == 3 and resolved.reason == "confirmed"
    assert [(s.name, s.value) for s in resolved.slots] == [("genre", "jazz")]


def test_a_misheard_value_the_person_declines_earns_the_question_nothing(demo_catalog: Catalog) -> None:
    """ "Did you say jazz?" "No." The open question gathered nothing, even when the person later asks for
    jazz in their own words and accepts jazz: that later answer belongs to the next question."""
    recorder = TableRecorder()
    manager = _rule_manager(demo_catalog, RulePolicy(), recorder)
    assert manager.step("help me find music").action == Action.OPEN_QUESTION
    assert manager.step("jazz", asr_confidence=0.3).action == "confirm"
    asked_next = manager.step("no").action
    assert asked_next != Action.OPEN_QUESTION
    reply = manager.step("jazz please")
    while not reply.done:
        reply = manager.step("yes, I love it")
    assert reply.sample is not None and reply.sample.genre == "jazz"
    table = recorder.table()
    (open_row,) = [i for i, a in enumerate(table.columns["action"]) if a == Action.OPEN_QUESTION]
    assert json.loads(table.columns["understanding"][open_row + 1])["resolved"] == []
    assert prompt_usefulness(table, demo_catalog)[open_row] == 0.0


def test_turns_taken_as_heard_are_logged_without_a_resolved_key(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, events = make_manager(tiny_catalog)
    recorder = TableRecorder()
    manager.emit = fan_out(events, recorder)
    for text in ("help me find music", "something upbeat", "rock", "no", "yes"):
        manager.step(text)
    assert events.of(Resolved) == []
    assert not any("resolved" in json.loads(u) for u in recorder.table().columns["understanding"])


# -- end to end: a real conversation, logged, exported, read back and rewarded ------------------------
def _every_format(recorder: TableRecorder, store: LogStore, tmp_path: Path) -> dict[str, LogTable]:
    store.close()
    table = recorder.table()
    return {
        "recorder": table,
        "app sqlite": read_log(store.path),
        "app export": read_log(export_parquet(store, tmp_path / "export")["turns"].parent),
        "simulated sqlite": read_log(write_log(table, tmp_path / "simulated.db")),
        "simulated parquet": read_log(write_log(table, tmp_path / "simulated")),
    }


@pytest.mark.parametrize(("answer", "index"), [("the second one", 1), ("yes", 0)])
def test_the_genre_chosen_from_a_pair_is_logged_and_earns_the_genre_pair_its_reward(
    demo_catalog: Catalog, tmp_path: Path, answer: str, index: int
) -> None:
    recorder, store = TableRecorder(), LogStore(tmp_path / "log.db")
    manager = _rule_manager(
        demo_catalog, RulePolicy(), fan_out(recorder, store), conversation_id="resolved-e2e"
    )
    chosen = _to_genre_pair(manager)[index]
    answered = manager.step(answer)
    assert answered.action == Action.PLAY_SAMPLE and answered.sample is not None
    final = manager.step("yes, I love it")
    assert final.done and final.sample is not None
    assert chosen in (final.sample.genre, final.sample.subgenre)  # the music accepted is of that genre

    for source, table in _every_format(recorder, store, tmp_path).items():
        understandings = [json.loads(u) for u in table.columns["understanding"]]
        assert [("resolved" in u) for u in understandings] == [False, False, False, True, False], source
        answer_row = understandings[3]
        assert [(s["name"], s["value"]) for s in answer_row["resolved"]] == [("genre", chosen)], source
        # The NLU output as heard is kept alongside: a bare yes, or a choice with the option pointed at.
        assert answer_row["act"] == ("accept" if answer == "yes" else "choose"), source
        assert [s["name"] for s in answer_row["slots"]] == ([] if answer == "yes" else ["option"]), source
        (pair_row,) = [i for i, a in enumerate(table.columns["action"]) if a == Action.GENRE_PAIR]
        assert prompt_usefulness(table, demo_catalog)[pair_row] == 1.0, source


def test_an_ordinal_while_a_confirmation_is_pending_does_not_answer_the_question_before_it(
    tiny_catalog: Catalog, make_manager: ManagerFactory
) -> None:
    manager, events = make_manager(tiny_catalog, policy=_Asks(Action.MOOD_QUESTION))
    assert manager.step("help me find music").action == Action.MOOD_QUESTION
    assert manager.step("something laid back", asr_confidence=0.3).action == "confirm"
    manager.step("the second one")
    # "Did I get that right?" has no second option; the mood offered before it is not chosen by this.
    assert manager.state.constraints.energy is None
    assert not [r for r in events.of(Resolved) if r.reason == "option_reference"]
