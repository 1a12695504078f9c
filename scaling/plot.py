"""Draw the experiments: throughput vs processes, keys moved vs nodes, balance vs virtual nodes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: the demo must run without a display
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from scaling.partitioning import BalanceRow, MovementRow
from scaling.throughput import ThroughputRow


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_throughput(rows: Sequence[ThroughputRow], path: Path, cores: int) -> Path:
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for layout, route in sorted({(r.layout, r.route) for r in rows}):
        series = sorted(
            (r for r in rows if (r.layout, r.route) == (layout, route)), key=lambda r: r.processes
        )
        style = "-" if route == "cpu" else "--"
        label = f"{layout}, {route}-bound"
        processes = [r.processes for r in series]
        left.plot(processes, [r.per_second for r in series], style, marker="o", label=label)
        right.plot(processes, [r.efficiency or 0 for r in series], style, marker="o", label=label)
    for axis in (left, right):
        axis.axvline(cores, color="grey", linewidth=0.8, linestyle=":")
        axis.set_xlabel(f"processes (dotted line: {cores} cores)")
        axis.set_xticks(sorted({r.processes for r in rows}))
    left.set_ylabel("requests / s")
    left.set_title("Throughput", fontsize=10)
    right.set_ylabel("throughput at N ÷ (N × throughput at 1)")
    right.set_title("Scaling efficiency (1.0 = linear)", fontsize=10)
    right.set_ylim(0, 1.2)
    left.legend(fontsize=8)
    return _save(figure, path)


def plot_key_movement(rows: Sequence[MovementRow], path: Path) -> Path:
    figure, axis = plt.subplots(figsize=(7, 3.8))
    nodes = [r.nodes for r in rows]
    axis.plot(nodes, [r.modulo for r in rows], marker="o", color="tab:red", label="hash mod N")
    axis.plot(nodes, [r.ring for r in rows], marker="o", color="tab:blue", label="hash ring")
    axis.plot(nodes, [r.jump for r in rows], marker="o", color="tab:green", label="jump hash")
    axis.plot(nodes, [r.modulo_theory for r in rows], ":", color="tab:red", label="N/(N+1)")
    axis.plot(nodes, [r.consistent_theory for r in rows], ":", color="black", label="1/(N+1)")
    axis.set_xlabel("nodes before one more joins (N → N+1)")
    axis.set_ylabel("fraction of keys that move")
    axis.set_ylim(0, 1)
    axis.legend(fontsize=8)
    return _save(figure, path)


def plot_balance(rows: Sequence[BalanceRow], path: Path) -> Path:
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.plot([r.vnodes for r in rows], [r.max_over_mean for r in rows], marker="o")
    axis.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
    axis.set_xscale("log")
    axis.set_xlabel(f"virtual nodes per node ({rows[0].nodes} nodes)")
    axis.set_ylabel("busiest node ÷ mean keys")
    return _save(figure, path)
