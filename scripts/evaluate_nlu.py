"""Evaluate the trained model and the rule understanding side by side; print the tables of docs/nlu.md.

Datasets: (a) the held-out natural set tests/data/nlu_heldout.jsonl and the held-out meanings set
tests/data/nlu_meanings_heldout.jsonl (choices, sample and catalogue questions, commands, hand-over, own
music, years in words, traits, language), (b) SNIPS PlayMusic, (c) CPCD user turns (both from
../shared/data, skipped when absent), each also in spoken style (lower case, no punctuation). Cost (load
time, latency, memory) is measured in a fresh subprocess per component, so one component's imports do not
flatter or burden the other.

Usage: .venv/bin/python scripts/evaluate_nlu.py [--dev] [--errors N] [--json FILE] [--no-cost]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _make(name: str, linker: object) -> object:
    if name == "rules":
        from nlu.rules import RuleUnderstanding

        return RuleUnderstanding(linker)  # type: ignore[arg-type]
    from nlu.model import ModelUnderstanding

    return ModelUnderstanding(linker)  # type: ignore[arg-type]


def measure_cost(name: str) -> dict[str, float]:
    """In this (fresh) process: import + load + first call, then one call at a time over the held-out set."""
    started = time.perf_counter()
    from nlu.evaluate import eval_linker, load_gold, rss_mb, time_component

    texts = [g.text for g in load_gold()] * 3
    imported = time.perf_counter() - started
    cost = time_component(lambda: _make(name, eval_linker()), texts)  # type: ignore[arg-type,return-value]
    cost["import_s"] = imported
    cost["ready_s"] = imported + cost["load_s"]
    cost["rss_mb"] = rss_mb()
    return cost


def _cost_in_subprocess(name: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--cost", name], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    if result.returncode != 0:
        raise SystemExit(f"cost measurement of {name} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _cli_wall_time(nlu: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "main.py", "nlu", "--nlu", nlu, "play some jazz"],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=True,
    )
    return time.perf_counter() - started


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _both(typed: Any, spoken: Any, key: str) -> str:
    """ "typed / spoken" of one extra figure of two reports."""
    return f"{_fmt(typed.extra.get(key, 0.0))} / {_fmt(spoken.extra.get(key, 0.0))}"


def _print_acts(reports: dict[str, Any], label: str) -> None:
    """Precision and recall of every act that occurs in the gold or the predictions."""
    print(f"\n| act ({label}) | model P / R | rules P / R | gold |\n|---|---|---|---|")
    for act, m in reports["model"].acts.items():
        r = reports["rules"].acts[act]
        if m.tp + m.fn + m.fp + r.fp:
            model, rules = f"{m.precision:.2f} / {m.recall:.2f}", f"{r.precision:.2f} / {r.recall:.2f}"
            print(f"| {act} | {model} | {rules} | {m.tp + m.fn} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dev", action="store_true", help="use the development set instead of the held-out set"
    )
    parser.add_argument("--errors", type=int, default=0, help="print up to N wrong frames per component")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--no-cost", action="store_true", help="skip the latency and memory measurements")
    parser.add_argument("--cost", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cost:
        print(json.dumps(measure_cost(args.cost)))
        return 0

    from nlu.evaluate import (
        CPCD,
        DEV,
        HELDOUT,
        MEANINGS,
        SNIPS,
        Counts,
        cpcd_turns,
        eval_linker,
        evaluate_cpcd,
        evaluate_frames,
        evaluate_snips,
        load_gold,
        snips_examples,
        spoken_style,
    )
    from nlu.linking import EntityLinker
    from nlu.meaning import SLOT_NAMES

    names = ("model", "rules")
    figures: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
    }
    gold_path = DEV if args.dev else HELDOUT
    gold = load_gold(gold_path)
    reports = {n: evaluate_frames(_make(n, eval_linker()), gold, gold_path.stem) for n in names}  # type: ignore[arg-type]
    print(f"## (a) {gold_path.name}: {len(gold)} natural utterances, gold frames\n")
    print("| metric | model | rules |\n|---|---|---|")
    for label, key in (("act accuracy", "act_accuracy"), ("frame exact match", "frame_exact")):
        print(
            f"| {label} | {_fmt(getattr(reports['model'], key))} | {_fmt(getattr(reports['rules'], key))} |"
        )
    for label, key in (
        ("sentiment Spearman", "sentiment_spearman"),
        ("sentiment chains in order", "chain_order"),
    ):
        print(
            f"| {label} | {_fmt(getattr(reports['model'], key))} | {_fmt(getattr(reports['rules'], key))} |"
        )
    print(f"| slot micro F1 | {_fmt(reports['model'].micro().f1)} | {_fmt(reports['rules'].micro().f1)} |")
    for label, key in (
        ("asked back though the values were right", "confirmed_when_right"),
        ("asked back when the values were wrong", "confirmed_when_wrong"),
    ):
        m_extra, r_extra = reports["model"].extra, reports["rules"].extra
        counts = key.replace("confirmed_when", "values")
        print(
            f"| {label} | {_fmt(m_extra[key])} of {int(m_extra[counts])} "
            f"| {_fmt(r_extra[key])} of {int(r_extra[counts])} |"
        )
    print("\n| slot | model P / R / F1 | rules P / R / F1 | gold |\n|---|---|---|---|")
    for slot in SLOT_NAMES:
        m, r = reports["model"].slots[slot], reports["rules"].slots[slot]
        print(
            f"| {slot} | {m.precision:.2f} / {m.recall:.2f} / {m.f1:.2f} | "
            f"{r.precision:.2f} / {r.recall:.2f} / {r.f1:.2f} | {m.tp + m.fn} |"
        )
    figures["heldout"] = {n: reports[n].to_dict() for n in names}
    _print_acts(reports, "held-out natural set")
    if args.errors:
        for n in names:
            print(f"\n{n} errors:")
            for line in reports[n].errors[: args.errors]:
                print(f"  {line}")

    meanings_gold = load_gold(MEANINGS)
    meanings = {n: evaluate_frames(_make(n, eval_linker()), meanings_gold, "meanings") for n in names}  # type: ignore[arg-type]
    print(f"\n## (a') {MEANINGS.name}: {len(meanings_gold)} turns about the conversation and more\n")
    print("| metric | model | rules |\n|---|---|---|")
    for label, key in (("act accuracy", "act_accuracy"), ("frame exact match", "frame_exact")):
        print(
            f"| {label} | {_fmt(getattr(meanings['model'], key))} | {_fmt(getattr(meanings['rules'], key))} |"
        )
    print(f"| slot micro F1 | {_fmt(meanings['model'].micro().f1)} | {_fmt(meanings['rules'].micro().f1)} |")
    for mark in ("command", "hand_over", "own", "language"):
        m, r = meanings["model"].marks[mark], meanings["rules"].marks[mark]
        print(
            f"| {mark} P / R | {m.precision:.2f} / {m.recall:.2f} | {r.precision:.2f} / {r.recall:.2f} "
            f"(n={m.tp + m.fn}) |"
        )
    _print_acts(meanings, "held-out meanings set")
    print("\n| slot | model P / R / F1 | rules P / R / F1 | gold |\n|---|---|---|---|")
    for slot in ("option", "topic", "era", "vocals", "popularity", "theme", "artist"):
        m, r = meanings["model"].slots.get(slot, Counts()), meanings["rules"].slots.get(slot, Counts())
        print(
            f"| {slot} | {m.precision:.2f} / {m.recall:.2f} / {m.f1:.2f} | "
            f"{r.precision:.2f} / {r.recall:.2f} / {r.f1:.2f} | {m.tp + m.fn} |"
        )
    figures["meanings"] = {n: meanings[n].to_dict() for n in names}
    if args.errors:
        for n in names:
            print(f"\n{n} errors (meanings):")
            for line in meanings[n].errors[: args.errors]:
                print(f"  {line}")

    if SNIPS.exists():
        rows = snips_examples()
        snips = {n: evaluate_snips(_make(n, EntityLinker()), rows) for n in names}  # type: ignore[arg-type]
        spoken_rows = [spoken_style(text, spans) for text, spans in rows]
        spoken = {n: evaluate_snips(_make(n, EntityLinker()), spoken_rows) for n in names}  # type: ignore[arg-type]
        print(f"\n## (b) SNIPS PlayMusic: {len(rows)} requests, exact span match\n")
        print("| span | model P / R / F1 | rules P / R / F1 |\n|---|---|---|")
        for slot, label in (("artist", "artist"), ("genre", "genre"), ("era", "year")):
            m, r = snips["model"].slots[slot], snips["rules"].slots[slot]
            print(
                f"| {label} | {m.precision:.3f} / {m.recall:.3f} / {m.f1:.3f} | "
                f"{r.precision:.3f} / {r.recall:.3f} / {r.f1:.3f} |"
            )
        mm, rm = snips["model"].micro(), snips["rules"].micro()
        print(
            f"| **artist+genre+year** | {mm.precision:.3f} / {mm.recall:.3f} / **{mm.f1:.3f}** | "
            f"{rm.precision:.3f} / {rm.recall:.3f} / {rm.f1:.3f} |"
        )
        print(
            f"| (overlap match) | F1 {snips['model'].extra['overlap_f1']:.3f} | "
            f"F1 {snips['rules'].extra['overlap_f1']:.3f} |"
        )
        print("\nSpoken style (lower case, no punctuation):\n")
        print("| span | model P / R / F1 | rules P / R / F1 |\n|---|---|---|")
        for slot, label in (("artist", "artist"), ("genre", "genre"), ("era", "year")):
            m, r = spoken["model"].slots[slot], spoken["rules"].slots[slot]
            print(
                f"| {label} | {m.precision:.3f} / {m.recall:.3f} / {m.f1:.3f} | "
                f"{r.precision:.3f} / {r.recall:.3f} / {r.f1:.3f} |"
            )
        mm, rm = spoken["model"].micro(), spoken["rules"].micro()
        print(
            f"| **artist+genre+year** | {mm.precision:.3f} / {mm.recall:.3f} / **{mm.f1:.3f}** | "
            f"{rm.precision:.3f} / {rm.recall:.3f} / {rm.f1:.3f} |"
        )
        print("\n| SNIPS turns read as | model (typed / spoken) | rules (typed / spoken) |\n|---|---|---|")
        for key in ("act_inform", "act_greet", "act_accept", "act_unclear", "command"):
            model = _both(snips["model"], spoken["model"], key)
            rules = _both(snips["rules"], spoken["rules"], key)
            print(f"| {key} | {model} | {rules} |")
        figures["snips"] = {n: snips[n].to_dict() for n in names}
        figures["snips_spoken"] = {n: spoken[n].to_dict() for n in names}
        if args.errors:
            for line in snips["model"].errors[: args.errors]:
                print(f"  {line}")
    else:
        print(f"\n(b) SNIPS skipped: {SNIPS} is absent")

    if CPCD.exists():
        turns = cpcd_turns()
        cpcd = {n: evaluate_cpcd(_make(n, EntityLinker()), turns) for n in names}  # type: ignore[arg-type]
        spoken_turns = [(spoken_style(t)[0], [spoken_style(a)[0] for a in artists]) for t, artists in turns]
        cpcd_spoken = {n: evaluate_cpcd(_make(n, EntityLinker()), spoken_turns) for n in names}  # type: ignore[arg-type]
        print(f"\n## (c) CPCD: {len(turns)} user turns (no gold frames: coverage and silver artists)\n")
        keys = [f"turns_with_{s}" for s in ("genre", "era", "artist", "track", "mood", "activity", "tempo")]
        keys += ["silver_artist_recall", "artist_slots_in_conversation"]
        keys += [
            f"act_{a}" for a in ("unclear", "choose", "previous", "again", "what_is_playing", "ask_catalogue")
        ]
        print("| figure | model (typed / spoken) | rules (typed / spoken) |\n|---|---|---|")
        for key in keys:
            model, rules = (
                _both(cpcd["model"], cpcd_spoken["model"], key),
                _both(cpcd["rules"], cpcd_spoken["rules"], key),
            )
            print(f"| {key} | {model} | {rules} |")
        print(
            f"| silver artist mentions | {int(cpcd['model'].extra['silver_artist_mentions'])} / "
            f"{int(cpcd_spoken['model'].extra['silver_artist_mentions'])} | |"
        )
        figures["cpcd"] = {n: cpcd[n].to_dict() for n in names}
        figures["cpcd_spoken"] = {n: cpcd_spoken[n].to_dict() for n in names}
    else:
        print(f"\n(c) CPCD skipped: {CPCD} is absent")

    if args.no_cost:
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1, default=str) + "\n")
        return 0
    costs = {n: _cost_in_subprocess(n) for n in names}
    wall = {n: _cli_wall_time("auto" if n == "model" else "rules") for n in names}
    print("\n## Cost (fresh process each; one utterance at a time over the held-out set x3)\n")
    print("| figure | model | rules |\n|---|---|---|")
    for label, key, digits in (
        ("import nlu (s)", "import_s", 2),
        ("load + first call (s)", "load_s", 2),
        ("start to ready in-process (s)", "ready_s", 2),
        ("latency median (ms)", "median_ms", 2),
        ("latency p95 (ms)", "p95_ms", 2),
        ("latency max (ms)", "max_ms", 1),
        ("RSS after evaluation (MB)", "rss_mb", 0),
    ):
        print(f"| {label} | {costs['model'][key]:.{digits}f} | {costs['rules'][key]:.{digits}f} |")
    print(
        f'| `python main.py nlu "play some jazz"` wall time (s) | {wall["model"]:.2f} | {wall["rules"]:.2f} |'
    )
    figures["cost"] = costs
    figures["cli_wall_s"] = wall
    print(f"\nmachine: {figures['machine']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
