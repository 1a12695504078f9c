"""Draw the comparison: what each algorithm had left, and which requests it admitted, over time."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: the demo must run without a display
import matplotlib.pyplot as plt

from rate_limiter.comparison import Run


def plot_runs(runs: list[Run], path: Path) -> None:
    figure, axes = plt.subplots(len(runs), 1, figsize=(9, 2.4 * len(runs)), sharex=True)
    for axis, run in zip(axes, runs, strict=True):
        remaining = [d.remaining for d in run.decisions]
        axis.step(run.times, remaining, where="post", color="tab:blue", label="left after request")
        admitted = [
            (t, r) for t, r, d in zip(run.times, remaining, run.decisions, strict=True) if d.allowed
        ]
        denied = [
            (t, r)
            for t, r, d in zip(run.times, remaining, run.decisions, strict=True)
            if not d.allowed
        ]
        if admitted:
            axis.scatter(*zip(*admitted, strict=True), color="tab:green", s=14, label="admitted")
        if denied:
            axis.scatter(
                *zip(*denied, strict=True), color="tab:red", marker="x", s=14, label="denied"
            )
        axis.set_title(
            f"{run.name}: {sum(d.allowed for d in run.decisions)} admitted, "
            f"at most {run.most_admitted_within(0.1)} within 100 ms",
            fontsize=10,
        )
        axis.set_ylabel("left")
        axis.axvline(1.0, color="grey", linewidth=0.6, linestyle=":")
    axes[0].legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("seconds (the dotted line is a fixed-window boundary)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
