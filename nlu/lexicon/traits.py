"""Traits a request may name besides genre, feel and era: vocals, popularity and themes.

Some catalogues can be searched for the first two (the Spotify layout has instrumentalness and popularity);
who sings and what a song is about are in no column, so those are understood in order to be answered
honestly ("I can't tell who is singing"), not searched for.
"""

from __future__ import annotations

VOCALS: dict[str, list[str]] = {
    "instrumental": [
        "instrumental",
        "instrumentals",
        "instrumental music",
        "without vocals",
        "no vocals",
        "without lyrics",
        "no lyrics",
        "without words",
        "no words",
        "no singing",
        "without singing",
        "nobody singing",
    ],
    "vocal": ["with vocals", "with lyrics", "with singing", "with words", "vocals", "sung"],
    "female": [
        "female singer",
        "female singers",
        "female vocals",
        "female vocalist",
        "female voice",
        "a woman singing",
        "women singing",
        "sung by a woman",
        "female artist",
        "female artists",
        "female lead",
        "girl singer",
        "a female singer",
    ],
    "male": [
        "male singer",
        "male singers",
        "male vocals",
        "male vocalist",
        "male voice",
        "a man singing",
        "men singing",
        "sung by a man",
        "male artist",
        "male artists",
        "a male singer",
    ],
}
POPULARITY: dict[str, list[str]] = {
    "popular": [
        "popular",
        "most popular",
        "hits",
        "top hits",
        "the hits",
        "big hits",
        "chart hits",
        "greatest hits",
        "well known",
        "well-known",
        "famous",
        "best known",
        "biggest hits",
        "classics everyone knows",
    ],
    "obscure": [
        "obscure",
        "underground",
        "lesser known",
        "lesser-known",
        "less known",
        "deep cuts",
        "hidden gems",
        "not so popular",
        "not too popular",
        "unknown artists",
    ],
}
# Canonical themes are phrases, not single words: a canonical value is also one of its own surface forms,
# and "love" alone (as in "I love it") must not be read as the theme.
THEMES: dict[str, list[str]] = {
    "christmas music": [
        "christmas",
        "christmas music",
        "christmas songs",
        "xmas",
        "xmas songs",
        "holiday music",
        "holiday songs",
        "carols",
    ],
    "halloween music": ["halloween", "halloween music", "spooky songs", "scary songs"],
    "songs for kids": [
        "kids songs",
        "kids music",
        "children's music",
        "children's songs",
        "songs for kids",
        "nursery rhymes",
    ],
    "songs about love": ["songs about love", "about love", "about falling in love"],
    "songs about heartbreak": ["songs about heartbreak", "about heartbreak", "about breaking up"],
    "protest songs": ["protest songs", "political songs", "songs about politics"],
}
