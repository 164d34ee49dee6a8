"""Report folders: Markdown plus PNG plots for training (OPE model selection) and evaluation (A/B).

Plots: estimator comparison with confidence intervals, success rates with CIs, turn distributions,
prompt-type mix. matplotlib is imported lazily with the Agg backend (no display needed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.dialogue.state import FEATURE_NAMES
from assistant.logs.dataset import ACTION_NAMES

__all__ = ["feature_importances", "training_summary", "write_evaluation_report", "write_training_report"]

ESTIMATORS = ("ipw", "snipw", "dm", "dr", "sndr")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def feature_importances(model: Any, top: int = 12) -> list[tuple[str, float]]:
    """The model's most important inputs (state features and prompt types), largest first."""
    names = [*FEATURE_NAMES, *(f"action={a}" for a in ACTION_NAMES), "put_forward_affinity"]
    weights = np.asarray(model.importances(), dtype=float)
    if len(weights) != len(names):
        names = names[: len(weights)]
    total = weights.sum() or 1.0
    order = np.argsort(weights)[::-1][:top]
    return [(names[i], float(weights[i] / total)) for i in order]


def training_summary(result: Any) -> dict[str, Any]:
    """JSON-ready summary of a TrainingResult."""
    return {
        "n_conversations": result.n_conversations,
        "n_rounds": result.n_rounds,
        "n_train_rounds": result.n_train,
        "n_test_rounds": result.n_test,
        "gate_estimator": "dr",
        "chosen": result.chosen.kind,
        "promoted": result.promoted,
        "reason": result.reason,
        "paired": (
            None
            if result.paired is None
            else {
                "difference": result.paired.difference,
                "ci": list(result.paired.ci),
                "agreement": result.paired.agreement,
                "first_prompt": result.paired.first_prompt,
            }
        ),
        "logging_policy_value": result.logging_value,
        "reward_by_action": result.reward_by_action,
        "current": {"name": result.current_name, **result.current_report.to_dict()},
        "candidates": {
            c.kind: {
                **c.report.to_dict(),
                "fit_seconds": c.fit_seconds,
                "action_share": c.action_share,
                "importances": feature_importances(c.model),
            }
            for c in result.candidates
        },
        "timings": result.timings,
    }


def _estimator_plot(summary: dict[str, Any], path: Path) -> None:
    plt = _plt()
    rows = [(f"{k} (candidate)", v) for k, v in summary["candidates"].items()]
    rows.append((f"{summary['current']['name']} (current)", summary["current"]))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(rows)
    x = np.arange(len(ESTIMATORS))
    for j, (label, report) in enumerate(rows):
        est = report["estimates"]
        values = [est.get(e, {}).get("value") or np.nan for e in ESTIMATORS]
        lo = [
            values[i] - ((est.get(e, {}).get("ci") or [np.nan])[0] or np.nan)
            for i, e in enumerate(ESTIMATORS)
        ]
        hi = [
            ((est.get(e, {}).get("ci") or [np.nan, np.nan])[1] or np.nan) - values[i]
            for i, e in enumerate(ESTIMATORS)
        ]
        # A bootstrap interval need not contain its point estimate; a bar shows how far it reaches.
        err = np.nan_to_num(np.array([lo, hi], dtype=float), nan=0.0).clip(min=0)
        ax.bar(x + j * width, values, width, yerr=err, capsize=3, label=label)
    ax.axhline(
        summary["logging_policy_value"], color="grey", ls="--", lw=1, label="logging policy (observed)"
    )
    ax.set_xticks(x + width * (len(rows) - 1) / 2, [e.upper() for e in ESTIMATORS])
    ax.set_ylabel("mean prompt usefulness per decision")
    ax.set_title("Off-policy estimates on held-out logs (95% bootstrap CIs)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _ope_table(summary: dict[str, Any]) -> list[str]:
    lines = [
        "| policy | " + " | ".join(e.upper() for e in ESTIMATORS) + " | ESS | max weight |",
        "|---" * 8 + "|",
    ]
    rows = [(k, v) for k, v in summary["candidates"].items()] + [
        (f"{summary['current']['name']} (current)", summary["current"])
    ]
    for name, report in rows:
        cells = []
        for e in ESTIMATORS:
            est = report["estimates"].get(e)
            if est is None:
                cells.append("-")
                continue
            lo, hi = est["ci"]
            cells.append(f"{_fmt(est['value'])} [{_fmt(lo)}, {_fmt(hi)}]")
        d = report["diagnostics"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {d['ess']:.0f} | {d['weight_max']:.1f} |")
    return lines


def _paired_lines(summary: dict[str, Any]) -> list[str]:
    paired = summary.get("paired")
    if not paired:
        return []
    current = summary["current"]["name"]

    def top(shares: dict[str, float]) -> str:
        if not shares:
            return "-"
        name, value = max(shares.items(), key=lambda kv: kv[1])
        return f"{name} {value:.0%}"

    lo, hi = paired["ci"]
    return [
        f"Paired on the same held-out rounds (DR per round, bootstrap over conversations): chosen minus "
        f"{current} {paired['difference']:+.4f} [{lo:+.4f}, {hi:+.4f}]; they choose the same prompt in "
        f"{paired['agreement']:.0%} of rounds; first prompt: chosen {top(paired['first_prompt']['chosen'])}, "
        f"{current} {top(paired['first_prompt']['current'])}.",
        "",
    ]


def write_training_report(summary: dict[str, Any], directory: str | Path) -> Path:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    _estimator_plot(summary, out / "estimators.png")
    (out / "training.json").write_text(json.dumps(summary, indent=2))
    lines = [
        "# Training report",
        "",
        f"{summary['n_rounds']:,} decisions from {summary['n_conversations']:,} conversations; "
        f"{summary['n_test_rounds']:,} held out for off-policy evaluation.",
        "",
        "## Model selection by off-policy evaluation (held-out logs)",
        "",
        *_ope_table(summary),
        "",
        "Observed value of the logging policy on the held-out rounds: "
        f"{summary['logging_policy_value']:.4f}.",
        "",
        f"Chosen: **{summary['chosen']}**. Promotion gate: {summary['reason']} -> "
        f"**{'promoted' if summary['promoted'] else 'not promoted'}**.",
        "",
        *_paired_lines(summary),
        "![estimators](estimators.png)",
        "",
        "## What the chosen model looks at",
        "",
        "| input | importance |",
        "|---|---|",
        *(f"| {n} | {w:.3f} |" for n, w in summary["candidates"][summary["chosen"]]["importances"]),
        "",
    ]
    for kind, c in summary["candidates"].items():
        for w in c["warnings"]:
            lines.append(f"- {kind}: {w}")
    (out / "README.md").write_text("\n".join(lines) + "\n")
    return out


def _policy_files(evaluation: dict[str, Any]) -> list[str]:
    """Which policy files the learned arms ran, so a reader knows what "learned+history" was."""
    learned, history = evaluation.get("policy_file"), evaluation.get("history_policy_file")
    if learned is None:
        return []
    line = f"`learned` ran `{learned}`"
    if history is not None:
        line += f"; `learned+history` ran `{history}` with the listeners' histories read"
        if history == learned:
            line += " (no learned+history file ships, so this is what a person with a history gets)"
    return ["", line + "."]


def write_evaluation_report(
    evaluation: dict[str, Any],
    arms: dict[str, Any],
    directory: str | Path,
    training: dict[str, Any] | None = None,
) -> Path:
    """`evaluation` is the evaluate command's JSON; `arms` maps policy name -> ab.Arm."""
    plt = _plt()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    names = list(arms)
    # Success with CIs.
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.8))
    rates = [evaluation["policies"][n]["success_rate"] for n in names]
    cis = [evaluation["policies"][n]["success_ci"] for n in names]
    ax[0].bar(
        names,
        rates,
        # Clamped at zero: at a rate of 0 or 1 the Wilson bound equals the rate up to rounding, and
        # matplotlib rejects an error bar of -1e-17.
        yerr=[
            [max(0.0, r - c[0]) for r, c in zip(rates, cis, strict=True)],
            [max(0.0, c[1] - r) for r, c in zip(rates, cis, strict=True)],
        ],
        capsize=4,
        color=["#999", "#2a7", "#27a", "#a72", "#72a", "#555"][: len(names)],
    )
    ax[0].set_ylim(0, 1)
    ax[0].set_title("success rate (95% Wilson CI)")
    bins = np.arange(1, 26) - 0.5
    for n in names:
        ax[1].hist(np.clip(arms[n].turns, 1, 24), bins=bins, alpha=0.55, label=n, density=True)
    ax[1].set_title("turns per conversation")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(out / "outcomes.png", dpi=110)
    plt.close(fig)
    # Prompt mix.
    fig, ax = plt.subplots(figsize=(8, 3.8))
    x = np.arange(len(ACTION_NAMES))
    width = 0.8 / len(names)
    for j, n in enumerate(names):
        mix = arms[n].action_mix()
        ax.bar(x + j * width, [mix.get(a, 0.0) for a in ACTION_NAMES], width, label=n)
    ax.set_xticks(x + width * (len(names) - 1) / 2, [a.replace("_", "\n") for a in ACTION_NAMES], fontsize=8)
    ax.set_ylabel("share of prompts")
    ax.set_title("prompt-type mix")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "prompt_mix.png", dpi=110)
    plt.close(fig)
    # The policy's training summary: whole-conversation (objective G, from conversation_report) or the
    # per-decision usefulness learner's; each has its own table and plot.
    by_conversation = training is not None and "gate_estimator" in training and "logged" in training
    if training is not None:
        if by_conversation:
            from learning.conversation_report import _estimate_rows
            from learning.conversation_report import _estimator_plot as _conversation_plot

            _conversation_plot(training, out / "estimators.png")
        else:
            _estimator_plot(training, out / "estimators.png")
    (out / "evaluation.json").write_text(json.dumps(evaluation, indent=2))
    lines = [
        f"# Simulated A/B: population `{evaluation['population']}`",
        "",
        f"{evaluation['n_conversations']:,} fresh simulated listeners per policy "
        f"(seed {evaluation['seed']}), "
        "each policy meeting the same listeners.",
        *_policy_files(evaluation),
        "",
        "| policy | success | 95% CI | mean turns | 95% CI | abandoned | 95% CI | accepted music's match |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n in names:
        p = evaluation["policies"][n]
        lines.append(
            f"| {n} | {p['success_rate']:.3f} | [{p['success_ci'][0]:.3f}, {p['success_ci'][1]:.3f}] | "
            f"{p['mean_turns']:.2f} | [{p['turns_ci'][0]:.2f}, {p['turns_ci'][1]:.2f}] | "
            f"{p['abandon_rate']:.3f} | "
            f"[{p['abandon_ci'][0]:.3f}, {p['abandon_ci'][1]:.3f}] | {_fmt(p.get('accepted_match'))} |"
        )
    for key, label in (
        ("comparison", "Learned vs rules"),
        ("comparison_history", "Learned+history vs learned"),
        ("comparison_history_vs_rules", "Learned+history vs rules"),
    ):
        c = evaluation.get(key)
        if not c:
            continue
        lines += [
            "",
            f"{label}: success {c['relative_success_gain']:+.1%} relative "
            f"(95% CI {c['relative_success_gain_ci'][0]:+.1%} to {c['relative_success_gain_ci'][1]:+.1%}), "
            f"turns {-c['turn_reduction']:+.1%} (95% CI {-c['turn_reduction_ci'][1]:+.1%} to "
            f"{-c['turn_reduction_ci'][0]:+.1%}).",
        ]
    mix, first = evaluation.get("prompt_mix"), evaluation.get("first_prompt_mix") or {}
    if mix:
        head = " | ".join(names)
        lines += ["", "Prompt mix (share of all prompts; in brackets, share of conversations it opens):", ""]
        lines += [f"| prompt | {head} |", "|---|" + "---|" * len(names)]
        for a in ACTION_NAMES:
            cells = [f"{mix[n].get(a, 0.0):.1%} ({first.get(n, {}).get(a, 0.0):.0%})" for n in names]
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
    for key, who in (("ope_check", "learned"), ("ope_check_history", "learned+history")):
        o = evaluation.get(key)
        if not o:
            continue
        note = " (the listeners' histories read)" if key == "ope_check_history" else ""
        lines += [
            "",
            f"## OPE's estimate of the {who} policy vs its simulated on-policy value",
            "",
            f"Logged by the exploration policy: {o['n_logged_decisions']:,} decisions from "
            f"{o['n_logged_conversations']:,} fresh conversations{note}. On-policy value "
            f"(mean G per conversation of the {who} policy running live): {o['on_policy_value']:.4f}. "
            f"The gate uses {o['gate_estimator'].upper()}.",
            "",
            "| estimator | estimate | 95% CI | bias | CI covers on-policy value |",
            "|---|---|---|---|---|",
        ]
        for e, row in o["estimates"].items():
            lines.append(
                f"| {e.upper()} | {_fmt(row['value'])} | [{_fmt(row['ci'][0])}, {_fmt(row['ci'][1])}] | "
                f"{row['bias']:+.4f} | {'yes' if row['covers'] else 'no'} |"
            )
    lines += ["", "![outcomes](outcomes.png)", "", "![prompt mix](prompt_mix.png)", ""]
    if training is not None:
        lines += [
            "## Training (model selection)",
            "",
            *(_estimate_rows(training, "G") if by_conversation else _ope_table(training)),
            "",
            "![estimators](estimators.png)",
            "",
        ]
    (out / "README.md").write_text("\n".join(lines) + "\n")
    return out
