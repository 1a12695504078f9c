"""What happened when? One lane per client, one dot per operation, the partition shaded.

Saved as a PNG; the README shows a copy from `cap_theorem/img/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: the demo runs in terminals and CI without a display
import matplotlib.pyplot as plt
from matplotlib.artist import Artist

from cap_theorem.history import Operation
from cap_theorem.metrics import Summary, lost_writes, stale_reads
from cap_theorem.scenarios import ScenarioRun

# label: (colour, marker), in legend order; each operation gets the first category it fits.
STYLES = {
    "lost write (acknowledged, then gone)": ("tab:purple", "D"),
    "stale read": ("tab:red", "o"),
    "refused": ("dimgray", "x"),
    "outcome unknown": ("tab:orange", "^"),
    "write ok": ("tab:blue", "|"),
    "read ok": ("tab:green", "|"),
}


def categorize(run: ScenarioRun) -> dict[str, list[Operation]]:
    operations = run.history.operations
    lost = {id(op) for op in lost_writes(operations, run.final_writes)}
    stale = {id(op) for op in stale_reads(operations)}
    groups: dict[str, list[Operation]] = {label: [] for label in STYLES}
    for op in operations:
        if id(op) in lost:
            groups["lost write (acknowledged, then gone)"].append(op)
        elif id(op) in stale:
            groups["stale read"].append(op)
        elif op.status == "fail":
            groups["refused"].append(op)
        elif op.status == "info":
            groups["outcome unknown"].append(op)
        else:
            groups[f"{op.kind} ok"].append(op)
    return groups


def plot_timeline(runs: Sequence[tuple[ScenarioRun, Summary]], path: Path) -> Path:
    figure, axes = plt.subplots(len(runs), 1, figsize=(11, 2.3 * len(runs) + 0.6), squeeze=False)
    for ax, (run, summary) in zip(axes[:, 0], runs, strict=True):
        if run.partition:
            ax.axvspan(*run.partition, color="gold", alpha=0.25, label="partition")
        for label, ops in categorize(run).items():
            colour, marker = STYLES[label]
            # Writes sit just above a client's lane, reads just below, so the two never overlap.
            lanes = [op.client + (0.18 if op.kind == "write" else -0.18) for op in ops]
            ax.scatter(
                [op.invoked for op in ops], lanes, s=14, c=colour, marker=marker, label=label
            )
        clients = sorted({op.client for op in run.history.operations})
        ax.set_yticks(clients, [f"client {c} ({_node_of(run, c)})" for c in clients], fontsize=7)
        ax.set_title(
            f"{run.mode.name}: {summary.ok} ok, {summary.failed} failed, "
            f"{summary.stale_reads} stale reads, {summary.lost_writes} lost writes; "
            f"checker: {summary.verdict.label}",
            fontsize=9,
            loc="left",
        )
        ax.set_ylim(min(clients, default=0) - 0.6, max(clients, default=0) + 0.6)
    axes[-1, 0].set_xlabel(
        "seconds since the clients started (writes above each lane, reads below)"
    )
    # One legend entry per label across all panels, whichever panel drew it first.
    legend: dict[str, Artist] = {}
    for ax in axes[:, 0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    figure.legend(
        list(legend.values()),
        list(legend.keys()),
        loc="lower center",
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _node_of(run: ScenarioRun, client: int) -> str:
    nodes = sorted({op.node for op in run.history.operations if op.client == client})
    return "+".join(nodes)
