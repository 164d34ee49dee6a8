"""The status line: catalogue, policy, understanding model, audio, and whether the assistant is busy."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["StatusLine"]


class StatusLine(Widget):
    """One line; each field is set by the app as the session, audio and turns come and go."""

    DEFAULT_CSS = """
    StatusLine { height: 1; }
    """

    catalog: reactive[str] = reactive("loading catalogue and understanding…")
    policy: reactive[str] = reactive("")
    understanding: reactive[str] = reactive("")
    audio: reactive[str] = reactive("audio: checking")
    activity: reactive[str] = reactive("")

    def render(self) -> Content:
        fields = [self.catalog, self.policy, self.understanding, self.audio, self.activity]
        return Content(" │ ".join(f for f in fields if f))
