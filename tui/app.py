"""The terminal UI: a thin Textual app over the dialogue engine.

The app owns no dialogue logic. It hands typed text to `DialogueManager.step` in a worker thread, shows
the reply, and lets the panels read the state. Everything slow runs in workers (building the session,
opening audio, each turn, making a clip), so the window draws the welcome at once and never freezes;
text typed before the session is ready waits in a queue.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input

from assistant.dialogue.actions import Action
from assistant.dialogue.manager import DialogueManager, Reply
from assistant.dialogue.phrasing import WELCOME
from assistant.dialogue.state import Status
from assistant.events import ConversationStarted, Decision, ErrorEvent, Event
from assistant.music.catalog import Catalog, Track
from tui.help import HelpScreen
from tui.now_playing import NowPlaying
from tui.playback import AudioSetup, Clip, Deck, SilentPlayer, detect_audio, silent_clip
from tui.status import StatusLine
from tui.transcript import Transcript
from tui.why import Decided, WhyPanel

__all__ = ["THEMES", "Engine", "TuneTalkApp"]

THEMES = {"dark": "textual-dark", "light": "textual-light"}
QUESTION_SECONDS = 4.0
"""A sample's question ("Did you like it?") shows this long after the sample starts, or as soon as the
person starts typing: asked as the clip starts, nothing could have been heard yet."""
ENDED_HINT = "Type to start a new conversation, or press ctrl+n."


class Engine(Protocol):
    """What the app needs from a session (cli.common.Session provides it)."""

    catalog: Catalog
    policy: Any
    understander: Any
    log: Any

    def new_conversation(self, emit: Any = None) -> DialogueManager: ...


# -- messages from the workers -----------------------------------------------------------------------
class SessionReady(Message):
    def __init__(self, session: Engine, seconds: float) -> None:
        super().__init__()
        self.session = session
        self.seconds = seconds


class SessionFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class AudioReady(Message):
    def __init__(self, setup: AudioSetup) -> None:
        super().__init__()
        self.setup = setup


class ReplyReady(Message):
    def __init__(self, manager: DialogueManager, reply: Reply) -> None:
        super().__init__()
        self.manager = manager
        self.reply = reply


class StepFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class EngineEvent(Message):
    """An event from the dialogue manager's stream, forwarded from the worker thread."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class ClipReady(Message):
    def __init__(self, clip: Clip, token: int) -> None:
        super().__init__()
        self.clip = clip
        self.token = token


def _error_text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class TuneTalkApp(App[None]):
    """tunetalk's everyday way in: chat on the left, now playing and "why" on the right."""

    CSS_PATH = "tunetalk.tcss"
    TITLE = "tunetalk"
    ENABLE_COMMAND_PALETTE = False  # ctrl+p is play/pause here
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "like", "Like", priority=True),
        Binding("ctrl+s", "skip", "Skip", priority=True),
        Binding("ctrl+p", "play_pause", "Play/pause", priority=True),
        Binding("ctrl+n", "new_conversation", "New", priority=True),
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, priority=True),
        Binding("pageup", "scroll_transcript(-1)", show=False),
        Binding("pagedown", "scroll_transcript(1)", show=False),
    ]

    def __init__(
        self,
        load_session: Callable[[], Engine],
        *,
        setup_audio: Callable[[], AudioSetup] | None = None,
        theme: str = "dark",
        tick_seconds: float = 0.25,
        question_seconds: float = QUESTION_SECONDS,
    ) -> None:
        """`load_session` builds the catalogue, understanding and policy (slow: runs in a worker);
        `setup_audio` finds the clip player (default: the voice mode's player when a device exists)."""
        super().__init__()
        self._load_session = load_session
        self._setup_audio = setup_audio or detect_audio
        self._tick_seconds = tick_seconds
        self._question_seconds = question_seconds
        self._question = ""
        """A sample's question not shown yet (Reply.question)."""
        self.theme = THEMES.get(theme, theme)
        self.session: Engine | None = None
        self.manager: DialogueManager | None = None
        """The conversation in progress (or the last one); only replaced under `_lock`."""
        self.audio: AudioSetup | None = None
        self.deck = Deck(SilentPlayer())
        self.load_error = ""
        self.load_seconds: float | None = None
        self._lock = threading.Lock()
        """Held while the engine steps or finishes: the manager is not thread-safe."""
        self._audio_ready = threading.Event()
        self._queue: deque[tuple[str, str]] = deque()
        """("say", text) turns and ("new", "") restarts waiting for the engine, in order."""
        self._thinking = False
        self._ended = False
        self._closed = False
        self._decided: Decided | None = None
        self._policy_name = ""
        self._mode = "idle"
        """"sample" (a preview awaiting an answer), "station" (accepted music) or "idle"."""
        self._station: list[Track] = []
        self._station_index = 0
        self._clip_token = 0
        self._loaded_track_id: str | None = None

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # The panels are held, not queried: a query searches the active screen, which is not this one
        # while help is open.
        self.transcript = Transcript(id="transcript")
        self.entry = Input(placeholder="Type here, Enter sends (F1: help)", id="entry")
        self.entry.cursor_blink = False  # a blinking cursor makes screenshots differ run to run
        self.now_playing = NowPlaying(id="now-playing")
        self.why = WhyPanel(id="why")
        self.status = StatusLine(id="status")
        with Horizontal(id="main"):
            with Vertical(id="conversation"):
                yield self.transcript
                yield self.entry
            with Vertical(id="side"):
                yield self.now_playing
                with VerticalScroll(id="why-box", can_focus=False) as why_box:
                    why_box.border_title = "Why"
                    yield self.why
        yield self.status
        yield Footer()

    def on_mount(self) -> None:
        # The engine's parts report trouble on stderr ("could not write the conversation log ..."); in a
        # full-screen app that would be lost, so it becomes a notification instead.
        self.begin_capture_print(self, stdout=False, stderr=True)
        self.transcript.add("assistant", WELCOME)
        self.entry.focus()
        self._build_session()
        self._open_audio()
        self.set_interval(self._tick_seconds, self._tick)

    @property
    def idle(self) -> bool:
        """Nothing in flight: session settled, audio settled, no turn waiting or running, clip loaded."""
        loaded = self.session is not None or bool(self.load_error)
        clip_pending = self._mode != "idle" and (
            self.deck.clip is None or self.deck.clip.track.id != self._loaded_track_id
        )
        return (
            loaded
            and self.audio is not None
            and not self._thinking
            and not self._queue
            and not clip_pending
            and not self._question
        )

    # -- workers ----------------------------------------------------------------------------------
    @work(thread=True, group="load", exit_on_error=False)
    def _build_session(self) -> None:
        started = time.perf_counter()
        try:
            session = self._load_session()
        except Exception as exc:
            self.post_message(SessionFailed(_error_text(exc)))
            return
        self.post_message(SessionReady(session, time.perf_counter() - started))

    @work(thread=True, group="audio", exit_on_error=False)
    def _open_audio(self) -> None:
        try:
            setup = self._setup_audio()
        except Exception as exc:
            setup = AudioSetup(SilentPlayer(), False, f"audio set-up failed: {_error_text(exc)}")
        self.post_message(AudioReady(setup))

    @work(thread=True, group="dialogue", exit_on_error=False)
    def _step(self, text: str, fresh: bool) -> None:
        try:
            with self._lock:
                if self._closed:
                    return
                session = self.session
                assert session is not None
                if fresh or self.manager is None:
                    self.manager = session.new_conversation(emit=self._forward)
                manager = self.manager
                reply = manager.step(text)
        except Exception as exc:
            self.post_message(StepFailed(_error_text(exc)))
            return
        self.post_message(ReplyReady(manager, reply))

    @work(thread=True, group="clip", exit_on_error=False)
    def _load_clip(self, track: Track, token: int) -> None:
        self._audio_ready.wait(timeout=30)
        audio = self.audio
        try:
            clip = audio.clip_for(track) if audio is not None else silent_clip(track)
        except Exception as exc:
            self.call_from_thread(
                self.notify, f"no clip for {track.title}: {_error_text(exc)}", severity="warning"
            )
            clip = silent_clip(track)
        self.post_message(ClipReady(clip, token))

    def _forward(self, event: Event) -> None:
        """The app's sink on the engine's event stream (called in the worker thread)."""
        if isinstance(event, (ConversationStarted, Decision, ErrorEvent)):
            self.post_message(EngineEvent(event))

    # -- results ----------------------------------------------------------------------------------
    def on_session_ready(self, message: SessionReady) -> None:
        if self._closed:
            return
        session = self.session = message.session
        self.load_seconds = message.seconds
        self.status.catalog = f"{session.catalog.name} · {len(session.catalog):,} tracks"
        self.status.policy = f"policy {getattr(session.policy, 'name', type(session.policy).__name__)}"
        u = session.understander
        self.status.understanding = f"nlu {getattr(u, 'name', type(u).__name__)}"
        self._next()

    def on_session_failed(self, message: SessionFailed) -> None:
        self.load_error = message.error
        self.status.catalog = "not loaded"
        self.status.activity = ""
        self.transcript.add(
            "system",
            f"Could not start: {message.error}. Press ctrl+q to quit, then check --catalog and --policy.",
        )
        self.entry.disabled = True

    def on_audio_ready(self, message: AudioReady) -> None:
        self.audio = message.setup
        self.deck = Deck(message.setup.player)
        self._audio_ready.set()
        self.now_playing.set_audio(message.setup.live, message.setup.reason)
        self.status.audio = "audio on" if message.setup.live else "audio off"

    def on_print(self, event: events.Print) -> None:
        text = event.text.strip()
        if text:
            self.notify(text.removeprefix("tunetalk: "), severity="warning", timeout=8)

    def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        if isinstance(event, ConversationStarted):
            # The policy can change per conversation (learned+history once a profile has a history).
            self.status.policy = f"policy {event.policy}"
        elif isinstance(event, Decision):
            self._policy_name = event.policy
        elif isinstance(event, ErrorEvent):
            self.notify(f"{event.stage}: {event.message}", severity="warning")

    def on_reply_ready(self, message: ReplyReady) -> None:
        self._thinking = False
        reply = message.reply
        state = message.manager.state
        self._ask_question()  # a question still waiting comes before whatever is said next
        self.transcript.add("assistant", reply.text)
        if reply.question:
            self._question = reply.question
            self.set_timer(self._question_seconds, self._ask_question)
        if reply.probabilities:
            self._decided = Decided(
                state.turn, reply.action, reply.probabilities, reply.scores, self._policy_name
            )
        self.why.show(
            state, self._decided, reply_action=reply.action, closeness=reply.closeness, empathy=reply.empathy
        )
        if reply.done:
            self._conversation_over(reply)
        elif reply.action == Action.PLAY_SAMPLE and reply.sample is not None:
            self._play(reply.sample, "sample")
        elif self._mode == "sample" and reply.action not in ("repeat", "confirm", "answer"):
            self._stop_music()  # the assistant moved on to a question: that sample is no longer asked about
        self._next()

    def on_step_failed(self, message: StepFailed) -> None:
        self._thinking = False
        self.transcript.add("system", f"Something went wrong on that turn ({message.error}). Try again?")
        self._next()

    def on_clip_ready(self, message: ClipReady) -> None:
        if message.token != self._clip_token or self._closed:
            return  # a newer track was asked for meanwhile
        self.deck.load(message.clip)
        self._loaded_track_id = message.clip.track.id
        self._refresh_progress()

    # -- the conversation -------------------------------------------------------------------------
    @on(Input.Submitted, "#entry")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if text:
            self.say(text)

    @on(Input.Changed, "#entry")
    def _typing(self, event: Input.Changed) -> None:
        if event.value:
            self._ask_question()  # they are answering: ask now, so the transcript reads in order

    def _ask_question(self) -> None:
        if self._question:
            question, self._question = self._question, ""
            self.transcript.add("assistant", question)

    def say(self, text: str, note: str = "") -> None:
        """Send a user turn, as typing it and pressing Enter does."""
        self._ask_question()
        if self._ended:
            # The last conversation is over: whatever comes next opens a new one.
            self._ended = False
            self.transcript.add("system", "New conversation.")
            self._queue.append(("new", ""))
        self.transcript.add("user", text, note)
        self._queue.append(("say", text))
        self._next()

    def _next(self) -> None:
        """Start the next queued turn when the engine is free."""
        if self._closed or self._thinking:
            return
        if self.session is None:
            if self._queue and not self.load_error:
                self.status.activity = "loading, will answer shortly"
            return
        while self._queue:
            kind, text = self._queue.popleft()
            if kind == "new":
                self._reset_conversation()
                continue
            fresh = self.manager is None
            self._thinking = True
            self.status.activity = "thinking…"
            self._step(text, fresh)
            return
        self.status.activity = ""

    def _reset_conversation(self) -> None:
        with self._lock:
            if self.manager is not None:
                self.manager.finish()  # no-op unless it was still going: then logged as unfinished
            self.manager = None
        self._decided = None
        self._policy_name = ""
        self.why.show(None, None)
        if self._mode == "sample":
            self._stop_music()

    def _conversation_over(self, reply: Reply) -> None:
        self._ended = True
        if reply.status == Status.ACCEPTED and reply.station:
            self._station = list(reply.station)
            self._station_index = 0
            first = self._station[0]
            if self.deck.clip is not None and self.deck.clip.track.id == first.id:
                # The accepted sample simply keeps playing, now as the station's first track.
                self._mode = "station"
                self.deck.resume()
                self.now_playing.show_track(first, "station", self._station[1:])
            else:
                self._play(first, "station")
        else:
            self._stop_music()
        self.transcript.add("system", f"Conversation ended ({reply.status}). {ENDED_HINT}")

    # -- music ------------------------------------------------------------------------------------
    def _play(self, track: Track, kind: str) -> None:
        self._mode = kind
        self._clip_token += 1
        self.deck.eject()
        upcoming = self._station[self._station_index + 1 :] if kind == "station" else []
        self.now_playing.show_track(track, kind, upcoming)
        self._refresh_progress()
        self._load_clip(track, self._clip_token)

    def _stop_music(self) -> None:
        self._mode = "idle"
        self._clip_token += 1
        self._station = []
        self.deck.eject()
        self.now_playing.show_track(None)

    def _advance_station(self) -> bool:
        if self._mode != "station" or self._station_index + 1 >= len(self._station):
            return False
        self._station_index += 1
        self._play(self._station[self._station_index], "station")
        return True

    def _tick(self) -> None:
        if self.deck.tick() and self._mode == "station" and not self._advance_station():
            self.now_playing.show_track(None)
            self._mode = "idle"
        self._refresh_progress()

    def _refresh_progress(self) -> None:
        self.now_playing.set_progress(self.deck.position, self.deck.duration, playing=self.deck.playing)

    def _awaiting_answer(self) -> bool:
        """A sample is playing and the assistant's last question was about it."""
        m = self.manager
        clip = self.deck.clip
        return (
            self._mode == "sample"
            and m is not None
            and not m.done
            and m.state.current_sample is not None
            and (clip is None or clip.track.id == m.state.current_sample)
        )

    # -- actions ----------------------------------------------------------------------------------
    def action_like(self) -> None:
        if self._awaiting_answer():
            self.say("yes", "(like)")
        elif self._mode == "station":
            self.notify("This station is already yours; likes of station tracks are not recorded.")
        else:
            self.notify("Nothing to like yet: wait for a sample.")

    def action_skip(self) -> None:
        if self._awaiting_answer():
            self.say("skip", "(skip)")
        elif self._mode == "station":
            if not self._advance_station():
                self.notify("That was the last track of the station.")
        else:
            self.notify("Nothing to skip.")

    def action_play_pause(self) -> None:
        if self.deck.clip is None:
            self.notify("Nothing to play yet.")
            return
        self.deck.toggle()
        self._refresh_progress()

    def action_new_conversation(self) -> None:
        if self.manager is None and not self._queue and not self._thinking:
            self.notify("This is a new conversation already: just say what you'd like.")
            return
        self._ended = False
        self._queue.append(("new", ""))
        self.transcript.add("system", "New conversation.")
        self.transcript.add("assistant", WELCOME)
        self._next()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = THEMES["light"] if self.theme == THEMES["dark"] else THEMES["dark"]

    def action_scroll_transcript(self, direction: int) -> None:
        if direction < 0:
            self.transcript.scroll_page_up(animate=False)
        else:
            self.transcript.scroll_page_down(animate=False)

    async def action_quit(self) -> None:
        self.shutdown()
        self.exit(return_code=2 if self.load_error else 0)

    # -- closing ----------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Record an unfinished conversation as such, stop the music, close the log. Idempotent."""
        if self._closed:
            return
        with self._lock:
            self._closed = True
            if self.manager is not None:
                self.manager.finish()
        self.deck.stop()
        if self.audio is not None:
            self.audio.close()
        if self.session is not None:
            if self.session.log is not None:
                self.session.log.close()
            personalizer = getattr(self.session, "personalizer", None)  # --user: listening history
            if personalizer is not None:
                personalizer.store.close()

    def on_unmount(self) -> None:
        self.shutdown()
