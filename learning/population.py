"""A population of simulated listeners, described by a JSON file so new populations need no code.

A file holds six groups of numbers (taste, knowledge, patience, acceptance, noise, history); every field has a
default, so a file names only what differs. Unknown keys, wrong types and out-of-range values are
rejected with a message naming the file, the field and the allowed range.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = [
    "POPULATIONS",
    "Acceptance",
    "History",
    "Knowledge",
    "Noise",
    "Patience",
    "Population",
    "PopulationError",
    "Taste",
    "load_population",
]

POPULATIONS = Path(__file__).resolve().parents[1] / "assets" / "populations"
"""Shipped populations: default.json, impatient.json, knows_little.json, experts.json."""


class PopulationError(ValueError):
    """A population file that cannot be used; the message names the file, the field and the problem."""


@dataclass(frozen=True)
class Taste:
    """How the hidden taste of the moment is drawn."""

    from_long_term: float = 0.7
    """Chance the wanted genre comes from the listener's long-term favourites rather than anywhere."""
    n_long_term_genres: int = 3
    """How many favourite genres a listener has."""
    second_genre: float = 0.3
    """Chance a second genre would also do."""
    subgenre_specific: float = 0.4
    """Chance only one subgenre of the wanted genre will do (the rest of the family fits less)."""
    energy_tolerance: float = 0.16
    """Typical distance in energy (0..1) a listener still finds fine."""
    era_preference: float = 0.35
    """Chance the listener wants music from a particular period."""
    activity: float = 0.4
    """Chance the music is for an activity (workout, focus, ...), which then sets the energy."""


@dataclass(frozen=True)
class Knowledge:
    """What a listener can say about the hidden taste (each a chance, drawn per listener)."""

    answers_open: float = 0.35
    """Can answer "Do you have anything in mind?" with something concrete."""
    leads: float = 0.15
    """Opens the conversation with a request of their own ("play some upbeat rock")."""
    knows_genre: float = 0.5
    """Can name the genre they want (when asked, or when turning a sample down)."""
    names_artist: float = 0.2
    """Can name an artist they like that fits the moment."""
    chooses_between_two: float = 0.9
    """Can choose between two offered options (laid back or upbeat; two genres)."""
    knows_era: float = 0.6
    """Among those with a period in mind, can say which."""
    steers: float = 0.45
    """Chance a rejection comes with a direction ("no, older", "something more upbeat")."""
    knows_artists: float = 0.4
    """Chance a listener has heard of a given artist (more for popular ones, less for obscure ones);
    an artist suggestion can only be judged by someone who knows the artist."""


@dataclass(frozen=True)
class Patience:
    """How long a listener keeps going: a budget spent one unit a turn, faster on misses."""

    mean: float = 9.0
    sd: float = 3.0
    minimum: float = 3.0
    miss_cost: float = 0.6
    """Extra patience lost when a sample misses."""
    unanswerable_cost: float = 0.6
    """Extra patience lost when asked something they cannot answer."""
    misunderstood_cost: float = 0.8
    """Extra patience lost when the assistant did not understand or asked for confirmation."""
    stop_share: float = 0.3
    """When patience runs out, the share who say "stop" rather than "forget it"."""


@dataclass(frozen=True)
class Acceptance:
    """How a sample is judged: P(accept) = ceiling * sigmoid((match - threshold) / slope)."""

    threshold: float = 0.72
    slope: float = 0.06
    ceiling: float = 0.95
    satisficing: float = 0.04
    """How much the threshold drops per turn as the listener tires of searching."""
    station: float = 0.5
    """Willingness to take a station instead of hearing samples: P(accept a station) = station * P(accept
    a sample that matches as well as the music the station's description promises does on average)."""


@dataclass(frozen=True)
class Noise:
    """Misunderstanding noise on the way in, like speech recognition errors."""

    word_error: float = 0.0
    """Chance each word is dropped or replaced."""


@dataclass(frozen=True)
class History:
    """Listening history the assistant can read (with the listener's consent, as with `--user`), drawn
    from the listener's long-term taste by assistant.taste.synthetic's generator."""

    share: float = 0.8
    """Chance a listener has a listening history; the published system's users were mostly long-time
    streaming customers. 0 turns histories off."""
    sessions: float = 10.0
    """Median number of listening sessions in a history (about 14 plays each, some skipped early)."""
    sessions_spread: float = 0.6
    """Log-normal spread of the number of sessions (0.6: a tenth of histories have under 5 sessions,
    a tenth over 21)."""


@dataclass(frozen=True)
class Population:
    """A seeded population of simulated listeners."""

    name: str = "default"
    description: str = ""
    taste: Taste = field(default_factory=Taste)
    knowledge: Knowledge = field(default_factory=Knowledge)
    patience: Patience = field(default_factory=Patience)
    acceptance: Acceptance = field(default_factory=Acceptance)
    noise: Noise = field(default_factory=Noise)
    history: History = field(default_factory=History)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for group in _GROUPS:
            value = getattr(self, group)
            out[group] = {f.name: getattr(value, f.name) for f in fields(value)}
        return out


_GROUPS: dict[str, type] = {
    "taste": Taste,
    "knowledge": Knowledge,
    "patience": Patience,
    "acceptance": Acceptance,
    "noise": Noise,
    "history": History,
}
# Allowed ranges; fields not listed are chances in [0, 1].
_RANGES: dict[str, tuple[float, float]] = {
    "taste.n_long_term_genres": (1, 10),
    "taste.energy_tolerance": (0.02, 1.0),
    "patience.mean": (1.0, 200.0),
    "patience.sd": (0.0, 100.0),
    "patience.minimum": (1.0, 200.0),
    "patience.miss_cost": (0.0, 10.0),
    "patience.unanswerable_cost": (0.0, 10.0),
    "patience.misunderstood_cost": (0.0, 10.0),
    "acceptance.slope": (0.001, 1.0),
    "acceptance.satisficing": (0.0, 0.5),
    "noise.word_error": (0.0, 0.5),
    "history.sessions": (1.0, 200.0),
    "history.sessions_spread": (0.0, 2.0),
}


def _group(source: str, name: str, cls: type, raw: object) -> Any:
    if not isinstance(raw, dict):
        raise PopulationError(f"{source}: {name} must be an object of numbers, got {type(raw).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise PopulationError(
            f"{source}: unknown field(s) {', '.join(f'{name}.{k}' for k in unknown)}; "
            f"{name} takes {', '.join(known)}"
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"{name}.{key}"
        low, high = _RANGES.get(path, (0.0, 1.0))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PopulationError(f"{source}: {path} must be a number in {low}..{high}, got {value!r}")
        if not low <= float(value) <= high:
            raise PopulationError(f"{source}: {path} must be in {low}..{high}, got {value}")
        if known[key].type in ("int", int):
            if float(value) != int(value):
                raise PopulationError(f"{source}: {path} must be a whole number, got {value}")
            values[key] = int(value)
        else:
            values[key] = float(value)
    return cls(**values)


def population_from_dict(data: object, source: str = "population") -> Population:
    """Validate a decoded population document."""
    if not isinstance(data, dict):
        raise PopulationError(f"{source}: a population file holds one JSON object, got {type(data).__name__}")
    allowed = {"name", "description", *_GROUPS}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PopulationError(
            f"{source}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name.strip():
        raise PopulationError(f"{source}: name must be a non-empty string, got {name!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise PopulationError(f"{source}: description must be a string")
    groups = {g: _group(source, g, cls, data.get(g, {})) for g, cls in _GROUPS.items()}
    population = Population(name=name, description=description, **groups)
    if population.patience.minimum > population.patience.mean:
        raise PopulationError(
            f"{source}: patience.minimum ({population.patience.minimum}) exceeds patience.mean "
            f"({population.patience.mean})"
        )
    return population


def load_population(path: str | Path | None = None) -> Population:
    """Load a population file; None or a bare name ("impatient") means a shipped one."""
    if path is None:
        path = POPULATIONS / "default.json"
    path = Path(path)
    if not path.suffix and not path.exists() and (POPULATIONS / f"{path.name}.json").exists():
        path = POPULATIONS / f"{path.name}.json"
    if not path.exists():
        shipped = ", ".join(sorted(p.stem for p in POPULATIONS.glob("*.json")))
        raise PopulationError(f"{path}: no such population file (shipped populations: {shipped})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PopulationError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    except OSError as exc:
        raise PopulationError(f"{path}: cannot read: {exc.strerror}") from exc
    return population_from_dict(data, str(path))
