"""Simulated listeners: a hidden taste of the moment, partial knowledge of it, patience, and text replies.

RecSim's rule: what the listener wants (the hidden state) is kept apart from what the assistant observes.
The assistant sees only the text a listener says, which goes through the real understanding path; the
listener sees only the assistant's Reply (its words, the prompt type, the sample it plays). The hidden
state is readable through `SimulatedUser.reveal()`, for evaluation and tests, never by the assistant.

How a listener is drawn (all from one seeded generator, the numbers from a Population file):
- long-term taste: a few favourite genres, weighted;
- taste of the moment: a genre from the favourites (or, with the rest of the chance, any genre), perhaps
  a second genre, perhaps one subgenre only; an energy target drawn from the music of that genre (or set
  by an activity); perhaps a period; an artist who fits it;
- knowledge: whether they can answer an open question, name the genre, name an artist, choose between
  two options, name the period; whether a rejection comes with a direction;
- patience: a budget spent one unit a turn, faster on misses, unanswerable questions and repairs.
A sample is accepted with probability ceiling * sigmoid((match - threshold) / slope), where match
weighs genre 0.5, energy 0.35 and period 0.15, and the threshold drops a little each turn (people settle).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.dialogue.actions import Action
from assistant.learning.population import Population
from assistant.music.catalog import Catalog, Track
from assistant.music.constraints import ACTIVITY_SAID
from nlu.lexicon import ACTIVITIES, ACTIVITY_PROFILE, GENRE_PARENT
from nlu.linking import EntityLinker
from nlu.meaning import Understander, Understanding
from nlu.rules import RuleUnderstanding

__all__ = [
    "CachedUnderstander",
    "ConversationResult",
    "HiddenTaste",
    "Knowledge",
    "Listener",
    "SimulatedUser",
    "World",
    "draw_listener",
    "run_conversation",
]

GENRE_W, ENERGY_W, ERA_W = 0.5, 0.35, 0.15
MAX_TURNS = 60
"""A safety stop: no simulated conversation runs longer (the listener says stop)."""


# -- phrases --------------------------------------------------------------------------------------
GREETINGS = (
    "help me find music",
    "hi",
    "find me some music",
    "I need some music",
    "recommend something",
    "hey, help me find something to listen to",
    "play some music",
    "help me find some music",
)
DONT_KNOW = ("I don't know", "not sure", "no idea", "hmm, not sure", "surprise me", "dunno", "I'm not sure")
NO_PREFERENCE = ("doesn't matter", "I don't mind", "no preference", "anything is fine", "either is fine")
NOTHING_PARTICULAR = ("nothing in particular", "no, nothing specific", "not in particular")
LAID_BACK = ("something laid back", "laid back", "chill please", "something calm", "mellow", "relaxed please")
UPBEAT = ("something upbeat", "upbeat", "upbeat please", "energetic", "something lively", "high energy")
MORE_UPBEAT = ("something more upbeat", "more energy please", "livelier", "no, something more energetic")
CALMER = (
    "calmer",
    "something more chill",
    "too loud",
    "softer please",
    "no, something calmer",
    "more relaxed",
)
OLDER = ("older", "something older", "no, older", "older please", "more old school")
NEWER = ("newer", "something more recent", "more recent please", "no, newer")
ACCEPT_WEAK = ("hmm, ok", "ok", "fine", "alright")
ACCEPT = ("yes", "I like it", "that's good", "yes please", "sounds good", "yeah")
ACCEPT_STRONG = ("YES!", "I love it", "Brilliant, I love it", "perfect", "love it!", "that's the one")
REJECT = ("no", "nope", "not that", "not for me", "skip", "next", "something else", "nah", "not feeling it")
NO = ("no", "not really", "no thanks", "nah")
QUIT = ("forget it", "never mind", "this isn't working", "I give up")
STOP = ("stop", "bye", "I'm done", "that's enough")
DECADE_WORDS = {
    1950: ("the fifties", "the 50s"),
    1960: ("the sixties", "the 60s"),
    1970: ("the seventies", "the 70s"),
    1980: ("the eighties", "the 80s"),
    1990: ("the nineties", "the 90s"),
    2000: ("the 2000s", "the noughties"),
    2010: ("the 2010s", "the twenty tens"),
    2020: ("the 2020s", "this decade"),
}
SIMULATED_ACTIVITIES = (
    "commute",
    "cooking",
    "dinner",
    "focus",
    "party",
    "relax",
    "running",
    "sleep",
    "workout",
)
"""What simulated listeners may be doing: fixed when the populations were written, so an activity the
understanding learns later (hiking: "outdoors") does not change who the simulated listeners are."""
ACTIVITY_WORDS = {a: tuple(ACTIVITIES[a][:3]) for a in SIMULATED_ACTIVITIES}
FILLERS = ("uh", "um", "the", "a", "and", "so", "oh")
# How the assistant words energy when it describes a station (assistant.music.constraints.describe).
_FEEL_WORDS = {"laid back": 0.28, "upbeat": 0.82, "mid-tempo": 0.5}
# A station's activity as assistant.music.constraints.describe words it ("for the commute").
_ACTIVITY_OF_SAID = {said: activity for activity, said in ACTIVITY_SAID.items()}
_ACTIVITY_SAID_RE = re.compile(
    r"\bfor (" + "|".join(re.escape(s) for s in sorted(_ACTIVITY_OF_SAID, key=len, reverse=True)) + r")\b"
)


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _described_era(lowered: str) -> tuple[int, int] | None:
    decade = re.search(r"from the (\d{4})s", lowered)
    if decade:
        return int(decade.group(1)), int(decade.group(1)) + 9
    before = re.search(r"from before (\d{4})", lowered)
    if before:
        return 1900, int(before.group(1)) - 1
    after = re.search(r"from after (\d{4})", lowered)
    if after:
        return int(after.group(1)) + 1, 2100
    return None


# -- the world: catalogue facts the listener can hear and judge ------------------------------------
class World:
    """What listeners know about the catalogue: genre families, subgenres, artists. Built once, shared."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        cat = catalog
        self.family_of_subgenre = {t.subgenre: t.genre for t in cat.tracks}
        self.families = tuple(sorted({t.genre for t in cat.tracks}))
        self.family_ids = np.array([self.families.index(t.genre) for t in cat.tracks], dtype=np.int32)
        self.family_size = np.bincount(self.family_ids, minlength=len(self.families)).astype(float)
        self.subgenre_names = cat.subgenre_names
        self.subgenres_of = {
            f: sorted({t.subgenre for t in cat.tracks if t.genre == f}) for f in self.families
        }
        self.artist_track_ids = [np.flatnonzero(cat.artist_ids == a) for a in range(len(cat.artist_names))]
        width = max(len(ids) for ids in self.artist_track_ids)
        self.artist_matrix = np.full((len(self.artist_track_ids), width), len(cat), dtype=np.int64)
        """Track indices of each artist, padded with len(catalog) (an index past the end)."""
        for a, ids in enumerate(self.artist_track_ids):
            self.artist_matrix[a, : len(ids)] = ids
        popularity = np.array([cat.popularity[ids].mean() for ids in self.artist_track_ids]) / 100.0
        self.artist_reach = np.clip(0.5 + (popularity - popularity.mean()), 0.05, 0.95)
        """How widely each artist is known, around 0.5 (scaled by a population's knows_artists)."""
        labels = sorted({*self.families, *cat.subgenre_names}, key=len, reverse=True)
        self._label_re = re.compile(
            r"(?<![\w&'-])(" + "|".join(re.escape(x) for x in labels) + r")(?![\w&'-])"
        )
        artists = sorted(cat.artist_names, key=len, reverse=True)
        self._artist_re = re.compile("|".join(re.escape(a) for a in artists)) if artists else None
        self.hearing = CachedUnderstander(RuleUnderstanding(EntityLinker.for_catalog(catalog)))
        """How a listener recalls what they themselves said (to answer "did I get that right?")."""

    def artist_fit(self, utility: np.ndarray) -> np.ndarray:
        """Per artist, the mean match of their three best-matching tracks."""
        padded = np.append(utility, -np.inf)[self.artist_matrix]
        top = -np.sort(-padded, axis=1)[:, :3]
        counts = np.isfinite(top).sum(axis=1)
        return np.where(np.isfinite(top), top, 0.0).sum(axis=1) / np.maximum(counts, 1)

    @lru_cache(maxsize=4096)  # noqa: B019 - one world per catalogue, lives as long as the run
    def genre_labels_in(self, text: str) -> tuple[str, ...]:
        """Genre and subgenre names mentioned in an assistant's words, in order."""
        return tuple(m.group(1) for m in self._label_re.finditer(text.lower()))

    @lru_cache(maxsize=4096)  # noqa: B019
    def described_tracks(self, text: str) -> np.ndarray:
        """Indices of the tracks a station description promises ("upbeat rock for workout from the 1990s",
        "music like <artist>"): genre, feel, activity, artist and period as worded by
        assistant.music.constraints.describe; the last mention wins (an acknowledgement may come first)."""
        cat = self.catalog
        lowered = text.lower()
        keep = np.ones(len(cat), dtype=bool)
        labels = self.genre_labels_in(text)
        if labels:
            label = labels[-1]
            if label in self.families:
                keep &= self.family_ids == self.families.index(label)
            elif label in cat.subgenre_names:
                keep &= cat.subgenre_ids == cat.subgenre_names.index(label)
        feel = max(_FEEL_WORDS, key=lowered.rfind)
        energy = _FEEL_WORDS[feel] if feel in lowered else None
        activity = _ACTIVITY_SAID_RE.search(lowered)
        if activity:
            energy = ACTIVITY_PROFILE[_ACTIVITY_OF_SAID[activity.group(1)]][0] if energy is None else energy
        artists = self.artists_in(text)
        if artists:
            mine = self.artist_track_ids[cat.artist_names.index(artists[-1])]
            keep &= np.isin(self.family_ids, self.family_ids[mine])
            energy = float(cat.energy[mine].mean()) if energy is None else energy
        if energy is not None:
            keep &= np.abs(cat.energy - energy) <= 0.2
        era = _described_era(lowered)
        if era is not None:
            keep &= (cat.year >= era[0]) & (cat.year <= era[1])
        return np.flatnonzero(keep)

    @lru_cache(maxsize=4096)  # noqa: B019
    def artists_in(self, text: str) -> tuple[str, ...]:
        return tuple(m.group(0) for m in self._artist_re.finditer(text)) if self._artist_re else ()

    def family(self, label: str) -> str | None:
        if label in self.families:
            return label
        if label in self.family_of_subgenre:
            return self.family_of_subgenre[label]
        parent = GENRE_PARENT.get(label)
        return parent if parent in self.families else None


# -- the hidden state -----------------------------------------------------------------------------
@dataclass(frozen=True)
class HiddenTaste:
    """What the listener wants right now. Never shown to the assistant."""

    genres: tuple[str, ...]
    """Genre families that would do."""
    subgenre: str | None
    """When set, only this subgenre of the first genre really fits (the rest of the family fits less)."""
    energy: float
    energy_tolerance: float
    era: tuple[int, int] | None
    activity: str | None
    artist: str | None
    """An artist who fits the moment (named only by listeners who know one)."""
    long_term: tuple[str, ...]
    long_term_weights: tuple[float, ...] = ()
    """How much each long-term favourite counts (sums to 1); listening histories are drawn from these."""


@dataclass(frozen=True)
class Knowledge:
    """What this listener can put into words."""

    answers_open: bool
    leads: bool
    knows_genre: bool
    names_artist: bool
    chooses_between_two: bool
    knows_era: bool
    steers: float
    familiar: frozenset[str]
    """Artists this listener has heard of: only these can be judged when suggested or named."""


@dataclass(frozen=True)
class Listener:
    """One simulated person: hidden taste, knowledge, patience budget, acceptance."""

    taste: HiddenTaste
    knowledge: Knowledge
    patience: float
    utility: np.ndarray
    """How well every catalogue track matches the taste of the moment, in [0, 1]."""


def _utility(world: World, taste: HiddenTaste) -> np.ndarray:
    cat = world.catalog
    wanted = np.isin(world.family_ids, [world.families.index(g) for g in taste.genres])
    genre_fit = wanted.astype(float)
    if taste.subgenre is not None:
        first = world.family_ids == world.families.index(taste.genres[0])
        exact = cat.subgenre_ids == cat.subgenre_names.index(taste.subgenre)
        genre_fit = np.where(first & ~exact, 0.6, genre_fit)
    # A track also listed under a wanted genre (multi-genre catalogues) fits nearly as well.
    listed = [cat.genre_names.index(g) for g in taste.genres if g in cat.genre_names]
    if listed:
        genre_fit = np.maximum(genre_fit, 0.8 * cat.multi_genre[:, listed].any(axis=1))
    energy_fit = np.exp(-0.5 * ((cat.energy - taste.energy) / taste.energy_tolerance) ** 2)
    if taste.era is None:
        era_fit = np.ones(len(cat))
    else:
        lo, hi = taste.era
        distance = np.maximum(lo - cat.year, 0) + np.maximum(cat.year - hi, 0)
        era_fit = np.exp(-distance / 5.0)
    u = GENRE_W * genre_fit + ENERGY_W * energy_fit + ERA_W * era_fit
    if taste.artist is not None:
        u = np.where(cat.artist_ids == cat.artist_names.index(taste.artist), np.minimum(1.0, u + 0.08), u)
    return u


def draw_listener(world: World, population: Population, rng: np.random.Generator) -> Listener:
    """Draw one listener: long-term taste, the taste of the moment, knowledge and patience."""
    cat = world.catalog
    t, k, p = population.taste, population.knowledge, population.patience
    n_fav = min(t.n_long_term_genres, len(world.families))
    share = world.family_size / world.family_size.sum()
    favourites = rng.choice(len(world.families), size=n_fav, replace=False, p=share)
    weights = rng.dirichlet(np.ones(n_fav))
    long_term = tuple(world.families[i] for i in favourites)

    def any_genre() -> str:
        if rng.random() < t.from_long_term:
            return long_term[int(rng.choice(n_fav, p=weights))]
        return world.families[int(rng.integers(len(world.families)))]

    activity = None
    if rng.random() < t.activity:
        activity = _pick(rng, SIMULATED_ACTIVITIES)
    genre = any_genre()
    if activity is not None:
        fitting = [g for g in ACTIVITY_PROFILE[activity][3] if world.family(g) is not None]
        if fitting and rng.random() < 0.6:
            genre = world.family(_pick(rng, fitting)) or genre
    genres = [genre]
    if rng.random() < t.second_genre:
        other = any_genre()
        if other not in genres:
            genres.append(other)
    members = np.flatnonzero(world.family_ids == world.families.index(genre))
    subgenre = None
    if rng.random() < t.subgenre_specific and len(world.subgenres_of[genre]) > 1:
        subgenre = _pick(rng, world.subgenres_of[genre])
        members = members[cat.subgenre_ids[members] == cat.subgenre_names.index(subgenre)]
    # The energy wanted is that of some music of the genre (what people want exists), or the activity's.
    anchor = int(rng.choice(members))
    if activity is not None:
        energy = ACTIVITY_PROFILE[activity][0] + rng.normal(0, 0.05)
    else:
        energy = cat.energy[anchor] + rng.normal(0, 0.05)
    energy = float(np.clip(energy, 0.03, 0.97))
    tolerance = float(np.clip(rng.normal(t.energy_tolerance, 0.03), 0.06, 0.5))
    era = None
    if rng.random() < t.era_preference:
        decade = int(cat.year[int(rng.choice(members))]) // 10 * 10
        era = (decade, decade + 9)
    knowledge = Knowledge(
        answers_open=bool(rng.random() < k.answers_open),
        leads=bool(rng.random() < k.leads),
        knows_genre=bool(rng.random() < k.knows_genre),
        names_artist=bool(rng.random() < k.names_artist),
        chooses_between_two=bool(rng.random() < k.chooses_between_two),
        knows_era=bool(rng.random() < k.knows_era),
        steers=k.steers,
        familiar=frozenset(
            np.asarray(cat.artist_names)[
                rng.random(len(cat.artist_names)) < world.artist_reach * k.knows_artists / 0.5
            ]
        ),
    )
    lt_weights = tuple(float(w) for w in weights)
    draft = HiddenTaste(
        tuple(genres), subgenre, energy, tolerance, era, activity, None, long_term, lt_weights
    )
    utility = _utility(world, draft)
    # The artist they could name is the one they know whose music fits the moment best.
    known_ids = [cat.artist_names.index(a) for a in knowledge.familiar]
    best_artist = None
    if known_ids:
        fits = world.artist_fit(utility)[known_ids]
        best_artist = cat.artist_names[known_ids[int(np.argmax(fits))]]
    taste = HiddenTaste(
        tuple(genres), subgenre, energy, tolerance, era, activity, best_artist, long_term, lt_weights
    )
    patience = max(p.minimum, float(rng.normal(p.mean, p.sd)))
    return Listener(taste, knowledge, patience, _utility(world, taste))


# -- understanding cache --------------------------------------------------------------------------
class CachedUnderstander:
    """Understanding memoized by text: simulated phrases repeat, and understanding is deterministic."""

    def __init__(self, inner: Understander, max_size: int = 200_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.linker = getattr(inner, "linker", None)
        self._cache: dict[str, Understanding] = {}
        self._max = max_size
        self.hits = 0
        self.misses = 0

    def understand(self, text: str) -> Understanding:
        found = self._cache.get(text)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        result = self.inner.understand(text)
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[text] = result
        return result


# -- the listener in a conversation ---------------------------------------------------------------
class SimulatedUser:
    """Reacts to each Reply with a line of text. The hidden state stays inside; see reveal()."""

    def __init__(
        self, world: World, population: Population, rng: np.random.Generator, listener: Listener | None = None
    ) -> None:
        self._world = world
        self._population = population
        self._rng = rng
        self._me = listener or draw_listener(world, population, rng)
        self._patience = self._me.patience
        self._turns = 0
        self._last_clean = ""
        self._last_prompt: str | None = None
        self._asked_open = False
        self.asr_confidence: float | None = None
        """The recognition confidence of the last line said (None without noise: typed input)."""

    def reveal(self) -> Listener:
        """The hidden state, for evaluation and tests. The assistant never calls this."""
        return self._me

    # -- speaking ---------------------------------------------------------------------------------
    def opening(self) -> str:
        me, rng = self._me, self._rng
        if me.knowledge.leads and me.knowledge.answers_open:
            return self._say("help me find " + self._something(prefix_some=True))
        return self._say(_pick(rng, GREETINGS))

    def respond(self, reply: object) -> str:
        """The listener's next line after hearing a Reply (an assistant.dialogue.manager.Reply)."""
        action: str = reply.action  # type: ignore[attr-defined]
        text: str = reply.text  # type: ignore[attr-defined]
        sample: Track | None = reply.sample  # type: ignore[attr-defined]
        self._turns += 1
        pop = self._population
        if self._turns >= MAX_TURNS:
            return self._say(_pick(self._rng, STOP))
        if action == Action.PLAY_SAMPLE and sample is not None:
            line = self._judge_sample(sample)
            if line is not None:
                return self._say(line)
            self._patience -= pop.patience.miss_cost
            line = self._reject_line(sample)
        elif action in ("repeat", "confirm"):
            self._patience -= pop.patience.misunderstood_cost
            line = self._confirm_line(text) if action == "confirm" else self._last_clean
        else:
            self._last_prompt = action
            line = self._answer(action, text)
        self._patience -= 1.0
        if self._patience <= 0:
            return self._say(_pick(self._rng, STOP if self._rng.random() < pop.patience.stop_share else QUIT))
        return self._say(line)

    def _say(self, clean: str) -> str:
        """Remember what was meant; pass it through the noisy channel."""
        self._last_clean = clean
        rate = self._population.noise.word_error
        if rate <= 0:
            self.asr_confidence = None
            return clean
        rng = self._rng
        words, errors = [], 0
        for word in clean.split():
            r = rng.random()
            if r < rate / 2:
                errors += 1  # dropped
            elif r < rate:
                errors += 1
                words.append(_pick(rng, FILLERS))
            else:
                words.append(word)
        self.asr_confidence = float(np.clip(rng.normal(0.9, 0.05) - 0.25 * errors, 0.05, 1.0))
        return " ".join(words)

    # -- answering prompts ------------------------------------------------------------------------
    def _answer(self, action: str, text: str) -> str:
        me, rng, world = self._me, self._rng, self._world
        k = me.knowledge
        taste = me.taste
        unanswerable = self._population.patience.unanswerable_cost
        if action == Action.OPEN_QUESTION:
            if k.answers_open:
                return self._something()
            self._patience -= unanswerable
            return _pick(rng, DONT_KNOW)
        if action == Action.MOOD_QUESTION:
            if not k.chooses_between_two:
                self._patience -= unanswerable
                return _pick(rng, DONT_KNOW)
            if 0.45 <= taste.energy <= 0.6 and rng.random() < 0.5:
                return _pick(rng, NO_PREFERENCE)
            return _pick(rng, LAID_BACK if taste.energy < 0.525 else UPBEAT)
        if action == Action.GENRE_PAIR:
            options = world.genre_labels_in(text)[-2:]
            fits = [self._label_fit(o) for o in options] if len(options) == 2 else []
            if k.chooses_between_two and fits and max(fits) >= 0.6:
                best = int(np.argmax(fits))
                if best == 0 and rng.random() < 0.2:
                    return _pick(rng, ("yes", "yes please", "yes, that one"))
                return _pick(rng, ("{} please", "{}", "I'd like {}", "{} sounds good")).format(options[best])
            if k.knows_genre:
                # Someone who knows what they want says so, whatever was offered.
                return _pick(rng, ("no, {}", "neither, I want {}", "no, I'd rather have {}")).format(
                    self._my_genre_label()
                )
            if not k.chooses_between_two or not fits:
                self._patience -= unanswerable
                return _pick(rng, DONT_KNOW)
            return _pick(rng, NO)
        if action == Action.ERA_QUESTION:
            if taste.era is None:
                return _pick(rng, NO_PREFERENCE)
            lo = taste.era[0]
            if k.knows_era and lo in DECADE_WORDS:
                return _pick(rng, ("from {}", "{} please", "something from {}")).format(
                    _pick(rng, DECADE_WORDS[lo])
                )
            return _pick(rng, OLDER if lo < 2005 else NEWER)
        if action == Action.ACTIVITY_QUESTION:
            if taste.activity is None:
                return _pick(rng, NOTHING_PARTICULAR)
            return _pick(rng, ("for {}", "music for {}", "{}")).format(
                _pick(rng, ACTIVITY_WORDS[taste.activity])
            )
        if action == Action.ARTIST_SUGGESTION:
            artists = world.artists_in(text)
            if not artists:
                return _pick(rng, DONT_KNOW)
            cat = world.catalog
            if artists[-1] not in k.familiar:
                self._patience -= unanswerable
                return _pick(rng, ("I don't know them", "no idea who that is", "not sure, I don't know them"))
            ids = world.artist_track_ids[cat.artist_names.index(artists[-1])]
            fit = float(np.sort(me.utility[ids])[-3:].mean())
            if fit >= self._threshold() - 0.05:
                return _pick(rng, ("yes", "sure", "yes, like that", "sounds good"))
            if k.names_artist and taste.artist and taste.artist != artists[-1]:
                return f"no, more like {taste.artist}"
            return _pick(rng, NO)
        if action == Action.OFFER_STATION:
            return self._judge_station(text)
        return _pick(rng, DONT_KNOW)

    def _something(self, prefix_some: bool = False) -> str:
        """Say what they have in mind: one or two of genre, feel, activity, artist they can name."""
        me, rng = self._me, self._rng
        k, taste = me.knowledge, me.taste
        parts: list[str] = []
        if k.names_artist and taste.artist and rng.random() < 0.5:
            return f"something like {taste.artist}"
        if taste.activity is not None and rng.random() < 0.5:
            parts.append("music for " + _pick(rng, ACTIVITY_WORDS[taste.activity]))
        feel = None
        if taste.energy < 0.4:
            feel = _pick(rng, ("laid back", "chill", "calm", "mellow"))
        elif taste.energy > 0.65:
            feel = _pick(rng, ("upbeat", "energetic", "lively"))
        if k.knows_genre:
            genre = self._my_genre_label()
            if feel and rng.random() < 0.5:
                parts.insert(0, f"{'some ' if prefix_some else ''}{feel} {genre}")
            else:
                parts.insert(0, f"{'some ' if prefix_some else ''}{genre}")
        elif feel:
            parts.insert(0, f"something {feel}")
        if not parts:
            parts.append(f"something {_pick(rng, ('nice', 'good'))}")
        return " ".join(parts[:2]) if len(parts) == 1 else f"{parts[0]}, {parts[1]}"

    def _my_genre_label(self) -> str:
        taste = self._me.taste
        return taste.subgenre if taste.subgenre is not None else taste.genres[0]

    def _label_fit(self, label: str) -> float:
        taste = self._me.taste
        family = self._world.family(label)
        if family is None or family not in taste.genres:
            return 0.0
        is_subgenre = label in self._world.family_of_subgenre and label not in self._world.families
        picky = taste.subgenre is not None and family == taste.genres[0]
        if is_subgenre and picky and label != taste.subgenre:
            return 0.6
        return 1.0

    # -- judging music ----------------------------------------------------------------------------
    def _threshold(self) -> float:
        a = self._population.acceptance
        return a.threshold - a.satisficing * max(0, self._turns - 1)

    def _p_accept(self, match: float) -> float:
        a = self._population.acceptance
        return a.ceiling / (1.0 + math.exp(-(match - self._threshold()) / a.slope))

    def _judge_sample(self, track: Track) -> str | None:
        """An acceptance line, or None when the sample misses."""
        match = float(self._me.utility[self._world.catalog.index[track.id]])
        if self._rng.random() >= self._p_accept(match):
            return None
        if match >= 0.9:
            return _pick(self._rng, ACCEPT_STRONG)
        return _pick(self._rng, ACCEPT if match >= 0.75 else ACCEPT_WEAK)

    def _reject_line(self, track: Track) -> str:
        me, rng, _world = self._me, self._rng, self._world
        taste = me.taste
        if rng.random() >= me.knowledge.steers:
            return _pick(rng, REJECT)
        # Steer along the dimension that misses most.
        misses: list[tuple[float, str]] = []
        if (
            track.genre not in taste.genres
            or (
                taste.subgenre is not None
                and track.genre == taste.genres[0]
                and track.subgenre != taste.subgenre
            )
        ) and me.knowledge.knows_genre:
            misses.append((GENRE_W, "genre"))
        gap = track.energy - taste.energy
        if abs(gap) > taste.energy_tolerance:
            misses.append((ENERGY_W * min(1.0, abs(gap) / 0.4) + 0.05, "calmer" if gap > 0 else "upbeat"))
        if taste.era is not None and not taste.era[0] <= track.year <= taste.era[1]:
            misses.append((ERA_W + 0.1, "older" if track.year > taste.era[1] else "newer"))
        if not misses:
            return _pick(rng, REJECT)
        _, kind = max(misses)
        if kind == "genre":
            return _pick(
                rng, ("no, I want {}", "I'd prefer {}", "something more like {}", "no, {} please")
            ).format(self._my_genre_label())
        if kind == "calmer":
            return _pick(rng, CALMER)
        if kind == "upbeat":
            return _pick(rng, MORE_UPBEAT)
        return _pick(rng, OLDER if kind == "older" else NEWER)

    def _judge_station(self, text: str) -> str:
        """A station is judged by the music its description promises: a person hears "a station of upbeat
        rock" and imagines upbeat rock, so the chance follows the mean match of the catalogue tracks that
        fit the description (what is not said is not promised), times the willingness to take a station."""
        rng = self._rng
        described = self._world.described_tracks(text)
        expected = float(self._me.utility[described].mean()) if described.size else 0.0
        if rng.random() < self._population.acceptance.station * self._p_accept(expected):
            return _pick(rng, ("yes", "sure", "yes please", "go ahead"))
        return _pick(rng, NO)

    def _confirm_line(self, text: str) -> str:
        """Yes when the assistant repeats back what was meant, else no."""
        meant = self._world.hearing.understand(self._last_clean)
        values = {s.value.replace("_", " ").lower() for s in meant.slots}
        heard = text.split(", did I get that right?")[0].lower()
        named = [v.strip() for v in heard.split(" and ") if v.strip()]
        return "yes" if named and all(v in values for v in named) else "no"


# -- running a conversation -----------------------------------------------------------------------
@dataclass(frozen=True)
class ConversationResult:
    status: str
    turns: int
    """User turns taken."""
    track_id: str | None
    actions: tuple[str, ...]
    """Prompt types the assistant chose, in order."""
    satisfied: float | None
    """The hidden match of the accepted track (None when nothing was accepted): ground truth for tests."""


def run_conversation(
    manager: object, user: SimulatedUser, on_reply: Callable[[object], None] | None = None
) -> ConversationResult:
    """Talk until the conversation ends. Only text crosses from user to assistant."""
    step = manager.step  # type: ignore[attr-defined]
    actions: list[str] = []
    text = user.opening()
    turns = 0
    while True:
        turns += 1
        reply = step(text, asr_confidence=user.asr_confidence)
        if on_reply is not None:
            on_reply(reply)
        if reply.action in {a.value for a in Action}:
            actions.append(reply.action)
        if reply.done:
            break
        text = user.respond(reply)
    track = reply.sample
    satisfied = None
    if track is not None and reply.status == "accepted":
        satisfied = float(user.reveal().utility[manager.catalog.index[track.id]])  # type: ignore[attr-defined]
    return ConversationResult(reply.status, turns, track.id if track else None, tuple(actions), satisfied)
