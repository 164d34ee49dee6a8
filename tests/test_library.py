"""A music folder as a catalogue: real files in several formats (written here, at test time) are scanned
with their tags and descriptors, broken files are skipped by reason, rescans read only what changed, the
folder is never written to, and a typed conversation ends by playing a stretch of a real file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.music.library import REASONS, Library
from assistant.music.sources import open_catalog
from scripts.make_music_folder import (
    BROKEN,
    FORMATS,
    INTRO_SECONDS,
    Written,
    tag,
    write_music_folder,
)

ROOT = Path(__file__).resolve().parents[1]
ARTISTS = ("The Copper Kites", "Marta Solberg", "Grey Orchard")


def _tree(folder: Path) -> dict[bytes, tuple[int, int]]:
    """Every file under `folder` (bytes names: one is not UTF-8) with its size and modification time."""
    found = {}
    for here, _dirs, files in os.walk(os.fsencode(folder)):
        for name in files:
            path = os.path.join(here, name)
            stat = os.stat(path)
            found[path] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def music(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Written]]]:
    """12 good files (two of each format) by three artists, plus one broken file per skip reason; the
    catalogue cache in a folder of its own."""
    base = tmp_path_factory.mktemp("library")
    folder = base / "Music"
    written = write_music_folder(folder, 12, distinct=6, broken=True, artists=ARTISTS)
    previous = os.environ.get("TUNETALK_CATALOG_CACHE")
    os.environ["TUNETALK_CATALOG_CACHE"] = str(base / "cache")
    try:
        yield folder, written
    finally:
        if previous is None:
            os.environ.pop("TUNETALK_CATALOG_CACHE", None)
        else:
            os.environ["TUNETALK_CATALOG_CACHE"] = previous


@pytest.fixture(scope="module")
def first_scan(music: tuple[Path, list[Written]]) -> tuple[Library, object, list[str]]:
    folder, _ = music
    library = Library(folder)
    lines: list[str] = []
    before = _tree(folder)
    report = library.scan(workers=1, log=lines.append)
    assert _tree(folder) == before, "the scan wrote into the music folder"
    return library, report, lines


def test_every_good_file_becomes_a_track_with_its_tags(music, first_scan) -> None:
    _folder, written = music
    library, report, _ = first_scan
    tracks = {Path(t.preview or ""): t for t in library.tracks()}
    assert report.analyzed == len(written) == len(tracks)  # type: ignore[attr-defined]
    assert {p.suffix.lstrip(".") for p in tracks} == set(FORMATS)
    for w in written:
        track = tracks[w.path]
        assert (track.artist, track.title, track.album, track.year) == (w.artist, w.title, w.album, w.year)
        assert track.subgenre == w.genre, "the tag's genre is kept as the subgenre"
        assert track.genre == w.track.genre, "and normalized to its family (indie rock -> rock)"
        assert 15_000 <= track.duration_ms <= 25_000
        assert track.preview_start >= INTRO_SECONDS - 0.5, "the preview starts past the quiet intro"


def test_broken_files_are_skipped_by_reason_with_a_line_each(first_scan) -> None:
    _, report, lines = first_scan
    expected = Counter(BROKEN.values()) + Counter({"bad_name": 1})
    assert report.skipped == expected  # type: ignore[attr-defined]
    assert len([line for line in lines if line.startswith("skipped ")]) == sum(expected.values())
    for name, reason in BROKEN.items():
        assert any(name in line and REASONS[reason] in line for line in lines), (name, reason)
    assert any("caf\\xe9 latin-1.mp3" in line for line in lines)


def test_a_rescan_reads_only_what_changed(music, first_scan, tmp_path: Path) -> None:
    folder, written = music
    library, _, _ = first_scan
    quiet = library.scan(workers=1)
    assert (quiet.analyzed, quiet.reused, quiet.removed, quiet.new_skips) == (0, 0, 0, 0)
    assert quiet.unchanged == quiet.files and not quiet.changed

    touched, retagged, removed = written[0].path, written[1].path, written[2].path
    os.utime(touched, ns=(os.stat(touched).st_atime_ns, os.stat(touched).st_mtime_ns + 10**9))
    tag(retagged, "Grey Orchard", "A New Name", written[1].album, written[1].genre, written[1].year)
    kept = tmp_path / removed.name
    shutil.move(removed, kept)
    added = folder / "New" / ("added" + written[3].path.suffix)
    added.parent.mkdir()
    shutil.copyfile(written[3].path, added)
    tag(added, "Marta Solberg", "Just Added", "New", "bebop", 1959)
    try:
        report = library.scan(workers=1)
        assert (report.analyzed, report.reused, report.removed) == (2, 1, 1)  # retagged + added
        titles = {t.title for t in library.tracks()}
        assert {"A New Name", "Just Added"} <= titles and written[2].title not in titles
        added_track = next(t for t in library.tracks() if t.title == "Just Added")
        assert (added_track.genre, added_track.subgenre, added_track.year) == ("jazz", "bebop", 1959)
    finally:
        shutil.move(kept, removed)
        shutil.rmtree(added.parent)
        tag(
            retagged, written[1].artist, written[1].title, written[1].album, written[1].genre, written[1].year
        )
    restored = library.scan(workers=1)
    assert restored.removed == 1 and restored.reused + restored.analyzed == 2


def test_the_catalogue_store_is_built_once_and_opened_after(music, first_scan) -> None:
    folder, _written = music
    built = open_catalog([folder], workers=1, log=lambda line: None)
    again = open_catalog([folder], workers=1, log=lambda line: None)
    assert getattr(again, "store_folder", None) is not None, "the second open maps the store"
    assert list(again.tracks) == list(built.tracks)
    assert sorted(again.artist_names) == sorted(ARTISTS)


def test_a_clip_is_cut_from_the_real_file_past_the_intro(first_scan) -> None:
    from assistant.music.decode import read_segment
    from audio.clips import DEFAULT_SECONDS, load_clip

    library, _, _ = first_scan
    one_each = {Path(t.preview or "").suffix: t for t in library.tracks()}
    assert set(one_each) == {f".{f}" for f in FORMATS}
    for track in one_each.values():
        samples, rate = load_clip(track)
        assert rate == 24_000 and len(samples) == pytest.approx(DEFAULT_SECONDS * rate, rel=0.01)
        intro, _ = read_segment(Path(track.preview or ""), 0.0, INTRO_SECONDS)
        level, intro_level = (float(np.sqrt(np.mean(x**2))) for x in (samples, intro))
        assert level > 5 * intro_level, f"{track.preview}: the clip is the body, not the quiet intro"


def test_descriptors_follow_the_features_the_clips_were_made_from() -> None:
    """The demo catalogue's synthesized clips are made from energy, valence (as major or minor harmony)
    and tempo, so they are one honest check of the descriptors (no Spotify row comes with audio).
    On these 92 clips: Spearman 0.84 for energy, major-vs-minor AUC 0.82 for valence, tempo within 4 %
    (or an octave) for 76 %; docs/library.md has the figures on 229."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    from assistant.music.catalog import load_catalog
    from assistant.music.descriptors import describe
    from audio.clips import DEFAULT_RATE, plan_clip, synthesize_clip

    tracks = list(load_catalog().tracks)[::10]
    found = [describe(synthesize_clip(t), DEFAULT_RATE) for t in tracks]
    energy = spearmanr([t.energy for t in tracks], [d.energy for d in found])[0]
    major = roc_auc_score([not plan_clip(t).minor for t in tracks], [d.valence for d in found])
    ratio = np.array([d.tempo / t.tempo for t, d in zip(tracks, found, strict=True)])
    tempo_ok = np.mean((abs(ratio - 1) < 0.04) | (abs(ratio - 2) < 0.08) | (abs(ratio - 0.5) < 0.02))
    assert energy >= 0.8 and major >= 0.75 and tempo_ok >= 0.65, (energy, major, tempo_ok)
    assert all(0 <= d.energy <= 1 and 0 <= d.valence <= 1 and 0 <= d.danceability <= 1 for d in found)


def test_scan_then_a_typed_conversation_ends_playing_a_real_file(music, tmp_path: Path) -> None:
    """The path people run: `library scan DIR` (parallel workers, progress), then `replay` on the folder,
    naming an artist from the tags with other case and no "the"; the accepted track's clip comes from
    its file."""
    folder, written = music
    env = {**os.environ, "TUNETALK_HOME": str(tmp_path / "home")}
    env["TUNETALK_CATALOG_CACHE"] = str(tmp_path / "cache")
    scan = subprocess.run(
        [sys.executable, "main.py", "library", "scan", str(folder), "--workers", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert scan.returncode == 0, scan.stderr
    assert f"{len(written)} tracks in the catalogue ({len(written)} analyzed" in scan.stdout
    assert "skipped 8 files:" in scan.stdout and "truncated audio" in scan.stdout
    rescan = subprocess.run(
        [sys.executable, "main.py", "library", "scan", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert "(0 analyzed" in rescan.stdout and rescan.stderr.count("skipped") == 0

    played = tmp_path / "played"
    turns = "help me find music\nsomething by copper kites\nyes\n"
    result = subprocess.run(
        [sys.executable, "main.py", "replay", "-", "--catalog", str(folder), "--nlu", "rules",
         "--no-log", "--play-to", str(played)],
        cwd=ROOT, input=turns, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "outcome: accepted:" in result.stdout and "by The Copper Kites" in result.stdout
    station = sorted(played.glob("*-station.wav"))
    assert len(station) == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith(f"played: {station[0]}"))
    source = Path(line.split("cut from ", 1)[1].rsplit(" at ", 1)[0])
    assert source.parent.parent.name == "The Copper Kites" and source.is_file()

    from assistant.music.decode import read_segment
    from audio.sound import read_wav

    start = float(line.rsplit(" at ", 1)[1].split(" s")[0])
    heard = read_wav(station[0])
    expected, rate = read_segment(source, start, 8.0)
    assert heard.rate == rate and abs(len(heard.samples) - len(expected)) <= 1
    middle = slice(rate, 7 * rate)  # away from the fades
    assert np.allclose(heard.samples[middle], expected[middle], atol=2e-3)


def test_a_missing_folder_is_one_line_and_status_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "main.py", "library", "scan", str(tmp_path / "nowhere")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "TUNETALK_CATALOG_CACHE": str(tmp_path / "cache")},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"tunetalk: {tmp_path / 'nowhere'}: no such catalogue file or music folder"
    ]
