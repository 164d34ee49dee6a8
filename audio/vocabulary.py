"""The recognizer vocabulary: what people say to a music recommender, built from the catalogue and word lists.

Both engines use it: Vosk restricts its search to these words (a grammar), pocketsphinx gets a small
domain language model trained on sentences made from them. Word lists are parameters so the NLU lexicons
feed the recognizer the same vocabulary the understanding uses; DEFAULT_PHRASES is a self-contained
starting list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "DEFAULT_PHRASES",
    "TEMPLATES",
    "TurnEnds",
    "Vocabulary",
    "build_vocabulary",
    "catalog_phrases",
    "spoken_form",
]

# Category -> surface phrases. A small, complete-enough list of its own; the NLU lexicons are richer.
DEFAULT_PHRASES: dict[str, tuple[str, ...]] = {
    category: tuple(p.strip() for p in text.split(",") if p.strip())
    for category, text in {
        "command": """help me find music, help me find some music, find me some music, play some music, hi,
            hello, yes, yeah, yes please, sure, okay, i love it, i like it, love it, play it, perfect, great,
            brilliant, that's right, correct, no, nope, no thanks, not really, i don't like it, not that,
            not for me, skip, skip it, next, next one, something else, another one, something different,
            i don't know, no idea, anything, surprise me, you choose, help, what can i say, repeat, stop,
            quit, goodbye, forget it, i give up, never mind""",
        # Turns the understanding reads as choices and sample questions (nlu/references.py,
        # nlu/sample_talk.py): without them in the vocabulary, "the second one" cannot be heard at all.
        "reference": """the first one, the second one, the third one, the last one, the first, the second,
            the latter, the former, what is this, who is this, what song is this, what's this called,
            who sings this, what's playing, go back, go back to the previous one, the previous one,
            the previous one was better, play the last one again""",
        "genre": """rock, alternative rock, indie rock, classic rock, hard rock, pop, dance pop, indie pop,
            synth pop, electronic, house, techno, ambient, drum and bass, hip hop, rap, trap, r and b, soul,
            funk, jazz, smooth jazz, bebop, classical, baroque, folk, country, metal, reggae, latin, blues,
            punk, edm, lo fi""",
        "mood": """upbeat, laid back, chill, relaxed, calm, mellow, energetic, lively, happy, sad, dark,
            cheerful, more upbeat, more laid back, quieter, louder, slow, fast""",
        "activity": "workout, running, studying, focus, party, sleep, dinner, driving, cooking",
        "era": """the fifties, the sixties, the seventies, the eighties, the nineties, the two thousands,
            older, newer, recent, old school""",
    }.items()
}

# Sentence templates per category, for the language model corpus. "{x}" is one phrase of the category.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "command": ("{x}",),
    "genre": (
        "{x}",
        "some {x}",
        "{x} please",
        "i want {x}",
        "play some {x}",
        "how about {x}",
        "maybe {x}",
        "{x} music",
        "something {x}",
        "i like {x}",
        "more {x}",
        # What is not wanted (nlu/negation.py): without these a recognizer hears "no more punk" as "motown".
        "no more {x}",
        "no {x} please",
        "i don't like {x}",
        "not into {x}",
        "anything but {x}",
    ),
    "mood": (
        "{x}",
        "something {x}",
        "more {x}",
        "something more {x}",
        "i want something {x}",
        "{x} please",
        "something a bit more {x}",
        "yes {x}",
        "nothing {x}",
        "not {x}",
    ),
    "artist": (
        "{x}",
        "play {x}",
        "something like {x}",
        "play something like {x}",
        "music like {x}",
        "i like {x}",
        "how about {x}",
        "songs by {x}",
        "some {x}",
        "i don't like {x}",
        "not into {x}",
    ),
    "title": ("{x}", "play {x}"),
    "activity": (
        "{x}",
        "music for {x}",
        "something for {x}",
        "for {x}",
        "music for the {x}",
        "for a {x}",
        "something for a {x}",
    ),
    "era": ("{x}", "from the {x}", "something from the {x}", "music from the {x}", "{x} stuff"),
    "tempo": ("{x}", "something {x}", "a bit {x}"),
}

_SYMBOLS = {"&": " and ", "+": " plus ", "@": " at "}
_SPACE = re.compile(r"\s+")


def spoken_form(phrase: str) -> str:
    """A written phrase as recognizers spell words: lower case, letters (any script), apostrophes.

    "R&B" -> "r and b", "lo-fi" -> "lo fi", "Guns N' Roses" -> "guns n roses". Tokens with digits are
    dropped (recognizers spell numbers out; the lexicons list "nineties" for "90s").
    """
    text = phrase.lower().replace("’", "'")
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    tokens = [t for t in re.split(r"[\s\-_/.,:;!?()\"]+", text) if t and not any(ch.isdigit() for ch in t)]
    text = "".join(ch if (ch.isalpha() or ch in "' ") else " " for ch in " ".join(tokens))
    words = [w.strip("'") for w in _SPACE.sub(" ", text).strip().split(" ")]
    return " ".join(w for w in words if w)


def catalog_phrases(
    catalog: object, *, titles: bool = False, max_artists: int = 1500
) -> dict[str, tuple[str, ...]]:
    """Artists and genres (and, if asked, titles) of a catalogue (assistant.music.catalog.Catalog).

    A large catalogue keeps its `max_artists` most popular artists: a recognizer vocabulary of ten
    thousand names makes every short word sound like some band."""
    tracks = getattr(catalog, "tracks", ())
    popularity: dict[str, float] = {}
    for track in tracks:
        popularity[track.artist] = popularity.get(track.artist, 0.0) + float(track.popularity)
    artists = sorted(popularity, key=lambda a: (-popularity[a], a))[:max_artists]
    out: dict[str, tuple[str, ...]] = {
        "artist": tuple(sorted(artists)),
        "genre": tuple(getattr(catalog, "genre_names", ())) + tuple(getattr(catalog, "subgenre_names", ())),
    }
    if titles:
        chosen = set(artists)
        out["title"] = tuple(sorted({t.title for t in tracks if t.artist in chosen}))
    return out


@dataclass(frozen=True)
class Vocabulary:
    """Phrases by category, in spoken form, and the words they use."""

    phrases: Mapping[str, tuple[str, ...]]
    core: frozenset[str] = frozenset()
    """The everyday phrases ("help me find music", "yes", "rock"): weighted up in the language model so a
    rare lexicon entry ("delta blues") does not outvote them."""

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(sorted({w for group in self.phrases.values() for p in group for w in p.split()}))

    def words_of(self, categories: Iterable[str]) -> tuple[str, ...]:
        wanted = set(categories)
        return tuple(
            sorted({w for c, group in self.phrases.items() if c in wanted for p in group for w in p.split()})
        )

    def sentences(self, *, combinations: int = 12, core_weight: int = 8) -> list[str]:
        """A training corpus for a domain language model: every phrase in its category's templates and a
        few mood+genre combinations ("laid back jazz"); every word is in some sentence.
        Sentences made from core phrases appear `core_weight` times (the counts are the model)."""
        out: list[str] = []
        seen: set[str] = set()

        def add(sentence: str, times: int = 1) -> None:
            if sentence and sentence not in seen:
                seen.add(sentence)
                out.extend([sentence] * times)

        for category, group in self.phrases.items():
            for phrase in group:
                times = core_weight if phrase in self.core else 1
                for template in TEMPLATES.get(category, ("{x}",)):
                    add(template.format(x=phrase), times)
        moods = self.phrases.get("mood", ())[:combinations]
        genres = self.phrases.get("genre", ())[: combinations * 2]
        for mood in moods:
            for genre in genres:
                add(f"something {mood} {genre}" if " " not in mood else f"{mood} {genre}")
        return out


def build_vocabulary(
    *sources: Mapping[str, Iterable[str]], core: Mapping[str, Iterable[str]] | None = None
) -> Vocabulary:
    """Merge phrase lists by category (e.g. DEFAULT_PHRASES, catalog_phrases(catalog), NLU lexicons), in
    spoken form, deduplicated, order kept. With no sources, DEFAULT_PHRASES alone. `core` (default
    DEFAULT_PHRASES) names the everyday phrases the language model should favour."""
    merged: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}
    for source in sources or (DEFAULT_PHRASES,):
        for category, phrases in source.items():
            bucket = merged.setdefault(category, [])
            known = seen.setdefault(category, set())
            for phrase in phrases:
                spoken = spoken_form(phrase)
                if spoken and spoken not in known:
                    known.add(spoken)
                    bucket.append(spoken)
    core_phrases = frozenset(
        spoken_form(p) for group in (DEFAULT_PHRASES if core is None else core).values() for p in group
    )
    return Vocabulary({k: tuple(v) for k, v in merged.items() if v}, core_phrases)


@dataclass(frozen=True)
class TurnEnds:
    """How likely a request is finished after its last words, from the recognizer's own sentence corpus.

    "something upbeat" usually is; "play something like" never is. The listener uses it to answer after a
    short pause when the words so far make a whole request, and to wait longer when they do not."""

    after_two: Mapping[tuple[str, str], tuple[int, int]]
    """(last two words) -> (sentences ending there, occurrences)."""
    after_one: Mapping[str, tuple[int, int]]
    min_count: int = 3
    """Fewer occurrences than this and the two-word context backs off to the last word."""

    @classmethod
    def from_sentences(cls, sentences: Iterable[str]) -> TurnEnds:
        two: dict[tuple[str, str], list[int]] = {}
        one: dict[str, list[int]] = {}
        for sentence in sentences:
            words = sentence.split()
            for i, word in enumerate(words):
                last = i == len(words) - 1
                a = one.setdefault(word, [0, 0])
                a[0] += last
                a[1] += 1
                if i:
                    b = two.setdefault((words[i - 1], word), [0, 0])
                    b[0] += last
                    b[1] += 1
        return cls({k: (v[0], v[1]) for k, v in two.items()}, {k: (v[0], v[1]) for k, v in one.items()})

    @classmethod
    def for_vocabulary(cls, vocabulary: Vocabulary) -> TurnEnds:
        """Built once per vocabulary (0.4 s for the demo catalogue's), then shared by every listener."""
        cached = _TURN_ENDS.get(id(vocabulary))
        if cached is None or cached[0] is not vocabulary:
            if len(_TURN_ENDS) >= 8:
                _TURN_ENDS.clear()
            cached = (vocabulary, cls.from_sentences(vocabulary.sentences()))
            _TURN_ENDS[id(vocabulary)] = cached
        return cached[1]

    def probability(self, text: str) -> float:
        """P(the request ends here | its last words); 0.5 for words the corpus never saw (no opinion)."""
        words = text.split()
        if not words:
            return 0.0
        if len(words) >= 2:
            ends, total = self.after_two.get((words[-2], words[-1]), (0, 0))
            if total >= self.min_count:
                return ends / total
        ends, total = self.after_one.get(words[-1], (0, 0))
        return ends / total if total else 0.5

    def can_end(self, text: str, at_least: float = 0.01) -> bool:
        """Whether requests in the corpus end on these words at all. The corpus is template expansions,
        so a word that also starts many phrases ("yes" before every mood) ends few of its sentences even
        though "yes" alone is a whole answer; what tells is that they end there at all, while "like",
        "some", "the" or "for a" end none."""
        return self.probability(text) >= at_least


_TURN_ENDS: dict[int, tuple[Vocabulary, TurnEnds]] = {}
