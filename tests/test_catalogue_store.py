"""The catalogue store: a stored catalogue is the catalogue it was built from, track for track and column
for column; it is rebuilt when its source or schema changes or when it is damaged; a cache that cannot be
written only costs the speed-up; and linking through its prebuilt name indexes gives the same links."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.music.catalog import DEFAULT_CATALOG, Catalog, load_catalog
from assistant.music.sources import open_catalog, store_folder_for
from assistant.music.store import STORE_SCHEMA, StoreError, open_store, write_store
from nlu.linking import EntityLinker
from tests.conftest import SHARED_DATA

COLUMNS = (
    "energy", "valence", "tempo", "year", "popularity", "danceability", "acousticness",
    "genre_ids", "subgenre_ids", "artist_ids", "song_ids",
)  # fmt: skip


def _same(stored: Catalog, original: Catalog) -> None:
    assert len(stored) == len(original)
    assert list(stored.tracks) == list(original.tracks)
    for name in COLUMNS:
        assert np.array_equal(getattr(stored, name), getattr(original, name)), name
    assert stored.genre_names == original.genre_names
    assert stored.subgenre_names == original.subgenre_names
    assert list(stored.artist_names) == list(original.artist_names)
    assert np.array_equal(stored.multi_genre, original.multi_genre)
    assert all(stored.index[t.id] == i for i, t in enumerate(original.tracks))
    assert "no such id" not in stored.index and stored.get("no such id") is None
    for artist in list(original.artist_names)[:: max(1, len(original.artist_names) // 40)]:
        assert artist in stored.artist_names
        assert stored.artist_names.index(artist) == original.artist_names.index(artist)
        assert stored.by_artist(artist) == original.by_artist(artist)
    for genre in original.genre_names:
        assert stored.subgenres_of(genre) == original.subgenres_of(genre)
    for title in sorted(set(original.titles))[::25]:
        assert stored.track_named(title) == next(t for t in original.tracks if t.title == title)


def test_the_demo_catalogue_is_stored_as_it_is(tmp_path: Path) -> None:
    demo = load_catalog()
    write_store(demo, tmp_path / "store", key="demo")
    _same(open_store(tmp_path / "store", key="demo"), demo)


def test_the_test_catalogue_is_stored_as_it_is(tmp_path: Path, tiny_catalog: Catalog) -> None:
    write_store(tiny_catalog, tmp_path / "store", key="tiny")
    _same(open_store(tmp_path / "store"), tiny_catalog)


@pytest.mark.shared_data
def test_the_spotify_catalogue_is_stored_as_it_is(tmp_path: Path) -> None:
    source = SHARED_DATA / "catalog" / "spotify_songs.csv"
    if not source.exists():
        pytest.skip(f"{source} is absent (reference data, developer machines)")
    spotify = load_catalog(source)
    write_store(spotify, tmp_path / "store", key="spotify")
    _same(open_store(tmp_path / "store"), spotify)


def test_a_store_of_another_source_schema_or_damaged_is_not_used(tmp_path: Path) -> None:
    write_store(load_catalog(), tmp_path / "store", key="one")
    with pytest.raises(StoreError, match="another version of the source"):
        open_store(tmp_path / "store", key="two")
    manifest = tmp_path / "store" / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "schema": STORE_SCHEMA - 1}))
    with pytest.raises(StoreError, match="schema"):
        open_store(tmp_path / "store")
    manifest.write_text(json.dumps(data))
    (tmp_path / "store" / "tracks.arrow").write_bytes(b"not arrow at all")
    with pytest.raises(StoreError, match="damaged"):
        open_store(tmp_path / "store")


def test_open_catalog_builds_once_then_maps_and_rebuilds_when_the_csv_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUNETALK_CATALOG_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "catalog.csv"
    shutil.copyfile(DEFAULT_CATALOG, source)
    first = open_catalog([source])
    assert not hasattr(first, "store_folder"), "built from the CSV the first time"
    second = open_catalog([source])
    assert getattr(second, "store_folder", None) == store_folder_for(str(source.resolve()))
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    source.write_text("".join(lines[:-5]), encoding="utf-8")  # five tracks fewer
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    third = open_catalog([source])
    assert len(third) == len(first) - 5
    assert len(open_catalog([source])) == len(first) - 5


def test_a_damaged_store_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNETALK_CATALOG_CACHE", str(tmp_path / "cache"))
    open_catalog()
    folder = store_folder_for(str(DEFAULT_CATALOG.resolve()))
    (folder / "listed.arrow").write_bytes(b"\0" * 100)
    again = open_catalog()
    assert list(again.tracks) == list(load_catalog().tracks)
    assert getattr(open_catalog(), "store_folder", None) == folder


def test_an_unwritable_cache_still_gives_the_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a file where the cache folder should be"
    blocker.write_text("")
    monkeypatch.setenv("TUNETALK_CATALOG_CACHE", str(blocker))
    said: list[str] = []
    catalog = open_catalog(log=said.append)
    assert len(catalog) == len(load_catalog())
    assert said and "could not keep the catalogue" in said[0]


def test_linking_through_the_stored_name_indexes_gives_the_same_links(tmp_path: Path) -> None:
    demo = load_catalog()
    write_store(demo, tmp_path / "store", key="demo")
    stored = EntityLinker.for_catalog(open_store(tmp_path / "store"))
    built = EntityLinker.for_catalog(demo)
    assert stored._artist_index is not None, "the store's prebuilt index is used"
    rng = np.random.default_rng(0)
    for name in [*demo.artist_names, *sorted(set(demo.titles))[::7]]:
        text = name.lower()
        i = int(rng.integers(len(text)))
        for query in (text, text[:i] + text[i + 1 :], f"the {text}"):
            assert stored.link_artist(query) == built.link_artist(query), query
            assert stored.link_title(query, 0.86) == built.link_title(query, 0.86), query
