"""Rule and lexicon understanding: the fallback when the trained model is unavailable, and its baseline.

Every lexicon phrase, catalogue artist and title competes for spans of the utterance; the longest match
wins (so "house party" is an activity, not the genre house) and ties go to the more specific kind. The
act follows from which act phrases survive, with a fixed precedence; sentiment is graded from a word
list with negation, capitals, "!", elongation and intensifiers, because those carry how strongly
somebody feels ("YES!" > "yes").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from nlu.context import in_context
from nlu.language import without_foreign_names
from nlu.lexicon import (
    ACT_PHRASES,
    INTENSIFIERS,
    LEXICAL_KINDS,
    NEGATORS,
    SENTIMENT_WORDS,
    is_genre_word,
    normalize,
    surface_index,
)
from nlu.linking import EntityLinker
from nlu.meaning import Act, Slot, Understanding
from nlu.names import could_be_in_a_name, is_not_a_name, split_names
from nlu.negation import with_negation
from nlu.numbers import spoken_years
from nlu.turns import in_conversation
from nlu.values import after_too, spell_decades

__all__ = ["MAX_CHARS", "STRONG_CUES", "RuleUnderstanding", "sentiment_score"]


MAX_CHARS = 1000
"""Longer input is cut: nobody asks for music in more words, and matching cost grows with length."""

# When two acts' phrases both survive, the first in this list wins.
ACT_PRECEDENCE: tuple[Act, ...] = (
    Act.GIVE_UP,
    Act.STOP,
    Act.SKIP,
    Act.REQUEST_ALTERNATIVE,
    Act.REJECT,
    Act.ACCEPT,
    Act.DONT_KNOW,
    Act.HELP,
    Act.GREET,
)
# Ties between equally long spans: more specific kinds first.
KIND_PRIORITY = {
    "track": 0,
    "artist": 1,
    "genre": 2,
    "era": 3,
    "tempo": 4,
    "mood": 5,
    "activity": 6,
    "vocals": 7,
    "popularity": 8,
    "theme": 9,
    "act": 10,
}

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "some",
        "something",
        "anything",
        "me",
        "my",
        "i",
        "i'm",
        "im",
        "you",
        "your",
        "it",
        "its",
        "it's",
        "is",
        "are",
        "was",
        "be",
        "to",
        "of",
        "for",
        "in",
        "on",
        "at",
        "with",
        "and",
        "or",
        "but",
        "so",
        "please",
        "can",
        "could",
        "would",
        "will",
        "just",
        "like",
        "that",
        "this",
        "those",
        "these",
        "more",
        "less",
        "some",
        "very",
        "really",
        "music",
        "songs",
        "song",
        "tracks",
        "track",
        "stuff",
        "play",
        "put",
        "give",
        "find",
        "want",
        "need",
        "let's",
        "lets",
        "get",
        "maybe",
        "kind",
        "sort",
        "of",
        "um",
        "uh",
        "er",
        "hmm",
        "well",
        "okay",
        "ok",
        "oh",
        "actually",
        "think",
        "prefer",
        "would",
        "love",
    ]
)


def _name_after(cues: str) -> re.Pattern[str]:
    """A name after one of `cues`, up to a word that starts something else ("... from the 80s") or the end."""
    return re.compile(
        r"(?:\b(?:" + cues + r")\s+)(?P<name>[^,.!?;]+?)"
        r"(?=\s+(?:please|from|in the|on|with|but|and then|or|for|if|because|maybe|right now|instead)\b"
        r"|[,.!?;]|$)",
        re.IGNORECASE,
    )


# Cues that name an artist whatever follows ("something like X", "by X"); bare "like", "from" and "into" also
# introduce moods, eras and things ("I like the beat"), so only the rules' own overlap resolution, where a
# lexicon phrase wins over a cued name, can use them.
STRONG_CUES = (
    r"sounds? like|similar to|in the style of|something like|stuff like|music like|songs like"
    r"|by|fan of|more of"
)
_ARTIST_CUE = _name_after(STRONG_CUES + r"|like|from|into")
_STRONG_ARTIST_CUE = _name_after(STRONG_CUES)
_PLAY_BY = re.compile(
    r"\b(?:play|hear|put on|listen to)\s+(?:the\s+)?(?:(?:song|track|tune)\s+)?(?P<track>[^,.!?;]+?)\s+by\s+"
    r"(?P<artist>[^,.!?;]+?)\s*(?:[,.!?;]|$)",
    re.IGNORECASE,
)
# "put on some pink floyd", "play bob marley playlist", "open songs from daft punk": a command whose object
# is a name. Whatever it holds is checked like any cued name (not a lexicon phrase, not only common words).
_COMMAND_NAME = re.compile(
    r"^\W*(?:(?:please|just|ok(?:ay)?|now|hey|so|can you|could you|would you|um+|uh+)\W+)*"
    r"(?:play|put on|queue up|listen to|open|start)\s+(?:me\s+)?(?:some\s+|a\s+|more\s+|any\s+)?"
    r"(?:(?:songs?|music|tracks?|stuff)\s+(?:by|from)\s+)?"
    r"(?P<name>[^,.!?;]+?)"
    r"(?:\s+(?:playlist|radio|mix|songs|music|please|now|on [\w ]+))*\W*$",
    re.IGNORECASE,
)
# Words a name after a command cannot hold: they start something else ("play X by Y", "like X").
_NOT_IN_COMMAND_NAME = frozenset(
    ["by", "from", "into", "feat", "featuring", "like", "for", "with", "in", "on"]
)
_NAME_JOINERS = frozenset(["the", "and", "of", "&", "n", "de", "la", "le", "los", "el"])
_YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-2]\d)\b")
_BPM = re.compile(r"\b(?P<bpm>\d{2,3})\s*(?:bpm|beats per minute|beats a minute)\b", re.IGNORECASE)
MAX_SCAN_TOKENS = 60


@lru_cache(maxsize=1)
def _lexical_forms() -> frozenset[str]:
    return frozenset(form for kind in LEXICAL_KINDS for form in surface_index(kind))


@lru_cache(maxsize=1)
def _common_phrases() -> frozenset[str]:
    """Everyday words and phrases that must not be read as a name without a cue."""
    acts = {normalize(form) for forms in ACT_PHRASES.values() for form in forms}
    return frozenset(acts | _lexical_forms() | STOPWORDS | set(SENTIMENT_WORDS))


_ELONGATED = re.compile(r"([a-z])\1{2,}", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


_SOFT_STOPS = frozenset({"no more", "enough", "that's enough", "later", "end", "close", "exit"})


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    value: str
    confidence: float = 0.92
    linked: bool = False

    @property
    def length(self) -> int:
        return self.end - self.start


def _phrase_pattern(forms: list[str]) -> re.Pattern[str]:
    parts = sorted({normalize(f) for f in forms if normalize(f)}, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)
    return re.compile(rf"(?<![\w'&])(?:{body})(?![\w'&])")


def _match_text(text: str) -> str:
    """Lower-case copy of the same length, with punctuation blanked, so spans index the original text."""
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    if len(lowered) != len(text):  # a few Unicode lower-casings change length; fall back to ASCII-safe
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return re.sub(r"[^\w&'\- ]", " ", lowered)


def sentiment_score(text: str) -> float:
    """Graded sentiment in [-1, 1] from words plus typographic intensity."""
    words = normalize(text)
    if not words:
        return 0.0
    padded = f" {words} "
    scores: list[float] = []
    for phrase, value in sorted(SENTIMENT_WORDS.items(), key=lambda kv: -len(kv[0])):
        for match in re.finditer(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", padded):
            before = padded[max(0, match.start() - 14) : match.start()].split()
            negated = any(n in before[-2:] for n in NEGATORS)
            scores.append(-0.7 * value if negated else value)
            padded = padded[: match.start()] + " " * len(phrase) + padded[match.end() :]
    elongated = bool(_ELONGATED.search(text))
    if not scores:
        if elongated:
            # "yesss", "nooo": the stretched word itself is the feeling.
            return sentiment_score(_ELONGATED.sub(r"\1", text)) * 1.2
        return 0.0
    strongest = max(scores, key=abs)
    same_sign = [s for s in scores if s * strongest > 0 and s is not strongest]
    raw = strongest + 0.18 * min(2, len(same_sign)) * (1 if strongest > 0 else -1)
    letters = [c for c in text if c.isalpha()]
    upper_ratio = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    intensity = 1.0
    if upper_ratio > 0.6 and len(letters) >= 2:
        intensity += 0.5
    intensity += min(3, text.count("!")) * 0.18
    if elongated:
        intensity += 0.25
    if any(f" {w} " in f" {words} " for w in INTENSIFIERS):
        intensity += 0.25
    value = raw * intensity
    # Squash smoothly so extreme wording approaches but never reaches the bounds.
    squashed = max(-1.0, min(1.0, value / (1.0 + 0.35 * abs(value)) * 1.25))
    return round(squashed, 4)


class RuleUnderstanding:
    """Understands text with the lexicons and fuzzy catalogue matching. Never raises."""

    name = "rules"

    def __init__(self, linker: EntityLinker | None = None) -> None:
        self.linker = linker or EntityLinker()

    @cached_property
    def _patterns(self) -> list[tuple[str, re.Pattern[str], dict[str, str]]]:
        tables: list[tuple[str, dict[str, str]]] = []
        for kind in LEXICAL_KINDS:
            index = dict(surface_index(kind))
            if kind == "genre":
                # Catalogue labels the lexicon does not know are still genres the person can ask for.
                for label in (*self.linker.genres, *self.linker.subgenres):
                    index.setdefault(normalize(label), label)
            tables.append((kind, index))
        acts = {normalize(form): act for act, forms in ACT_PHRASES.items() for form in forms}
        tables.append(("act", acts))
        return [(kind, _phrase_pattern(list(index)), index) for kind, index in tables]

    def understand(self, text: str) -> Understanding:
        try:
            u = with_negation(text, without_foreign_names(text, self._understand(text)))
            return in_conversation(text, in_context(text, u))
        except Exception as exc:
            return Understanding(
                Act.UNCLEAR, confidence=0.0, source=self.name, extras={"error": 1.0 if exc else 0}
            )

    def _understand(self, text: str) -> Understanding:
        text = spell_decades((text or "")[:MAX_CHARS])
        if not text.strip():
            return Understanding(Act.UNCLEAR, confidence=0.0, source=self.name)
        letters = _LETTER.findall(text)
        if letters and sum(c.isascii() for c in letters) / len(letters) < 0.5:
            # Another script entirely: nothing here can be understood reliably.
            return Understanding(Act.UNCLEAR, confidence=0.05, source=self.name)
        haystack = _match_text(text)
        spans = self._candidate_spans(text, haystack)
        chosen = self._resolve_overlaps(spans)
        act_spans = [s for s in chosen if s.kind == "act"]
        slot_spans = [s for s in chosen if s.kind != "act"]
        act = self._decide_act(haystack, act_spans, slot_spans)
        if act is Act.UNCLEAR and _ELONGATED.search(text):
            # "yesss", "nooo": the stretched word is a known one said with feeling.
            plain = self._understand(_ELONGATED.sub(r"\1", text))
            return Understanding(plain.act, plain.slots, sentiment_score(text), plain.confidence, self.name)
        slots = tuple(
            Slot(
                s.kind,
                after_too(s.kind, s.value, text[: s.start]),
                s.start,
                s.end,
                round(s.confidence, 3),
                s.linked,
            )
            for s in sorted(slot_spans, key=lambda s: s.start)
        )
        confidence = self._confidence(haystack, chosen, act)
        return Understanding(act, slots, sentiment_score(text), confidence, self.name)

    def _candidate_spans(self, text: str, haystack: str) -> list[_Span]:
        spans: list[_Span] = []
        for kind, pattern, index in self._patterns:
            for m in pattern.finditer(haystack):
                surface = re.sub(r"\s+", " ", m.group(0))
                spans.append(_Span(m.start(), m.end(), kind, index.get(surface, surface)))
        for m in _YEAR.finditer(haystack):
            spans.append(_Span(m.start(), m.end(), "era", f"{int(m.group(0)) // 10 * 10}s"))
        for m in _BPM.finditer(haystack):
            spans.append(_Span(m.start(), m.end(), "tempo", m.group("bpm")))
        for start, end, decade in spoken_years(haystack):
            spans.append(_Span(start, end, "era", decade, 0.9))
        spans.extend(self._entity_spans(text, haystack))
        return spans

    def _entity_spans(self, text: str, haystack: str) -> list[_Span]:
        spans: list[_Span] = []
        # Names sit near the start of a request; capping the scan bounds the cost of very long input.
        tokens = [(m.start(), m.end()) for m in re.finditer(r"[\w&'\-]+", haystack)][:MAX_SCAN_TOKENS]
        # Scan word windows for catalogue names; exact keys are cheap, fuzzy ones only for long windows.
        if self.linker.artists or self.linker.titles:
            for i in range(len(tokens)):
                for j in range(i + 1, min(len(tokens), i + 5) + 1):
                    start, end = tokens[i][0], tokens[j - 1][1]
                    window = haystack[start:end]
                    words = window.split()
                    if all(w in STOPWORDS for w in words) or is_not_a_name(window):
                        continue  # "they are perfect" is not the band THEY.
                    threshold = 0.86 if len(window) >= 6 else 1.0
                    if normalize(window) in _common_phrases():
                        # "yes" is a band too, but unprompted it means yes; cues ("like Yes") still link.
                        continue
                    link = (
                        self.linker.link_artist(window, threshold=threshold) if self.linker.artists else None
                    )
                    if link:
                        spans.append(_Span(start, end, "artist", link.value, 0.95 * link.score, True))
                    if len(words) >= 2 and self.linker.titles:
                        title = self.linker.link_title(window, threshold=0.93)
                        if title:
                            spans.append(_Span(start, end, "track", title.value, 0.9 * title.score, True))
        return spans + self._cued_spans(text, haystack, _ARTIST_CUE, commands=True)

    def _cued_spans(
        self, text: str, haystack: str, artist_cue: re.Pattern[str], commands: bool = False
    ) -> list[_Span]:
        """Names after "X by Y" and after `artist_cue`; with `commands`, the object of a command to play."""
        spans: list[_Span] = []
        for m in _PLAY_BY.finditer(haystack):
            spans.extend(self._cue_span(text, m.start("track"), m.end("track"), "track"))
            spans.extend(self._cue_span(text, m.start("artist"), m.end("artist"), "artist"))
        for m in artist_cue.finditer(haystack):
            spans.extend(self._cue_span(text, m.start("name"), m.end("name"), "artist"))
        if commands:
            spans.extend(self._command_name(text, haystack))
        return spans

    def _command_name(self, text: str, haystack: str, genre_ending: bool = False) -> list[_Span]:
        """ "put on some pink floyd": the object of a command to play, when it can only be a name (no
        lexicon phrase, no common word but a joining one, at most four words). With `genre_ending`, the
        last word may be a genre word after words that are not ("open songs from daft punk")."""
        m = _COMMAND_NAME.match(haystack)
        if m is None:
            return []
        words = normalize(m.group("name")).split()
        common = _common_phrases()
        if not words or len(words) > 4 or any(w in _NOT_IN_COMMAND_NAME for w in words):
            return []
        checked = words[:-1] if genre_ending and len(words) > 1 and is_genre_word(words[-1]) else words
        if words[0] in _NAME_JOINERS - {"the"}:
            return []
        if not all(could_be_in_a_name(w) or w in _NAME_JOINERS for w in words):
            return []
        if any(w in common and w not in _NAME_JOINERS for w in checked):
            return []
        if any(spoken_years(m.group("name"))) or any(w.isdigit() for w in words):
            return []
        if checked is not words:
            raw = text[m.start("name") : m.end("name")]
            return [_Span(m.start("name"), m.end("name"), "artist", raw.strip(), 0.6, False)]
        return self._cue_span(text, m.start("name"), m.end("name"), "artist")

    def command_names(self, text: str, genre_ending: bool = False) -> list[Slot]:
        """Names that are the object of a command to play ("put on some pink floyd"), for the model to
        complete a name it found only a word of in text without capitals."""
        text = spell_decades((text or "")[:MAX_CHARS])
        return [
            Slot(s.kind, s.value, s.start, s.end, round(s.confidence, 3), s.linked)
            for s in self._command_name(text, _match_text(text), genre_ending)
        ]

    def cued_names(self, text: str) -> list[Slot]:
        """Artist and track names introduced by an unmistakable cue ("something like X", "X by Y"), for a
        component that found none itself (the model, with a name it has never seen). Unknown names are
        kept as heard (linked=False)."""
        text = spell_decades((text or "")[:MAX_CHARS])
        spans = self._cued_spans(text, _match_text(text), _STRONG_ARTIST_CUE)
        return [
            Slot(s.kind, s.value, s.start, s.end, round(s.confidence, 3), s.linked)
            for s in self._resolve_overlaps(spans)
        ]

    def _cue_span(self, text: str, start: int, end: int, kind: str) -> list[_Span]:
        """Names after "like"/"by" ("like X and Y" is two): each linked when the catalogue has it, else kept
        as heard (an unknown artist)."""
        linker = self.linker.link_artist if kind == "artist" else self.linker.link_title
        spans = []
        for a, b in split_names(text[start:end], lambda name: linker(name, threshold=0.8) is not None):
            raw = text[start + a : start + b]
            words = normalize(raw).split()
            lexical = _lexical_forms()
            content = [w for w in words if w not in STOPWORDS and w not in lexical and not w.isdigit()]
            if not content or normalize(raw) in lexical or len(words) > 6 or words[0] == "to":
                continue  # "I would like to listen to ...": "like" was a verb
            said = raw[4:] if raw.lower().startswith("the ") else raw
            if any((s, e) == (0, len(said)) for s, e, _ in spoken_years(said)):
                continue  # "from two thousand ten" is a year, not a name
            link = linker(raw, threshold=0.8)
            if link:
                spans.append(_Span(start + a, start + b, kind, link.value, 0.9 * link.score + 0.05, True))
            else:
                spans.append(_Span(start + a, start + b, kind, raw, 0.6, False))
        return spans

    @staticmethod
    def _resolve_overlaps(spans: list[_Span]) -> list[_Span]:
        ranked = sorted(spans, key=lambda s: (-s.length, KIND_PRIORITY[s.kind], -s.confidence, s.start))
        taken: list[_Span] = []
        for span in ranked:
            if all(span.end <= t.start or span.start >= t.end for t in taken):
                taken.append(span)
        return sorted(taken, key=lambda s: s.start)

    @staticmethod
    def _decide_act(haystack: str, acts: list[_Span], slots: list[_Span]) -> Act:
        found: set[Act] = set()
        for span in acts:
            before = haystack[max(0, span.start - 12) : span.start].split()
            act = Act(span.value)
            if act in (Act.STOP, Act.SKIP) and before and before[-1] in NEGATORS:
                continue  # "don't stop", "don't skip": keep going
            if act is Act.STOP and slots and " ".join(haystack[span.start : span.end].split()) in _SOFT_STOPS:
                # "no, more hip hop", "close to jazz", "the end of the eighties": these words end a
                # session only when said on their own; next to music they steer it.
                continue
            found.add(act)
        if not found:
            return Act.INFORM if slots else Act.UNCLEAR
        act = next(a for a in ACT_PRECEDENCE if a in found)
        if slots and act in (Act.DONT_KNOW, Act.GREET, Act.HELP):
            return Act.INFORM
        if slots and act is Act.ACCEPT and re.search(r"\b(but|though|except|only)\b", haystack):
            # "yes but older": a refinement, not an acceptance of what is playing.
            return Act.REQUEST_ALTERNATIVE
        return act

    @staticmethod
    def _confidence(haystack: str, chosen: list[_Span], act: Act) -> float:
        if act is Act.UNCLEAR:
            return 0.2 if haystack.split() else 0.0
        words = haystack.split()
        content = [w for w in words if w not in STOPWORDS]
        covered = sum(len(haystack[s.start : s.end].split()) for s in chosen)
        coverage = min(1.0, covered / max(1, len(content)))
        slot_conf = min((s.confidence for s in chosen if s.kind != "act"), default=0.95)
        return round(min(0.97, (0.5 + 0.45 * coverage) * (0.6 + 0.4 * slot_conf)), 3)
