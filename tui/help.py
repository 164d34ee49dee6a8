"""F1: what to say and which keys do what."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from assistant.dialogue.phrasing import HELP_TEXT

__all__ = ["KEYS", "HelpScreen"]

KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "send what you typed"),
    ("ctrl+l", "like: yes to the sample playing"),
    ("ctrl+s", "skip the sample (or station track)"),
    ("ctrl+p", "play / pause the clip"),
    ("ctrl+n", "start a new conversation"),
    ("ctrl+t", "light / dark theme"),
    ("pgup/pgdn", "scroll the conversation"),
    ("f1", "this help (esc closes)"),
    ("ctrl+q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss_help", "Close", priority=True),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    HelpScreen .keys { margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        keys = Content("\n").join(Content.assemble((f"{key:<10}", "bold"), what) for key, what in KEYS)
        with VerticalScroll() as box:
            box.border_title = "Help"
            box.border_subtitle = "esc to close"
            yield Static(HELP_TEXT, markup=False)
            yield Static(keys, classes="keys")
            yield Static(
                "The why panel shows what I know so far, how many tracks still fit, and the probability "
                "the policy gave each kind of prompt (▸ marks the one it chose).",
                classes="keys",
                markup=False,
            )

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
