"""Clip synthesis: an upbeat clip measurably differs from a laid-back one, clips are well-formed and
deterministic, and the cache lives outside the repository and is reused."""

from __future__ import annotations

import dataclasses
import random
import wave
from pathlib import Path

import numpy as np
import pytest

import audio.clips.cache as clip_cache
from assistant.music.catalog import Catalog, Track, load_catalog
from audio.clips import (
    DEFAULT_RATE,
    PALETTES,
    clip_cache_dir,
    clip_path,
    load_clip,
    palette_for,
    plan_clip,
    synthesize_clip,
)
from tests.conftest import ROOT, SHARED_DATA

RATE = DEFAULT_RATE


# ----------------------------------------------------------------------------------------------------
# Measurements (numpy only): what a listener would notice.


def _spectrogram(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    count = 1 + (len(x) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    return np.abs(np.fft.rfft(x[index] * np.hanning(size), axis=1))


def onset_rate(x: np.ndarray, rate: int = RATE) -> float:
    """Note and drum onsets per second: peaks of the spectral flux.

    Flux = the summed rise of log-compressed magnitude in 24 log-spaced bands (50 Hz..8 kHz) from one
    frame (2048 samples, hop 256) to the next. A peak counts when it stands 0.3 above the median flux of
    the surrounding 0.2 s and 50 ms after the previous one. A steady tone scores 0, a click train its rate.
    """
    hop, size = 256, 2048
    mag = _spectrogram(x, size, hop)
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    band_of = np.digitize(freqs, np.geomspace(50.0, min(8000.0, rate / 2), 25)) - 1
    bands = np.stack([mag[:, band_of == b].sum(axis=1) for b in range(24)], axis=1)
    bands = np.log1p(10.0 * bands / (bands.max() or 1.0))
    flux = np.maximum(np.diff(bands, axis=0), 0.0).sum(axis=1)
    w = int(0.1 * rate / hop)
    padded = np.pad(flux, w, mode="edge")
    local = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1), axis=1)
    gap = int(0.05 * rate / hop)
    peaks, last = 0, -gap
    for i in range(1, len(flux) - 1):
        if flux[i] > local[i] + 0.3 and flux[i] >= flux[i - 1] and flux[i] >= flux[i + 1] and i - last >= gap:
            peaks, last = peaks + 1, i
    return peaks / (len(x) / rate)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def centroid(x: np.ndarray, rate: int = RATE) -> float:
    """Spectral centroid in Hz of the average magnitude spectrum: how bright the clip sounds."""
    power = _spectrogram(x, 1024, 512).mean(axis=0)
    return float((np.fft.rfftfreq(1024, 1.0 / rate) * power).sum() / power.sum())


def chroma(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Energy per pitch class (0 = C) of 80 Hz..2 kHz."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    keep = (freqs > 80) & (freqs < 2000)
    classes = np.round(12 * np.log2(freqs[keep] / 440.0) + 69).astype(int) % 12
    return np.bincount(classes, weights=spectrum[keep], minlength=12)


def test_the_onset_measure_counts_onsets_and_ignores_steady_tones() -> None:
    t = np.arange(8 * RATE) / RATE
    steady = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    clicks = np.zeros(8 * RATE, dtype=np.float32)
    for k in range(32):  # 4 clicks a second
        start = int(k * RATE / 4)
        burst = np.random.default_rng(k).uniform(-1, 1, 400) * np.exp(-np.arange(400) / 60)
        clicks[start : start + 400] += burst.astype(np.float32)
    assert onset_rate(steady) == 0.0
    assert 3.5 <= onset_rate(clicks) <= 4.5


# ----------------------------------------------------------------------------------------------------
# Upbeat vs laid back, measured on the demo catalogue


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog()


def _measure(tracks: list[Track]) -> np.ndarray:
    rows = []
    for track in tracks:
        x = synthesize_clip(track)
        rows.append((onset_rate(x), rms(x), centroid(x)))
    return np.array(rows)


@pytest.fixture(scope="module")
def thirds(demo: Catalog) -> tuple[np.ndarray, np.ndarray]:
    """Onset rate, RMS and centroid of the calmest and most energetic thirds of 60 random tracks."""
    sample = sorted(random.Random(0).sample(list(demo.tracks), 60), key=lambda t: t.energy)
    return _measure(sample[:20]), _measure(sample[-20:])


@pytest.mark.parametrize(("column", "what"), [(0, "onsets per second"), (1, "RMS"), (2, "spectral centroid")])
def test_energetic_clips_are_busier_louder_and_brighter_than_calm_ones(
    thirds: tuple[np.ndarray, np.ndarray], column: int, what: str
) -> None:
    low, high = thirds[0][:, column], thirds[1][:, column]
    assert high.mean() > 1.5 * low.mean(), f"{what}: calm {low.mean():.3f} vs energetic {high.mean():.3f}"
    paired = np.mean(high > low)  # i-th calmest against i-th most energetic
    every = np.mean(high[:, None] > low[None, :])
    assert paired >= 0.85, f"{what}: only {paired:.0%} of pairs ordered"
    assert every >= 0.9, f"{what}: only {every:.0%} of all calm/energetic pairs ordered"


def test_within_every_genre_the_most_energetic_track_sounds_more_upbeat_than_the_calmest(
    demo: Catalog,
) -> None:
    ordered = {"onsets": 0, "rms": 0, "centroid": 0}
    genres = sorted({t.genre for t in demo.tracks})
    for genre in genres:
        tracks = sorted((t for t in demo.tracks if t.genre == genre), key=lambda t: t.energy)
        (calm, *_), (upbeat, *_) = _measure([tracks[0]]), _measure([tracks[-1]])
        for key, a, b in zip(ordered, calm, upbeat, strict=True):
            ordered[key] += int(b > a)
    assert ordered["rms"] == len(genres)
    assert ordered["centroid"] == len(genres)
    assert ordered["onsets"] >= len(genres) - 1, ordered


def test_happy_clips_are_in_major_and_sad_ones_in_minor(demo: Catalog) -> None:
    """The major third (4 semitones above the tonic) outweighs the minor third (3) when valence is high,
    and the other way round when it is low, in most clips (power-chord metal leaves thirds to the melody)."""
    rng = random.Random(1)
    happy = rng.sample([t for t in demo.tracks if t.valence >= 0.65], 30)
    sad = rng.sample([t for t in demo.tracks if t.valence <= 0.3], 30)

    def major_share(tracks: list[Track]) -> float:
        wins = 0
        for track in tracks:
            plan, profile = plan_clip(track), chroma(synthesize_clip(track))
            wins += profile[(plan.tonic + 4) % 12] > profile[(plan.tonic + 3) % 12]
        return wins / len(tracks)

    assert all(not plan_clip(t).minor for t in happy) and all(plan_clip(t).minor for t in sad)
    assert major_share(happy) >= 0.85
    assert major_share(sad) <= 0.15


# ----------------------------------------------------------------------------------------------------
# Well-formed, deterministic clips


def _track(**changes: object) -> Track:
    base = Track(
        id="t-1",
        title="Test",
        artist="Tester",
        genre="rock",
        subgenre="indie rock",
        year=2001,
        energy=0.6,
        valence=0.5,
        tempo=120.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("palette", sorted(PALETTES))
def test_every_palette_gives_a_clean_clip(palette: str) -> None:
    for energy in (0.1, 0.9):
        x = synthesize_clip(_track(subgenre=palette, energy=energy))
        assert x.dtype == np.float32 and x.ndim == 1
        assert len(x) == 8 * RATE
        assert np.isfinite(x).all()
        assert np.abs(x).max() <= 0.99, "clipping"
        assert np.mean(np.abs(x) > 0.97) < 0.001
        assert rms(x) > 0.02, "silent"
        assert np.abs(x[:10]).max() < 0.05 and np.abs(x[-10:]).max() < 0.01, "no fade in/out"


def test_clips_are_deterministic_per_track_and_differ_between_tracks() -> None:
    a, b = synthesize_clip(_track()), synthesize_clip(_track())
    assert np.array_equal(a, b)
    assert not np.array_equal(a, synthesize_clip(_track(id="t-2")))


@pytest.mark.parametrize("seconds", [6.0, 8.0, 10.0])
def test_clips_have_the_requested_length(seconds: float) -> None:
    assert len(synthesize_clip(_track(), seconds=seconds)) == round(seconds * RATE)
    assert len(synthesize_clip(_track(), sample_rate=16000, seconds=seconds)) == round(seconds * 16000)


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"seconds": 0.2}, "seconds"), ({"sample_rate": 100}, "rate")]
)
def test_impossible_clip_requests_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synthesize_clip(_track(), **kwargs)  # type: ignore[arg-type]


def test_tempo_sets_the_beat_grid() -> None:
    slow = plan_clip(_track(tempo=70.0))
    fast = plan_clip(_track(tempo=170.0))
    assert slow.bpm == 70.0 and fast.bpm == 170.0
    assert plan_clip(_track(tempo=0.0)).bpm > 0  # unknown tempo: guessed from energy
    assert plan_clip(_track(tempo=290.0)).bpm == 200.0  # capped so the grid stays playable


@pytest.mark.parametrize(
    ("genre", "subgenre", "palette"),
    [
        ("edm", "big room", "house"),
        ("rap", "southern hip hop", "trap"),
        ("rock", "permanent wave", "alternative rock"),
        ("latin", "tropical", "reggaeton"),
        ("r&b", "new jack swing", "funk"),
        ("pop", "post-teen pop", "dance pop"),
        ("jazz", "gypsy jazz", "cool jazz"),  # unknown subgenre: the genre's palette
    ],
)
def test_real_catalogue_labels_map_to_palettes(genre: str, subgenre: str, palette: str) -> None:
    assert palette_for(_track(genre=genre, subgenre=subgenre)) == palette


def test_unknown_genres_get_a_palette_from_their_features() -> None:
    calm_acoustic = _track(genre="k-folk", subgenre="k-folk", energy=0.2, acousticness=0.9)
    loud = _track(genre="j-rock", subgenre="j-rock", energy=0.9)
    assert palette_for(calm_acoustic) == "indie folk"
    assert palette_for(loud) == "alternative rock"
    assert rms(synthesize_clip(loud)) > 0.02


@pytest.mark.shared_data
@pytest.mark.skipif(not (SHARED_DATA / "catalog").exists(), reason="../shared/data/catalog is absent")
def test_real_spotify_tracks_get_clips_from_their_features() -> None:
    real = load_catalog(SHARED_DATA / "catalog" / "spotify_songs.csv")
    for track in random.Random(3).sample(list(real.tracks), 12):
        assert track.preview is None
        x = synthesize_clip(track)
        assert len(x) == 8 * RATE and rms(x) > 0.02 and np.abs(x).max() <= 0.99
        assert plan_clip(track).palette in PALETTES


# ----------------------------------------------------------------------------------------------------
# Cache and loading


def test_the_default_cache_is_outside_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TUNETALK_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    default = clip_cache_dir()
    assert default == Path.home() / ".cache" / "tunetalk" / "clips"
    assert not default.resolve().is_relative_to(ROOT.resolve())
    monkeypatch.setenv("TUNETALK_CACHE", str(tmp_path / "cache"))
    assert clip_cache_dir() == tmp_path / "cache" / "clips"


def test_a_cached_clip_is_a_16_bit_wav_and_is_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    track = _track()
    path = clip_path(track, tmp_path)
    with wave.open(str(path), "rb") as handle:
        assert (handle.getnchannels(), handle.getsampwidth(), handle.getframerate()) == (1, 2, RATE)
        assert handle.getnframes() == 8 * RATE
    stamp = path.stat().st_mtime_ns

    def no_synthesis(*_: object, **__: object) -> np.ndarray:
        raise AssertionError("re-synthesized a cached clip")

    monkeypatch.setattr(clip_cache, "synthesize_clip", no_synthesis)
    assert clip_path(track, tmp_path) == path
    assert path.stat().st_mtime_ns == stamp
    samples, rate = load_clip(track, cache_dir=tmp_path)
    assert rate == RATE and len(samples) == 8 * RATE
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left behind


def test_the_cache_key_follows_the_features_and_the_synthesizer_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    track = _track()
    first = clip_path(track, tmp_path)
    assert clip_path(_track(energy=0.61), tmp_path) != first
    assert clip_path(track, tmp_path, seconds=6.0) != first
    monkeypatch.setattr(clip_cache, "SYNTH_VERSION", clip_cache.SYNTH_VERSION + 1)
    assert clip_path(track, tmp_path) != first


def test_the_default_cache_is_used_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUNETALK_CACHE", str(tmp_path))
    path = clip_path(_track())
    assert path.parent == tmp_path / "clips" and path.is_file()


def test_a_real_preview_is_played_when_it_exists(tmp_path: Path) -> None:
    from audio.sound import Sound, write_wav

    tone = (0.25 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
    preview = write_wav(tmp_path / "preview.wav", Sound(tone, 16000))
    samples, rate = load_clip(_track(preview=str(preview)), cache_dir=tmp_path / "cache")
    assert rate == 16000 and len(samples) == 16000
    assert np.allclose(samples, tone, atol=1e-3)
    assert not (tmp_path / "cache").exists()  # nothing synthesized


@pytest.mark.parametrize("kind", ["missing", "garbage", "empty"])
def test_an_unusable_preview_falls_back_to_a_synthesized_clip(tmp_path: Path, kind: str) -> None:
    preview = tmp_path / "preview.wav"
    if kind == "garbage":
        preview.write_bytes(b"RIFF....not really a wave file" * 10)
    elif kind == "empty":
        preview.write_bytes(b"")
    samples, rate = load_clip(_track(preview=str(preview)), cache_dir=tmp_path / "cache")
    assert rate == RATE and len(samples) == 8 * RATE and rms(samples) > 0.02


def test_an_unwritable_cache_still_gives_a_clip(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(OSError):
        clip_path(_track(), blocker)
    samples, rate = load_clip(_track(), cache_dir=blocker)
    assert rate == RATE and len(samples) == 8 * RATE
