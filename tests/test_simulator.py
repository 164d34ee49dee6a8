"""Simulated listeners: population files, seeded determinism, hidden state behind the text boundary."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from assistant.dialogue.manager import DialogueManager
from assistant.music.catalog import Catalog
from assistant.policies.rules import RulePolicy
from learning.batch import simulate
from learning.listeners import World
from learning.population import (
    POPULATIONS,
    Population,
    PopulationError,
    load_population,
    population_from_dict,
)
from learning.simulator import SimulatedUser, run_conversation
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding


@pytest.fixture(scope="module")
def world(tiny_catalog: Catalog) -> World:
    return World(tiny_catalog)


# -- population files -----------------------------------------------------------------------------
def test_every_shipped_population_loads_and_differs_from_the_default() -> None:
    names = sorted(p.stem for p in POPULATIONS.glob("*.json"))
    assert {"default", "impatient", "knows_little"} <= set(names)
    default = load_population("default")
    for name in names:
        population = load_population(name)
        assert population.name == name
        if name != "default":
            assert population.to_dict() != {
                **default.to_dict(),
                "name": name,
                "description": population.description,
            }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"patience": {"mean": -1}}, "patience.mean must be in 1.0..200.0, got -1"),
        ({"knowledge": {"answers_open": 1.5}}, "knowledge.answers_open must be in 0.0..1.0"),
        ({"knowledge": {"answers_open": "often"}}, "knowledge.answers_open must be a number"),
        ({"knowledge": {"answer_open": 0.3}}, "unknown field(s) knowledge.answer_open"),
        ({"mood": {}}, "unknown field(s) mood"),
        ({"taste": {"n_long_term_genres": 2.5}}, "taste.n_long_term_genres must be a whole number"),
        ({"taste": [1, 2]}, "taste must be an object"),
        ({"patience": {"mean": 3, "minimum": 5}}, "patience.minimum (5.0) exceeds patience.mean (3.0)"),
        ([1, 2], "holds one JSON object"),
    ],
)
def test_a_bad_population_is_rejected_naming_the_field(document: object, message: str) -> None:
    with pytest.raises(PopulationError) as error:
        population_from_dict(document, "pop.json")
    assert message in str(error.value)
    assert str(error.value).startswith("pop.json: ")


def test_unreadable_population_files_say_what_is_wrong(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(PopulationError, match="not valid JSON"):
        load_population(broken)
    with pytest.raises(PopulationError, match=r"no such population file.*shipped populations: .*default"):
        load_population(tmp_path / "absent.json")


def test_a_population_file_names_only_what_differs(tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps({"patience": {"mean": 20}}))
    population = load_population(path)
    assert population.name == "patient" and population.patience.mean == 20
    assert population.knowledge == Population().knowledge


# -- the listener behind the text boundary --------------------------------------------------------
def _manager(catalog: Catalog, seed: int) -> DialogueManager:
    return DialogueManager(
        catalog,
        RuleUnderstanding(EntityLinker.for_catalog(catalog)),
        RulePolicy(),
        np.random.default_rng(seed),
    )


def test_only_text_crosses_from_listener_to_assistant(tiny_catalog: Catalog, world: World) -> None:
    seen: list[object] = []

    class Recording:
        name = "recording"

        def __init__(self) -> None:
            self.inner = RuleUnderstanding(EntityLinker.for_catalog(tiny_catalog))

        def understand(self, text: object) -> object:
            seen.append(text)
            return self.inner.understand(text)  # type: ignore[arg-type]

    for seed in range(20):
        user = SimulatedUser(world, load_population("default"), np.random.default_rng(seed))
        manager = DialogueManager(tiny_catalog, Recording(), RulePolicy(), np.random.default_rng(seed))
        run_conversation(manager, user)
    assert seen and all(isinstance(text, str) for text in seen)


def test_the_hidden_state_is_not_part_of_the_listeners_public_surface(world: World) -> None:
    user = SimulatedUser(world, load_population("default"), np.random.default_rng(0))
    public = {name for name in vars(user) if not name.startswith("_")}
    assert public == {"asr_confidence"}  # what a microphone would also report
    hidden = user.reveal()
    assert {f.name for f in fields(hidden.taste)} >= {"genres", "energy", "era", "activity"}


def test_what_the_assistant_learns_of_the_taste_comes_only_from_what_was_said(
    tiny_catalog: Catalog, world: World
) -> None:
    for seed in range(30):
        user = SimulatedUser(world, load_population("default"), np.random.default_rng(seed))
        said: list[str] = []
        manager = _manager(tiny_catalog, seed)
        step = manager.step

        def spy(text: str, said: list[str] = said, step: object = step, **kwargs: object) -> object:
            said.append(text.lower())
            return step(text, **kwargs)  # type: ignore[operator]

        manager.step = spy  # type: ignore[method-assign]
        run_conversation(manager, user)
        c = manager.state.constraints
        for genre in c.genres:
            assert any(genre in line for line in said) or manager.state.asked["genre_pair"], (seed, genre)


def test_a_seeded_run_is_reproducible_and_seeds_differ(tiny_catalog: Catalog) -> None:
    population = load_population("default")

    def outcomes(seed: int, workers: int) -> list[tuple[str, int, tuple[str, ...]]]:
        run = simulate(60, tiny_catalog, population, RulePolicy, seed=seed, workers=workers, record=False)
        return [(r.status, r.turns, r.actions) for r in run.results]

    first = outcomes(7, 1)
    assert first == outcomes(7, 1)
    assert first == outcomes(7, 2)  # the split across processes changes nothing
    assert first != outcomes(8, 1)


def test_acceptance_rises_with_match_and_patience_runs_out(world: World) -> None:
    user = SimulatedUser(world, load_population("default"), np.random.default_rng(0))
    chances = [user._p_accept(m) for m in (0.3, 0.6, 0.72, 0.85, 1.0)]
    assert chances == sorted(chances) and chances[0] < 0.05 and chances[-1] > 0.9
    impatient = simulate(150, world.catalog, load_population("impatient"), RulePolicy, seed=3, record=False)
    patient = simulate(150, world.catalog, load_population("default"), RulePolicy, seed=3, record=False)
    gave_up = lambda run: sum(r.status != "accepted" for r in run.results)  # noqa: E731
    assert gave_up(impatient) > gave_up(patient)
    assert max(r.turns for r in patient.results) < 61  # the safety stop


def test_recognition_noise_garbles_words_and_lowers_confidence(world: World) -> None:
    noisy = population_from_dict({"noise": {"word_error": 0.4}}, "noisy.json")
    user = SimulatedUser(world, noisy, np.random.default_rng(1))
    lines = [user._say("something laid back from the nineties please") for _ in range(20)]
    assert any(line != "something laid back from the nineties please" for line in lines)
    assert user.asr_confidence is not None and user.asr_confidence < 1.0


def test_a_station_is_judged_by_the_music_its_description_promises(world: World) -> None:
    population = load_population("default")
    user = SimulatedUser(world, population, np.random.default_rng(0))
    taste = user.reveal().taste
    feel = "upbeat" if taste.energy >= 0.55 else "laid back"
    genre = taste.genres[0]
    other = next(g for g in world.families if g not in taste.genres)

    def acceptance(description: str) -> float:
        said = [user._judge_station(f"Shall I start a station of {description}?") for _ in range(400)]
        return sum(line in ("yes", "sure", "yes please", "go ahead") for line in said) / len(said)

    fitting = acceptance(f"{feel} {genre}")
    vague = acceptance(f"{feel} music")
    wrong = acceptance(f"{feel} {other}")
    assert fitting > 0.25 > vague >= wrong  # what is not said is not promised
