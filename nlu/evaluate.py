"""Evaluating understanding components side by side on the held-out set, SNIPS PlayMusic and CPCD.

Metrics:
- act accuracy, and precision/recall per act (the acts about the conversation are measured on the
  held-out meanings set, tests/data/nlu_meanings_heldout.jsonl);
- the command and hand-over marks, an artist's own music, the language: precision/recall where gold says;
- per-slot precision/recall/F1 where a predicted slot counts when its name and normalized value
  equal a gold slot's and the spans overlap (artist/track values compared spacing-, case- and
  accent-insensitively); frame exact match = same act and the same multiset of (slot, value);
- sentiment: Spearman rank correlation with the gold grades, and the share of ordered pairs inside each
  sentiment chain ("Hmm, OK" < "Yes" < "YES!" < ...) that come out strictly in order;
- every SNIPS and CPCD figure also on a spoken-style copy (lower case, no punctuation), as a recognizer
  writes: names then have no capitals to go by;
- SNIPS PlayMusic: exact character-span F1 for artist, genre and year (our era slots whose value is a decade;
  "newer"/"older" are left out because SNIPS labels "newest" as a sort order, not a year);
- CPCD (no gold frames): how often each slot is found in user turns, and recall of "silver" artist mentions
  (artists of the conversation's own tracks named word for word in the turn);
- latency per utterance (one call at a time, median and p95), load time (first call), resident memory.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlu.linking import EntityLinker, name_key
from nlu.meaning import CONFIRM_BELOW, SLOT_NAMES, Act, Understander, Understanding

__all__ = [
    "MEANINGS",
    "Gold",
    "Report",
    "cpcd_turns",
    "evaluate_cpcd",
    "evaluate_frames",
    "evaluate_snips",
    "load_gold",
    "rss_mb",
    "snips_examples",
    "spearman",
    "spoken_style",
    "time_component",
]

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "data" / "nlu_heldout.jsonl"
DEV = ROOT / "tests" / "data" / "nlu_dev.jsonl"
MEANINGS = ROOT / "tests" / "data" / "nlu_meanings_heldout.jsonl"
EVAL_CATALOG = ROOT / "tests" / "data" / "nlu_eval_catalog.json"
SHARED = ROOT.parent / "shared" / "data"
SNIPS = SHARED / "snips" / "train_PlayMusic_full.json"
CPCD = SHARED / "cpcd" / "cpcd_v1.dialogs.dev.train.jsonl"


@dataclass(frozen=True)
class Gold:
    text: str
    act: str
    slots: tuple[tuple[str, str, int, int], ...]
    """(slot, value, start, end)."""
    sentiment: float = 0.0
    chain: str | None = None
    rank: int = 0
    command: bool = False
    hand_over: bool = False
    language: str = "English"
    own: tuple[tuple[int, int], ...] = ()
    """(start, end) of the artist slots said as the artist's own music."""


def load_gold(path: Path = HELDOUT) -> list[Gold]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        slots = tuple((s["slot"], s["value"], s["start"], s["end"]) for s in data["slots"])
        rows.append(
            Gold(
                data["text"],
                data["act"],
                slots,
                data.get("sentiment", 0),
                data.get("chain"),
                data.get("rank", 0),
                bool(data.get("command", False)),
                bool(data.get("hand_over", False)),
                str(data.get("language", "English")),
                tuple((s["start"], s["end"]) for s in data["slots"] if s.get("own")),
            )
        )
    return rows


def eval_linker(path: Path = EVAL_CATALOG) -> EntityLinker:
    data = json.loads(path.read_text(encoding="utf-8"))
    return EntityLinker(artists=data["artists"], titles=data["titles"])


def _value_key(slot: str, value: str) -> str:
    return name_key(value) if slot in ("artist", "track") else value


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0
        i = j + 1
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties)."""
    ra, rb = _ranks(a), _ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    var = (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    return cov / var if var else 0.0


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Every figure of one component on one dataset."""

    component: str
    dataset: str
    n: int = 0
    act_accuracy: float | None = None
    frame_exact: float | None = None
    slots: dict[str, Counts] = field(default_factory=dict)
    acts: dict[str, Counts] = field(default_factory=dict)
    """Per act: a turn of that act read as it (tp), another read as it (fp), it read as another (fn)."""
    marks: dict[str, Counts] = field(default_factory=dict)
    """command, hand_over, own (artist slots matched), language (turns not in English)."""
    sentiment_spearman: float | None = None
    chain_order: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def micro(self, names: Iterable[str] | None = None) -> Counts:
        total = Counts()
        for name, c in self.slots.items():
            if names is None or name in names:
                total.tp += c.tp
                total.fp += c.fp
                total.fn += c.fn
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "dataset": self.dataset,
            "n": self.n,
            "act_accuracy": self.act_accuracy,
            "frame_exact": self.frame_exact,
            "slots": {
                k: {"p": c.precision, "r": c.recall, "f1": c.f1, "tp": c.tp, "fp": c.fp, "fn": c.fn}
                for k, c in self.slots.items()
            },
            "slot_micro_f1": self.micro().f1,
            "acts": {
                k: {"p": c.precision, "r": c.recall, "f1": c.f1, "n": c.tp + c.fn}
                for k, c in self.acts.items()
            },
            "marks": {
                k: {"p": c.precision, "r": c.recall, "f1": c.f1, "n": c.tp + c.fn}
                for k, c in self.marks.items()
            },
            "sentiment_spearman": self.sentiment_spearman,
            "chain_order": self.chain_order,
            **self.extra,
        }


def _understand_all(component: Understander, texts: Sequence[str]) -> list[Understanding]:
    batch = getattr(component, "understand_batch", None)
    return batch(list(texts)) if batch else [component.understand(t) for t in texts]


def evaluate_frames(component: Understander, gold: Sequence[Gold], dataset: str = "heldout") -> Report:
    predictions = _understand_all(component, [g.text for g in gold])
    report = Report(component.name, dataset, len(gold), slots={s: Counts() for s in SLOT_NAMES})
    correct_act = exact = 0
    report.acts = {a.value: Counts() for a in Act}
    report.marks = {m: Counts() for m in ("command", "hand_over", "own", "language")}
    for g, u in zip(gold, predictions, strict=True):
        correct_act += u.act.value == g.act
        if u.act.value == g.act:
            report.acts[g.act].tp += 1
        else:
            report.acts[u.act.value].fp += 1
            report.acts[g.act].fn += 1
        _count_marks(report.marks, g, u)
        remaining = list(g.slots)
        frame_ok = u.act.value == g.act
        for s in u.slots:
            match = next(
                (
                    gs
                    for gs in remaining
                    if gs[0] == s.name
                    and _value_key(gs[0], gs[1]) == _value_key(s.name, s.value)
                    and s.start < gs[3]
                    and gs[2] < s.end
                ),
                None,
            )
            counts = report.slots.setdefault(s.name, Counts())
            if match:
                counts.tp += 1
                remaining.remove(match)
            else:
                counts.fp += 1
                frame_ok = False
        for gs in remaining:
            report.slots.setdefault(gs[0], Counts()).fn += 1
            frame_ok = False
        exact += frame_ok
        if not frame_ok:
            got = ", ".join(f"{s.name}={s.value}" for s in u.slots)
            want = ", ".join(f"{s[0]}={s[1]}" for s in g.slots)
            report.errors.append(f"{g.text!r}: got {u.act.value} [{got}] want {g.act} [{want}]")
    report.act_accuracy = correct_act / len(gold)
    report.frame_exact = exact / len(gold)
    report.extra.update(_confirmations(gold, predictions))
    report.sentiment_spearman = spearman([g.sentiment for g in gold], [u.sentiment for u in predictions])
    chains: dict[str, list[tuple[int, float]]] = {}
    for g, u in zip(gold, predictions, strict=True):
        if g.chain:
            chains.setdefault(g.chain, []).append((g.rank, u.sentiment))
    pairs = ordered = 0
    for members in chains.values():
        members.sort()
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                pairs += 1
                ordered += members[i][1] < members[j][1]
    report.chain_order = ordered / pairs if pairs else None
    return report


def _count(counts: Counts, predicted: bool, gold: bool) -> None:
    counts.tp += predicted and gold
    counts.fp += predicted and not gold
    counts.fn += gold and not predicted


def _count_marks(marks: dict[str, Counts], g: Gold, u: Understanding) -> None:
    _count(marks["command"], u.command, g.command)
    _count(marks["hand_over"], u.hand_over, g.hand_over)
    _count(marks["language"], u.language != "English" and u.language == g.language, g.language != "English")
    if u.language != "English" and u.language != g.language:
        marks["language"].fp += 1
    # Own music: over the gold artist slots the understanding found (an artist missed counts elsewhere).
    for gs in g.slots:
        if gs[0] != "artist":
            continue
        found = next((s for s in u.slots if s.name == "artist" and s.start < gs[3] and gs[2] < s.end), None)
        if found is not None:
            _count(marks["own"], found.own, (gs[2], gs[3]) in g.own)


def _confirmations(gold: Sequence[Gold], predictions: Sequence[Understanding]) -> dict[str, float]:
    """What the confidence is for: of the turns with attributes whose values came out right, how many would
    be asked back needlessly ("Jazz, did I get that right?"), and of those whose values came out wrong, how
    many would be caught. Values only (not spans or act), since that is what a confirmation asks about."""
    right = wrong = asked_right = asked_wrong = 0
    for g, u in zip(gold, predictions, strict=True):
        if not u.slots or u.act in (Act.STOP, Act.GIVE_UP):
            continue
        got = sorted((s.name, _value_key(s.name, s.value)) for s in u.slots)
        want = sorted((s[0], _value_key(s[0], s[1])) for s in g.slots)
        asked = u.confidence < CONFIRM_BELOW
        if got == want:
            right, asked_right = right + 1, asked_right + asked
        else:
            wrong, asked_wrong = wrong + 1, asked_wrong + asked
    return {
        "values_right": float(right),
        "confirmed_when_right": asked_right / right if right else 0.0,
        "values_wrong": float(wrong),
        "confirmed_when_wrong": asked_wrong / wrong if wrong else 0.0,
    }


# -- SNIPS ---------------------------------------------------------------------------------------------------
SNIPS_TO_OURS = {"artist": "artist", "genre": "genre", "year": "era"}


def snips_examples(path: Path = SNIPS) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(text, [(our slot, start, end)]) for the artist/genre/year spans of SNIPS PlayMusic."""
    data = json.loads(path.read_bytes().decode("utf-8", errors="replace"))
    rows = []
    for item in data["PlayMusic"]:
        text, spans = "", []
        for part in item["data"]:
            start = len(text)
            text += part["text"]
            entity = part.get("entity")
            if entity in SNIPS_TO_OURS:
                spans.append((SNIPS_TO_OURS[entity], *_trim(text, start, len(text))))
        rows.append((text, spans))
    return rows


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def spoken_style(
    text: str, spans: Sequence[tuple[str, int, int]] = ()
) -> tuple[str, list[tuple[str, int, int]]]:
    """`text` as a speech recognizer writes it (lower case, no punctuation but apostrophes inside words,
    single spaces) and `spans` moved to the same words."""
    kept: list[int] = []  # for each character of the new text, its offset in the old
    out: list[str] = []
    for i, c in enumerate(text):
        inner_apostrophe = (
            c in "'’" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        )
        if c.isalnum() or inner_apostrophe:
            out.append("'" if c == "’" else c.lower())
        elif c.isspace() or not c.isalnum():
            if not out or out[-1] == " ":
                continue
            out.append(" ")
        kept.append(i)
    while out and out[-1] == " ":
        out.pop()
        kept.pop()
    new = "".join(out)
    moved = []
    for name, start, end in spans:
        inside = [j for j, i in enumerate(kept) if start <= i < end and new[j] != " "]
        if inside:
            moved.append((name, inside[0], inside[-1] + 1))
    return new, moved


def evaluate_snips(component: Understander, rows: Sequence[tuple[str, list[tuple[str, int, int]]]]) -> Report:
    predictions = _understand_all(component, [t for t, _ in rows])
    report = Report(
        component.name, "snips", len(rows), slots={s: Counts() for s in ("artist", "genre", "era")}
    )
    lenient = Counts()
    for (text, gold), u in zip(rows, predictions, strict=True):
        predicted = [
            (s.name, *_trim(text, s.start, s.end))
            for s in u.slots
            if s.name in ("artist", "genre") or (s.name == "era" and s.value[:1].isdigit())
        ]
        remaining = list(gold)
        loose = list(gold)
        for p in predicted:
            if p in remaining:
                report.slots[p[0]].tp += 1
                remaining.remove(p)
            else:
                report.slots[p[0]].fp += 1
                report.errors.append(f"{text!r}: extra {p[0]} {text[p[1] : p[2]]!r}")
            hit = next((g for g in loose if g[0] == p[0] and p[1] < g[2] and g[1] < p[2]), None)
            if hit:
                lenient.tp += 1
                loose.remove(hit)
            else:
                lenient.fp += 1
        for g in remaining:
            report.slots[g[0]].fn += 1
            report.errors.append(f"{text!r}: missed {g[0]} {text[g[1] : g[2]]!r}")
        lenient.fn += len(loose)
    report.extra["overlap_f1"] = lenient.f1
    for act, share in Counter(u.act.value for u in predictions).items():
        report.extra[f"act_{act}"] = share / len(rows)
    report.extra["command"] = sum(u.command for u in predictions) / len(rows)
    return report


# -- CPCD ----------------------------------------------------------------------------------------------------
def cpcd_turns(path: Path = CPCD) -> list[tuple[str, list[str]]]:
    """(user turn, artists of that conversation's tracks) for every user turn."""
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        conversation = json.loads(line)
        artists = sorted(
            {a for t in conversation.get("tracks", {}).values() for a in t.get("track_artists", [])}
        )
        for turn in conversation["turns"]:
            if turn.get("user_query"):
                rows.append((turn["user_query"], artists))
    return rows


def evaluate_cpcd(component: Understander, rows: Sequence[tuple[str, list[str]]]) -> Report:
    predictions = _understand_all(component, [t for t, _ in rows])
    report = Report(component.name, "cpcd", len(rows))
    found: Counter[str] = Counter()
    mentions = recalled = artist_slots = artist_in_conversation = 0
    for (text, artists), u in zip(rows, predictions, strict=True):
        for name in {s.name for s in u.slots}:
            found[name] += 1
        lowered = text.lower()
        for artist in artists:
            if len(artist) >= 4 and re.search(rf"(?<!\w){re.escape(artist.lower())}(?!\w)", lowered):
                mentions += 1
                start = lowered.find(artist.lower())
                recalled += any(
                    s.name == "artist" and s.start < start + len(artist) and start < s.end for s in u.slots
                )
        keys = {name_key(a) for a in artists}
        for s in u.slots:
            if s.name == "artist":
                artist_slots += 1
                artist_in_conversation += name_key(s.value) in keys
    for name in SLOT_NAMES:
        report.extra[f"turns_with_{name}"] = found[name] / len(rows)
    report.extra["silver_artist_mentions"] = mentions
    report.extra["silver_artist_recall"] = recalled / mentions if mentions else 0.0
    report.extra["artist_slots_in_conversation"] = (
        artist_in_conversation / artist_slots if artist_slots else 0.0
    )
    report.extra["acts"] = 0.0
    report.extra.pop("acts")
    report.extra.update(
        {f"act_{a}": c / len(rows) for a, c in Counter(u.act.value for u in predictions).items()}
    )
    return report


# -- cost ----------------------------------------------------------------------------------------------------
def rss_mb() -> float:
    """Current resident set size of this process in MB (Linux /proc; 0.0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def time_component(make: Callable[[], Understander], texts: Sequence[str]) -> dict[str, float]:
    """Load time (construction + first call), then per-utterance latency one call at a time."""
    before = rss_mb()
    t0 = time.perf_counter()
    component = make()
    component.understand("hello")
    load = time.perf_counter() - t0
    times = []
    for text in texts:
        t = time.perf_counter()
        component.understand(text)
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "load_s": load,
        "median_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * times[min(len(times) - 1, int(0.95 * len(times)))],
        "max_ms": 1000 * times[-1],
        "rss_mb": rss_mb(),
        "rss_added_mb": rss_mb() - before,
    }
