"""The trained understanding: frozen MiniLM + heads for act, BIO slots and sentiment, with lexicon values.

The model decides what act a turn performs, where attributes are said and how strongly it is felt; the
lexicon and the catalogue linker (nlu/values.py) turn spans into the normalized values the dialogue manager
consumes. Loading is lazy: the first `understand` loads heads and encoder. If that fails (missing or corrupt
weights, no ONNX Runtime), one line goes to stderr and every turn is answered by the rule understanding.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from nlu.context import in_context
from nlu.encoder import EncodedText, EncoderError, MiniLMEncoder
from nlu.features import (
    Gazetteer,
    GazetteerHit,
    clean_text,
    token_features,
    utterance_features,
)
from nlu.heads import (
    ACTS,
    DEFAULT_WEIGHTS,
    TAGS,
    Heads,
    HeadsError,
    token_inputs,
    utterance_inputs,
)
from nlu.language import without_foreign_names
from nlu.lexicon import GENRE_MODIFIERS, is_genre_word
from nlu.linking import EntityLinker
from nlu.meaning import Act, Slot, Understanding
from nlu.names import after_possessive, could_be_in_a_name, split_names
from nlu.negation import with_negation
from nlu.numbers import with_spoken_years
from nlu.rules import STRONG_CUES, RuleUnderstanding
from nlu.turns import in_conversation
from nlu.values import Value, after_too, normalize_value

__all__ = ["ModelUnderstanding", "decode_spans", "repair_names"]

_TagSpan = tuple[int, int, str, float]
"""(start, end, slot name, tag confidence) of a tagged span."""

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
UNCLEAR_CONFIDENCE = 0.15
# Cues after which only a name can follow ("something like X"); bare "like" also introduces feels.
_STRONG_CUE_BEFORE = re.compile(rf"\b(?:{STRONG_CUES})\s+(?:the\s+)?$", re.IGNORECASE)
_NAME_ENDS = re.compile(r"\s*(?:[,.!?;]|please\b|$)", re.IGNORECASE)
_BARE_FILLER = re.compile(r"\b(?:i'?m|i am|just|um+|uh+|well|so|oh|ok(?:ay)?|please|really|mostly)\b|[^\w\s]")
BARE_PHRASE_CONFIDENCE = 0.8
"""How sure a turn that is one lexicon phrase ("working", "sleep") is, read by the lexicon."""
UNCLEAR_OVER_NAMES = 0.6
"""An act head this sure a turn is no request keeps it unclear though the tagger found unknown names."""
COMMAND_NAME_ALONE = True
"""In text without capitals, the object of a command to play that can only be a name is taken as one even
when the tagger found nothing ("play bob marley playlist")."""
MIN_SLOT_CONFIDENCE = 0.35
"""Spans the tagger is less sure of than this are dropped rather than passed on as guesses."""


_NAME_LABELS = (TAGS.index("artist"), TAGS.index("track"))
EXTEND_BELOW = 0.3
"""A word next to a span joins it when its probability for that slot is at least this (hysteresis)."""


def decode_spans(text: str, encoded: EncodedText, probs: np.ndarray) -> list[tuple[int, int, str, float]]:
    """(start, end, slot, confidence) character spans from per-piece slot probabilities.

    Pieces are pooled per word; a word whose most likely label is a slot seeds a span, and neighbours join
    it while their probability for that slot stays above EXTEND_BELOW, so a long unknown name is not cut
    in two by one uncertain word ("Paulinho Da Viola").
    """
    words: list[tuple[int, int, np.ndarray]] = []
    for t, (start, end) in enumerate(encoded.offsets):
        if end <= start:
            continue
        if words and encoded.tokens[t].startswith("##") and start == words[-1][1]:
            first, _, total = words[-1]
            words[-1] = (first, end, total + probs[t])
        else:
            words.append((start, end, probs[t].copy()))
    dists = [total / total.sum() for _, _, total in words]
    labels = [int(np.argmax(d)) for d in dists]
    spans: list[tuple[int, int, str, float]] = []
    i = 0
    floor = 0
    # No span may reach back into words already decided (a previous span or its trimmed tail).
    while i < len(words):
        label = labels[i]
        if label == 0:
            i += 1
            continue
        first = last = i
        group = _NAME_LABELS if label in _NAME_LABELS else (label,)
        while last + 1 < len(words) and (
            labels[last + 1] in group or (labels[last + 1] == 0 and dists[last + 1][label] >= EXTEND_BELOW)
        ):
            last += 1
        if label in _NAME_LABELS:
            # Artist and title words side by side are one name, of whichever kind the words lean to.
            mass = sum(dists[k] for k in range(first, last + 1))
            label = max(_NAME_LABELS, key=lambda name: mass[name])
        while first > floor and labels[first - 1] == 0 and dists[first - 1][label] >= EXTEND_BELOW:
            first -= 1
        scanned = last
        # A joined word at either end that is only punctuation stays outside the span.
        while last > first and not _wordlike(text, words[last]):
            last -= 1
        while first < last and not _wordlike(text, words[first]):
            first += 1
        if _wordlike(text, words[first]):
            confidence = float(np.mean([dists[k][label] for k in range(first, last + 1)]))
            spans.append((words[first][0], words[last][1], TAGS[label], confidence))
        # Always move past everything scanned, so no word is looked at twice.
        i = floor = scanned + 1
    return _extend_to_words(text, spans)


def _wordlike(text: str, word: tuple[int, int, np.ndarray]) -> bool:
    return any(c.isalnum() for c in text[word[0] : word[1]])


def _extend_to_words(
    text: str, spans: list[tuple[int, int, str, float]]
) -> list[tuple[int, int, str, float]]:
    """A span that ends inside a word ("radio" of "radiohead" split oddly) is grown to the word's ends."""
    grown = []
    for start, end, slot, confidence in spans:
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        grown.append((start, end, slot, confidence))
    return grown


def repair_names(
    spans: list[tuple[int, int, str, float]], hits: list[GazetteerHit]
) -> list[tuple[int, int, str, float]]:
    """Grow or join artist/track spans to a catalogue name they partly cover ("depeche" -> "depeche mode").

    The tagger finds where a name is; the catalogue knows where it ends. Spans are only ever grown to a whole
    catalogue name that contains them, never cut.
    """
    names = sorted((h for h in hits if h.kind in ("artist", "track")), key=lambda h: h.start - h.end)
    spans = _names_read_as_attributes(spans, hits, names)
    for hit in names:
        inside = [s for s in spans if s[2] in ("artist", "track") and s[0] < hit.end and hit.start < s[1]]
        if not inside or any(s[0] < hit.start or s[1] > hit.end for s in inside):
            continue
        if len(inside) == 1 and (inside[0][0], inside[0][1]) == (hit.start, hit.end):
            continue
        kinds = [s[2] for s in inside]
        kind = hit.kind if hit.kind in kinds else kinds[0]
        confidence = max(s[3] for s in inside)
        # Whatever else the tagger saw inside the name ("punk" in "Daft Punk") is part of the name.
        covered = [s for s in spans if s[0] < hit.end and hit.start < s[1]]
        spans = [s for s in spans if s not in covered] + [(hit.start, hit.end, kind, confidence)]
    return sorted(spans)


def _names_read_as_attributes(
    spans: list[tuple[int, int, str, float]], hits: list[GazetteerHit], names: list[GazetteerHit]
) -> list[tuple[int, int, str, float]]:
    """A span the tagger marked as an attribute but that is exactly a catalogue name, and not a phrase of the
    lexicon for that attribute, is the name: "play some daft punk" is the artist, not genre punk.

    The lexicon check keeps "jazz" a genre when a track is called "Jazz"; the exact-extent check keeps "rock"
    a genre in "rock music" when a track is called "Rock Music" (the tagger stopped where the genre ends).
    """
    lexical = {(h.start, h.end, h.kind) for h in hits}
    relabelled = []
    for start, end, kind, confidence in spans:
        if kind not in ("artist", "track") and (start, end, kind) not in lexical:
            same = [h for h in names if (h.start, h.end) == (start, end)]
            if same:
                kind = "artist" if any(h.kind == "artist" for h in same) else "track"
        relabelled.append((start, end, kind, confidence))
    return relabelled


class ModelUnderstanding:
    """Understands text with trained heads on MiniLM. Never raises; uses the rules if loading fails."""

    name = "model"

    def __init__(
        self,
        linker: EntityLinker | None = None,
        weights: Path = DEFAULT_WEIGHTS,
        encoder: MiniLMEncoder | None = None,
    ) -> None:
        self.linker = linker or EntityLinker()
        self.weights = weights
        self.encoder = encoder
        self._heads: Heads | None = None
        self._gazetteer: Gazetteer | None = None
        self._fallback: RuleUnderstanding | None = None
        self._cues: RuleUnderstanding | None = None
        self._lock = threading.Lock()
        self._blas: object | None = None
        self.load_error: str | None = None

    # -- loading -------------------------------------------------------------------------------------------
    def load(self) -> bool:
        """Load heads and encoder now. True when the model is usable; else the rules answer from now on."""
        with self._lock:
            if self._heads is not None:
                return True
            if self._fallback is not None:
                return False
            try:
                heads = Heads.load(self.weights)
                encoder = (self.encoder or MiniLMEncoder()).load()
            except (HeadsError, EncoderError) as exc:
                self.load_error = str(exc)
                print(f"tunetalk: {exc}; using the rule understanding instead", file=sys.stderr, flush=True)
                self._fallback = RuleUnderstanding(self.linker)
                return False
            self.encoder = encoder
            try:
                from threadpoolctl import ThreadpoolController

                self._blas = ThreadpoolController()
            except Exception:  # optional: without it the heads still run, only less steadily
                self._blas = None
            self._gazetteer = Gazetteer(
                self.linker.artists, self.linker.titles, (*self.linker.genres, *self.linker.subgenres)
            )
            self._heads = heads
            return True

    # -- understanding -------------------------------------------------------------------------------------
    def understand(self, text: str) -> Understanding:
        try:
            if not self.load():
                assert self._fallback is not None
                return self._fallback.understand(text)
            return self._understand(clean_text(text))
        except Exception as exc:
            return Understanding(
                Act.UNCLEAR, confidence=0.0, source=self.name, extras={"error": 1.0 if exc else 0}
            )

    def understand_batch(self, texts: list[str]) -> list[Understanding]:
        """Many texts at once (evaluation, replay): same results as one by one, encoded in batches."""
        if not self.load():
            return [self.understand(t) for t in texts]
        cleaned = [clean_text(t) for t in texts]
        todo = [i for i, t in enumerate(cleaned) if _has_content(t)]
        assert self.encoder is not None
        encoded = self.encoder.encode([cleaned[i] for i in todo]) if todo else []
        results = [self._understand(t) if not _has_content(t) else None for t in cleaned]
        for i, enc in zip(todo, encoded, strict=True):
            try:
                results[i] = self._frame(cleaned[i], enc)
            except Exception:
                results[i] = Understanding(Act.UNCLEAR, confidence=0.0, source=self.name)
        return [r for r in results if r is not None]

    def _understand(self, text: str) -> Understanding:
        if not _has_content(text):
            return Understanding(Act.UNCLEAR, confidence=0.0 if not text.strip() else 0.05, source=self.name)
        assert self.encoder is not None
        (encoded,) = self.encoder.encode([text])
        return self._frame(text, encoded)

    @contextlib.contextmanager
    def _one_blas_thread(self) -> Iterator[None]:
        """The heads' matrix products on one BLAS thread: with the other core busy, OpenBLAS's second
        thread waits for it and p95 latency went from 7 ms to 24 ms."""
        if self._blas is None:
            yield
            return
        with self._blas.limit(limits=1, user_api="blas"):  # type: ignore[attr-defined]
            yield

    def _frame(self, text: str, encoded: EncodedText) -> Understanding:
        with self._one_blas_thread():
            u = with_negation(text, without_foreign_names(text, self._frame_unlimited(text, encoded)))
            return in_conversation(text, in_context(text, u))

    def _frame_unlimited(self, text: str, encoded: EncodedText) -> Understanding:
        heads, gazetteer = self._heads, self._gazetteer
        assert heads is not None and gazetteer is not None
        letters = _LETTER.findall(text)
        hits = gazetteer.hits(text)
        utt = utterance_inputs(encoded, utterance_features(text, hits))
        act_probs = heads.act_probs(utt)
        sentiment = _neutral_band(heads.sentiment(utt))
        extras = {f"p_{a}": round(float(p), 4) for a, p in zip(ACTS, act_probs, strict=True)}
        if letters and sum(not c.isascii() for c in letters) / len(letters) > 0.5:
            # Another script: the encoder has seen too little of it to be trusted.
            return Understanding(Act.UNCLEAR, (), 0.0, 0.05, self.name, extras)
        log_probs = heads.tag_log_probs(
            token_inputs(encoded, token_features(text, encoded.offsets, hits), heads.tagger_layers)
        )
        spans = repair_names(decode_spans(text, encoded, np.exp(log_probs)), hits)
        slots = with_spoken_years(text, self._slots(text, self._genre_ending_a_name(text, spans)))
        act = Act(ACTS[int(np.argmax(act_probs))])
        if act not in (Act.UNCLEAR, Act.STOP, Act.GIVE_UP):
            # A name the tagger has never seen, after a cue that can only introduce a name ("something
            # like Radiohead", "something by Massive Attack"): the tagger leans on the catalogue gazetteer
            # and misses such names, or finds only a word of them.
            slots = self._with_cued_names(text, slots)
        bare = not slots and act in (Act.INFORM, Act.UNCLEAR)
        if not slots and act in (Act.STOP, Act.GIVE_UP) and not any(h.kind == "act" for h in hits):
            # Ending the conversation takes words that say so: a lone "working" to "what are you up to?"
            # read as give-up (from "this isn't working") ended it.
            bare = True
        if bare:
            slots = self._bare_phrase(text, hits)
            act = Act.INFORM if slots else act
        if (
            act is Act.UNCLEAR
            and act_probs.max() >= UNCLEAR_OVER_NAMES
            and all(s.name in ("artist", "track") and not s.linked for s in slots)
        ):
            # Sure the turn is about something else ("how tall is the eiffel tower"): a name the catalogue
            # does not know, found in it, is no evidence that it is a request.
            slots = []
        p_act = float(act_probs.max())
        if slots and act in (Act.UNCLEAR, Act.DONT_KNOW, Act.GREET, Act.HELP):
            # "hi, some jazz please", "no idea, maybe rock": the attribute is the point of the turn.
            act, p_act = Act.INFORM, max(p_act, float(act_probs[ACTS.index("inform")]))
        if act is Act.UNCLEAR:
            return Understanding(
                act, (), sentiment, round(min(UNCLEAR_CONFIDENCE, 1.0 - p_act + 0.05), 4), self.name, extras
            )
        if slots and act not in _ENDS_OR_ACCEPTS:
            # With an attribute, inform, reject, "something else", skip (and the acts mapped to inform
            # above) are all handled as "steer to it"; being torn between them is not being unsure what the
            # person wants. Confidence is the probability of that handling, so "something chill" (inform
            # 0.31, reject 0.18, help 0.11) is not asked back as if it might not have been heard.
            p_act = 1.0 - float(sum(act_probs[ACTS.index(a.value)] for a in _ENDS_OR_ACCEPTS))
        if bare and slots:
            # The lexicon's reading of the whole turn: as sure as its match, whatever the act head thought.
            p_act = max(p_act, BARE_PHRASE_CONFIDENCE)
        slot_conf = float(np.mean([s.confidence for s in slots])) if slots else 1.0
        confidence = round(p_act * slot_conf**0.5, 4)
        return Understanding(act, tuple(slots), sentiment, confidence, self.name, extras)

    def _bare_phrase(self, text: str, hits: list[GazetteerHit]) -> list[Slot]:
        """An answer that is one lexicon phrase and nothing else ("working" to "what are you up to?",
        "sleep"), read as inform or unclear with no attribute: the tagger, which sees such words mostly
        inside longer requests, missed it. The lexicon's reading is then the whole meaning."""
        attributes = [h for h in hits if h.kind in ("genre", "mood", "era", "activity", "tempo")]
        if not attributes:
            return []
        hit = max(attributes, key=lambda h: h.end - h.start)
        rest = _BARE_FILLER.sub("", (text[: hit.start] + " " + text[hit.end :]).lower())
        value = normalize_value(hit.kind, text[hit.start : hit.end], self.linker)
        if rest.strip() or value is None:
            return []
        return [Slot(hit.kind, value.value, hit.start, hit.end, round(0.7 + 0.3 * value.confidence, 3))]

    def _with_cued_names(self, text: str, slots: list[Slot]) -> list[Slot]:
        if self._cues is None:
            self._cues = RuleUnderstanding(self.linker)
        kept = list(slots)
        # Names of its own the tagger found are trusted over the cue's; it is only completed by it.
        had_names = any(s.name in ("artist", "track") for s in slots)
        for c in self._cues.cued_names(text):
            if c.confidence < MIN_SLOT_CONFIDENCE:
                continue
            overlapping = [s for s in kept if c.start < s.end and s.start < c.end]
            if not overlapping and not had_names:
                kept.append(c)
            elif _one_word_of_a_capitalized_name(text, c, overlapping):
                # "something by Massive Attack" where the tagger found "Massive": the cue's name is the
                # whole name. Only for a typed, capitalized name; otherwise the cue's words often run on
                # past the name ("songs by Sia on my playlist") and the tagger knows better.
                kept = [s for s in kept if s not in overlapping] + [c]
        if not any(c.isupper() for c in text):
            kept = self._command_name_whole(text, kept)
        return sorted(kept, key=lambda s: s.start)

    def _command_name_whole(self, text: str, slots: list[Slot]) -> list[Slot]:
        """Text without capitals (a recognizer's) gives the tagger no hint where a name ends: "put on some
        pink floyd" came out as artist "pink", "open songs from daft punk" as genre punk, "something by bad
        religion" as artist "religion". When the object of a command to play, or a name after a cue that
        only names can follow, can only be a name (nlu.rules: no lexicon phrase, no common word) and the
        tagger found a name inside it, the whole of it is the name."""
        assert self._cues is not None
        cued = [
            c
            for c in self._cues.cued_names(text)
            if c.name == "artist"
            and len(text[c.start : c.end].split()) <= 3
            and all(could_be_in_a_name(w) for w in text[c.start : c.end].split())
        ]
        for c in [*self._cues.command_names(text, genre_ending=True), *cued]:
            inside = [s for s in slots if c.start <= s.start and s.end <= c.end]
            if any(s.start < c.start < s.end or s.start < c.end < s.end for s in slots):
                continue  # a slot crossing the name's edge: the tagger saw something else there
            whole = (c.start, c.end) in {(s.start, s.end) for s in inside}
            named = not whole and any(s.name in ("artist", "track") for s in inside)
            # "daft punk": read as genre punk (the phrase or its last word); the name ends with the genre
            # word, the phrase is no lexicon genre ("heavy metal" is) and no style of one ("swedish metal").
            genre_last = (
                len(text[c.start : c.end].split()) == 2
                and len(inside) == 1
                and inside[0].name == "genre"
                and inside[0].end == c.end
                and not is_genre_word(text[c.start : c.end])
                and not all(w in GENRE_MODIFIERS or len(w) == 1 for w in text[c.start : c.end].split()[:-1])
            )
            if named or genre_last or (COMMAND_NAME_ALONE and not slots):
                slots = [s for s in slots if s not in inside] + [replace(c, own=False)]
        return slots

    def _names_in(self, text: str, spans: list[_TagSpan]) -> list[_TagSpan]:
        """Each artist or track span as the names it holds ("X and Y" -> two, "their" -> none), and no
        genre, artist or track right after a possessive ("decorate my house", "for my friends")."""
        out = []
        for start, end, name, confidence in spans:
            if name in ("genre", "artist", "track") and after_possessive(text[:start]):
                continue
            if name not in ("artist", "track"):
                out.append((start, end, name, confidence))
                continue
            if name == "track" and _stray_word(text, start, end, confidence):
                continue
            if name == "track" and not self._known("track")(text[start:end]):
                # "more of twenty one pilot": a name the catalogue has as an artist, not a title, is one.
                name = "artist" if self._known("artist")(text[start:end]) else name
            for a, b in split_names(text[start:end], self._known(name)):
                out.append((start + a, start + b, name, confidence))
        return out

    def _genre_ending_a_name(self, text: str, spans: list[_TagSpan]) -> list[_TagSpan]:
        """ "something like Daft Punk" with no Daft Punk in the catalogue: the tagger reads artist "Daft" and
        genre punk ("the Jazz Messengers": genre jazz, artist "Messengers"). A genre word next to an unknown
        cued name, the two ending the phrase, is part of the name; a catalogue name keeps its genre apart
        ("like Green Day punk" with Green Day known is both)."""
        out: list[_TagSpan] = []
        for span in spans:
            kinds = (out[-1][2], span[2]) if out else ()
            if kinds in (("artist", "genre"), ("genre", "artist")):
                prev = out[-1]
                name = prev if kinds[0] == "artist" else span
                if (
                    text[prev[1] : span[0]] == " "
                    and _NAME_ENDS.match(text, span[1])
                    and _STRONG_CUE_BEFORE.search(text[: prev[0]])
                    and not self._known("artist")(text[name[0] : name[1]])
                    and _cased_alike(text[prev[0] : prev[1]], text[span[0] : span[1]])
                ):
                    out[-1] = (prev[0], span[1], "artist", min(prev[3], span[3]))
                    continue
            out.append(span)
        return out

    def _known(self, kind: str) -> Callable[[str], bool]:
        link = self.linker.link_artist if kind == "artist" else self.linker.link_title
        return lambda name: link(name, threshold=0.86) is not None

    def _slots(self, text: str, spans: list[_TagSpan]) -> list[Slot]:
        slots = []
        for start, end, name, tag_confidence in self._names_in(text, spans):
            if tag_confidence < MIN_SLOT_CONFIDENCE:
                continue
            too = _TOO_BEFORE.search(text[:start]) if name in ("mood", "tempo") else None
            phrase = normalize_value("mood", text[too.start() : end]) if too else None
            value: Value | None
            if too is not None and phrase is not None and phrase.value.startswith("more_"):
                # "too slow", "too mellow": the lexicon reads the whole phrase as a wish for the opposite.
                name, start, value = "mood", too.start(), phrase
            else:
                value = normalize_value(name, text[start:end], self.linker)
            if value is None:
                continue
            if name in ("artist", "track"):
                # Keep the span on the name itself: quotes and a trailing "'s" are not part of it.
                inner = text[start:end]
                offset = inner.find(value.value) if not value.linked else -1
                if offset >= 0:
                    start, end = start + offset, start + offset + len(value.value)
            confidence = round(tag_confidence * (0.7 + 0.3 * value.confidence), 3)
            normalized = after_too(name, value.value, text[:start])
            slots.append(Slot(name, normalized, start, end, confidence, value.linked))
        return slots


def _cased_alike(a: str, b: str) -> bool:
    """Written the same way: both capitalized ("Daft Punk") or the genre in lower case like the name
    ("daft punk", as a recognizer writes). "Adele jazz" is a name and a genre."""
    return a[:1].isupper() == b[:1].isupper() or a.islower()


def _one_word_of_a_capitalized_name(text: str, cued: Slot, found: list[Slot]) -> bool:
    """ "Massive" of "something by Massive Attack": the tagger's one word is part of a two- or three-word
    name after a cue, every word typed with a capital. (Relaxed to a title found and only the first word
    capitalized, SNIPS artist F1 fell 0.866 -> 0.858.)"""
    words = text[cued.start : cued.end].split()
    return (
        len(found) == 1
        and found[0].name == cued.name
        and len(text[found[0].start : found[0].end].split()) == 1
        and cued.start <= found[0].start
        and found[0].end <= cued.end
        and 2 <= len(words) <= 3
        and all(w[:1].isupper() for w in words)
    )


STRAY_WORD_BELOW = 0.7
"""Tag confidence under which a lone word at the start of a turn, tagged as a track, is taken for an ordinary
word ("If there was a little more 80s pop": capitals there are no evidence of a title)."""
_BY_AFTER = re.compile(r"\s+(?:by|from)\b", re.IGNORECASE)
_TITLE_CUE_BEFORE = re.compile(
    r"\b(?:play|put on|hear|listen to|song|track|tune|called|titled|album)\s+(?:the\s+)?[\"'“‘]?$",
    re.IGNORECASE,
)


_FUNCTION_WORDS = frozenset(
    ["a", "an", "the", "some", "this", "that", "i", "you", "we", "it", "my", "your", "our"]
)
_CAPITALIZED_WORD = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")


def _capitalizes_names(text: str) -> bool:
    """Does the writer capitalize words inside sentences (names), beyond "I" and sentence starts?"""
    return any(m.group(0) not in ("I", "Im") for m in _CAPITALIZED_WORD.finditer(text.strip()))


def _stray_word(text: str, start: int, end: int, confidence: float) -> bool:
    """ "keep that tempo", "is a classic as well", "the bop of": one ordinary word the tagger takes for a
    title. On CPCD nearly all lone lowercase words tagged as tracks were ordinary words, and the catalogue
    has a song for many everyday words ("Tempo", "Classic", "Time"), so linking them plays something
    nobody asked for. A cue makes it a title whatever its case: "play believer", "the song roar",
    "battlecry by Nujabes"."""
    word = text[start:end]
    if _BY_AFTER.match(text, end) or _TITLE_CUE_BEFORE.search(text[:start]):
        return False
    words = word.split()
    if len(words) == 2 and words[0].lower() in _FUNCTION_WORDS and words[1].islower():
        return True  # "listening to a lot of RnB" played "a lot" by 21 Savage; "I like slayer too"
    if len(words) > 1:
        # "I forgot about for King and Country" played "Forgot About": someone who capitalizes names
        # would have capitalized a title too. Text with no capitals (a recognizer's) gives no such hint.
        return word.islower() and _capitalizes_names(text[:start] + " " + text[end:])
    if word.islower():
        return True
    return confidence < STRAY_WORD_BELOW and not text[:start].strip(" \"'“‘")


_ENDS_OR_ACCEPTS = (Act.ACCEPT, Act.STOP, Act.GIVE_UP)
"""Acts that do something else with an attribute than steer to it ("yes, jazz is fine" accepts)."""
_TOO_BEFORE = re.compile(r"\btoo\s+$", re.IGNORECASE)
NEUTRAL_BAND = 0.12
"""Regression noise on turns that express no feeling is about +-0.08 (training RMSE); inside this band the
score is 0, outside it is shifted so the scale still reaches +-1. Order outside the band is unchanged."""


def _neutral_band(score: float) -> float:
    magnitude = max(0.0, abs(score) - NEUTRAL_BAND) / (1.0 - NEUTRAL_BAND)
    return round(max(-1.0, min(1.0, magnitude if score >= 0 else -magnitude)), 4)


def _has_content(text: str) -> bool:
    return any(c.isalnum() for c in text)
