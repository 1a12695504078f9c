"""The picture of the breaker at work: latency over time as the accounts service fails and recovers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed: the demo writes a PNG
import matplotlib.pyplot as plt

from microservices.scenarios import Timeline


def plot_timeline(timeline: Timeline, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(9, 4.5))
    axes.axvspan(timeline.outage_from_s, timeline.outage_to_s, color="red", alpha=0.1)
    axes.text(
        timeline.outage_from_s + 0.05, 0.9, "accounts down", transform=axes.get_xaxis_transform()
    )
    for samples, label, marker in (
        (timeline.without_breaker, "without breaker", "x"),
        (timeline.with_breaker, "with breaker", "o"),
    ):
        axes.scatter(
            [s.at_s for s in samples],
            [max(s.latency_s * 1000, 0.1) for s in samples],
            label=label,
            marker=marker,
            s=14,
        )
    axes.set_yscale("log")
    axes.set_xlabel("seconds since start")
    axes.set_ylabel("POST /messages latency (ms, log scale)")
    axes.set_title("Messages service latency while its accounts dependency fails and recovers")
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
