"""Shared fixtures: a small hand-made catalogue for engine unit tests, and factories for conversations."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.policy import Policy, PolicyOutput, greedy
from assistant.events import Recorder
from assistant.music.catalog import Catalog, Track
from assistant.policies.rules import RulePolicy
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.exists(),
    reason=f"reference data folder {SHARED_DATA} is absent (only on developer machines)",
)

GENRES = {
    "rock": ("alternative rock", "classic rock"),
    "jazz": ("bebop", "smooth jazz"),
    "electronic": ("house", "ambient"),
    "hip hop": ("trap", "boom bap"),
    "classical": ("baroque", "minimalism"),
}
ARTISTS = [
    "Velvet Harbors",
    "Maya Lindqvist",
    "DJ Kestrel",
    "Northbound Lanterns",
    "Oskar Brandt",
    "The Paper Moons",
    "Ines Carvalho",
    "Copper Atlas",
    "Lumen Drive",
    "Sister Juniper",
]


def _tiny_tracks() -> list[Track]:
    tracks = []
    counter = itertools.count()
    for g_index, (genre, subgenres) in enumerate(GENRES.items()):
        for s_index, subgenre in enumerate(subgenres):
            for energy in (0.15, 0.35, 0.55, 0.75, 0.92):
                for year in (1972, 1995, 2018):
                    i = next(counter)
                    artist = ARTISTS[(g_index * 2 + s_index + (year > 2000)) % len(ARTISTS)]
                    tracks.append(
                        Track(
                            id=f"t{i:03d}",
                            title=f"Song {i:03d}",
                            artist=artist,
                            genre=genre,
                            subgenre=subgenre,
                            year=year,
                            energy=energy,
                            valence=0.2 + 0.6 * ((i * 7) % 10) / 10,
                            tempo=70 + 100 * energy,
                            popularity=float(30 + (i * 13) % 60),
                        )
                    )
    return tracks


@pytest.fixture(scope="session")
def tiny_catalog() -> Catalog:
    """150 tracks: 5 genres x 2 subgenres x 5 energy levels x 3 decades, 10 artists."""
    return Catalog.from_tracks(_tiny_tracks(), name="tiny")


@pytest.fixture(scope="session")
def demo_catalog() -> Catalog:
    from assistant.music.catalog import load_catalog

    return load_catalog()


ManagerFactory = Callable[..., tuple[DialogueManager, Recorder]]


@pytest.fixture
def make_manager() -> ManagerFactory:
    def build(
        catalog: Catalog, *, seed: int = 0, policy: Policy | None = None
    ) -> tuple[DialogueManager, Recorder]:
        recorder = Recorder()
        manager = DialogueManager(
            catalog,
            RuleUnderstanding(EntityLinker.for_catalog(catalog)),
            policy or RulePolicy(),
            np.random.default_rng(seed),
            emit=recorder,
            conversation_id=f"test-{seed}",
        )
        return manager, recorder

    return build


SPOTIFY_HEADER = [
    "track_id",
    "track_name",
    "track_artist",
    "track_popularity",
    "track_album_id",
    "track_album_name",
    "track_album_release_date",
    "playlist_name",
    "playlist_id",
    "playlist_genre",
    "playlist_subgenre",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
]


def write_spotify_csv(path: Path, tracks: list[Track]) -> Path:
    """Write tracks in the Spotify audio-features layout that load_catalog reads."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SPOTIFY_HEADER)
        for t in tracks:
            writer.writerow(
                [
                    t.id,
                    t.title,
                    t.artist,
                    int(t.popularity),
                    f"al-{t.id}",
                    t.album or "Album",
                    f"{t.year}-01-01",
                    "pl",
                    "pl-id",
                    t.genre,
                    t.subgenre,
                    t.danceability,
                    t.energy,
                    0,
                    -8.0,
                    1,
                    0.05,
                    t.acousticness,
                    0.0,
                    0.1,
                    t.valence,
                    t.tempo,
                    t.duration_ms,
                ]
            )
    return path


@pytest.fixture(scope="session")
def tiny_catalog_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_spotify_csv(tmp_path_factory.mktemp("catalog") / "tiny.csv", _tiny_tracks())


class AlwaysSamples:
    """A policy that plays a sample whenever it can, so a test reaches samples on the first turn."""

    name = "always_samples"

    def decide(self, state: object, available: Sequence[Action], features: object) -> PolicyOutput:
        return greedy({Action.PLAY_SAMPLE: 1.0}, available)
