"""Transcript replay: a file of user turns in, the whole conversation out (text or JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.reply import Reply
from assistant.dialogue.state import Status

__all__ = ["MAX_LINE", "Transcript", "format_text", "read_turns", "run"]

MAX_LINE = 5000
"""Longer lines are cut here; the understanding cuts further, but a transcript should stay readable."""


def read_turns(stream: TextIO | Iterable[str]) -> Iterator[str]:
    """User turns, one a line. Lines starting with # are comments; an empty line is a turn that said
    nothing (silence, or a mis-press), which the assistant must handle like any other."""
    for raw in stream:
        line = raw.rstrip("\r\n")
        if line.lstrip().startswith("#"):
            continue
        yield line[:MAX_LINE]


@dataclass
class Transcript:
    conversation_id: str
    policy: str
    turns: list[dict[str, Any]] = field(default_factory=list)
    status: str = Status.UNFINISHED
    track: dict[str, Any] | None = None
    station: list[dict[str, Any]] = field(default_factory=list)

    def add(self, user_text: str, reply: Reply) -> None:
        self.turns.append({"speaker": "user", "text": user_text})
        entry: dict[str, Any] = {
            "speaker": "assistant",
            "text": reply.text,
            "action": reply.action,
            "empathy": reply.empathy,
        }
        if reply.sample is not None and reply.action != "close":
            entry["sample"] = reply.sample.summary()
        if reply.question:
            # Asked once the sample has been heard: after it, in the order a listener meets them.
            entry["question"] = reply.question
        self.turns.append(entry)
        if reply.done:
            self.status = reply.status
            if reply.status == Status.ACCEPTED and reply.sample is not None:
                self.track = reply.sample.summary()
                self.station = [t.summary() for t in reply.station]

    def to_dict(self) -> dict[str, Any]:
        outcome: dict[str, Any] = {"status": self.status}
        if self.track is not None:
            outcome["track"] = self.track
            outcome["station"] = [t["id"] for t in self.station]
        user_turns = sum(1 for t in self.turns if t["speaker"] == "user")
        return {
            "conversation_id": self.conversation_id,
            "policy": self.policy,
            "user_turns": user_turns,
            "turns": self.turns,
            "outcome": outcome,
        }


def run(manager: DialogueManager, turns: Iterable[str], on_turn: Any = None) -> Transcript:
    """Feed turns until the conversation ends or the input runs out. `on_turn(user_text, reply)` is called
    as each reply is made, so a streamed transcript can be printed while it happens."""
    transcript = Transcript(manager.conversation_id, manager.policy.name)
    for text in turns:
        reply = manager.step(text)
        transcript.add(text, reply)
        if on_turn is not None:
            on_turn(text, reply)
        if reply.done:
            break
    else:
        manager.finish()
    return transcript


def _assistant_lines(text: str, action: str, sample: dict[str, Any] | None, question: str) -> str:
    lines = f"tunetalk: {text}   [{action}]"
    if question:
        heard = f'"{sample["title"]}" by {sample["artist"]}' if sample else "the sample"
        lines += f"\n          (plays {heard})\ntunetalk: {question}"
    return lines


def format_reply(user_text: str, reply: Reply) -> str:
    sample = reply.sample.summary() if reply.sample is not None else None
    return f"you:      {user_text}\n" + _assistant_lines(reply.text, reply.action, sample, reply.question)


def format_outcome(transcript: Transcript) -> str:
    if transcript.track:
        t = transcript.track
        return (
            f'outcome: {transcript.status}: "{t["title"]}" by {t["artist"]} '
            f"({t['genre']}/{t['subgenre']}, {t['year']}, energy {t['energy']:.2f}, "
            f"valence {t['valence']:.2f}, {t['tempo']:.0f} bpm)"
        )
    return f"outcome: {transcript.status}"


def format_text(transcript: Transcript) -> str:
    lines = []
    for i in range(0, len(transcript.turns) - 1, 2):
        user, assistant = transcript.turns[i], transcript.turns[i + 1]
        said = _assistant_lines(
            assistant["text"], assistant["action"], assistant.get("sample"), assistant.get("question", "")
        )
        lines.append(f"you:      {user['text']}\n{said}")
    lines.append(format_outcome(transcript))
    return "\n".join(lines)
