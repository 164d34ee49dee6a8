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
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.dialogue.actions import Action
from assistant.music.catalog import Track
from learning.listeners import (
    ENERGY_W,
    ERA_W,
    GENRE_W,
    Listener,
    World,
    draw_listener,
)
from learning.phrases import (
    ACCEPT,
    ACCEPT_STRONG,
    ACCEPT_WEAK,
    ACTIVITY_WORDS,
    CALMER,
    DECADE_WORDS,
    DONT_KNOW,
    FILLERS,
    GREETINGS,
    LAID_BACK,
    MORE_UPBEAT,
    NEWER,
    NO,
    NO_PREFERENCE,
    NOTHING_PARTICULAR,
    OLDER,
    QUIT,
    REJECT,
    STOP,
    UPBEAT,
    pick,
)
from learning.population import Population

__all__ = ["ConversationResult", "SimulatedUser", "run_conversation"]

MAX_TURNS = 60
"""A safety stop: no simulated conversation runs longer (the listener says stop)."""


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

    def chance_to_accept(self, track: Track) -> float:
        """Hidden: the chance this listener accepts `track` if it is played next (evaluation only: the
        oracle policy that bounds what any policy could do reads it; the assistant never does)."""
        match = float(self._me.utility[self._world.catalog.index[track.id]])
        a = self._population.acceptance
        threshold = a.threshold - a.satisficing * max(0, self._turns)  # their next reply is turn + 1
        return a.ceiling / (1.0 + math.exp(-(match - threshold) / a.slope))

    def label_fit(self, label: str) -> float:
        """Hidden: how well a genre or subgenre label fits what they want (evaluation only)."""
        return self._label_fit(label)

    # -- speaking ---------------------------------------------------------------------------------
    def opening(self) -> str:
        me, rng = self._me, self._rng
        if me.knowledge.leads and me.knowledge.answers_open:
            return self._say("help me find " + self._something(prefix_some=True))
        return self._say(pick(rng, GREETINGS))

    def respond(self, reply: object) -> str:
        """The listener's next line after hearing a Reply (an assistant.dialogue.manager.Reply)."""
        action: str = reply.action  # type: ignore[attr-defined]
        text: str = reply.text  # type: ignore[attr-defined]
        sample: Track | None = reply.sample  # type: ignore[attr-defined]
        self._turns += 1
        pop = self._population
        if self._turns >= MAX_TURNS:
            return self._say(pick(self._rng, STOP))
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
            return self._say(pick(self._rng, STOP if self._rng.random() < pop.patience.stop_share else QUIT))
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
                words.append(pick(rng, FILLERS))
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
            return pick(rng, DONT_KNOW)
        if action == Action.MOOD_QUESTION:
            if not k.chooses_between_two:
                self._patience -= unanswerable
                return pick(rng, DONT_KNOW)
            if 0.45 <= taste.energy <= 0.6 and rng.random() < 0.5:
                return pick(rng, NO_PREFERENCE)
            return pick(rng, LAID_BACK if taste.energy < 0.525 else UPBEAT)
        if action == Action.GENRE_PAIR:
            options = world.genre_labels_in(text)[-2:]
            fits = [self._label_fit(o) for o in options] if len(options) == 2 else []
            if k.chooses_between_two and fits and max(fits) >= 0.6:
                best = int(np.argmax(fits))
                if best == 0 and rng.random() < 0.2:
                    return pick(rng, ("yes", "yes please", "yes, that one"))
                return pick(rng, ("{} please", "{}", "I'd like {}", "{} sounds good")).format(options[best])
            if k.knows_genre:
                # Someone who knows what they want says so, whatever was offered.
                return pick(rng, ("no, {}", "neither, I want {}", "no, I'd rather have {}")).format(
                    self._my_genre_label()
                )
            if not k.chooses_between_two or not fits:
                self._patience -= unanswerable
                return pick(rng, DONT_KNOW)
            return pick(rng, NO)
        if action == Action.FEEL_AND_GENRE:
            return self._feel_and_genre(text)
        if action == Action.ERA_QUESTION:
            if taste.era is None:
                return pick(rng, NO_PREFERENCE)
            lo = taste.era[0]
            if k.knows_era and lo in DECADE_WORDS:
                return pick(rng, ("from {}", "{} please", "something from {}")).format(
                    pick(rng, DECADE_WORDS[lo])
                )
            return pick(rng, OLDER if lo < 2005 else NEWER)
        if action == Action.ACTIVITY_QUESTION:
            if taste.activity is None:
                return pick(rng, NOTHING_PARTICULAR)
            return pick(rng, ("for {}", "music for {}", "{}")).format(
                pick(rng, ACTIVITY_WORDS[taste.activity])
            )
        if action == Action.ARTIST_SUGGESTION:
            artists = world.artists_in(text)
            if not artists:
                return pick(rng, DONT_KNOW)
            cat = world.catalog
            if artists[-1] not in k.familiar:
                self._patience -= unanswerable
                return pick(rng, ("I don't know them", "no idea who that is", "not sure, I don't know them"))
            ids = world.artist_track_ids[cat.artist_names.index(artists[-1])]
            fit = float(np.sort(me.utility[ids])[-3:].mean())
            if fit >= self._threshold() - 0.05:
                return pick(rng, ("yes", "sure", "yes, like that", "sounds good"))
            if k.names_artist and taste.artist and taste.artist != artists[-1]:
                return f"no, more like {taste.artist}"
            return pick(rng, NO)
        if action == Action.OFFER_STATION:
            return self._judge_station(text)
        return pick(rng, DONT_KNOW)

    def _feel_and_genre(self, text: str) -> str:
        """Both questions at once ("Something laid back, or upbeat? And maybe rock, or jazz?"), each part
        answered exactly as its own question would be (docs/prompts.md): the feel by someone who can
        choose between two (or "no preference" for a middling energy, half the time), the genre by
        choosing an offered one that fits, or by naming their own if they know it. Nothing answerable
        costs what an unanswerable question costs; one turn either way."""
        me, rng, world = self._me, self._rng, self._world
        k, taste = me.knowledge, me.taste
        feel: str | None = None
        if k.chooses_between_two:
            if 0.45 <= taste.energy <= 0.6 and rng.random() < 0.5:
                feel = "no preference"
            else:
                feel = "laid back" if taste.energy < 0.525 else "upbeat"
        options = world.genre_labels_in(text)[-2:]
        fits = [self._label_fit(o) for o in options] if len(options) == 2 else []
        genre: str | None = None
        if k.chooses_between_two and fits and max(fits) >= 0.6:
            genre = options[int(np.argmax(fits))]
        elif k.knows_genre:
            genre = self._my_genre_label()
        if genre is not None and feel in ("laid back", "upbeat"):
            return pick(rng, ("something {f}, {g} please", "{f} {g}", "{g}, something {f}")).format(
                f=feel, g=genre
            )
        if genre is not None:
            return pick(rng, ("{} please", "{}", "I'd like {}")).format(genre)
        if feel == "no preference":
            return pick(rng, NO_PREFERENCE)
        if feel is not None:
            return pick(rng, LAID_BACK if feel == "laid back" else UPBEAT)
        self._patience -= self._population.patience.unanswerable_cost
        return pick(rng, DONT_KNOW)

    def _something(self, prefix_some: bool = False) -> str:
        """Say what they have in mind: one or two of genre, feel, activity, artist they can name."""
        me, rng = self._me, self._rng
        k, taste = me.knowledge, me.taste
        parts: list[str] = []
        if k.names_artist and taste.artist and rng.random() < 0.5:
            return f"something like {taste.artist}"
        if taste.activity is not None and rng.random() < 0.5:
            parts.append("music for " + pick(rng, ACTIVITY_WORDS[taste.activity]))
        feel = None
        if taste.energy < 0.4:
            feel = pick(rng, ("laid back", "chill", "calm", "mellow"))
        elif taste.energy > 0.65:
            feel = pick(rng, ("upbeat", "energetic", "lively"))
        if k.knows_genre:
            genre = self._my_genre_label()
            if feel and rng.random() < 0.5:
                parts.insert(0, f"{'some ' if prefix_some else ''}{feel} {genre}")
            else:
                parts.insert(0, f"{'some ' if prefix_some else ''}{genre}")
        elif feel:
            parts.insert(0, f"something {feel}")
        if not parts:
            parts.append(f"something {pick(rng, ('nice', 'good'))}")
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
            return pick(self._rng, ACCEPT_STRONG)
        return pick(self._rng, ACCEPT if match >= 0.75 else ACCEPT_WEAK)

    def _reject_line(self, track: Track) -> str:
        me, rng, _world = self._me, self._rng, self._world
        taste = me.taste
        if rng.random() >= me.knowledge.steers:
            return pick(rng, REJECT)
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
            return pick(rng, REJECT)
        _, kind = max(misses)
        if kind == "genre":
            return pick(
                rng, ("no, I want {}", "I'd prefer {}", "something more like {}", "no, {} please")
            ).format(self._my_genre_label())
        if kind == "calmer":
            return pick(rng, CALMER)
        if kind == "upbeat":
            return pick(rng, MORE_UPBEAT)
        return pick(rng, OLDER if kind == "older" else NEWER)

    def _judge_station(self, text: str) -> str:
        """A station is judged by the music its description promises: a person hears "a station of upbeat
        rock" and imagines upbeat rock, so the chance follows the mean match of the catalogue tracks that
        fit the description (what is not said is not promised), times the willingness to take a station."""
        rng = self._rng
        described = self._world.described_tracks(text)
        expected = float(self._me.utility[described].mean()) if described.size else 0.0
        if rng.random() < self._population.acceptance.station * self._p_accept(expected):
            return pick(rng, ("yes", "sure", "yes please", "go ahead"))
        return pick(rng, NO)

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
