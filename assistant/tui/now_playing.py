"""The now-playing panel: the sample or station track, a progress bar of its clip, play/pause, like, skip."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, ProgressBar, Static

from assistant.catalog import Track

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

    def compose(self) -> ComposeResult:
        yield Static("Nothing playing yet", id="np-title", markup=False)
        yield Static("", id="np-artist", markup=False)
        yield Static("", id="np-meta", markup=False)
        with Horizontal(classes="np-row"):
            yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="np-bar")
            yield Static("0:00/0:00", id="np-time")
        with Horizontal(classes="np-row"):
            yield _Key("Play", id="np-play", compact=True, action="app.play_pause")
            yield _Key("Like", id="np-like", compact=True, action="app.like")
            yield _Key("Skip", id="np-skip", compact=True, action="app.skip")
        yield Static("", id="np-next", markup=False)
        yield Static("", id="np-audio", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Now playing"
        self.query_one("#np-next").display = False

    # -- what is loaded ---------------------------------------------------------------------------
    def show_track(self, track: Track | None, kind: str = "sample", upcoming: Sequence[Track] = ()) -> None:
        """`kind` is "sample" (a preview awaiting an answer) or "station" (accepted music)."""
        title = self.query_one("#np-title", Static)
        artist = self.query_one("#np-artist", Static)
        meta = self.query_one("#np-meta", Static)
        following = self.query_one("#np-next", Static)
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
        artist.update(track.artist)
        genre = track.genre if track.subgenre == track.genre else f"{track.genre} · {track.subgenre}"
        meta.update(f"{genre} · {track.year} · {track.mood}")
        if upcoming:
            following.update(
                Content.assemble(("next: ", "bold"), f"{upcoming[0].title} — {upcoming[0].artist}")
            )
            following.display = True
        else:
            following.display = False

    def set_progress(self, position: float, duration: float, *, playing: bool) -> None:
        self.query_one("#np-bar", ProgressBar).update(total=max(duration, 1e-6), progress=position)
        self.query_one("#np-time", Static).update(f"{clock_text(position)}/{clock_text(duration)}")
        self.query_one("#np-play", Button).label = "Pause" if playing else "Play"

    def set_audio(self, live: bool, reason: str) -> None:
        """With audio off the bar still runs on the clock (a silent preview), so only this line differs."""
        line = self.query_one("#np-audio", Static)
        line.update("audio on" if live else f"audio off: {reason}")
        line.tooltip = None if live else f"Audio is off ({reason}); clips run as a silent preview."
