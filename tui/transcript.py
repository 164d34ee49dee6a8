"""The chat transcript: one line block per turn, newest at the bottom, scrolled into view."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

__all__ = ["Transcript"]

_SPEAKERS = {"user": "you", "assistant": "tunetalk", "system": ""}


class Transcript(VerticalScroll, can_focus=False):
    """Holds the conversation as Static blocks classed by speaker (user, assistant, system)."""

    DEFAULT_CSS = """
    Transcript > Static { margin-bottom: 1; }
    """

    def add(self, speaker: str, text: str, note: str = "") -> Static:
        """Append a message; `note` is shown dimmed after it (e.g. "(ctrl+l)")."""
        name = _SPEAKERS[speaker]
        parts: list[str | tuple[str, str]] = []
        if name:
            parts.append((f"{name}: ", "bold"))
        parts.append(text)
        if note:
            parts.append((f"  {note}", "dim"))
        block = Static(Content.assemble(*parts), classes=speaker, markup=False)
        self.mount(block)
        self.scroll_end(animate=False)
        return block

    @property
    def messages(self) -> list[str]:
        """Plain text of every message, oldest first (for tests and the tmux check)."""
        return [str(getattr(child, "content", "")) for child in self.query(Static)]
