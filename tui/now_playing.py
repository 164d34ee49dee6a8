"""The now-playing panel: the sample or station track, a progress bar of its clip, play/pause, like, skip."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, ProgressBar, Static

from assistant.music.catalog import Track

__all__ = ["NowPlaying", "clock_text"]


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class _Key(Button, can_focus=False):
    """A compact button that leaves the keyboard focus in the input box."""


class NowPlaying(Vertical):
    """Shows what the deck holds. The app owns the deck; this only displays it and forwards clicks."""

    DEFAULT_CSS = """
    NowPlaying { height: auto; }
    NowPlaying #np-title { text-style: bold; }
    NowPlaying #np-title, NowPlaying #np-artist, NowPlaying #np-next {
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    NowPlaying #np-meta, NowPlaying #np-audio, NowPlaying #np-next { color: $text-muted; }
    NowPlaying .np-row { height: 1; }
    NowPlaying ProgressBar { width: 1fr; }
    NowPlaying ProgressBar Bar { width: 1fr; }
    NowPlaying #np-time { width: auto; margin-left: 1; }
    NowPlaying _Key { margin-right: 1; min-width: 0; }
    NowPlaying #np-play { width: 7; }  /* room for "Pause" as well as "Play" */
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Held, not queried: the clock ticks may arrive while the app is closing and children go away.
        self._title = Static("Nothing playing yet", id="np-title", markup=False)
        self._artist = Static("", id="np-artist", markup=False)
        self._meta = Static("", id="np-meta", markup=False)
        self._bar = ProgressBar(total=1, show_eta=False, show_percentage=False, id="np-bar")
        self._time = Static("0:00/0:00", id="np-time")
        self._play = _Key("Play", id="np-play", compact=True, action="app.play_pause")
        self._next = Static("", id="np-next", markup=False)
        self._audio = Static("", id="np-audio", markup=False)

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._artist
        yield self._meta
        with Horizontal(classes="np-row"):
            yield self._bar
            yield self._time
        with Horizontal(classes="np-row"):
            yield self._play
            yield _Key("Like", id="np-like", compact=True, action="app.like")
            yield _Key("Skip", id="np-skip", compact=True, action="app.skip")
        yield self._next
        yield self._audio

    def on_mount(self) -> None:
        self.border_title = "Now playing"
        self._next.display = False

    # -- what is loaded ---------------------------------------------------------------------------
    def show_track(self, track: Track | None, kind: str = "sample", upcoming: Sequence[Track] = ()) -> None:
        """`kind` is "sample" (a preview awaiting an answer) or "station" (accepted music)."""
        title, artist, meta, following = self._title, self._artist, self._meta, self._next
        if track is None:
            self.border_title = "Now playing"
            title.update("Nothing playing")
            artist.update("")
            meta.update("")
            following.display = False
            self.set_progress(0.0, 0.0, playing=False)
            return
        self.border_title = "Sample" if kind == "sample" else "Now playing · station"
        title.update(track.title)
        artist.update(f"{track.artist} · {track.album}" if track.album else track.artist)
        genre = track.genre if track.subgenre == track.genre else f"{track.genre} · {track.subgenre}"
        # A file from a music folder may have no year in its tags (0): say nothing rather than "0".
        meta.update(" · ".join(str(part) for part in (genre, track.year or "", track.mood) if part))
        if upcoming:
            following.update(
                Content.assemble(("next: ", "bold"), f"{upcoming[0].title} — {upcoming[0].artist}")
            )
            following.display = True
        else:
            following.display = False

    def set_progress(self, position: float, duration: float, *, playing: bool) -> None:
        self._bar.update(total=max(duration, 1e-6), progress=position)
        self._time.update(f"{clock_text(position)}/{clock_text(duration)}")
        self._play.label = "Pause" if playing else "Play"

    def set_audio(self, live: bool, reason: str) -> None:
        """With audio off the bar still runs on the clock (a silent preview), so only this line differs."""
        line = self._audio
        line.update("audio on" if live else f"audio off: {reason}")
        line.tooltip = None if live else f"Audio is off ({reason}); clips run as a silent preview."
