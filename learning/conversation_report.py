"""The training report of whole-conversation learning: JSON summary, Markdown and plots.

What it shows: each fitted-Q candidate and the current policy judged by off-policy evaluation on the
held-out conversations (G, success and turns, every estimator, with intervals and diagnostics), the
gate's paired comparison and verdict, what the chosen policy does differently (its prompt by turn on the
held-out states, next to the logged and the current policy's), what its trees look at, and the trade-off
between success and turns for several turn costs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.dialogue.actions import ACTIONS
from learning.conversation_training import TrainingResult
from learning.episodes import Episodes
from learning.report import feature_importances

__all__ = ["prompt_by_turn", "training_summary", "write_training_report"]

ESTIMATORS = ("pdis", "wpdis", "dm", "dr", "wdr")
TURN_BUCKETS = (1, 2, 3, 4, 5)
"""Decision positions reported one by one; later ones are pooled as "6+"."""


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def prompt_by_turn(episodes: Episodes, pi: np.ndarray) -> dict[str, dict[str, float]]:
    """Share of each prompt a policy would choose at the first, second, ... decision of the logged
    conversations (on the states the logs reached, so it reads as "in these situations")."""
    out: dict[str, dict[str, float]] = {}
    position = np.minimum(episodes.step + 1, TURN_BUCKETS[-1] + 1)
    for p in (*TURN_BUCKETS, TURN_BUCKETS[-1] + 1):
        rows = position == p
        if not rows.any():
            continue
        share = pi[rows].mean(axis=0)
        key = str(p) if p <= TURN_BUCKETS[-1] else f"{TURN_BUCKETS[-1] + 1}+"
        out[key] = {a.value: round(float(v), 4) for a, v in zip(ACTIONS, share, strict=True) if v > 0.0005}
    return out


def training_summary(result: TrainingResult, tradeoff: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """JSON-ready summary of a whole-conversation TrainingResult."""
    test = result.test
    assert test is not None
    logged = np.zeros((len(test), len(ACTIONS)))
    logged[np.arange(len(test)), test.action] = 1.0
    return {
        "objective": f"G = 1{{accepted}} - {test.turn_cost} x user turns",
        "n_conversations": result.n_conversations,
        "n_decisions": result.n_steps,
        "n_train_decisions": result.n_train,
        "n_test_decisions": result.n_test,
        "n_test_conversations": test.n_episodes,
        "gate_estimator": result.gate.estimator,
        "chosen": result.chosen.backend,
        "promoted": result.gate.promoted,
        "reason": result.gate.reason,
        "paired": {o: {"value": v, "ci": [lo, hi]} for o, (v, lo, hi) in result.gate.difference.items()},
        "logged": result.logged_value,
        "current": {"name": result.current_name, **result.current_report.to_dict()},
        "candidates": {
            c.backend: {
                **c.report.to_dict(),
                "fit_seconds": c.fit_seconds,
                "action_share": c.action_share,
                "importances": feature_importances(c.model),
                "fitted_q": c.model.history_,
                "fitted_on": c.model.fitted_on_,
            }
            for c in result.candidates
        },
        "prompt_by_turn": {
            "chosen": prompt_by_turn(test, result.pi_e[result.chosen.backend]),
            "current": prompt_by_turn(test, result.pi_e["current"]),
            "logged": prompt_by_turn(test, logged),
        },
        "tradeoff": tradeoff or [],
        "timings": result.timings,
    }


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _estimate_rows(summary: dict[str, Any], objective: str) -> list[str]:
    lines = [
        "| policy | " + " | ".join(e.upper() for e in ESTIMATORS) + " |",
        "|---" * (len(ESTIMATORS) + 1) + "|",
    ]
    rows = [(f"{k} (candidate)", v) for k, v in summary["candidates"].items()]
    rows.append((f"{summary['current']['name']} (current)", summary["current"]))
    for name, report in rows:
        cells = []
        for e in ESTIMATORS:
            est = report["estimates"].get(objective, {}).get(e)
            if est is None:
                cells.append("-")
                continue
            lo, hi = est["ci"]
            cells.append(f"{_fmt(est['value'])} [{_fmt(lo)}, {_fmt(hi)}]")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _estimator_plot(summary: dict[str, Any], path: Path) -> None:
    plt = _plt()
    rows = [(f"{k}", v) for k, v in summary["candidates"].items()]
    rows.append((f"{summary['current']['name']} (current)", summary["current"]))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for ax, objective in zip(axes, ("G", "success", "turns"), strict=True):
        width = 0.8 / len(rows)
        x = np.arange(len(ESTIMATORS))
        for j, (label, report) in enumerate(rows):
            est = report["estimates"].get(objective, {})
            values = np.array([(est.get(e) or {}).get("value") or np.nan for e in ESTIMATORS], dtype=float)
            lo = np.array([((est.get(e) or {}).get("ci") or [np.nan])[0] or np.nan for e in ESTIMATORS])
            hi = np.array(
                [((est.get(e) or {}).get("ci") or [np.nan, np.nan])[1] or np.nan for e in ESTIMATORS]
            )
            err = np.nan_to_num(np.vstack([values - lo, hi - values]), nan=0.0).clip(min=0)
            ax.bar(x + j * width, values, width, yerr=err, capsize=2, label=label)
        logged = summary["logged"][objective]
        ax.axhline(logged, color="grey", ls="--", lw=1, label="logging policy (observed)")
        ax.set_xticks(x + width * (len(rows) - 1) / 2, [e.upper() for e in ESTIMATORS])
        ax.set_title(objective)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("Off-policy estimates on held-out conversations (95% bootstrap CIs over conversations)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _tradeoff_plot(points: list[dict[str, Any]], path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    turns = [p["turns"] for p in points]
    success = [p["success"] for p in points]
    ax.plot(turns, success, "o-", color="#27a")
    for p in points:
        ax.annotate(f"cost {p['turn_cost']:g}", (p["turns"], p["success"]), textcoords="offset points",
                    xytext=(6, -10), fontsize=8)  # fmt: skip
    ax.set_xlabel("turns per conversation (estimated)")
    ax.set_ylabel("success rate (estimated)")
    ax.set_title("What a turn is worth: fitted-Q trained at each turn cost")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _by_turn_lines(summary: dict[str, Any]) -> list[str]:
    lines = ["| decision | chosen | current | logged |", "|---|---|---|---|"]
    table = summary["prompt_by_turn"]

    def top(shares: dict[str, float]) -> str:
        ranked = sorted(shares.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{a} {v:.0%}" for a, v in ranked)

    for key in table["chosen"]:
        lines.append(
            f"| {key} | {top(table['chosen'][key])} | {top(table['current'].get(key, {}))} | "
            f"{top(table['logged'].get(key, {}))} |"
        )
    return lines


def write_training_report(summary: dict[str, Any], directory: str | Path) -> Path:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    _estimator_plot(summary, out / "estimators.png")
    if summary["tradeoff"]:
        _tradeoff_plot(summary["tradeoff"], out / "tradeoff.png")
    (out / "training.json").write_text(json.dumps(summary, indent=2))
    paired = summary["paired"]
    chosen = summary["candidates"][summary["chosen"]]
    d = chosen["diagnostics"]
    lines = [
        "# Training report",
        "",
        f"Objective: {summary['objective']}. {summary['n_decisions']:,} decisions from "
        f"{summary['n_conversations']:,} conversations; {summary['n_test_conversations']:,} conversations "
        f"({summary['n_test_decisions']:,} decisions) held out for off-policy evaluation.",
        "",
        "## Candidates and the current policy, off-policy (held-out conversations)",
        "",
    ]
    for objective in ("G", "success", "turns"):
        lines += [f"### {objective}", "", *_estimate_rows(summary, objective), ""]
    lines += [
        "Observed on the held-out conversations under the logging policy: "
        f"G {summary['logged']['G']:.4f}, success {summary['logged']['success']:.4f}, "
        f"turns {summary['logged']['turns']:.2f}.",
        "",
        f"Chosen by {summary['gate_estimator'].upper()} of G: **{summary['chosen']}**. Its weights: "
        f"effective number of conversations {_fmt(d.get('ess'), 1)}, largest cumulative weight "
        f"{_fmt(d.get('weight_max'), 1)}, conversations with zero weight "
        f"{_fmt(d.get('zero_weight_fraction'), 3)}.",
        "",
        "## The gate",
        "",
        f"Chosen minus {summary['current']['name']}, paired on the same held-out conversations "
        f"({summary['gate_estimator'].upper()}, bootstrap over conversations):",
        "",
        "| objective | difference | 95% CI |",
        "|---|---|---|",
        *(f"| {o} | {v['value']:+.4f} | [{v['ci'][0]:+.4f}, {v['ci'][1]:+.4f}] |" for o, v in paired.items()),
        "",
        f"**{'Promoted' if summary['promoted'] else 'Not promoted'}**: {summary['reason']}.",
        "",
        "![estimators](estimators.png)",
        "",
        "## What the chosen policy does (its prompt at each decision of the held-out conversations)",
        "",
        *_by_turn_lines(summary),
        "",
        "## What its trees look at",
        "",
        "| input | importance |",
        "|---|---|",
        *(f"| {n} | {w:.3f} |" for n, w in chosen["importances"]),
        "",
    ]
    if summary["tradeoff"]:
        lines += [
            "## The price of a turn",
            "",
            "| turn cost | success (WDR) | turns (WDR) | G at that cost |",
            "|---|---|---|---|",
            *(
                f"| {p['turn_cost']:g} | {p['success']:.4f} | {p['turns']:.2f} | {p['G']:.4f} |"
                for p in summary["tradeoff"]
            ),
            "",
            "![trade-off](tradeoff.png)",
            "",
        ]
    warnings = [(k, w) for k, c in summary["candidates"].items() for w in c["warnings"]]
    if warnings:
        lines += ["## Warnings", "", *(f"- {k}: {w}" for k, w in warnings), ""]
    (out / "README.md").write_text("\n".join(lines) + "\n")
    return out
