"""Whole training utterances: requests, reactions, the words of each act, and the noise of how they are said
(speech-recognition style, typed, shouted), rendered with exact spans and a graded sentiment target."""

from __future__ import annotations

import random
from collections.abc import Sequence

from nlu.corpus.attributes import AttributeWriter
from nlu.corpus.drafts import Draft, Example, Seg
from nlu.corpus.phrases import (
    ACCEPT,
    AGAIN,
    ALTERNATIVE,
    ASK_CATALOGUE,
    CARRIERS,
    CHOOSE_BOTH,
    CHOOSE_LEADS,
    CHOOSE_NEITHER,
    CHOOSE_TAILS,
    DONT_KNOW,
    FUNCTION_WORDS,
    GIVE_UP,
    GREET,
    HELP,
    INTENSIFY,
    INTERJECTIONS,
    MUSIC_ITEMS,
    ORDINALS,
    PREFIXES,
    PREVIOUS,
    REJECT,
    SERVICES,
    SKIP,
    SORTS,
    STATION_ACCEPT,
    STOP,
    SUFFIXES,
    UNCLEAR,
    WHAT_IS_PLAYING,
)
from nlu.lexicon import surface_index

__all__ = ["UtteranceWriter"]

CONVERSATION_SHARE = 0.09
"""Share of utterances about the conversation itself: choices, the samples, the catalogue."""


class UtteranceWriter(AttributeWriter):
    """Drafts whole utterances of every act and renders them as typed or heard."""

    # -- whole utterances --------------------------------------------------------------------------------
    def request(self) -> Draft:
        r = self.rng
        d = Draft(act="inform")
        if r.random() < 0.25:
            d.add(r.choice(PREFIXES))
            if r.random() < 0.3:
                d.add(",", glue=True)
        kinds = [
            "genre",
            "artist",
            "track",
            "era",
            "mood",
            "activity",
            "tempo",
            "vocals",
            "popularity",
            "theme",
        ]
        weights = [0.26, 0.22, 0.07, 0.14, 0.15, 0.1, 0.06, 0.03, 0.025, 0.015]
        n = r.choices([1, 2, 3], [0.55, 0.33, 0.12])[0]
        chosen: list[str] = []
        while len(chosen) < n:
            kind = r.choices(kinds, weights)[0]
            if kind not in chosen:
                chosen.append(kind)
        if r.random() < 0.25 and "era" in chosen and "genre" in chosen:
            # "nineties rock", "chill jazz": adjective order.
            chosen.remove("era")
            chosen.insert(chosen.index("genre"), "era")
        carrier = r.choice(CARRIERS)
        before, _, after = carrier.partition("{}")
        sort = r.choice(SORTS) if r.random() < 0.15 else None
        if before.strip():
            d.add(before.strip())
        if sort is not None:
            # "the most popular", "the best known" ask for popular music; "the top", "the best" say little.
            d.add("the")
            popular = surface_index("popularity").get(sort)
            d.add(sort, "popularity", popular) if popular else d.add(sort)
        for i, kind in enumerate(chosen):
            if i and r.random() < 0.5:
                joints = ["and", ",", "or maybe", "and also", "plus"]
                if kind in ("mood", "era", "tempo"):
                    joints += ["but", "but maybe", "preferably"]
                joint = r.choice(joints)
                d.add(joint, glue=joint == ",")
            getattr(self, kind)(d)
        if r.random() < 0.08:
            d.add(r.choice(["on", "from", "using"]))
            d.add(r.choice(SERVICES))
        if r.random() < 0.08:
            d.add(r.choice(["a", "the", "an"]))
            d.add(r.choice(MUSIC_ITEMS))
        if after.strip():
            d.add(after.strip())
        if r.random() < 0.2:
            d.add(r.choice(SUFFIXES))
        if r.random() < 0.05:
            d.valence = 0.3
            d.segs.insert(0, Seg(r.choice(["yes", "ooh", "oh yes", "yeah"])))
        return d

    def bare_request(self) -> Draft:
        """ "play adele", "put on jazz", "nirvana please": the shortest and most common way to ask."""
        r = self.rng
        d = Draft(act="inform")
        kind = r.choices(["artist", "genre", "track", "mood", "era"], [0.45, 0.25, 0.15, 0.1, 0.05])[0]
        carrier = r.choice(
            [
                "play {}",
                "put on {}",
                "{}",
                "{} please",
                "play some {}",
                "play me {}",
                "i want {}",
                "listen to {}",
                "how about {}",
                "play {} please",
                "can you play {}",
                "some {}",
                "let's hear {}",
                "um play {}",
                "play uh {}",
                "i wanna hear {}",
                "{} maybe",
            ]
        )
        before, _, after = carrier.partition("{}")
        d.add(before.strip())
        if kind == "artist":
            name = self._noisy_name(r.choice(self.artists))
            d.add(name, "artist", name)
        elif kind == "track":
            title = self._noisy_name(r.choice(self.titles))
            d.add(title, "track", title)
        elif kind == "genre":
            surface, value = r.choice(self.extra_genres) if r.random() < 0.3 else r.choice(self.genres)
            d.add(surface, "genre", value)
        elif kind == "mood":
            surface, value = r.choice(self.moods)
            d.add(surface, "mood", value)
        else:
            surface, value = r.choice(self.decades)
            d.add(surface, "era", value)
        d.add(after.strip())
        return d

    def playlist_request(self) -> Draft:
        """ "play my Sunday Morning playlist": a playlist's name is not an attribute (left unlabelled); an
        artist's playlist or radio ("play bob marley playlist") asks for the artist."""
        r = self.rng
        d = Draft(act="inform")
        if r.random() < 0.35:
            artist = self._noisy_name(r.choice(self.artists))
            frame = r.choice(
                [
                    "play {} playlist",
                    "play the {} playlist",
                    "put on a {} playlist",
                    "play {} radio",
                    "start {} radio",
                    "open the {} playlist",
                    "a {} playlist please",
                    "play a {} mix",
                ]
            )
            spoken = artist if r.random() < 0.5 else artist.lower()
            self._frame(d, frame, spoken, "artist", artist)
            return d
        name = r.choice(self.titles) if r.random() < 0.7 else r.choice(self.artists) + " mix"
        frame = r.choice(
            [
                "play my {} playlist",
                "open the {} playlist",
                "play the playlist {}",
                "put on my {} playlist",
                "start {} playlist",
                "play {} playlist",
                "shuffle my {} list",
                "play songs from the {} playlist",
            ]
        )
        before, _, after = frame.partition("{}")
        d.add(before.strip())
        d.add(name if r.random() < 0.5 else name.lower())
        d.add(after.strip())
        if r.random() < 0.3:
            d.add(r.choice(["on", "from"]))
            d.add(r.choice(SERVICES))
        return d

    def hedged_request(self) -> Draft:
        """ "i don't know, maybe jazz": a 'don"t know" or greeting that still informs."""
        r = self.rng
        d = self.request()
        lead = r.choice(
            [
                "i don't know",
                "not sure",
                "dunno",
                "hmm",
                "hi",
                "hello",
                "hey",
                "i guess",
                "no idea really",
                "help me find music",
                "hi there",
                "good evening",
                "find me some music",
                "i'm not sure",
            ]
        )
        d.segs = [Seg(w) for w in lead.split()] + [Seg(",", glue=True)] * (r.random() < 0.4) + d.segs
        return d

    def reaction(self, act: str) -> Draft:
        r = self.rng
        table = ACCEPT if act == "accept" else REJECT
        phrase, valence = r.choice(list(table.items()))
        d = Draft(act=act, valence=valence, reaction=True)
        if r.random() < 0.2:
            d.add(r.choice(INTERJECTIONS))
            if r.random() < 0.5:
                d.add(",", glue=True)
        if r.random() < 0.12 and not phrase.startswith(tuple(INTENSIFY)):
            word = r.choice(INTENSIFY)
            if phrase.startswith(("i like", "i love", "i hate", "i don't like")):
                phrase = phrase.replace("i ", f"i {word} ", 1)
                d.valence *= 1.25
            elif act == "accept" and r.random() < 0.5:
                phrase = f"{word} {phrase}"
                d.valence *= 1.2
        d.add(phrase)
        if r.random() < 0.25:
            second, value = r.choice(list(table.items()))
            if second != phrase:
                d.add(",", glue=True) if r.random() < 0.5 else None
                d.add(second)
                d.valence = max(d.valence, value, key=abs) + 0.12 * (1 if d.valence > 0 else -1)
        return d

    def reaction_with_slots(self) -> Draft:
        r = self.rng
        roll = r.random()
        attr = r.choice(["genre", "era", "mood", "tempo", "artist", "mood", "era"])
        if roll < 0.45:
            phrase, valence = r.choice(list(REJECT.items()))
            d = Draft(act="reject", valence=valence, reaction=True).add(phrase)
            d.add(",", glue=True) if r.random() < 0.5 else None
            d.add(
                r.choice(
                    [
                        "",
                        "something",
                        "i want",
                        "more like",
                        "i'd prefer",
                        "maybe",
                        "try",
                        "i said",
                        "give me",
                    ]
                )
            )
        elif roll < 0.8:
            phrase, valence = r.choice([(p, v) for p, v in ACCEPT.items() if v >= 0.1])
            d = Draft(act="request_alternative", valence=valence * 0.5, reaction=True).add(phrase)
            d.add(
                r.choice(
                    [
                        "but",
                        "but maybe",
                        ", but",
                        "but can we go",
                        "but something",
                        "though maybe",
                        "but a bit",
                        "but can it be",
                        "but make it",
                        "only",
                    ]
                )
            )
        else:
            d = Draft(act="request_alternative", valence=0.0, reaction=True)
            d.add(
                r.choice(
                    [
                        "something else",
                        "another one",
                        "something different",
                        "same but",
                        "something like this but",
                        "similar but",
                        "a different one",
                        "another but",
                        "play another one",
                        "something else but still",
                    ]
                )
            )
        getattr(self, attr)(d)
        return d

    def phrase(self, act: str, bank: Sequence[str], valence: float) -> Draft:
        r = self.rng
        d = Draft(act=act, valence=valence, reaction=act in ("skip", "give_up"))
        if r.random() < 0.15:
            d.add(r.choice(["um", "uh", "hmm", "oh", "ok", "well", "erm", "ah"]))
        d.add(r.choice(bank))
        if r.random() < 0.12 and act not in ("unclear",):
            d.add(r.choice(["please", "thanks", "now", "then", "for now", "ok", "man", "mate"]))
        return d

    def choice(self) -> Draft:
        """ "the second one", "I'll take the upbeat one", "both", "neither"."""
        r = self.rng
        d = Draft(act="choose")
        lead = r.choice(CHOOSE_LEADS)
        if lead:
            d.add(lead)
        roll = r.random()
        if roll < 0.15:
            d.add(r.choice(CHOOSE_BOTH))
        elif roll < 0.3:
            d.add(r.choice(CHOOSE_NEITHER))
        else:
            refs = r.choices([1, 2], [0.85, 0.15])[0]
            for i in range(refs):
                if i:
                    d.add(r.choice([",", "i mean", "", "or"]), glue=False)
                if r.random() < 0.55:
                    d.add(r.choice(ORDINALS[r.choice(list(ORDINALS))]))
                else:
                    # Named by what it is: "the upbeat one", "the alternative rock one".
                    d.add(r.choice(["the", "the", "that"]))
                    kind = r.choice(["genre", "genre", "mood", "era", "activity"])
                    table = {
                        "genre": self.genres,
                        "mood": self.moods,
                        "era": self.relative_eras + self.decades,
                        "activity": self.activities,
                    }[kind]
                    surface, value = r.choice(table)
                    d.add(surface, kind, value)
                    d.add(r.choice(["one", "one", "option", "kind"]))
        tail = r.choice(CHOOSE_TAILS)
        if tail:
            d.add(tail)
        return d

    def conversation_turn(self) -> Draft:
        """A turn about the conversation: a choice among options, the samples, or the catalogue."""
        r = self.rng
        roll = r.random()
        if roll < 0.4:
            return self.choice()
        if roll < 0.55:
            return self.phrase("previous", PREVIOUS, 0.0)
        if roll < 0.65:
            return self.phrase("again", AGAIN, 0.0)
        if roll < 0.8:
            return self.phrase("what_is_playing", WHAT_IS_PLAYING, 0.0)
        if roll < 0.95:
            return self.phrase("ask_catalogue", ASK_CATALOGUE, 0.0)
        phrase, valence = r.choice(list(STATION_ACCEPT.items()))
        return Draft(act="accept", valence=valence, reaction=True).add(phrase)

    def draft(self) -> Draft:
        r = self.rng
        if r.random() < CONVERSATION_SHARE:
            return self.conversation_turn()
        roll = r.random()
        if roll < 0.31:
            return self.request()
        if roll < 0.38:
            return self.bare_request()
        if roll < 0.4:
            return self.playlist_request()
        if roll < 0.44:
            return self.hedged_request()
        if roll < 0.53:
            return self.reaction("accept")
        if roll < 0.61:
            return self.reaction("reject")
        if roll < 0.68:
            return self.reaction_with_slots()
        if roll < 0.72:
            return self.phrase("request_alternative", ALTERNATIVE, 0.0)
        if roll < 0.76:
            return self.phrase("skip", SKIP, 0.0)
        if roll < 0.8:
            return self.phrase("dont_know", DONT_KNOW, 0.0)
        if roll < 0.84:
            return self.phrase("help", HELP, 0.0)
        if roll < 0.87:
            return self.phrase("stop", STOP, 0.0)
        if roll < 0.9:
            return self.phrase("give_up", GIVE_UP, -0.6)
        if roll < 0.94:
            return self.phrase("greet", GREET, 0.05)
        return self.phrase("unclear", UNCLEAR, 0.0)

    # -- surface noise -------------------------------------------------------------------------------------
    def render(self, d: Draft) -> Example:
        r = self.rng
        segs = [s for s in d.segs if s.text]
        style = r.choices(["asr", "typed", "shout", "mixed"], [0.45, 0.42, 0.05, 0.08])[0]
        if style == "asr":
            segs = [s for s in segs if not (s.slot is None and not any(c.isalnum() for c in s.text))]
            segs = [
                s for s in segs if s.slot is not None or s.text not in FUNCTION_WORDS or r.random() > 0.12
            ]
            if r.random() < 0.25:
                i = r.randrange(len(segs) + 1) if segs else 0
                segs.insert(i, Seg(r.choice(["um", "uh", "like", "you know", "i mean", "er", "uh uh"])))
            if r.random() < 0.1 and segs and segs[0].slot is None:
                segs.insert(0, Seg(segs[0].text))
            if r.random() < 0.08:
                segs.append(Seg(r.choice(["um", "uh", "er", "hmm", "i guess", "or something", "yeah"])))
        valence = d.valence
        out: list[tuple[str, Seg]] = []
        for i, seg in enumerate(segs):
            word = seg.text
            if style == "asr":
                word = word.lower().replace("!", "").replace("?", "")
            elif style == "shout":
                word = word.upper()
            elif style == "typed":
                if seg.slot in ("artist", "track"):
                    word = word if r.random() < 0.25 else _title(word)
                if i == 0:
                    word = word[:1].upper() + word[1:]
                if word == "i":
                    word = "I"
            elif style == "mixed":
                word = word.capitalize() if r.random() < 0.5 else word
            out.append((word, seg))
        text, spans = "", []
        for word, seg in out:
            if text and not seg.glue:
                text += " "
            start = len(text)
            text += word
            if seg.slot:
                spans.append((start, len(text), seg.slot, seg.value))
        if d.reaction and style != "asr" and r.random() < 0.12:
            text, stretched = _stretch(r, text, spans)
            if stretched:
                valence *= 1.2
        if style == "shout" and d.reaction:
            valence *= 1.35
        if style != "asr":
            end = r.choices(["", ".", "!", "?", "!!", "..."], [0.45, 0.25, 0.15, 0.08, 0.04, 0.03])[0]
            if d.act in ("help",) and r.random() < 0.6:
                end = "?"
            text += end
            if d.reaction:
                valence += (0.12 if valence >= 0 else -0.12) * min(3, end.count("!"))
        valence = max(-1.0, min(1.0, valence / (1.0 + 0.3 * abs(valence)) * 1.3))
        return Example(text, d.act, tuple(_merge(spans)), round(valence, 4))


def _title(name: str) -> str:
    return " ".join(w if w in ("and", "the", "of") else w[:1].upper() + w[1:] for w in name.split(" "))


def _stretch(r: random.Random, text: str, spans: list[tuple[int, int, str, str]]) -> tuple[str, bool]:
    """ "yes" -> "yesss": stretch a vowel or final letter outside any span."""
    if spans:
        return text, False
    positions = [i for i, c in enumerate(text) if c.lower() in "aeiouys"]
    if not positions:
        return text, False
    i = r.choice(positions)
    return text[: i + 1] + text[i] * r.randint(2, 4) + text[i + 1 :], True


def _merge(spans: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    return sorted(spans)
