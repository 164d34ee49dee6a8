"""The "why" panel: what the assistant knows, how many tracks still fit, and how the policy chose."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.content import Content
from textual.widgets import Static

from assistant.dialogue.actions import Action
from assistant.dialogue.state import DialogueState
from assistant.music.constraints import Constraints, describe

__all__ = ["ACTION_LABELS", "Decided", "WhyPanel", "explain"]

ACTION_LABELS: dict[str, str] = {
    Action.OPEN_QUESTION: "open question",
    Action.MOOD_QUESTION: "mood question",
    Action.GENRE_PAIR: "genre pair",
    Action.ERA_QUESTION: "era question",
    Action.ACTIVITY_QUESTION: "activity",
    Action.ARTIST_SUGGESTION: "artist",
    Action.PLAY_SAMPLE: "play sample",
    Action.OFFER_STATION: "offer station",
    Action.FEEL_AND_GENRE: "feel and genre",
}
_NO_DECISION = {
    "repeat": "asked again (not understood)",
    "confirm": "checking what I heard",
    "answer": "answering a question",
    "ended": "conversation over",
}
_BAR = 5
_LABEL = 15
"""Columns: marker and label 15, p 5, bar 1+5, score 5: 31 cells, the side panel's inner width at 80."""


@dataclass(frozen=True)
class Decided:
    """One policy decision as the panel shows it (from a Reply and the Decision event)."""

    turn: int
    action: str
    probabilities: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    policy: str = ""


def _knows(c: Constraints) -> str:
    if not any(c.known().values()):
        return "nothing yet"
    text = describe(c)
    if c.tempo is not None:
        text += f", ~{c.tempo:.0f} bpm"
    return text


def _row(label: str, value: str) -> Content:
    return Content.assemble((f"{label:<7}", "dim"), value)


def explain(
    state: DialogueState | None,
    decided: Decided | None,
    *,
    reply_action: str = "",
    closeness: float | None = None,
    empathy: str = "",
) -> Content:
    """The panel's text. Pure, so tests can check it without a screen."""
    if state is None or state.turn == 0:
        return Content.from_markup(
            "[dim]Nothing decided yet. After each turn this shows what I know, how many tracks still "
            "fit, and the odds the policy gave each kind of prompt.[/]"
        )
    lines: list[Content] = []
    if state.status != "active":
        head = f"turn {state.turn} · ended: {state.status}"
    elif reply_action in _NO_DECISION:
        head = f"turn {state.turn} · {_NO_DECISION[reply_action]}"
    elif decided is not None:
        head = f"turn {state.turn} · chose {ACTION_LABELS.get(decided.action, decided.action)}"
    else:
        head = f"turn {state.turn}"
    lines.append(Content.styled(head, "bold"))
    if closeness is not None:
        lines.append(_row("goal", f"{closeness:.2f} · {empathy} tone"))
    c = state.constraints
    lines.append(_row("knows", _knows(c)))
    passed = [*c.avoid_genres, *c.avoid_artists]
    if state.rejected:
        passed.append(f"{len(state.rejected)} sample{'s' if len(state.rejected) != 1 else ''}")
    if passed:
        lines.append(_row("passed", ", ".join(passed)))
    if state.unknown:
        lines.append(_row("any", ", ".join(sorted(state.unknown))))
    if state.candidates is not None:
        stats = state.candidates
        lines.append(_row("tracks", f"{stats.n_candidates:,} fit · best match {stats.top_match:.2f}"))
    if decided is not None and decided.probabilities:
        title = decided.policy or "policy"
        if decided.turn != state.turn:
            title = f"{title}, turn {decided.turn}"
        lines.append(Content.styled(f"{title[:_LABEL]:<{_LABEL}}{'p':>5} {'':<{_BAR}}{'score':>5}", "dim"))
        for action in Action:
            if action.value not in decided.probabilities:
                continue
            p = decided.probabilities[action.value]
            score = decided.scores.get(action.value)
            chosen = action.value == decided.action
            bar = "█" * round(p * _BAR)
            mark = "▸" if chosen else " "
            text = f"{mark} {ACTION_LABELS[action]:<{_LABEL - 2}}{p:>5.2f} {bar:<{_BAR}}"
            if score is not None:
                text += f"{score:>5.2f}"
            lines.append(Content.styled(text, "bold $accent" if chosen else ""))
    return Content("\n").join(lines)


class WhyPanel(Static):
    """Reads the dialogue state after each turn; never changes it."""

    DEFAULT_CSS = """
    WhyPanel { height: auto; }
    """

    def show(
        self,
        state: DialogueState | None,
        decided: Decided | None,
        *,
        reply_action: str = "",
        closeness: float | None = None,
        empathy: str = "",
    ) -> None:
        self.update(explain(state, decided, reply_action=reply_action, closeness=closeness, empathy=empathy))

    def on_mount(self) -> None:
        self.show(None, None)
