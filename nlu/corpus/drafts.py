"""Drafts of training utterances: segments that know their slot, rendered to text whose spans stay exact."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Draft", "Example", "Seg", "pick_forms"]


@dataclass(frozen=True)
class Example:
    text: str
    act: str
    spans: tuple[tuple[int, int, str, str], ...]
    """(start, end, slot, value) with text[start:end] the words that said it."""
    sentiment: float


@dataclass
class Seg:
    text: str
    slot: str | None = None
    value: str = ""
    glue: bool = False
    """Attach to the previous segment without a space (punctuation, "'s")."""


@dataclass
class Draft:
    segs: list[Seg] = field(default_factory=list)
    act: str = "inform"
    valence: float = 0.0
    reaction: bool = False
    """A reaction whose feeling capitals, "!" and stretching should amplify."""

    def add(self, text: str, slot: str | None = None, value: str = "", glue: bool = False) -> Draft:
        for i, word in enumerate(text.split(" ") if slot is None and text else [text]):
            if word:
                self.segs.append(Seg(word, slot, value, glue and i == 0))
        return self


def pick_forms(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    forms = []
    for canonical, surfaces in table.items():
        for surface in {canonical.replace("_", " "), *surfaces}:
            forms.append((surface, canonical))
    return sorted(forms)
