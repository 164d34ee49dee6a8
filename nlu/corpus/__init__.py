"""The training corpus, generated: templates x lexicons x paraphrase frames x speech-recognition noise.

Every example is built from segments that know their slot, so character spans stay exact through casing,
punctuation, disfluencies ("um", repeated words), dropped function words and homophones. Sentiment targets
come from the construction: each reaction phrase has a valence, and saying it in capitals, with "!", with
stretched letters or an intensifier scales it, so the order "Hmm, OK" < "Yes" < "YES!" < "Brilliant, I love
it" holds by design. Artist names are the loaded catalogue's plus invented ones, so the tagger learns where
names sit in a request rather than which names exist. Nothing here reads ../shared/data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from nlu.corpus.drafts import Example
from nlu.corpus.names import DECOY_NAMES, invented_artists, invented_titles
from nlu.corpus.utterances import UtteranceWriter

__all__ = ["DECOY_NAMES", "Corpus", "Example", "generate", "invented_artists", "invented_titles"]


@dataclass(frozen=True)
class Corpus:
    examples: list[Example]
    artists: list[str]
    """Every artist name the examples draw from (catalogue + invented)."""
    titles: list[str]


def generate(n: int, seed: int = 0, artists: Sequence[str] = (), titles: Sequence[str] = ()) -> Corpus:
    """`n` examples, the same for the same seed and name lists."""
    rng = random.Random(seed)
    pool_artists = sorted(set(artists)) + invented_artists(rng, 3000) + DECOY_NAMES[:6]
    pool_titles = sorted(set(titles)) + invented_titles(rng, 1500)
    gen = UtteranceWriter(rng, pool_artists, pool_titles)
    examples: list[Example] = []
    while len(examples) < n:
        example = gen.render(gen.draft())
        if example.text.strip() or example.act == "unclear":
            examples.append(example)
    return Corpus(examples, pool_artists, pool_titles)
